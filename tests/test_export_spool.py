"""A split export killed half-way must not leave every exhibitor's leads in the folder
meant for one of them: spool files live in a private folder, removed on the next run."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

from leadcap.export import run
from leadcap.store import leads


def seed(store):
    for exhibitor in ("ACME", "Beta"):
        leads.add_lead(store, {"company": exhibitor, "email": f"x@{exhibitor}.example"},
                       exhibitor=exhibitor, raw_payload="RAW-SECRET")  # fmt: skip


def test_sigkill_during_a_split_export_leaves_nothing_in_the_delivery_folder(
    store, db_path, tmp_path
):
    seed(store)
    store.close()
    out = tmp_path / "for-acme"
    script = textwrap.dedent(
        f"""
        import os, signal
        from leadcap.export import xlsx
        from leadcap.cli import app

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        xlsx.write_workbook = killed
        app(["--db", {str(db_path)!r}, "export", "xlsx", "--split-by", "exhibitor",
             "--files", {str(out)!r}])
        """
    )
    env = {**os.environ, "LEADCAP_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    left = [p for p in out.rglob("*")] if out.exists() else []
    assert left == []
    work = db_path.with_name(f".{db_path.name}-work")
    spools = list(work.rglob("*.jsonl"))
    assert spools and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in spools)
    assert stat.S_IMODE(work.stat().st_mode) == 0o700


def test_the_next_export_removes_a_killed_exports_spool(cli, db_path, tmp_path):
    cli("add", "--company", "ACME", "--exhibitor", "ACME")
    work = db_path.with_name(f".{db_path.name}-work")
    stale = work / "export-999999999-abc"
    stale.mkdir(parents=True)
    (stale / "0.jsonl").write_text("{}")
    cli("export", "xlsx", "--split-by", "exhibitor", "--files", str(tmp_path / "out"))
    assert not stale.exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ACME.xlsx"]
    assert list(work.iterdir()) == []


def test_a_running_exports_folder_is_left_alone(store):
    mine = run.work_folder(store)
    other = run.work_folder(store)
    assert mine.exists() and other.exists()

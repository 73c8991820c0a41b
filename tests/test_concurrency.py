"""Two leadcap processes on one file: one adding, one listing. Both must succeed."""

import os
import subprocess
import sys


def run(db, *args):
    env = {**os.environ, "LEADCAP_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "leadcap", *args], env=env, capture_output=True, text=True
    )


def test_writer_and_reader_at_once(db_path):
    run(db_path, "add", "--company", "seed")
    env = {**os.environ, "LEADCAP_DB": str(db_path)}
    script = (
        "from leadcap.cli import app\n"
        "import sys\n"
        "for i in range(40):\n"
        "    try:\n"
        "        app(['add', '--company', f'c{i}'], standalone_mode=False)\n"
        "    except SystemExit as e:\n"
        "        if e.code: sys.exit(e.code)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    listings = [run(db_path, "list", "--json") for _ in range(5)]
    _, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors
    assert all(r.returncode == 0 for r in listings), [r.stderr for r in listings]
    final = run(db_path, "info", "--json")
    assert '"leads": 41' in final.stdout


def test_two_writers_at_once(db_path):
    env = {**os.environ, "LEADCAP_DB": str(db_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "leadcap", "add", "--company", f"c{i}"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert '"leads": 6' in run(db_path, "info", "--json").stdout

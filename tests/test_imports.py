"""Commands that neither export nor draw stay fast: no heavy library at import time."""

import subprocess
import sys

# pandas and numpy are left out here: sqlite-utils imports them whenever they are installed
# (a benchmark venv has them); test_no_dataframe_libraries_at_runtime keeps them out of ours.
HEAVY = ("openpyxl", "qrcode", "PIL", "zxingcpp", "python_calamine", "phonenumbers")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_importing_the_cli_loads_nothing_heavy():
    modules = loaded_after("import leadcap.cli")
    assert not {m for m in HEAVY if m in modules}


def test_listing_loads_nothing_heavy(tmp_path):
    code = (
        "import os\n"
        f"os.environ['LEADCAP_DB'] = {str(tmp_path / 'x.db')!r}\n"
        "from leadcap.cli import app\n"
        "try:\n"
        "    app(['list'])\n"
        "except SystemExit:\n"
        "    pass"
    )
    modules = loaded_after(code)
    assert not {m for m in HEAVY if m in modules}


def test_no_dataframe_libraries_at_runtime():
    from importlib.metadata import requires

    runtime = [r for r in requires("leadcap") if "extra ==" not in r]
    assert not [r for r in runtime if r.split(">")[0].split("=")[0].strip() in ("pandas", "numpy")]

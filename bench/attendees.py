"""Benchmark the attendee-list import: python-calamine against openpyxl read-only on the same
42,000-row workbook, then leadcap's whole import (read, map, upsert, fill in leads) from
xlsx and from CSV, and a re-import of the same file.

Run by hand:  python bench/attendees.py [--rows 42000] [--runs 3] [--leads 500]

Reads and core imports run in this process, best of --runs (module imports happen before
the clock starts). The `leadcap attendees import` lines are one cold CLI run each in a
subprocess: what a user waits for. Each import goes into a fresh copy of a database that
already holds --leads leads captured by badge id, so the fill-in is part of the time.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADERS = ["Badge ID", "Last name", "First name", "Furigana", "Company", "Department",
           "Job title", "Email", "Phone", "Country", "Date of birth", "Dietary needs"]  # fmt: skip
from sample_names import DE_COMPANY, DE_FAMILY, DE_GIVEN, JP_COMPANY, JP_FAMILY, JP_GIVEN  # noqa: E402


def generate(n: int, seed: int = 42):
    """n attendees, 60% Japanese, 40% German, with two columns leadcap must not keep."""
    rnd = random.Random(seed)
    for i in range(n):
        if rnd.random() < 0.6:
            (family, fam_r), (given, giv_r) = rnd.choice(JP_FAMILY), rnd.choice(JP_GIVEN)
            reading, company, country = f"{fam_r} {giv_r}", rnd.choice(JP_COMPANY), "JP"
            department = rnd.choice(["営業部", "開発部", "購買部"])
            title = rnd.choice(["部長", "課長"])
            phone = f"03-{rnd.randint(1000, 9999)}-{i % 10000:04d}"
        else:
            family, given, reading = rnd.choice(DE_FAMILY), rnd.choice(DE_GIVEN), None
            company, country = rnd.choice(DE_COMPANY), "DE"
            department, title = rnd.choice(["Einkauf", "F&E"]), rnd.choice(["Leiter", "CTO"])
            phone = f"+49 511 {rnd.randint(100000, 999999)}"
        yield [f"{i:08d}", family, given, reading, company, department, title,
               f"user{i}@example-{i % 97}.com", phone, country,
               f"19{rnd.randint(50, 99)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
               rnd.choice(["", "vegetarian", "halal"])]  # fmt: skip


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    from openpyxl import Workbook

    xlsx, csv_path = folder / "attendees.xlsx", folder / "attendees.csv"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Attendees")
    sheet.append(HEADERS)
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in generate(n):
            sheet.append(row)
            writer.writerow(row)
    workbook.save(xlsx)
    return xlsx, csv_path


def read_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as workbook:
        return len(workbook.get_sheet_by_index(0).to_python())


def read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return len(rows)


def seed_leads(db: Path, count: int) -> None:
    """Leads captured by badge id before the list arrived (every 50th attendee)."""
    from leadcap.store import leads
    from leadcap.store.database import open_store

    store = open_store(db, staff="bench", device="bench")
    with store.transaction():
        for i in range(count):
            leads.add_lead(store, {"badge_id": f"{i * 50:08d}"}, source="badge")
    store.close()


def best(fn, runs: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def core_import(seeded: Path, folder: Path, path: Path, *, again: bool = False):
    """One import into a fresh copy of the seeded database (timed: the import only)."""
    from leadcap.intake.attendees import import_attendees
    from leadcap.store.database import open_store

    db = folder / f"run-{time.perf_counter_ns()}.db"
    shutil.copy(seeded, db)
    store = open_store(db, staff="bench", device="bench")
    if again:
        import_attendees(store, path)
    start = time.perf_counter()
    result = import_attendees(store, path)
    seconds = time.perf_counter() - start
    store.close()
    return seconds, result


def cli_import(seeded: Path, folder: Path, path: Path) -> float:
    db = folder / f"cli-{time.perf_counter_ns()}.db"
    shutil.copy(seeded, db)
    command = [sys.executable, "-m", "leadcap", "--db", str(db), "attendees", "import", str(path)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=42_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--leads", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        xlsx, csv_path = write_files(folder, args.rows)
        mb = [path.stat().st_size / 1e6 for path in (xlsx, csv_path)]
        sizes = f"xlsx {mb[0]:.1f} MB, csv {mb[1]:.1f} MB"
        print(f"wrote {args.rows:,} attendees in {time.perf_counter() - start:.1f} s: {sizes}")
        calamine_version = version("python-calamine")
        print(f"python-calamine {calamine_version}, openpyxl {version('openpyxl')}; "
              f"best of {args.runs}")  # fmt: skip

        calamine, rows_c = best(lambda: read_calamine(xlsx), args.runs)
        openpyxl_s, rows_o = best(lambda: read_openpyxl(xlsx), args.runs)
        assert rows_c == rows_o == args.rows + 1, (rows_c, rows_o)
        print(f"read xlsx   calamine           {calamine:6.2f} s")
        print(f"read xlsx   openpyxl read-only {openpyxl_s:6.2f} s   "
              f"calamine is {openpyxl_s / calamine:.1f}x faster")  # fmt: skip

        seeded = folder / "seeded.db"
        seed_leads(seeded, args.leads)
        runs = [core_import(seeded, folder, xlsx) for _ in range(args.runs)]
        xlsx_import, result = min(runs, key=lambda r: r[0])
        csv_import = min(core_import(seeded, folder, csv_path)[0] for _ in range(args.runs))
        again = min(core_import(seeded, folder, xlsx, again=True)[0] for _ in range(args.runs))
        print(f"import xlsx (core)             {xlsx_import:6.2f} s   "
              f"{result.added:,} added, {result.leads_filled} leads filled; "
              f"reading is {calamine / xlsx_import:.0%} of it")  # fmt: skip
        print(f"import csv  (core)             {csv_import:6.2f} s   "
              f"xlsx/csv {xlsx_import / csv_import:.2f}x")  # fmt: skip
        print(f"re-import same xlsx (core)     {again:6.2f} s   nothing changes")
        cli_xlsx, cli_csv = cli_import(seeded, folder, xlsx), cli_import(seeded, folder, csv_path)
        print(f"leadcap attendees import xlsx  {cli_xlsx:6.2f} s   cold CLI")
        print(f"leadcap attendees import csv   {cli_csv:6.2f} s   cold CLI")


if __name__ == "__main__":
    main()

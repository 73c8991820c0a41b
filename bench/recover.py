"""Benchmark `recover` (fallback journal import) at growing sizes: time per entry must stay
flat (linear), where it used to grow with the journal (quadratic: 4,000 entries took 14 s).
Also times the workbook guard against calamine's own read of the same 42,000-row sheet.

Run by hand:  python bench/recover.py [--sizes 1000,4000,8000]

Ratios are against the smallest size in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadcap.intake import capture, journal  # noqa: E402
from leadcap.store.database import open_store  # noqa: E402


def recover_seconds(folder: Path, count: int) -> float:
    store = open_store(folder / f"leads-{count}.db", staff="bench", device="bench")
    with open(capture.journal_path(store), "wb") as out:
        for n in range(count):
            payload = f"MECARD:N:Person{n},Bench;EMAIL:p{n}@example.com;;"
            out.write(journal.encode({"id": f"e{n}", "type": "scan", "payload": payload}))
            out.write(journal.encode({"id": f"q{n}", "type": "qualify", "scan": f"e{n}",
                                      "action": "rate", "value": "hot"}))  # fmt: skip
    start = time.perf_counter()
    report = capture.recover(store)
    took = time.perf_counter() - start
    assert report.imported == 2 * count
    store.close()
    return took


def guard_vs_calamine(folder: Path) -> tuple[float, float]:
    import openpyxl
    from python_calamine import CalamineWorkbook

    from leadcap.intake.sheetguard import check_workbook

    path = folder / "list.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for n in range(42_000):
        sheet.append([f"B-{n}", "Given", "Family", "Company KK", f"m{n}@example.com",
                      "+81 3 1234 5678", "Tokyo", "JP", "Sales", "Manager"])  # fmt: skip
    book.save(path)
    start = time.perf_counter()
    check_workbook(path, "the list")
    guard = time.perf_counter() - start
    start = time.perf_counter()
    with CalamineWorkbook.from_path(str(path)) as workbook:
        workbook.get_sheet_by_index(0).to_python()
    return guard, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,4000,8000")
    sizes = [int(x) for x in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = None
        for count in sizes:
            took = recover_seconds(folder, count)
            per = took / count
            base = base or per
            print(
                f"recover {count:>6} scans (+qualify): {took:6.2f} s,"
                f" {per * 1000:.2f} ms/scan, x{per / base:.2f} per scan vs {sizes[0]}"
            )
        guard, calamine = guard_vs_calamine(folder)
        print(
            f"workbook guard 42,000 rows: {guard:.2f} s; calamine read {calamine:.2f} s;"
            f" guard/read x{guard / calamine:.2f}"
        )


if __name__ == "__main__":
    main()

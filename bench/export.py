"""Benchmark the Excel export against pandas, xlsxwriter and a plain CSV write.

Run by hand:  python bench/export.py [--sizes 42000 200000]

Each writer runs in its own subprocess; wall time is measured inside it (making the leads
plus writing the file - every writer pays for making the same leads) and peak RSS comes
from os.wait4() for that one child. pandas and xlsxwriter are optional (the `bench` extra);
a missing one is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sample_names import DE_COMPANY, DE_FAMILY, DE_GIVEN, JP_COMPANY, JP_FAMILY, JP_GIVEN  # noqa: E402

TAGS = ["AI", "Robotics", "Sensors", "Semiconductors", "Vision", "IoT", "Partner", "Press"]
NOTES = ["Wants a demo next week", "Budget Q1\nDecision: CTO", "見積もり希望\n来月訪問",
         "Rückruf erbeten,\nAngebot bis Freitag", "", ""]  # fmt: skip
STAFF = ["anna", "kenji", "lukas", "yumi", "sophie"]
JST = timezone(timedelta(hours=9))
FAIR_START = datetime(2026, 12, 9, 9, 0, tzinfo=JST)


def generate(n: int, seed: int = 4):
    """n realistic leads over three fair days, hot first then newest (as the store sorts)."""
    rnd = random.Random(seed)
    ratings = ["hot"] * (n // 5) + ["warm"] * (n // 2) + ["cold"] * (n - n // 5 - n // 2)
    for i, rating in enumerate(ratings):
        japanese = rnd.random() < 0.6
        if japanese:
            (family, fam_r), (given, giv_r) = rnd.choice(JP_FAMILY), rnd.choice(JP_GIVEN)
            full, reading, company = f"{family} {given}", f"{fam_r} {giv_r}", rnd.choice(JP_COMPANY)
            phone = f"+81 3-{rnd.randint(1000, 9999)}-{i % 10000:04d}"
            country, city = "JP", "千代田区"
            postal = f"{rnd.randint(100, 999)}-{rnd.randint(0, 9999):04d}"
        else:
            family, given, reading = rnd.choice(DE_FAMILY), rnd.choice(DE_GIVEN), None
            full, company = f"{given} {family}", rnd.choice(DE_COMPANY)
            phone = f"+49 511 {rnd.randint(100000, 999999)}"
            country, city = "DE", "Hannover"
            postal = f"{rnd.randint(1000, 99999):05d}"
        captured = FAIR_START + timedelta(days=i % 3, minutes=rnd.randint(0, 540))
        yield {
            "id": i + 1, "uuid": f"{rnd.getrandbits(128):032x}", "event": "SEMICON Japan 2026",
            "badge_id": f"{rnd.randint(0, 99999999):08d}", "given_name": given,
            "family_name": family, "full_name": full, "name_reading": reading,
            "company": company, "department": rnd.choice(["営業部", "Einkauf", "R&D", None]),
            "title": rnd.choice(["部長", "Leiter Einkauf", "CTO", None]),
            "email": f"user{i}@example-{i % 97}.com", "phone": phone,
            "mobile": rnd.choice([None, f"090-{rnd.randint(1000, 9999)}-{i % 10000:04d}"]),
            "website": f"https://example-{i % 97}.com", "street": None, "city": city,
            "postal_code": postal, "country": country, "notes": rnd.choice(NOTES) or None,
            "rating": rating, "tags": rnd.sample(TAGS, rnd.randint(0, 3)),
            "consent": {"followup": "granted", "marketing": rnd.choice(["granted", "refused"]),
                        "share": "not_asked"},
            "captured_by": rnd.choice(STAFF), "device": f"laptop-{i % 4}",
            "captured_at": captured.isoformat(), "updated_at": captured.isoformat(),
            "source": "badge", "raw_payload": None, "needs_review": False, "review_reasons": [],
            "visits": 1, "status": "new", "owner": None, "due": None, "exhibitor": None,
        }  # fmt: skip


def flat_rows(n: int):
    """The lead columns as plain values (what every peer writer gets)."""
    from leadcap.export.columns import LEAD_COLUMNS, joined, lead_value

    for lead in generate(n):
        yield [
            joined(v) if isinstance(v, list) else v
            for v in (lead_value(lead, c.key) for c in LEAD_COLUMNS)
        ]


def run_leadcap(n: int, out: str) -> None:
    from leadcap.export.xlsx import write_workbook

    write_workbook(out, lambda: generate(n), event={"name": "Bench", "timezone": "Asia/Tokyo"})


def run_pandas(n: int, out: str) -> None:
    import pandas as pd

    from leadcap.export.columns import LEAD_COLUMNS

    frame = pd.DataFrame(list(flat_rows(n)), columns=[c.key for c in LEAD_COLUMNS])
    frame.to_excel(out, engine="openpyxl", index=False)


def run_xlsxwriter(n: int, out: str) -> None:
    import xlsxwriter

    from leadcap.export.columns import LEAD_COLUMNS

    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("Leads")
    sheet.write_row(0, 0, [c.key for c in LEAD_COLUMNS])
    for r, row in enumerate(flat_rows(n), 1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)  # write() would turn "=..." into a formula
            elif value is not None:
                sheet.write(r, c, value)
    book.close()


def run_csv(n: int, out: str) -> None:
    import csv

    with open(out, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(flat_rows(n))


WRITERS = {"leadcap": run_leadcap, "pandas": run_pandas, "xlsxwriter": run_xlsxwriter,
           "csv": run_csv}  # fmt: skip
NEEDS = {"pandas": "pandas", "xlsxwriter": "xlsxwriter"}


def child(name: str, n: int, out: str) -> None:
    start = time.perf_counter()
    WRITERS[name](n, out)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def measure(name: str, n: int, workdir: str) -> dict | None:
    module = NEEDS.get(name)
    if module and subprocess.run([sys.executable, "-c", f"import {module}"]).returncode:
        return None
    out = os.path.join(workdir, f"{name}-{n}.{'csv' if name == 'csv' else 'xlsx'}")
    cmd = [sys.executable, __file__, "--child", name, str(n), out]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"{name} failed for {n} leads")
    result = json.loads(stdout.strip().splitlines()[-1])
    rss_kib = usage.ru_maxrss  # KiB on Linux
    result.update(peak_mib=rss_kib / 1024, size_mib=os.path.getsize(out) / 2**20)
    os.remove(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[42_000, 200_000])
    parser.add_argument("--writers", nargs="+", default=list(WRITERS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    with tempfile.TemporaryDirectory(prefix="leadcap-bench-") as workdir:
        for n in args.sizes:
            results = {}
            for name in args.writers:
                results[name] = measure(name, n, workdir)
                r = results[name]
                line = "skipped (not installed)" if r is None else (
                    f"{r['seconds']:7.1f} s  peak RSS {r['peak_mib']:7.1f} MiB  "
                    f"file {r['size_mib']:6.1f} MiB"
                )  # fmt: skip
                print(f"{n:>8} leads  {name:<10} {line}", flush=True)
            mine = results.get("leadcap")
            for base in ("pandas", "csv"):
                if mine and results.get(base):
                    time_ratio = mine["seconds"] / results[base]["seconds"]
                    memory_ratio = mine["peak_mib"] / results[base]["peak_mib"]
                    print(f"{n:>8} leads  leadcap/{base}: time {time_ratio:.2f}x, "
                          f"memory {memory_ratio:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()

"""Reading piped payloads (`leadcap scan < file`) stays linear when a vCard never ends.

Times `leadcap.intake.terminal.payloads_from_lines` on files of growing size whose first
vCard has a second BEGIN:VCARD and never ends (the fuzzing find that ran for 15 minutes on
27 MB), against the floor: splitting the same lines with nothing else done. Both run
interleaved in one process; quote the ratios. Linear means the ratio stays flat as the
file grows (a quadratic reader's ratio grows with the size).
Run by hand:  python bench/piped.py [--mb 27]
"""

from __future__ import annotations

import argparse
import time

from leadcap.intake.terminal import payloads_from_lines


def broken_file(megabytes: float) -> list[str]:
    lines = ["BEGIN:VCARD\n", "VERSION:3.0\n", "BEGIN:VCARD\n", "N:Sato;Ken\n"]
    size, i = 0, 0
    while size < megabytes * 1_000_000:
        kind = i % 3
        if kind == 0:
            line = f"NT27-{i:07d}\n"
        elif kind == 1:
            line = f"MECARD:N:Yamada,Taro;EMAIL:t{i}@example.jp;;\n"
        else:
            line = "BEGIN:VCARD\nN:Weber;Jan\nEND:VCARD\n"
        lines += line.splitlines(keepends=True)
        size += len(line)
        i += 1
    return lines


def floor(lines: list[str]) -> int:
    return sum(1 for line in lines if line.rstrip("\r\n").strip())


def timed(fn, lines) -> tuple[float, int]:
    started = time.perf_counter()
    count = fn(lines)
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=27.0, help="largest file size in MB")
    args = parser.parse_args()
    print(f"{'MB':>6} {'payloads':>9} {'floor s':>8} {'read s':>8} {'ratio':>6}")
    for share in (1 / 8, 1 / 4, 1 / 2, 1):
        lines = broken_file(args.mb * share)
        base, _ = timed(floor, lines)
        spent, count = timed(lambda ls: sum(1 for _ in payloads_from_lines(ls)), lines)
        base2, _ = timed(floor, lines)
        base = min(base, base2)
        print(f"{args.mb * share:6.1f} {count:9d} {base:8.3f} {spent:8.3f} {spent / base:6.1f}")


if __name__ == "__main__":
    main()

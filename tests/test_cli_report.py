from __future__ import annotations

import json
import shlex
import time

import pytest

from leadcap.store.database import open_store
from leadcap.store.leads import add_lead, get_lead


def test_stats_json(cli, fair):
    data = cli.json("stats")
    assert (data["total"], data["today"], data["needs_review"], data["returning_visitors"]) == (
        12, 5, 1, 1)  # fmt: skip
    assert data["timezone"] == "Asia/Tokyo"
    assert data["per_day"] == {"2026-12-08": 3, "2026-12-09": 4, "2026-12-10": 5}
    assert {h: n for h, n in data["per_hour"].items() if n} == {
        "08": 1, "09": 2, "10": 2, "11": 2, "12": 1, "13": 1, "14": 2, "17": 1}  # fmt: skip
    assert data["per_staff"] == {"anna": 7, "ben": 5}
    assert data["per_tag"] == {"AI": 6, "Robotics": 4, "Sensors": 3}
    assert data["per_exhibitor"] == {"PartnerCo": 2}
    assert data["per_rating"] == {"hot": 4, "warm": 4, "cold": 2, "unrated": 2}
    assert data["consent_rate"] == {"followup": 0.75, "marketing": 0.25, "share": 0.0}


def test_stats_json_keys_are_stable(cli, fair):
    assert list(cli.json("stats")) == [
        "as_of", "timezone", "since", "until", "total", "today", "needs_review",
        "returning_visitors", "per_rating", "untagged", "consent_granted", "consent_rate",
        "per_day", "per_hour", "per_staff", "per_tag", "per_exhibitor", "per_answer",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "total", "days"),
    [
        (["--date", "yesterday"], 4, {"2026-12-09": 4}),
        (["--date", "2026-12-08"], 3, {"2026-12-08": 3}),
        (["--since", "2026-12-09"], 9, {"2026-12-09": 4, "2026-12-10": 5}),
        (["--until", "2026-12-09"], 7, {"2026-12-08": 3, "2026-12-09": 4}),
    ],
)
def test_stats_filters_by_tokyo_day(cli, fair, args, total, days):
    data = cli.json("stats", *args)
    assert (data["total"], data["per_day"], data["today"]) == (total, days, 5)


def test_stats_plain_text_when_piped(cli, fair):
    lines = [line.split() for line in cli("stats").stdout.splitlines()]
    for expected in (
        ["leads", "12"],
        ["today", "5"],
        ["consent", "followup", "9", "(75%)"],
        ["consent", "marketing", "3", "(25%)"],
        ["consent", "share", "0", "(0%)"],
        ["2026-12-09", "4", "####"],
        ["08", "1", "#"],
        ["anna", "7", "#######"],
        ["(untagged)", "1", "#"],
        ["PartnerCo", "2", "##"],
        ["unrated", "2", "##"],
    ):
        assert expected in lines


@pytest.mark.parametrize("value", ["2026-12-10T10:00", "10.12.2026", "+3x"])
def test_stats_refuses_a_date_that_is_not_a_day(cli, store, value):
    result = cli("stats", "--date", value, code=2)
    assert f"--date {value!r} is not a date. Use YYYY-MM-DD, today" in result.output


def test_watch_shows_a_lead_scanned_between_refreshes(cli, fair, db_path, monkeypatch):
    def scan_on_the_other_laptop(seconds):
        other = open_store(db_path, staff="ben", device="laptop-b")
        add_lead(other, {"company": "Late KK"}, captured_at="2026-12-10T14:59:00+09:00")
        other.close()

    monkeypatch.setattr(time, "sleep", scan_on_the_other_laptop)
    out = cli("stats", "--watch", "--interval", "0.5", "--iterations", "2", "--json").stdout
    refreshes = [json.loads(line) for line in out.splitlines()]
    assert [(r["total"], r["today"], r["per_hour"]["14"]) for r in refreshes] == [
        (12, 5, 2), (13, 6, 3)]  # fmt: skip


def test_debrief_json(cli, fair):
    report = cli.json("debrief")
    assert (report["date"], report["new_leads"], report["returning_visitors"]) == (
        "2026-12-10", 5, 1)  # fmt: skip
    assert report["per_rating"] == {"hot": 2, "warm": 1, "cold": 1, "unrated": 1}
    assert report["per_staff"] == {"anna": 3, "ben": 2}
    assert report["consent_granted"] == {"followup": 3, "marketing": 1, "share": 0}
    assert [item["id"] for item in report["fixups"]] == [10, 11, 12]
    assert [p["kind"] for p in report["fixups"][0]["problems"]] == [
        "email", "consent", "rating", "tags"]  # fmt: skip


def test_debrief_of_yesterday(cli, fair):
    report = cli.json("debrief", "--date", "yesterday")
    assert (report["date"], report["new_leads"]) == ("2026-12-09", 4)
    assert [item["name"] for item in report["fixups"]] == ["Sato"]


def test_debrief_consent_fix_needs_the_visitors_answer(cli, fair):
    out = cli("debrief").stdout
    assert "followup granted" not in out  # never a ready command recording consent
    assert "only after asking the visitor" in out


def test_debrief_plain_text(cli, fair):
    lines = cli("debrief").stdout.splitlines()
    assert lines[0] == "Debrief 2026-12-10 (Asia/Tokyo)"
    for expected in (
        "new leads\t5",
        "returning visitors\t1",
        "rating: unrated\t1",
        "consent: followup\t3 of 5 (60%)",
        "staff: ben\t2",
        "Fix-up queue: 3 leads",
        "No e-mail (1): 10 Ono (Ono GmbH)",
        "  fix: leadcap edit <id> --email <e-mail>",
        "Follow-up consent not recorded (2): 10 Ono (Ono GmbH), 12 Kudo",
        "  fix, only after asking the visitor: leadcap consent <id> followup <granted|refused>",
        "No rating (1): 10 Ono (Ono GmbH)",
        "Check (1):",
        "  11 Ueda: e-mail 'bad@' does not look valid",
    ):
        assert expected in lines


def run_fix(cli, command: str, **placeholders: str) -> None:
    args = shlex.split(command)
    assert args[0] == "leadcap"
    cli(*[placeholders.get(arg, arg) for arg in args[1:]])


@pytest.mark.parametrize(
    ("lead_id", "kind", "placeholders", "changed"),
    [
        (
            12,
            "consent",
            {"<granted|refused>": "granted"},
            lambda lead: lead["consent"]["followup"] == "granted",
        ),  # fmt: skip
        (10, "email", {"<e-mail>": "ono@x.de"}, lambda lead: lead["email"] == "ono@x.de"),
        (10, "rating", {"<hot|warm|cold>": "warm"}, lambda lead: lead["rating"] == "warm"),
        (10, "tags", {"<tag>": "Sensors"}, lambda lead: lead["tags"] == ["Sensors"]),
        (11, "review", {"<e-mail>": "ueda@example.jp"}, lambda lead: not lead["needs_review"]),
    ],
)
def test_each_fix_command_works(cli, fair, lead_id, kind, placeholders, changed):
    [item] = [i for i in cli.json("debrief")["fixups"] if i["id"] == lead_id]
    [command] = [p["command"] for p in item["problems"] if p["kind"] == kind]
    run_fix(cli, command, **placeholders)
    assert changed(get_lead(fair, lead_id))
    after = {i["id"]: [p["kind"] for p in i["problems"]] for i in cli.json("debrief")["fixups"]}
    assert kind not in after.get(lead_id, [])


def test_fix_commands_carry_the_db_given(cli, fair, db_path):
    report = cli.json("--db", str(db_path), "debrief")
    command = report["fixups"][-1]["problems"][0]["command"]
    assert command == (
        f"leadcap --db {shlex.quote(str(db_path))} consent 12 followup <granted|refused>"
    )
    run_fix(cli, command, **{"<granted|refused>": "granted"})
    assert get_lead(fair, 12)["consent"]["followup"] == "granted"


def test_debrief_writes_a_workbook(cli, fair, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "debrief.xlsx"
    cli("debrief", "-o", str(target))
    book = load_workbook(target)
    assert book.sheetnames == ["Summary", "Fix-up"]
    rows = list(book["Fix-up"].iter_rows(values_only=True))
    assert [(row[0], row[1]) for row in rows[1:]] == [(10, "Ono"), (11, "Ueda"), (12, "Kudo")]
    assert rows[3][4] == "leadcap consent 12 followup <granted|refused>"
    assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)


def test_debrief_refuses_an_output_that_is_not_xlsx(cli, store, tmp_path):
    result = cli("debrief", "-o", str(tmp_path / "debrief.csv"), code=2)
    assert "does not end in .xlsx" in result.output


def test_terminal_dashboard_shows_names_literally(fair):
    from io import StringIO

    from rich.console import Console

    from leadcap.cli.report import rich_stats
    from leadcap.reports import stats

    at = "2026-12-10T15:00:00+09:00"
    add_lead(fair, {"company": "X"}, tags=["[/x] [bold]AI"], captured_at=at)
    out = StringIO()
    Console(file=out, width=200, no_color=True).print(rich_stats(stats.compute(fair)))
    assert "[/x] [bold]AI" in out.getvalue()
    # 08:1 09:2 10:2 11:2 12:1 13:1 14:2 15:1 17:1
    assert "hours 00-23  ▁▁▁▁▁▁▁▁▅███▅▅█▅▁▅▁▁▁▁▁▁  (busiest 2)" in out.getvalue()


def test_terminal_debrief_shows_names_literally(cli, fair, monkeypatch):
    from leadcap.cli import common, report

    add_lead(
        fair, {"family_name": "[Sato]"}, tags=["[/x]"], captured_at="2026-12-10T15:00:00+09:00"
    )
    for module in (common, report):
        monkeypatch.setattr(module, "is_terminal", lambda: True)
    out = cli("debrief").stdout
    assert "[Sato]" in out and "tag: [/x]" in out
    assert "\\[" not in out  # escaped once for rich, then shown literally: never twice


def render(data: dict, width: int) -> list[str]:
    from io import StringIO

    from rich.console import Console

    from leadcap.cli.report import rich_stats

    out = StringIO()
    Console(file=out, width=width, no_color=True).print(rich_stats(data))
    return out.getvalue().splitlines()


def bar_of(lines: list[str], label: str) -> str:
    """The bar on the first line whose label is `label`."""
    line = next(line for line in lines if line.split()[:1] == [label])
    return line.split(" ", 4)[-1].strip() if "█" in line else ""


@pytest.mark.parametrize("width", [50, 80, 109, 110, 200])
def test_terminal_bars_fit_the_terminal(fair, width):
    from rich.cells import cell_len

    from leadcap.reports import stats

    add_lead(
        fair,
        {"company": "X"},
        tags=["素材・材料の長いタグ名"],
        captured_at="2026-12-10T15:00:00+09:00",
    )
    lines = render(stats.compute(fair), width)
    assert max(cell_len(line) for line in lines) <= width
    busiest_day = next(line for line in lines if "2026-12-10" in line)
    assert width - 8 <= cell_len(busiest_day.rstrip()) <= width  # the largest bar fills the line


def test_terminal_bars_grow_with_the_terminal(fair):
    from leadcap.reports import stats

    data = stats.compute(fair)
    narrow, wide = render(data, 60), render(data, 100)
    assert len(bar_of(wide, "AI")) > len(bar_of(narrow, "AI")) > 40


@pytest.mark.parametrize(
    "title", ["per day", "per hour", "per tag", "per co-exhibitor", "per rating"]
)
def test_terminal_shows_a_chart_per_section(fair, title):
    from leadcap.reports import stats

    assert title in [line.strip() for line in render(stats.compute(fair), 80)]


@pytest.mark.parametrize(
    ("count", "most", "width", "bar"),
    [(5, 10, 40, "█" * 20), (1, 1000, 10, "▏"), (0, 5, 10, ""), (3, 8, 10, "███▊")],
)
def test_bar_lengths_in_eighths(count, most, width, bar):
    from leadcap.cli.bars import bar_text

    assert bar_text(count, most, width) == bar


def test_terminal_bars_keep_the_top_fifteen(fair):
    from leadcap.reports import stats

    for n in range(20):
        add_lead(fair, {"company": f"C{n}"}, exhibitor=f"Ex{n:02d}")
    lines = render(stats.compute(fair), 80)
    section = lines[lines.index("per co-exhibitor") + 1 :]
    assert [line.split()[0] for line in section[:16]] == [
        "PartnerCo",
        *(f"Ex{n:02d}" for n in range(14)),
        "other",
    ]


def test_watch_on_a_terminal_redraws_the_bars(cli, fair, monkeypatch):
    from leadcap.cli import report

    monkeypatch.setattr(report, "is_terminal", lambda: True)
    out = cli("stats", "--watch", "--interval", "0.5", "--iterations", "2").stdout
    assert "per day" in out and "█" in out


def test_watch_interval_zero_is_refused(cli):
    result = cli("stats", "--watch", "--interval", "0", "--iterations", "1", code=2)
    assert "--interval" in result.output and "0.5" in result.output

"""The fair report (`leadcap report`), read back: cells with openpyxl, charts from the
`xl/charts/chart*.xml` parts (openpyxl does not load charts), every number against
`leadcap stats --json` on the fair of fair_data.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import fair_data
import openpyxl
import pytest

from leadcap.reports import fair_report, stats, worklist
from leadcap.reports.fair_words import WORDS
from leadcap.store import answers as answering
from leadcap.store.history import undo
from leadcap.store.leads import add_lead, iter_leads

NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}
EN = WORDS["en"]


def charts(path) -> list[dict]:
    """Each chart part: its bar direction, grouping, title and series references."""
    found = []
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        for name in names:
            root = ElementTree.fromstring(archive.read(name))
            bar = root.find(".//c:barChart", NS)
            title = root.find("c:chart/c:title", NS)
            series = [
                {
                    "name": ser.findtext("c:tx/c:strRef/c:f", namespaces=NS),
                    "cat": ser.findtext("c:cat/*/c:f", namespaces=NS),
                    "cat_kind": ser.find("c:cat/*", NS).tag.split("}")[1],
                    "val": ser.findtext("c:val/c:numRef/c:f", namespaces=NS),
                }
                for ser in bar.findall("c:ser", NS)
            ]
            found.append(
                {
                    "dir": bar.find("c:barDir", NS).get("val"),
                    "grouping": bar.find("c:grouping", NS).get("val"),
                    "title": "".join(t.text for t in title.iterfind(".//a:t", NS)),
                    "series": series,
                }
            )
    return found


def cells(book, ref: str) -> list:
    """The values of a chart reference such as 'Days'!$A$2:$A$4."""
    sheet, area = ref.rsplit("!", 1)
    ws = book[sheet.strip("'").replace("''", "'")]
    found = ws[area.replace("$", "")]
    return [found.value] if hasattr(found, "value") else [row[0].value for row in found]


def plotted(book, chart: dict, n: int = 0) -> dict:
    """{category: value} of a chart's n-th series, read from the cells it points at."""
    series = chart["series"][n]
    keys = [
        k.date().isoformat() if isinstance(k, datetime) else k for k in cells(book, series["cat"])
    ]
    return dict(zip(keys, cells(book, series["val"]), strict=True))


@pytest.fixture
def report(cli, fair, tmp_path):
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    return path


def by_title(path) -> dict[str, dict]:
    return {chart["title"]: chart for chart in charts(path)}


def test_chart_types_and_titles(report):
    kinds = {title: (c["dir"], c["grouping"]) for title, c in by_title(report).items()}
    assert kinds == {
        EN["title_days"]: ("col", "clustered"),
        EN["title_hours"]: ("col", "clustered"),
        EN["title_exhibitors"]: ("bar", "clustered"),
        EN["title_staff"]: ("bar", "clustered"),
        EN["title_tags"]: ("bar", "clustered"),
        EN["title_ratings"]: ("bar", "clustered"),
        EN["title_countries"]: ("bar", "clustered"),
        EN["title_consent"]: ("bar", "clustered"),
        EN["title_visits"]: ("col", "clustered"),
        EN["title_owner"]: ("bar", "stacked"),
        EN["title_funnel"]: ("bar", "clustered"),
        EN["title_service"]: ("bar", "stacked"),
    }


def test_charts_point_at_their_sheets_tables(report):
    book = openpyxl.load_workbook(report)
    days = by_title(report)[EN["title_days"]]["series"][0]
    assert (days["cat"], days["val"], days["name"]) == ("'Days'!$A$2:$A$4", "'Days'!$B$2:$B$4",
                                                        "'Days'!B1")  # fmt: skip
    assert days["cat_kind"] == "numRef"  # dates are numbers to a chart
    assert by_title(report)[EN["title_tags"]]["series"][0]["cat_kind"] == "strRef"
    assert book["Days"]["B1"].value == EN["leads"]


def test_charted_values_match_stats_json(cli, report):
    data = cli.json("stats")
    book = openpyxl.load_workbook(report)
    shown = {title: plotted(book, chart) for title, chart in by_title(report).items()}
    assert shown[EN["title_days"]] == data["per_day"]
    assert shown[EN["title_hours"]] == {int(h): n for h, n in data["per_hour"].items()}
    own = data["total"] - sum(data["per_exhibitor"].values())
    assert shown[EN["title_exhibitors"]] == {EN["organiser"]: own, **data["per_exhibitor"]}
    assert shown[EN["title_staff"]] == data["per_staff"]
    assert shown[EN["title_tags"]] == {**data["per_tag"], EN["untagged"]: data["untagged"]}
    assert list(shown[EN["title_ratings"]].values()) == list(data["per_rating"].values())
    assert list(shown[EN["title_consent"]].values()) == list(data["consent_rate"].values())
    assert sum(shown[EN["title_visits"]].values()) == data["total"]
    assert sum(shown[EN["title_countries"]].values()) == data["total"]


def test_bar_charts_are_largest_first(report):
    book = openpyxl.load_workbook(report)
    for key in ("exhibitors", "staff", "tags"):
        values = list(plotted(book, by_title(report)[EN[f"title_{key}"]]).values())
        assert values == sorted(values, reverse=True), key


def test_numbers_are_numbers_and_dates_dates(report):
    book = openpyxl.load_workbook(report)
    days = book["Days"]
    assert (days["A2"].value, days["A2"].number_format) == (datetime(2026, 12, 8), "yyyy-mm-dd")
    assert isinstance(days["B2"].value, int)
    assert (book["Hours"]["A11"].value, book["Hours"]["A11"].number_format) == (9, '00":00"')
    rate = book["Consent"]["C2"]
    assert (rate.value, rate.number_format) == (0.75, "0%")
    cover = {row[0].value: row[1] for row in book["Report"].iter_rows(min_row=3)}
    assert cover[EN["first_day"]].value == datetime(2026, 12, 8)
    assert cover[EN["made_at"]].value == datetime(2026, 12, 10, 15, 0)
    assert (cover[EN["total"]].value, cover[EN["event"]].value) == (12, "fair")


@pytest.mark.parametrize("lang", ["de", "ja"])
def test_titles_and_sheets_in_the_chosen_language(cli, fair, tmp_path, lang):
    path = tmp_path / f"report-{lang}.xlsx"
    cli("report", "-o", str(path), "--lang", lang)
    words = WORDS[lang]
    assert openpyxl.load_workbook(path).sheetnames[:3] == [
        words["sheet_cover"], words["sheet_days"], words["sheet_hours"]]  # fmt: skip
    assert {words["title_days"], words["title_funnel"]} <= set(by_title(path))
    with zipfile.ZipFile(path) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert f"<a:t>{words['day']}</a:t>" in chart and f"<a:t>{words['leads']}</a:t>" in chart


PERSONAL = {"given_name": "Hanako", "family_name": "Nakamura", "email": "hanako@n.jp",
            "phone": "+81 3 1234 5678", "mobile": "090-1111-2222", "badge_id": "NT26-000777",
            "full_name": "Nakamura Hanako", "country": "JP"}  # fmt: skip


def test_no_personal_field_in_any_cell_or_chart(cli, fair, tmp_path):
    add_lead(fair, PERSONAL, tags=["AI"], rating="hot", captured_at="2026-12-10T10:00:00+09:00")
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    book = openpyxl.load_workbook(path)
    texts = [str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value]
    with zipfile.ZipFile(path) as archive:
        texts += [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml")]
    everything = "\n".join(texts)
    people = [v for k, v in PERSONAL.items() if k != "country"]
    people += [fields[key] for *_, fields, _, _, _, _ in fair_data.FAIR for key in fields]
    assert [p for p in people if p in everything] == []


def test_other_bucket_past_fifteen_entries(cli, fair, tmp_path):
    for n in range(18):  # 18 more countries, one lead each, after the fair's 12 unknown
        add_lead(fair, {"company": f"Co {n}", "country": f"Land {n:02d}"})
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    shown = plotted(openpyxl.load_workbook(path), by_title(path)[EN["title_countries"]])
    assert len(shown) == 16 and list(shown)[0] == EN["unknown"]
    assert (list(shown)[-1], shown[EN["other"]], sum(shown.values())) == (EN["other"], 4, 30)


def test_ranked_keeps_fifteen_and_sums_the_rest():
    counts = {f"t{n}": n for n in range(1, 21)}
    top = stats.ranked(counts, "other")
    assert top[0] == ("t20", 20) and top[14] == ("t6", 6) and top[15] == ("other", 15)


@pytest.fixture
def followed_up(fair):
    fair.set_setting("followup-days.hot", 1)
    fair.set_setting("followup-days.cold", 0)
    worklist.assign(fair, 1, "ken")
    worklist.done(fair, 1, "meeting")  # hot, captured 12-08, due 12-09, contacted 12-10: late
    worklist.done(fair, 5, "contacted")  # hot, captured 12-09, due 12-10: in time
    worklist.done(fair, 2, "lost")  # warm, lost: it was contacted
    worklist.done(fair, 4, "won")
    return fair


def test_funnel_counts_the_stage_each_lead_reached(followed_up):
    data = fair_report.gather(followed_up)
    assert data["funnel"] == {"new": 12, "contacted": 4, "meeting": 2, "offer": 1, "won": 1}
    assert data["lost"] == 1


def test_service_level_per_rating(followed_up):
    service = fair_report.gather(followed_up)["service_level"]
    assert service["hot"] == {"days": 1, "leads": 4, "in_time": 1, "late": 1,
                              "open_overdue": 0, "open_in_time": 2}  # fmt: skip
    # cold within 0 days: lead 3 (12-08) is overdue, lead 12 (captured today) is not yet
    assert (service["cold"]["open_overdue"], service["cold"]["open_in_time"]) == (1, 1)


def test_an_undone_status_change_does_not_count(followed_up):
    undo(followed_up)  # takes back lead 4's "won"
    assert fair_report.gather(followed_up)["funnel"]["won"] == 0


def test_followup_sheet_per_owner(cli, followed_up, tmp_path):
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    book = openpyxl.load_workbook(path)
    owner = by_title(path)[EN["title_owner"]]
    assert [s["name"] for s in owner["series"]][0] == "'Follow-up'!B1"
    assert owner["series"][0]["cat"] == "'Follow-up'!$A$2:$A$2"  # ken; not the unowned row
    rows = {
        r[0]: r[1:7] for r in book["Follow-up"].iter_rows(min_row=2, max_row=3, values_only=True)
    }
    assert rows == {EN["nobody"]: (8, 1, 0, 0, 1, 1), "ken": (0, 0, 1, 0, 0, 0)}
    assert plotted(book, by_title(path)[EN["title_funnel"]])[EN["won_s"]] == 1


def test_cover_names_the_laptops_whose_data_is_in(cli, fair, tmp_path):
    fair.device = "laptop-b"
    add_lead(fair, {"company": "From B"}, captured_at="2026-12-10T11:00:00+09:00")
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    cover = openpyxl.load_workbook(path)["Report"]
    rows = {r[0]: r[1:3] for r in cover.iter_rows(values_only=True) if r[0]}
    assert (rows["laptop-a"][0], rows["laptop-b"]) == (12, (1, rows["laptop-b"][1]))


def test_per_exhibitor_reports_hold_only_their_own_figures(cli, fair, tmp_path):
    fair.set_setting("exhibitors", ["PartnerCo", "ACME GmbH"])
    result = cli("report", "--per-exhibitor", str(tmp_path / "per"))
    assert "Wrote 2 co-exhibitor report(s)" in result.stdout
    path = tmp_path / "per" / "PartnerCo.xlsx"
    expected = cli.json("stats", "--exhibitor", "PartnerCo")
    shown = plotted(openpyxl.load_workbook(path), by_title(path)[EN["title_days"]])
    assert (expected["total"], shown) == (2, expected["per_day"])
    acme = openpyxl.load_workbook(tmp_path / "per" / "ACME GmbH.xlsx")["Days"]
    assert acme.max_row == 1  # no leads: headers only


def test_filters_narrow_the_report_like_stats(cli, fair, tmp_path):
    path = tmp_path / "hot.xlsx"
    cli("report", "-o", str(path), "--rating", "hot", "--since", "2026-12-09")
    expected = cli.json("stats", "--rating", "hot", "--since", "2026-12-09")
    shown = plotted(openpyxl.load_workbook(path), by_title(path)[EN["title_days"]])
    assert (shown, expected["total"]) == (expected["per_day"], 3)
    cover = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Report"].iter_rows(values_only=True)}
    assert cover[EN["filters"]] == "since 2026-12-09 00:00; rating hot"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: Say where to write the report: -o report.xlsx"),
        (["-o", "r.csv"], "Error: r.csv does not end in .xlsx"),
        (["-o", "r.xlsx", "--lang", "fr"], "Error: Unknown language 'fr'. Use one of: en, de, ja"),
    ],
)
def test_report_refuses_bad_options(cli, store, args, message):
    result = cli("report", *args, code=2)
    assert result.stderr.startswith(message)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_report_to_pdf(report, tmp_path):
    out = tmp_path / "pdf"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(report)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = (out / "report.pdf").read_bytes()
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
    assert pdf.startswith(b"%PDF") and len(pages) == 11  # one landscape page per sheet


def test_days_without_leads_are_in_the_table(cli, fair, tmp_path):
    add_lead(fair, {"company": "Late"}, captured_at="2026-12-12T10:00:00+09:00")
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    shown = plotted(openpyxl.load_workbook(path), by_title(path)[EN["title_days"]])
    assert shown["2026-12-11"] == 0 and date.fromisoformat(list(shown)[-1]) == date(2026, 12, 12)


def test_cover_shows_the_pavilion_set_with_config(cli, fair, tmp_path):
    cli("config", "set", "pavilion", "German Pavilion")
    path = tmp_path / "report.xlsx"
    cli("report", "-o", str(path))
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Report"].iter_rows(values_only=True)}
    assert rows[EN["pavilion"]] == "German Pavilion"


def test_a_report_without_leads_has_every_sheet(cli, store, tmp_path):
    path = tmp_path / "empty.xlsx"
    assert "on 0 lead(s)" in cli("report", "-o", str(path)).stdout
    assert len(openpyxl.load_workbook(path).sheetnames) == 11
    assert plotted(openpyxl.load_workbook(path), by_title(path)[EN["title_funnel"]])["new"] == 0


def test_per_exhibitor_without_co_exhibitors_says_so(cli, store, tmp_path):
    out = cli("report", "--per-exhibitor", str(tmp_path / "per")).stdout
    assert out.startswith("No co-exhibitors, so no report per co-exhibitor was written.")
    assert not (tmp_path / "per").exists()


def test_answers_sheet_has_a_chart_per_choice_question_in_the_report_language(cli, fair, tmp_path):
    from leadcap.store import questions

    questions.add_question(
        fair, "Cooperation", "multi", choices=["R&D", "Job"], labels={"de": "Kooperation"},
        choice_labels={"de": "R&D=F&E,Job=Stelle"},
    )  # fmt: skip
    questions.add_question(fair, "Application", "text")  # free text: no chart
    first, second = (lead["id"] for lead in list(iter_leads(fair))[:2])
    answering.answer(fair, first, "Cooperation", ["R&D", "Job"])
    answering.answer(fair, second, "Cooperation", ["R&D"])
    path = tmp_path / "de.xlsx"
    cli("report", "-o", str(path), "--lang", "de")
    de = WORDS["de"]
    answers = [c for c in charts(path) if c["title"].startswith(de["title_answers"])]
    assert [c["title"] for c in answers] == [f"{de['title_answers']}: Kooperation"]
    total = cli.json("stats")["total"]
    shown = plotted(openpyxl.load_workbook(path), answers[0])
    assert shown == {"F&E": 2, "Stelle": 1, de["no_answer"]: total - 2}

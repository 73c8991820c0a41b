"""Answers in exports: a column per question after the tags (xlsx and CSV), sheets per
answer, answer counts on the summary, hot first then by score, CRM presets, filters."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from leadcap.export import run as exporting
from leadcap.export.columns import LEAD_COLUMNS
from leadcap.store import answers as answering
from leadcap.store import leads
from leadcap.store import questions as q


def add(store, name: str, rating: str | None = None, **answers):
    lead = leads.add_lead(store, {"family_name": name}, rating=rating)
    for question, values in answers.items():
        answering.answer(store, lead["id"], question.replace("_", " "), values)
    return lead


@pytest.fixture
def fair(store):
    q.add_question(
        store, "Cooperation", "multi", choices=["R&D", "Distribution", "Job"],
        labels={"de": "Kooperation", "ja": "協力"}, points="R&D=30,Distribution=10",
    )  # fmt: skip
    q.add_question(store, "Employees", "number")
    q.add_question(store, "Decision maker", "yesno", points="yes=20")
    add(store, "WarmRD", "warm", Cooperation=["R&D"], Employees=["250"])
    add(store, "Hot", "hot")
    add(store, "HotBoth", "hot", Cooperation=["R&D", "Job"], Decision_maker=["yes"])
    add(store, "Cold", "cold", Cooperation=["Distribution"])
    return store


def rows(path, sheet: str = "Leads") -> list[dict]:
    found = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(found[0], row, strict=True)) for row in found[1:]]


def summary(path, sheet: str = "Summary") -> list[tuple]:
    return [r[:2] for r in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


def test_xlsx_has_a_column_per_question_after_the_tags(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out))
    header = next(openpyxl.load_workbook(out)["Leads"].iter_rows(values_only=True))
    at = header.index("Tags")
    assert header[at + 1 : at + 4] == ("Cooperation", "Employees", "Decision maker")
    assert len(header) == len(LEAD_COLUMNS) + 3
    both = next(r for r in rows(out) if r["Family name"] == "HotBoth")
    assert both["Cooperation"] == "R&D, Job" and both["Decision maker"] == "yes"
    assert next(r for r in rows(out) if r["Family name"] == "WarmRD")["Employees"] == 250


def test_xlsx_is_hot_first_then_by_score(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out))
    assert [r["Family name"] for r in rows(out)] == ["HotBoth", "Hot", "WarmRD", "Cold"]


def test_xlsx_headings_use_the_question_labels(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--lang", "ja")
    header = next(openpyxl.load_workbook(out)["リード"].iter_rows(values_only=True))
    assert "協力" in header and "Employees" in header


def test_xlsx_split_by_answer_and_summary_counts(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--split-by", "answer:cooperation")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Summary", "Distribution", "Job", "R&D", "(no answer)"]
    assert [r["Family name"] for r in rows(out, "R&D")] == ["HotBoth", "WarmRD"]
    lines = summary(out)
    at = lines.index(("Leads per answer: Cooperation", None))
    assert lines[at + 1 : at + 5] == [("R&D", 2), ("(no answer)", 1), ("Distribution", 1),
                                      ("Job", 1)]  # fmt: skip
    assert ("Leads per answer: Decision maker", None) in lines
    assert ("Leads per answer: Employees", None) not in lines


def test_split_by_an_unknown_question_says_which_exist(cli, fair, tmp_path):
    result = cli(
        "export", "xlsx", "-o", str(tmp_path / "x.xlsx"), "--split-by", "answer:Budget", code=1
    )
    assert "Error: No question 'Budget' (questions: Cooperation, Employees," in result.output


def test_split_files_by_answer(cli, fair, tmp_path):
    cli("export", "xlsx", "--split-by", "answer:Cooperation", "--files", str(tmp_path / "by"))
    names = sorted(p.name for p in (tmp_path / "by").iterdir())
    assert names == ["(no answer).xlsx", "Distribution.xlsx", "Job.xlsx", "R&D.xlsx"]


def test_export_filters_by_answer_and_score(cli, fair, tmp_path):
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out), "--answer", "Cooperation=R&D", "--min-score", "60")
    assert [r["Family name"] for r in rows(out)] == ["HotBoth"]
    assert ("Filters: answer", "Cooperation=R&D") in summary(out)


def test_removed_questions_are_exported_only_with_all_questions(cli, fair, tmp_path):
    q.remove_question(fair, "Employees")
    out = tmp_path / "leads.xlsx"
    cli("export", "xlsx", "-o", str(out))
    assert "Employees" not in rows(out)[0]
    every = tmp_path / "every.xlsx"
    cli("export", "xlsx", "-o", str(every), "--all-questions")
    assert next(r for r in rows(every) if r["Family name"] == "WarmRD")["Employees"] == 250


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_the_answer_columns_after_the_tags(cli, fair, tmp_path):
    out = tmp_path / "leads.csv"
    cli("export", "csv", "-o", str(out))
    with open(out, encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    assert header[header.index("tags") + 1] == "answer:Cooperation"
    assert read_csv(out)[0]["answer:Cooperation"] == "R&D, Job"


def test_hubspot_gets_a_column_named_after_each_question(cli, fair, tmp_path):
    out = tmp_path / "hubspot.csv"
    cli("export", "csv", "-o", str(out), "--format", "hubspot")
    first = read_csv(out)[0]
    assert first["Cooperation"] == "R&D, Job" and first["Decision maker"] == "yes"
    assert "Cooperation: R&D, Job\nDecision maker: yes" in first["Message"]


def test_salesforce_description_carries_the_answers_and_score(cli, fair, tmp_path):
    out = tmp_path / "sf.csv"
    cli("export", "csv", "-o", str(out), "--format", "salesforce")
    first = read_csv(out)[0]
    assert "Cooperation: R&D, Job" in first["Description"]
    assert "Score: 100" in first["Description"]


def test_select_leads_adds_answer_keys(fair):
    selected = list(exporting.select_leads(fair, exporting.Selection()))
    assert selected[0]["answer:Cooperation"] == ["R&D", "Job"]
    assert selected[1]["answer:Cooperation"] is None

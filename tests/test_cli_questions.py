"""`leadcap questions`, `leadcap answer`, answers in show/--json, and the score in
show, list --sort score, --min-score and --answer."""

from __future__ import annotations

import pytest


def setup_pavilion(cli) -> None:
    cli(
        "questions", "add", "Cooperation", "--type", "multi",
        "--choices", "R&D,Distribution,Supplier,Investment,Job",
        "--label-de", "Kooperation", "--label-ja", "協力",
        "--choices-de", "R&D=F&E,Distribution=Vertrieb", "--choices-ja", "R&D=研究開発",
        "--points", "R&D=30,Investment=20",
    )  # fmt: skip
    cli("questions", "add", "Timeframe", "--choices", "<6 months,6-12 months,later")
    cli("questions", "add", "Application", "--type", "text")
    cli("questions", "add", "Employees", "--type", "number")
    cli("questions", "add", "Start", "--type", "date")
    cli("questions", "add", "Decision maker", "--type", "yesno", "--points", "yes=15")


def add(cli, *args) -> int:
    return int(cli("add", *args).stdout.strip())


def test_questions_list_shows_types_points_and_labels(cli):
    setup_pavilion(cli)
    out = cli("questions", "list").stdout
    assert "Cooperation\tmulti\tR&D (+30), Distribution, Supplier, Investment (+20), Job" in out
    assert "Kooperation / 協力" in out
    listed = cli.json("questions", "list")
    assert [q["type"] for q in listed] == ["multi", "single", "text", "number", "date", "yesno"]
    assert listed[0]["choices"][0] == {"value": "R&D", "de": "F&E", "ja": "研究開発", "points": 30}


@pytest.mark.parametrize(
    ("question", "typed", "stored"),
    [
        ("Cooperation", ["Vertrieb", "研究開発"], ["R&D", "Distribution"]),
        ("Timeframe", ["2"], "6-12 months"),
        ("Application", ["battery", "cells"], "battery cells"),
        ("Employees", ["250"], 250),
        ("Start", ["2027-04-01"], "2027-04-01"),
        ("Decision maker", ["ja"], "yes"),
    ],
)
def test_answer_each_type_and_read_it_back_as_json(cli, question, typed, stored):
    setup_pavilion(cli)
    lead = add(cli, "--family-name", "Sato")
    cli("answer", str(lead), question, *typed)
    assert cli.json("show", str(lead))["answers"] == {question: stored}


def test_show_lists_answers_and_explains_the_score(cli):
    setup_pavilion(cli)
    lead = add(cli, "--family-name", "Sato", "--rating", "warm")
    cli("answer", str(lead), "Cooperation", "R&D")
    cli("answer", str(lead), "Decision maker", "yes")
    out = cli("show", str(lead)).stdout
    assert "score\t70\n  rating warm\t+25\n  Cooperation = R&D\t+30\n" in out
    assert "  Decision maker = yes\t+15\n" in out
    assert "  Cooperation\tR&D\n" in out


def test_a_wrong_answer_says_what_would_do(cli):
    setup_pavilion(cli)
    lead = add(cli, "--family-name", "Sato")
    result = cli("answer", str(lead), "Timeframe", "soon", code=2)
    assert "Error: 'soon' is not a choice of Timeframe. Choices: 1=<6 months," in result.output
    result = cli("answer", str(lead), "Budget", "5", code=1)
    assert "Error: No question 'Budget' (questions: Cooperation, Timeframe," in result.output


def test_bad_question_type_exits_2(cli):
    result = cli("questions", "add", "Area", "--type", "free", code=2)
    assert "Error: Unknown question type 'free'. Use one of: single, multi," in result.output


def test_answers_are_in_history_and_undone(cli):
    setup_pavilion(cli)
    lead = str(add(cli, "--family-name", "Sato"))
    cli("answer", lead, "Timeframe", "later")
    cli("answer", lead, "Timeframe", "1")
    changes = cli.json("history", lead)
    assert [c["field"] for c in changes][-2:] == ["answer:Timeframe", "answer:Timeframe"]
    assert "Undid answer:Timeframe on lead 1" in cli("undo").stdout
    assert cli.json("show", lead)["answers"] == {"Timeframe": "later"}


def test_edit_reorder_and_remove(cli):
    setup_pavilion(cli)
    lead = str(add(cli, "--family-name", "Sato"))
    cli("answer", lead, "Timeframe", "later")
    cli("questions", "edit", "Timeframe", "--add-choice", "never", "--points", "<6 months=20")
    cli("questions", "reorder", "Decision maker", "Timeframe")
    names = [q["name"] for q in cli.json("questions", "list")]
    assert names[:3] == ["Decision maker", "Timeframe", "Cooperation"]
    assert "its answers are kept" in cli("questions", "remove", "Timeframe").stdout
    assert cli.json("show", lead)["answers"] == {}
    assert "Timeframe (removed)" in cli("questions", "list", "--all").stdout


def test_list_sorts_and_filters_by_score_and_answer(cli):
    setup_pavilion(cli)
    cold = add(cli, "--family-name", "Cold", "--rating", "cold")
    hot = add(cli, "--family-name", "Hot", "--rating", "hot")
    warm = add(cli, "--family-name", "Warm", "--rating", "warm")
    cli("answer", str(cold), "Cooperation", "Investment", "Job")
    cli("answer", str(warm), "Cooperation", "R&D")
    ids = [lead["id"] for lead in cli.json("list", "--sort", "score")]
    assert ids == [warm, hot, cold]  # 55, 50, 20
    assert [x["id"] for x in cli.json("list", "--min-score", "50")] == [warm, hot]
    assert [x["id"] for x in cli.json("list", "--answer", "Cooperation=Job")] == [cold]
    assert [x["id"] for x in cli.json("list", "--answer", "Kooperation=F&E")] == [warm]
    assert [x["id"] for x in cli.json("list", "--answer", "Cooperation=F&E")] == [warm]


def test_rating_and_visit_points_are_settings(cli):
    cli("config", "set", "score.hot", "80")
    lead = str(add(cli, "--family-name", "Sato", "--rating", "hot"))
    assert cli.json("show", lead)["score"] == 80
    result = cli("config", "set", "score.hot", "lots", code=2)
    assert "score.hot must be a whole number of 0 or more" in result.output


def test_stats_show_answers_and_filter_by_them(cli):
    setup_pavilion(cli)
    rd = str(add(cli, "--family-name", "A"))
    add(cli, "--family-name", "B")
    cli("answer", rd, "Cooperation", "R&D")
    out = cli("stats").stdout
    block = out.split("per answer: Cooperation\n")[1].split("\n\n")[0]
    assert block.split("\n")[0].split() == ["R&D", "1", "#"]
    data = cli.json("stats", "--answer", "Cooperation=R&D")
    assert data["total"] == 1 and data["per_answer"]["Decision maker"]["(no answer)"] == 1


def test_debrief_counts_answers(cli):
    setup_pavilion(cli)
    lead = str(add(cli, "--family-name", "A"))
    cli("answer", lead, "Timeframe", "later")
    report = cli.json("debrief")
    assert report["per_answer"]["Timeframe"] == {
        "<6 months": 0, "6-12 months": 0, "later": 1, "(no answer)": 0}  # fmt: skip
    assert "Timeframe: later\t1" in cli("debrief").stdout


def test_the_printed_sheet_answers_by_scanning(cli, store, tmp_path):
    from leadcap.intake import capture
    from leadcap.intake.photo import decode_images

    setup_pavilion(cli)
    result = cli("qr", "commands", "-o", str(tmp_path / "sheet.png"))
    pages = sorted(tmp_path.glob("sheet*.png"))
    codes = {code.text for page in decode_images(pages) for code in page.codes}
    answers = {c for c in codes if c.startswith("LEADCAP:ANSWER:")}
    assert len(answers) == 5 + 3 + 2  # Cooperation, Timeframe, Decision maker: every choice
    assert "LEADCAP:ANSWER:Cooperation:R&D" in answers and "Wrote 17 code(s)" in result.stdout
    lead = capture.capture(store, "NT27-000001").lead
    for code in ("Cooperation:R&D", "Cooperation:Job", "Timeframe:later", "Decision maker:yes"):
        [scanned] = [c for c in answers if c == f"LEADCAP:ANSWER:{code}"]
        outcome = capture.capture(store, scanned, last_lead=lead)
        assert outcome.kind == "command", outcome.message
    assert cli.json("show", str(lead["id"]))["answers"] == {
        "Cooperation": ["R&D", "Job"], "Timeframe": "later", "Decision maker": "yes"}  # fmt: skip
    assert [c["command"] for c in cli.json("history", str(lead["id"]))][-1] == "scan code"


def test_an_answer_code_for_an_unknown_choice_is_refused(cli, store):
    from leadcap.errors import UsageError
    from leadcap.intake import capture

    setup_pavilion(cli)
    lead = capture.capture(store, "NT27-000001").lead
    with pytest.raises(UsageError, match="'soon' is not a choice of Timeframe"):
        capture.capture(store, "LEADCAP:ANSWER:Timeframe:soon", last_lead=lead)

"""Qualifying questions and answers in the core: definitions, parsing each type, the
change log (history, undo), merging questions and answers between laptops."""

from __future__ import annotations

import pytest

from leadcap.errors import NotFound, UsageError
from leadcap.laptops import merge
from leadcap.store import answers as answering
from leadcap.store import history, leads
from leadcap.store import questions as q
from leadcap.store.score import Scorer


def pavilion(store) -> None:
    q.add_question(
        store,
        "Cooperation",
        "multi",
        choices=["R&D", "Distribution", "Supplier", "Investment", "Job"],
        labels={"de": "Kooperation", "ja": "協力"},
        choice_labels={"de": "R&D=F&E,Distribution=Vertrieb", "ja": None},
        points="R&D=30,Investment=20",
    )
    q.add_question(store, "Timeframe", "single", choices=["<6 months", "6-12 months", "later"])
    q.add_question(store, "Application", "text")
    q.add_question(store, "Budget", "number")
    q.add_question(store, "Visit date", "date")
    q.add_question(store, "Decision maker", "yesno", points="yes=15")


def test_questions_keep_their_order_labels_and_points(store):
    pavilion(store)
    found = q.list_questions(store)
    assert [x.name for x in found] == [
        "Cooperation", "Timeframe", "Application", "Budget", "Visit date", "Decision maker",
    ]  # fmt: skip
    cooperation = found[0]
    assert cooperation.labels == {"de": "Kooperation", "ja": "協力"}
    assert cooperation.choice("r&d") == {"value": "R&D", "de": "F&E", "ja": None, "points": 30}
    assert found[-1].choices[0]["points"] == 15


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [
        ("Cooperation", ["Vertrieb", "1"], ["Distribution", "R&D"]),
        ("Cooperation", ["R&D,Job"], ["R&D", "Job"]),
        ("Timeframe", ["2"], "6-12 months"),
        ("Timeframe", ["LATER"], "later"),
        ("Application", ["battery", "cells"], "battery cells"),
        ("Budget", ["1,500"], 1500),
        ("Budget", ["2.5"], 2.5),
        ("Visit date", ["2027-03-01"], "2027-03-01"),
        ("Decision maker", ["はい"], "yes"),
        ("Decision maker", ["Nein"], "no"),
    ],
)
def test_answers_are_parsed_per_type(store, name, typed, stored):
    pavilion(store)
    assert q.parse_answer(q.get_question(store, name), typed) == stored


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("Timeframe", ["soon"], "is not a choice of Timeframe"),
        ("Timeframe", ["1", "2"], "takes one answer"),
        ("Budget", ["lots"], "takes a number"),
        ("Visit date", ["tomorrow"], "takes a date"),
        ("Decision maker", ["maybe"], "yes/no question"),
    ],
)
def test_bad_answers_say_what_is_accepted(store, name, typed, message):
    pavilion(store)
    with pytest.raises(UsageError, match=message):
        q.parse_answer(q.get_question(store, name), typed)


def test_question_definitions_are_checked(store):
    with pytest.raises(UsageError, match="needs --choices"):
        q.add_question(store, "Cooperation", "single")
    with pytest.raises(UsageError, match="contains ':'"):
        q.add_question(store, "Time:frame", "text")
    q.add_question(store, "Area", "text")
    with pytest.raises(UsageError, match="already a question"):
        q.add_question(store, "area", "text")
    with pytest.raises(UsageError, match="not a choice of"):
        q.add_question(store, "T", "single", choices=["a"], points="b=3")


def test_an_answer_is_logged_shown_and_undone(store):
    pavilion(store)
    lead = leads.add_lead(store, {"family_name": "Sato"})
    answering.answer(store, lead["id"], "cooperation", ["R&D"])
    lead = answering.answer(store, lead["id"], "Cooperation", ["Job"])
    assert lead["answers"] == {"Cooperation": ["R&D", "Job"]}
    logged = [(c["field"], c["new_value"]) for c in history.history(store, lead["id"])]
    assert logged[-1] == ("answer:Cooperation", '["R&D", "Job"]')
    history.undo(store)
    assert leads.get_lead(store, lead["id"])["answers"] == {"Cooperation": ["R&D"]}


def test_remove_and_clear_answers(store):
    pavilion(store)
    lead = leads.add_lead(store, {"family_name": "Sato"})
    answering.answer(store, lead["id"], "Cooperation", ["R&D", "Job"])
    answering.answer(store, lead["id"], "Timeframe", ["later"])
    answering.answer(store, lead["id"], "Cooperation", ["Job"], remove=True)
    lead = answering.answer(store, lead["id"], "Timeframe", [], clear=True)
    assert lead["answers"] == {"Cooperation": ["R&D"]}


def test_a_removed_question_hides_its_answers_but_keeps_them(store):
    pavilion(store)
    lead = leads.add_lead(store, {"family_name": "Sato"})
    answering.answer(store, lead["id"], "Timeframe", ["later"])
    q.remove_question(store, "Timeframe")
    assert leads.get_lead(store, lead["id"])["answers"] == {}
    assert q.all_answers(store) == {lead["id"]: {"Timeframe": "later"}}
    with pytest.raises(NotFound, match="no question 'Timeframe'"):
        q.get_question(store, "Timeframe")


def test_reorder_puts_the_named_questions_first(store):
    pavilion(store)
    found = q.reorder(store, ["Decision maker", "Budget"])
    assert [x.name for x in found][:3] == ["Decision maker", "Budget", "Cooperation"]


def test_filter_by_answer(store):
    pavilion(store)
    a = leads.add_lead(store, {"family_name": "Sato"})
    b = leads.add_lead(store, {"family_name": "Ito"})
    answering.answer(store, a["id"], "Cooperation", ["R&D", "Job"])
    answering.answer(store, b["id"], "Cooperation", ["Job"])
    answering.answer(store, b["id"], "Application", ["Battery cells"])
    answering.answer(store, b["id"], "Budget", ["500"])

    def ids(*answers):
        flt = leads.LeadFilter(answers=list(answers))
        return sorted(lead["family_name"] for lead in leads.iter_leads(store, flt))

    assert ids(("Cooperation", "R&D", False)) == ["Sato"]
    assert ids(("Cooperation", "Job", False)) == ["Ito", "Sato"]
    assert ids(("Application", "battery", True)) == ["Ito"]
    assert ids(("Budget", 500, False)) == ["Ito"]
    assert ids(("Timeframe", None, False)) == []


# -- merging --------------------------------------------------------------------------


def shared_lead(a, b):
    lead = leads.add_lead(a, {"badge_id": "B-1", "family_name": "Sato"})
    merge.merge_file(b, a.path)
    return lead["uuid"]


def test_questions_travel_and_the_later_edit_wins(laptop):
    a, b = laptop("a"), laptop("b")
    q.add_question(a, "Timeframe", "single", choices=["soon", "later"])
    merge.merge_file(b, a.path)
    q.edit_question(a, "Timeframe", points="soon=10")
    q.edit_question(b, "Timeframe", add_choices=["never"])  # later: wins
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    for store in (a, b):
        (question,) = q.list_questions(store)
        assert [c["value"] for c in question.choices] == ["soon", "later", "never"]


def test_a_removed_multi_choice_stays_removed(laptop):
    a, b = laptop("a"), laptop("b")
    pavilion(a)
    lead = shared_lead(a, b)
    answering.answer(a, lead, "Cooperation", ["R&D", "Job"])
    merge.merge_file(b, a.path)
    answering.answer(a, lead, "Cooperation", ["Job"], remove=True)
    answering.answer(b, lead, "Cooperation", ["Investment"])  # B never saw the removal
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    for store in (a, b):
        assert leads.get_lead(store, lead)["answers"]["Cooperation"] == ["R&D", "Investment"]


def test_a_single_answer_takes_the_latest_change(laptop):
    a, b = laptop("a"), laptop("b")
    pavilion(a)
    lead = shared_lead(a, b)
    answering.answer(b, lead, "Timeframe", ["later"])
    answering.answer(a, lead, "Timeframe", ["<6 months"])
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    assert leads.get_lead(b, lead)["answers"]["Timeframe"] == "<6 months"


def test_conflicting_free_text_keeps_both_versions_until_edited(laptop):
    a, b = laptop("a"), laptop("b")
    pavilion(a)
    lead = shared_lead(a, b)
    answering.answer(a, lead, "Application", ["battery cells"])
    answering.answer(b, lead, "Application", ["fuel cells"])
    merge.merge_file(a, b.path)
    merge.merge_file(b, a.path)
    both = "battery cells | fuel cells"
    assert leads.get_lead(a, lead)["answers"]["Application"] == both
    assert leads.get_lead(b, lead)["answers"]["Application"] == both
    answering.answer(b, lead, "Application", ["cells"])
    merge.merge_file(a, b.path)
    assert leads.get_lead(a, lead)["answers"]["Application"] == "cells"


def test_the_score_adds_rating_answers_and_return_visits_then_caps():
    cooperation = q.Question(
        "Cooperation", "multi", [{"value": "R&D", "points": 30}, {"value": "Job", "points": 5}]
    )
    scorer = Scorer(questions=[cooperation])
    lead = {"rating": "hot", "visits": 3, "answers": {"Cooperation": ["R&D", "Job"]}}
    assert scorer.terms(lead) == [
        ("rating hot", 50),
        ("Cooperation = R&D", 30),
        ("Cooperation = Job", 5),
        ("2 return visits x 10", 20),
        ("capped at 100", -5),
    ]
    assert scorer.score(lead) == 100
    assert scorer.score({"rating": "cold", "visits": 1, "answers": {}}) == 0


def test_score_settings_change_rating_and_visit_points(store):
    store.set_setting("score.warm", 40)
    store.set_setting("score.visit", 0)
    lead = leads.add_lead(store, {"family_name": "Sato"}, rating="warm")
    lead = leads.update_lead(store, lead["id"], {"visits": 4}, command="scan")
    assert lead["score"] == 40


def test_the_sql_score_used_for_sorting_agrees_with_the_explained_one(store):
    from itertools import product

    from leadcap.store.score import score_sql

    pavilion(store)
    q.edit_question(store, "Timeframe", points="<6 months=40,later=-30")
    store.set_setting("score.visit", 25)
    combos = product(
        ("hot", "warm", "cold", None), (1, 3), ([], ["R&D", "Investment"]), ([], ["later"])
    )
    for rating, visits, cooperation, timeframe in combos:
        lead = leads.add_lead(store, {"family_name": "X"}, rating=rating)
        leads.update_lead(store, lead["id"], {"visits": visits}, command="scan")
        if cooperation:
            answering.answer(store, lead["id"], "Cooperation", cooperation)
        if timeframe:
            answering.answer(store, lead["id"], "Timeframe", timeframe)
    in_sql = dict(store.conn.execute(f"SELECT id, {score_sql()} FROM leads"))
    in_python = {lead["id"]: lead["score"] for lead in leads.iter_leads(store)}
    assert in_sql == in_python
    assert {0, 100} <= set(in_python.values())


def test_bad_question_and_answer_rows_from_another_laptop_are_set_aside(laptop):
    a, b = laptop("a"), laptop("b")
    pavilion(b)
    lead = leads.add_lead(b, {"badge_id": "B-1"})
    answering.answer(b, lead["id"], "Timeframe", ["later"])
    b.conn.execute("UPDATE questions SET type = 'essay' WHERE name = 'Budget'")
    b.conn.execute("UPDATE changes SET new_value = '{not json' WHERE field = 'answer:Timeframe'")
    b.conn.execute("UPDATE lead_answers SET value = '{not json'")
    report = merge.merge_file(a, b.path)
    assert any("answer of lead" in r and "not valid JSON" in r for r in report.rejected)
    assert any("question 'Budget': question type 'essay'" in r for r in report.rejected)
    assert any("the answer to 'Timeframe' is not valid JSON" in r for r in report.rejected)
    assert "Budget" not in [x.name for x in q.list_questions(a)]
    assert leads.get_lead(a, lead["uuid"])["answers"] == {}


def test_a_question_edit_alone_reaches_a_laptop_that_merged_before(laptop):
    a, b = laptop("a"), laptop("b")
    q.add_question(a, "Timeframe", "single", choices=["soon", "later"])
    leads.add_lead(a, {"badge_id": "B-1"})
    merge.merge_file(b, a.path)
    q.edit_question(a, "Timeframe", points="soon=10")  # no change-log row: no new mark
    report = merge.merge_file(b, a.path)
    assert report.questions == 1 and not report.unchanged
    assert q.get_question(b, "Timeframe").choice("soon")["points"] == 10
    assert merge.merge_file(b, a.path).unchanged


def test_a_lead_only_the_other_laptop_has_arrives_with_its_answers(laptop):
    a, b = laptop("a"), laptop("b")
    pavilion(a)
    lead = leads.add_lead(a, {"badge_id": "B-1"})
    answering.answer(a, lead["id"], "Cooperation", ["R&D", "Job"])
    merge.merge_file(b, a.path)
    assert leads.get_lead(b, lead["uuid"])["answers"] == {"Cooperation": ["R&D", "Job"]}

"""The booth screen's parts without a terminal: drawing, line editing, typed badges,
undo on the lead shown, and the loop's state driven by scans and keys."""

import pytest

from leadcap.cli.booth import Booth
from leadcap.cli.qualify_keys import LineEditor, describe_changes, visitor_language
from leadcap.cli.scan import Session
from leadcap.cli.screen import KeyHint, View, plain_text
from leadcap.intake import capture
from leadcap.intake.terminal import BACKSPACE, DELETE, END, HOME, LEFT
from leadcap.intake.typed import capture_typed, typed_kind
from leadcap.store import history, leads, tags


class FakeDisplay:
    def __init__(self):
        self.shown: list[View] = []
        self.bells = 0

        class Size:
            width = 80

        class Console:
            size = Size()

        self.console = Console()

    def show(self, view):
        self.shown.append(plain_text(view))

    def bell(self):
        self.bells += 1


@pytest.fixture
def booth(store):
    tags.set_predefined_tags(store, ["AI", "Materials", "Sensors"])
    session = Session(store, interactive=True, as_json=False)
    return Booth(session, capture.SessionDefaults(), FakeDisplay())


def screen_after(booth, *inputs):
    for item in inputs:
        if item.startswith("scan:"):
            booth.on_scan(item[5:])
        else:
            for key in item:
                booth.on_key(key)
    booth.redraw()
    return " ".join(booth.display.shown[-1].split())


def test_a_full_card_with_twelve_tags_fits_80x24(store):
    lead = leads.add_lead(
        store,
        {
            "family_name": "佐藤",
            "given_name": "花子",
            "name_reading": "サトウ ハナコ",
            "company": "ナノテク株式会社",
            "department": "研究開発部",
            "title": "部長",
            "email": "hanako@example.jp",
            "phone": "+81 3 1234 5678",
            "notes": "\n".join(f"note {i}" for i in range(30)),
        },
        review_reasons=["scan could not be read: saved as raw text"],
    )
    view = View(
        banner="check",
        detail="x" * 200,
        lead=lead,
        card_title="Lead #1",
        message="m" * 300,
        prompt="Note: ",
        line="y" * 100,
        cursor=3,
        keys=[[KeyHint(str(i), f"Topic{i}") for i in range(12)], [KeyHint("h", "hot")] * 9],
        status="s" * 120,
    )
    lines = plain_text(view).rstrip("\n").split("\n")
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "(+" in plain_text(view)  # older notes summed up, the newest shown


def test_line_editor_edits_where_the_cursor_is():
    line = LineEditor()
    for key in ["カ", "タ", "ロ", "グ", LEFT, LEFT, BACKSPACE, HOME, DELETE, "C", END, "!"]:
        line.key(key)
    assert (line.text, line.cursor) == ("Cログ!", 4)


def test_describe_changes_says_what_was_taken_back():
    changes = [("rating", None, "hot"), ("tags", '["AI"]', '["AI", "Sensors"]')]
    assert describe_changes(changes) == "rating hot, tag Sensors"
    assert describe_changes([("created", None, "badge"), ("badge_id", None, "X")]) == "the capture"


@pytest.mark.parametrize(
    ("lead", "lang"),
    [
        ({"family_name": "佐藤", "email": "h@example.com"}, "ja"),
        ({"family_name": "Weber", "email": "jan@example.jp"}, "ja"),
        ({"family_name": "Weber", "email": "jan@acme.de"}, "de"),
        ({"family_name": "Smith", "email": "a@b.com"}, "en"),
        (None, "en"),
    ],
)
def test_visitor_language(lead, lang):
    assert visitor_language(lead) == lang


@pytest.mark.parametrize(
    ("text", "kind"),
    [("NT26-004211", "badge"), ("jan@acme.de", "email"), ("hello", None), ("call me", None)],
)
def test_typed_kind(store, text, kind):
    assert typed_kind(store, text) == kind


def test_typed_email_is_a_manual_lead_flagged_only_if_wrong(store):
    good = capture_typed(store, "jan@acme.de").lead
    bad = capture_typed(store, "jan@acme").lead
    assert (good["source"], good["needs_review"]) == ("manual", False)
    assert bad["needs_review"]


def test_typed_badge_of_a_known_visitor_is_a_returning_visit(store):
    capture.capture(store, "ID=NT26-000001|NAME=Eva Roth")
    outcome = capture_typed(store, "NT26-000001")
    assert outcome.kind == "duplicate" and outcome.lead["visits"] == 2


def test_undo_on_one_lead_leaves_the_others(store):
    first = capture.capture(store, "ID=A-1|NAME=Eva Roth").lead
    second = capture.capture(store, "ID=A-2|NAME=Jan Weber").lead
    capture.qualify(store, first, "rate", "hot")
    capture.qualify(store, second, "rate", "cold")
    reverted, _ = history.undo(store, lead_uuid=first["uuid"])
    assert reverted[0]["rating"] is None
    assert leads.get_lead(store, second["id"])["rating"] == "cold"


def test_undo_after_change_stops_at_the_session_start(store):
    lead = capture.capture(store, "ID=A-1|NAME=Eva Roth").lead
    start = history.last_change_id(store)
    with pytest.raises(Exception, match="nothing to undo"):
        history.undo(store, lead_uuid=lead["uuid"], after_change=start)


def test_code_without_a_lead_shown_does_nothing_but_a_misprint_is_refused(store):
    capture.capture(store, "ID=A-1|NAME=Eva Roth")
    outcome = capture.capture(store, "LEADCAP:RATE:hot")
    assert outcome.kind == "command" and not outcome.leads and "did nothing" in outcome.message
    with pytest.raises(Exception, match="rating"):
        capture.capture(store, "LEADCAP:RATE:hott")


def test_untag_and_refuse(store):
    tags.set_predefined_tags(store, ["AI"])
    lead = capture.capture(store, "ID=A-1|NAME=Eva Roth").lead
    lead = capture.qualify(store, lead, "tag", "1")
    lead = capture.qualify(store, lead, "untag", "1")
    lead = capture.qualify(store, lead, "refuse", "followup")
    assert (lead["tags"], lead["consent"]["followup"]) == ([], "refused")


def test_booth_code_then_key_act_on_the_lead_shown(booth):
    shown = screen_after(booth, "scan:ID=A-1|NAME=Eva Roth", "scan:LEADCAP:RATE:hot", "3")
    assert "Tagged Sensors (saved)" in shown and "h hot*" in shown and "3 Sensors*" in shown


def test_booth_consent_needs_a_second_key(booth, store):
    screen_after(booth, "scan:ID=A-1|NAME=Eva Roth", "y")
    assert booth.lead["consent"]["followup"] == "not_asked"
    shown = screen_after(booth, "y")
    assert booth.lead["consent"]["followup"] == "granted" and "y consent*" in shown


def test_booth_forgotten_question_answered_by_a_scan(booth, store):
    from leadcap.store.erasure import forget_lead

    gone = capture.capture(store, "ID=A-9|NAME=Gone Person").lead
    forget_lead(store, gone, at=store.now().isoformat())
    assert "FORGOTTEN PERSON" in screen_after(booth, "scan:ID=A-9|NAME=Gone Person")
    shown = screen_after(booth, "scan:ID=A-2|NAME=Jan Weber")
    assert "NEW LEAD" in shown and "Forgotten person not captured" in shown
    assert [x["badge_id"] for x in leads.iter_leads(store)] == ["A-2"]


def test_booth_says_not_saved_when_even_the_journal_failed(booth, monkeypatch):
    failed = capture.Capture("error", message="cannot write the scan anywhere", saved=False)
    monkeypatch.setattr(capture, "capture", lambda *a, **k: failed)
    shown = screen_after(booth, "scan:ID=A-1|NAME=Eva Roth")
    assert "NOT SAVED" in shown and "cannot write the scan anywhere" in shown
    assert booth.display.bells == 1


def test_today_and_hot_agree_with_the_full_counts(store):
    for number, rating in enumerate(["hot", "cold", "hot"]):
        lead = leads.add_lead(store, {"badge_id": f"B-{number}"}, rating=rating)
    leads.update_lead(store, lead["id"], {"deleted": True}, command="delete")
    full = leads.counts(store)
    assert leads.today_and_hot(store) == (full["today"], full["hot"]) == (2, 1)


def test_booth_questions_one_after_the_other(booth, store):
    from leadcap.store import questions

    questions.add_question(store, "Timeframe", "single", choices=["now", "this year", "later"])
    questions.add_question(store, "Budget", "yesno")
    questions.add_question(store, "Remarks", "text")
    shown = screen_after(booth, "scan:ID=A-1|NAME=Eva Roth", "q")
    assert "Question 1 of 3" in shown and "2 this year" in shown and "q questions" in shown
    shown = screen_after(booth, "2", "y")
    assert "Question 3 of 3" in shown and "Timeframe ✓ · Budget ✓ · Remarks –" in shown
    shown = screen_after(booth, "call in May", "\r")
    assert "Questions done: Timeframe ✓ · Budget ✓ · Remarks ✓" in shown
    answers = booth.lead["answers"]
    assert (answers["Timeframe"], answers["Remarks"]) == ("this year", "call in May")


def test_booth_a_scan_ends_the_questions(booth, store):
    from leadcap.store import questions

    questions.add_question(store, "Timeframe", "single", choices=["now", "later"])
    screen_after(booth, "scan:ID=A-1|NAME=Eva Roth", "q")
    shown = screen_after(booth, "scan:ID=A-2|NAME=Jan Weber")
    assert "NEW LEAD" in shown and "Jan Weber" in shown and "Question" not in shown

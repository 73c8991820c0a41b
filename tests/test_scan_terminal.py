"""The booth screen in a real pseudo-terminal (80x24), typed at scanner speed like a USB
scanner and key by key like a person; every assertion is on the screen as last drawn."""

import os
import re
import sys
import time

import pytest

from leadcap.store import leads, tags
from leadcap.store.database import open_store

pexpect = pytest.importorskip("pexpect")

MECARD = "MECARD:N:佐藤,花子;SOUND:ｻﾄｳ,ﾊﾅｺ;ORG:ナノテク;EMAIL:hanako@example.jp;;"
VCARD_LINES = [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "N:Weber;Jan",
    "ORG:ACME GmbH",
    "EMAIL:jan@acme.de",
    "END:VCARD",
]


def badge(number: int) -> str:
    """A registration system's badge code: badge id, name and company."""
    return f"ID=NT26-00000{number}|NAME=Visitor {number}|COMPANY=ACME"


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\x07")
HOME = "\x1b[H"


class Screen:
    """The child's output, read as the last full screen that rich drew."""

    def __init__(self, child):
        self.child = child
        self.raw = ""

    def _pump(self, wait: float) -> None:
        try:
            self.raw += self.child.read_nonblocking(100_000, timeout=wait)
        except pexpect.TIMEOUT:
            pass

    @property
    def frame(self) -> str:
        start = self.raw.rfind(HOME)
        if start < 0:  # a dumb terminal: plain screens one after the other
            start = self.raw.rfind("-" * 80)
        return _CONTROL.sub("", self.raw[max(start, 0) :])

    @property
    def words(self) -> str:
        """The frame's words in reading order, line breaks and padding as single spaces
        (a message wraps where the terminal is narrow)."""
        return " ".join(self.frame.replace("│", " ").split())

    def shows(self, *texts: str, timeout: float = 15) -> str:
        """Wait until the screen shows every text; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._pump(0.1)
            if all(self._has(text) for text in texts):
                self._pump(0.3)  # the rest of this frame
                if all(self._has(text) for text in texts):
                    return self.words
        missing = [text for text in texts if not self._has(text)]
        raise AssertionError(f"screen lacks {missing}:\n{self.frame}")

    def _has(self, text: str) -> bool:
        return text in self.frame or " ".join(text.split()) in self.words

    def settle(self) -> str:
        """The screen after the child stopped drawing."""
        self._pump(0.4)
        return self.frame

    def scan(self, text: str) -> None:
        """A scanner: the payload in one quick burst, then Enter."""
        self.child.send(text + "\r")
        time.sleep(0.3)

    def key(self, key: str) -> None:
        """A person: one key, then a human pause."""
        self.child.send(key)
        time.sleep(0.25)

    def type(self, text: str) -> None:
        for char in text:
            self.key(char)


def start(db_path, *args, env_extra=None, drop=(), size=(24, 80)):
    env = {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "LEADCAP_DB": str(db_path),
        "COLUMNS": str(size[1]),
        "LINES": str(size[0]),
        "PYTHONUTF8": "1",
        "TERM": "xterm-256color",
        **(env_extra or {}),
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "leadcap", "scan", *args],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=size,
    )
    return child


@pytest.fixture
def event(db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    tags.set_predefined_tags(store, ["AI", "Materials", "Sensors"])
    store.set_setting("event", "nano tech 2027")
    store.close()
    return db_path


@pytest.fixture
def screen(event):
    child = start(event)
    shown = Screen(child)
    shown.shows("READY: SCAN A BADGE")
    yield shown
    child.close(force=True)


def lead_by(db_path, **match):
    store = open_store(db_path, staff="anna", device="laptop-a")
    try:
        for lead in leads.iter_leads(store):
            if all(lead.get(k) == v for k, v in match.items()):
                return lead
        return None
    finally:
        store.close()


def test_new_lead_shows_banner_card_and_status(screen, event):
    screen.scan(MECARD)
    frame = screen.shows("NEW LEAD", "佐藤 花子  (サトウ ハナコ)", "ナノテク", "hanako@example.jp")
    assert "session 1 · today 1 · hot 0 · staff anna · db …" in frame
    assert "· nano tech" in frame
    assert str(event)[-13:] in frame  # the database path: a long one keeps its end in view
    assert lead_by(event, email="hanako@example.jp")  # committed before the screen said so


def test_returning_visitor_says_when_and_by_whom(screen):
    screen.scan(MECARD)
    screen.shows("NEW LEAD")
    screen.key("\r")
    screen.scan("MECARD:N:Sato,H;EMAIL:HANAKO@example.jp;;")
    frame = screen.shows("RETURNING VISITOR", "visit 2")
    assert re.search(r"first captured \d{4}-\d\d-\d\d \d\d:\d\d by anna", frame)
    assert "\x07" in screen.raw  # the bell: someone should look


def test_unreadable_scan_says_check_this_scan(screen, event):
    screen.scan("%%%?!~~")
    screen.shows("CHECK THIS SCAN", "scan could not be read")
    assert lead_by(event, source="unknown")["raw_payload"] == "%%%?!~~"


def test_journaled_scan_says_saved_to_journal(event, monkeypatch):
    import sqlite3

    child = start(event, env_extra={"LEADCAP_BUSY_TIMEOUT": "0.2"})
    screen = Screen(child)
    screen.shows("READY")
    blocker = sqlite3.connect(event, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        screen.scan("NT26-000020")
        screen.shows("SAVED TO JOURNAL", "leadcap recover")
        screen.key("h")
        screen.shows("Rated hot (in the journal)")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        child.close(force=True)
    assert os.path.exists(str(event) + ".journal")


@pytest.mark.parametrize(
    ("keys", "shown", "check"),
    [
        ("h", ["Rated hot (saved)", "h hot*", "HOT"], lambda x: x["rating"] == "hot"),
        ("w", ["Rated warm", "w warm*"], lambda x: x["rating"] == "warm"),
        ("c", ["Rated cold", "c cold*"], lambda x: x["rating"] == "cold"),
        ("2", ["Tagged Materials", "2 Materials*"], lambda x: x["tags"] == ["Materials"]),
        ("22", ["Removed tag Materials"], lambda x: x["tags"] == []),
        (
            "r",
            ["Followup consent refused", "r refused*"],
            lambda x: x["consent"]["followup"] == "refused",
        ),
        (
            "mm",
            ["Marketing consent recorded", "m marketing*"],
            lambda x: x["consent"]["marketing"] == "granted",
        ),
        (
            "ss",
            ["Share consent recorded", "s share*"],
            lambda x: x["consent"]["share"] == "granted",
        ),
        ("hu", ["Took back rating hot on #1"], lambda x: x["rating"] is None),
        ("?", ["u   take back the last change", "Any key closes this help"], lambda x: True),
        ("x", ["The key x does nothing here"], lambda x: True),
        ("\r", ["READY: SCAN A BADGE", "Scan a badge, or type"], lambda x: True),
    ],
)
def test_each_key(screen, event, keys, shown, check):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    for key in keys:
        screen.key(key)
    screen.shows(*shown)
    assert check(lead_by(event, badge_id="NT26-000001"))


def test_command_code_then_keys_act_on_the_lead_shown(screen, event):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.scan("LEADCAP:RATE:hot")
    screen.shows("Rated hot on lead 1 (saved)")
    screen.key("3")  # the qualify step is still open
    screen.shows("Tagged Sensors", "3 Sensors*", "h hot*")
    lead = lead_by(event, badge_id="NT26-000001")
    assert (lead["rating"], lead["tags"]) == ("hot", ["Sensors"])


def test_code_before_any_lead_of_the_session_does_nothing(event, screen):
    store = open_store(event, staff="bob", device="laptop-b")
    leads.add_lead(store, {"badge_id": "OLD-1"})  # yesterday's, a colleague's
    store.close()
    screen.scan("LEADCAP:RATE:hot")
    screen.shows("NO LEAD SHOWN", "did nothing")
    assert lead_by(event, badge_id="OLD-1")["rating"] is None


def test_undo_twice_across_two_visitors_names_each(screen, event):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.key("\r")
    screen.scan(badge(2))
    screen.shows("#2")
    screen.key("h")
    screen.key("u")
    screen.shows("Took back rating hot on #2 Visitor 2")
    screen.scan("LEADCAP:UNDO")
    frame = screen.shows("Took back the capture of #2", "leadcap restore 2 brings it back")
    assert "Now showing the previous visitor #1 Visitor 1" in frame
    screen.key("u")
    screen.shows("Took back the capture of #1 Visitor 1")
    screen.scan("LEADCAP:UNDO")  # typing u is typing now: nothing is shown
    screen.shows("Nothing to take back: no lead of this session is shown")
    assert list_leads(event) == []  # both captures hidden; leadcap restore brings them back


def test_typed_badge_number_becomes_a_manual_lead(screen, event):
    screen.type("NT26-004211")
    screen.shows("Scan a badge, or type a badge number / e-mail: NT26-004211")
    screen.key("\r")
    screen.shows("Add a lead for the badge number NT26-004211 typed by hand? y = yes")
    screen.key("y")
    screen.shows("NEW LEAD", "source manual")
    assert lead_by(event, badge_id="NT26-004211")["needs_review"] is False


def test_other_typing_gets_a_hint(screen, event):
    screen.type("hello")
    screen.key("\r")
    screen.shows("'hello' is not a badge number or e-mail: nothing saved")
    assert lead_by(event) is None


def test_pasted_note_stays_a_note(screen, event):
    note = ("Wants samples of the new sensor film for a 2027 pilot line. " * 4)[:200]
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.child.send("\x1b[200~" + note + "\x1b[201~")  # bracketed paste
    screen.shows("Note: …", "for a 2027 pilot line.")  # a long line scrolls with the cursor
    screen.key("\r")
    screen.shows("Note added (saved)")
    assert lead_by(event, badge_id="NT26-000001")["notes"].endswith(note.strip())
    assert len(list_leads(event)) == 1


def list_leads(db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    try:
        return list(leads.iter_leads(store))
    finally:
        store.close()


def test_arrow_keys_edit_the_note(screen, event):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.key("n")
    screen.type("helo wrld")
    for key in ["\x1b[D"] * 3 + ["o"] + ["\x1b[H", "\x1b[3~", "H", "\x1b[F", "!", "\x7f"]:
        screen.key(key)  # left x3, o, Home, Delete, H, End, !, Backspace: "Helo world"
    screen.type("カタ")
    screen.key("\x7f")
    screen.shows("Note: Helo worldカ")
    screen.key("\r")
    screen.shows("Note added")
    assert lead_by(event, badge_id="NT26-000001")["notes"].endswith("Helo worldカ")


@pytest.mark.parametrize(("answer", "saved"), [("y", True), ("n", False)])
def test_ctrl_c_in_a_note_asks_whether_to_save_it(screen, event, answer, saved):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.key("n")
    screen.type("call back")
    screen.key("\x03")
    screen.shows("Save the half-typed note? y = save, n = throw it away")
    screen.key(answer)
    screen.shows("Note added" if saved else "Note thrown away")
    notes = lead_by(event, badge_id="NT26-000001")["notes"] or ""
    assert notes.endswith("call back") is saved


def test_consent_shows_the_text_in_the_visitors_language_then_records(event):
    store = open_store(event, staff="anna", device="laptop-a")
    store.set_setting("consent_text.en", "We may contact you about our products.")
    store.set_setting("consent_text.ja", "製品についてご連絡してもよろしいですか。")
    store.close()
    child = start(event)
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(MECARD)
        screen.shows("NEW LEAD")
        screen.key("y")
        screen.shows("製品についてご連絡してもよろしいですか。", "y again = the visitor agrees")
        assert lead_by(event, email="hanako@example.jp")["consent"]["followup"] == "not_asked"
        screen.key("y")
        screen.shows("Followup consent recorded (saved)", "y consent*")
    finally:
        child.close(force=True)
    assert lead_by(event, email="hanako@example.jp")["consent"]["followup"] == "granted"


def test_consent_texts_set_while_running_apply_from_the_next_visitor(screen, event):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    store = open_store(event, staff="anna", device="laptop-a")
    store.set_setting("consent_text.en", "Text of the afternoon.")
    store.close()
    screen.key("\r")
    screen.scan(badge(2))
    screen.shows("#2")
    screen.key("y")
    screen.shows("Text of the afternoon.")


def test_a_scan_answers_the_forgotten_question_no(event, cli):
    cli("add", "--badge-id", "NT26-000066", "--company", "Gone")
    cli("forget", "NT26-000066", "--yes")
    child = start(event)
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan("NT26-000066")
        screen.shows("FORGOTTEN PERSON", "Capture them anew?")
        screen.scan(badge(7))
        screen.shows("NEW LEAD", "Forgotten person not captured")
    finally:
        child.close(force=True)
    assert [lead["badge_id"] for lead in list_leads(event)] == ["NT26-000007"]


def test_a_double_read_is_one_scan(screen, event):
    screen.child.send(badge(1) + "\r" + badge(1) + "\r")  # one burst: the scanner read twice
    screen.shows("NEW LEAD")
    screen.scan(badge(1))  # and once more within the repeat window
    screen.shows("The same code was read twice: counted once")
    found = list_leads(event)
    assert [(x["badge_id"], x["visits"]) for x in found] == [("NT26-000001", 1)]


def test_twelve_tags_are_all_reachable(event):
    names = [f"Topic{i}" for i in range(1, 13)]
    store = open_store(event, staff="anna", device="laptop-a")
    tags.set_predefined_tags(store, names)
    store.close()
    child = start(event)
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(badge(1))
        screen.shows("NEW LEAD", "0 Topic10", "t more tags (2)")
        screen.key("0")
        screen.shows("Tagged Topic10", "0 Topic10*")
        screen.key("t")
        screen.shows("12 Topic12", "Tag number:")
        screen.type("12")
        screen.key("\r")
        screen.shows("Tagged Topic12", "more tags (2): Topic12*")
        screen.key("0")
        screen.shows("Removed tag Topic10")
    finally:
        child.close(force=True)
    assert lead_by(event, badge_id="NT26-000001")["tags"] == ["Topic12"]


@pytest.mark.parametrize("size", [(24, 80), (40, 120)])
def test_the_screen_fits_and_uses_the_whole_terminal(event, size):
    child = start(event, size=size)
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(badge(1))
        screen.shows("NEW LEAD")
        lines = screen.frame.split("\r\n")
    finally:
        child.close(force=True)
    assert len(lines) == size[0]
    assert lines[-1].startswith(" session 1 · today 1")  # the status line is the last row
    assert max(len(line.rstrip()) for line in lines) <= size[1]


def test_dumb_terminal_gets_plain_redrawn_screens(event):
    child = start(event, env_extra={"TERM": "dumb"})
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(badge(1))
        screen.key("h")
        screen.shows("Rated hot")
        raw = screen.settle() and screen.raw
    finally:
        child.close(force=True)
    assert raw.count("=== NEW LEAD ===") == 2  # the whole screen again after the key
    assert "\x1b[" not in raw.replace("\x1b[?2004h", "")  # no cursor moves, no colour


def test_colours_unless_no_color(event):
    child = start(event, drop=("NO_COLOR",))
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(badge(1))
        screen.shows("NEW LEAD")
    finally:
        child.close(force=True)
    assert "48;5;28" in screen.raw  # the green banner


@pytest.mark.parametrize(("args", "bell"), [((), True), (("--quiet",), False)])
def test_bell_on_a_returning_visitor_unless_quiet(event, args, bell):
    child = start(event, *args)
    screen = Screen(child)
    screen.shows("READY")
    try:
        screen.scan(badge(1))
        screen.shows("NEW LEAD")
        assert "\x07" not in screen.raw  # a good new lead needs no look
        screen.key("\r")
        screen.scan(badge(1))
        screen.shows("RETURNING VISITOR")
    finally:
        child.close(force=True)
    assert ("\x07" in screen.raw) is bell


def test_first_use_asks_for_the_staff_name(event, tmp_path):
    child = start(
        event, env_extra={"LEADCAP_HOME": str(tmp_path / "fresh")}, drop=("LEADCAP_STAFF",)
    )
    screen = Screen(child)
    try:
        child.expect("Who is at the counter")
        child.send("Mia Kato\r")
        screen.shows("staff Mia Kato")
        screen.scan(badge(1))
        screen.shows("NEW LEAD")
    finally:
        child.close(force=True)
    assert lead_by(event, badge_id="NT26-000001")["captured_by"] == "Mia Kato"
    assert "Mia Kato" in (tmp_path / "fresh" / "config.json").read_text()


def test_staff_option_names_the_shift(event):
    child = start(event, "--staff", "Ben")
    screen = Screen(child)
    try:
        screen.shows("staff Ben")
        screen.scan(badge(1))
        screen.shows("NEW LEAD")
    finally:
        child.close(force=True)
    assert lead_by(event, badge_id="NT26-000001")["captured_by"] == "Ben"


def test_ctrl_c_ends_the_session_with_a_summary(screen):
    screen.scan(badge(1))
    screen.shows("NEW LEAD")
    screen.key("\x03")
    screen.child.expect("Session ended: 1 scans, 1 new leads")
    screen.child.expect(pexpect.EOF)

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcap.intake.terminal import (
    BACKSPACE,
    CTRL_C,
    CUT_EOF,
    CUT_NESTED,
    CUT_OTHER,
    CUT_REST,
    CUT_SIZE,
    DELETE,
    HOME,
    LEFT,
    BurstReader,
    FdKeySource,
    collapse_repeats,
    payloads_from_lines,
    vcard_open,
)


class ScriptedKeys(FdKeySource):
    """Keys that arrive at set moments of a fake clock, parsed like a terminal's: the
    reader's timing rules are tested without sleeping. `chunks` are (text, pause-after)
    pairs, as a scanner or a person would send them; input ends after the last pause."""

    def __init__(self, chunks):
        super().__init__(-1)
        self.now = 0.0
        moment = 0.0
        self.arrivals = []
        for text, pause in chunks:
            self.arrivals.append((moment, text))
            moment += pause
        self.end = moment

    def clock(self) -> float:
        return self.now

    def wait(self, timeout):
        if self.closed:
            return True
        due = self.arrivals[0][0] if self.arrivals else self.end
        if timeout is None or due <= self.now + timeout:
            self.now = max(self.now, due)
            return True
        self.now += timeout
        return False

    def read(self):
        if not self.arrivals:
            self.closed = True
            self._parser.flush()
            return self._take()
        _, text = self.arrivals.pop(0)
        self._parser.feed(text)
        return self._take()


def typed(chunks):
    """A reader fed like a keyboard: (text, pause-after) pairs on a fake clock."""
    keys = ScriptedKeys(chunks)
    return BurstReader(keys, line_gap=0.15, burst_gap=0.03, clock=keys.clock)


def events(reader):
    found = []
    while True:
        event = reader.next_event(timeout=2)
        if event is None or event.kind == "eof":
            return found
        found.append((event.kind, event.text))


def test_scanner_burst_is_one_scan():
    assert events(typed([("NT26-004211\n", 0.4)])) == [("scan", "NT26-004211")]


def test_single_keys_are_keys():
    assert events(typed([("h", 0.3), ("2", 0.3), ("\n", 0.3)])) == [
        ("keys", "h"),
        ("keys", "2"),
        ("keys", "\n"),
    ]


def test_vcard_lines_within_the_gap_are_one_scan():
    lines = ["BEGIN:VCARD\n", "VERSION:3.0\n", "N:Weber;Jan\n", "END:VCARD\n"]
    found = events(typed([(line, 0.02) for line in lines] + [("", 0.4)]))
    assert found == [("scan", "BEGIN:VCARD\nVERSION:3.0\nN:Weber;Jan\nEND:VCARD")]


def test_vcard_waits_for_its_end_despite_a_pause():
    chunks = [("BEGIN:VCARD\nN:Weber;Jan\n", 0.5), ("END:VCARD\n", 0.4)]
    assert events(typed(chunks)) == [("scan", "BEGIN:VCARD\nN:Weber;Jan\nEND:VCARD")]


def test_scans_separated_by_a_pause_stay_apart():
    found = events(typed([("A1234\n", 0.4), ("B5678\n", 0.4)]))
    assert found == [("scan", "A1234"), ("scan", "B5678")]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["A1\n", "\n", "B2\n"], ["A1", "B2"]),
        (
            ["BEGIN:VCARD\r\n", "N:X;Y\r\n", "END:VCARD\r\n", "C3\n"],
            ["BEGIN:VCARD\nN:X;Y\nEND:VCARD", "C3"],
        ),
        (["BEGIN:VCARD\n", "N:X;Y\n"], ["BEGIN:VCARD\nN:X;Y"]),  # no END: still read
    ],
)
def test_piped_payloads(lines, expected):
    assert list(payloads_from_lines(lines)) == expected


def test_vcard_open_counts_begin_and_end():
    assert vcard_open("item1.BEGIN:VCARD\nN:X")
    assert not vcard_open("begin:vcard\nend:vcard")


def test_a_phrase_from_the_japanese_input_method_is_typing():
    found = events(typed([("カタログを送付してください", 0.3), ("\n", 0.3)]))
    assert found == [("keys", "カタログを送付してください"), ("keys", "\n")]


def test_a_scanner_without_enter_suffix_still_scans():
    assert events(typed([("NT26-004211", 0.4)])) == [("scan", "NT26-004211")]


def test_bracketed_paste_is_a_paste_never_a_scan():
    note = "Wants samples\nof the sensor film " * 10
    found = events(typed([("\x1b[200~" + note + "\x1b[201~", 0.4)]))
    assert found == [("paste", note)]


def test_arrow_and_editing_keys_are_named():
    reader = typed([("ab\x1b[D\x1b[H\x1b[3~\x7f", 0.4)])
    event = reader.next_event(timeout=2)
    assert event.kind == "keys"
    assert event.keys == ["a", "b", LEFT, HOME, DELETE, BACKSPACE]


def test_ctrl_c_is_a_key_not_a_signal():
    assert typed([("\x03", 0.4)]).next_event(timeout=2).keys == [CTRL_C]


def test_a_double_read_in_one_burst_is_one_scan():
    assert events(typed([("NT26-004211\rNT26-004211\r", 0.4)])) == [("scan", "NT26-004211")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1\nA1", "A1"),
        ("BEGIN:VCARD\nN:X\nEND:VCARD\nBEGIN:VCARD\nN:X\nEND:VCARD", "BEGIN:VCARD\nN:X\nEND:VCARD"),
        ("A1\nB2", "A1\nB2"),
        ("BEGIN:VCARD\nN:X\nEND:VCARD\nBEGIN:VCARD\nN:Y\nEND:VCARD", None),
    ],
)
def test_collapse_repeats(text, expected):
    assert collapse_repeats(text) == (expected or text)


# -- piped input that never ends: a broken vCard is bounded -------------------------

SEGMENTS = {
    "badge": (["NT27-{i}"], 1),
    "mecard": (["MECARD:N:Yamada,Taro{i};EMAIL:t{i}@example.jp;;"], 1),
    "vcard": (["BEGIN:VCARD", "VERSION:3.0", "N:Weber;Jan{i}", "END:VCARD"], 1),
    # a second BEGIN before the first END: the first card is cut off, the second is read
    "nested": (["BEGIN:VCARD", "N:A{i};B", "BEGIN:VCARD", "N:C{i};D", "END:VCARD"], 2),
    # no END at all: whatever comes next (or the end of input) ends it
    "unterminated": (["BEGIN:VCARD", "VERSION:3.0", "N:U{i};V"], 1),
    # over the size limit: cut, and the rest up to its END kept as a second flagged part
    "oversized": (
        ["BEGIN:VCARD", "N:O{i};P"] + ["NOTE:" + "x" * 10_000] * 101 + ["END:VCARD"],
        2,
    ),
}


def fuzz_lines(kinds: list[str]) -> tuple[list[str], int]:
    lines, expected = [], 0
    for i, kind in enumerate(kinds):
        template, count = SEGMENTS[kind]
        lines += [line.format(i=i) + "\n" for line in template]
        expected += count
    return lines, expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(SEGMENTS)), max_size=12))
def test_piped_fuzz_every_payload_read_on_its_own(kinds):
    lines, expected = fuzz_lines(kinds)
    payloads = list(payloads_from_lines(lines))
    assert len(payloads) == expected
    singles = [i for i, kind in enumerate(kinds) if kind in ("badge", "mecard")]
    for i in singles:
        assert sum(p == lines_of(kinds[i], i) for p in payloads) == 1
    assert sum(len(p) for p in payloads) <= sum(len(line) for line in lines)


def lines_of(kind: str, i: int) -> str:
    return "\n".join(line.format(i=i) for line in SEGMENTS[kind][0])


@pytest.mark.parametrize(
    ("kinds", "reasons"),
    [
        (["nested"], [CUT_NESTED, None]),
        (["unterminated", "badge"], [CUT_OTHER, None]),
        (["unterminated"], [CUT_EOF]),
        (["oversized", "badge"], [CUT_SIZE, CUT_REST, None]),
    ],
)
def test_cut_off_cards_carry_their_reason(kinds, reasons):
    payloads = list(payloads_from_lines(fuzz_lines(kinds)[0]))
    assert [getattr(p, "cut_reason", None) for p in payloads] == reasons


def test_vcard_folded_and_quoted_printable_lines_stay_in_the_card():
    lines = [
        "BEGIN:VCARD",
        "VERSION:2.1",
        "NOTE;ENCODING=QUOTED-PRINTABLE:first=",
        "second line",
        "PHOTO;ENCODING=BASE64;TYPE=JPEG:AAAA",
        "BBBBCCCC",
        " DDDD",
        "END:VCARD",
        "NT27-1",
    ]
    payloads = list(payloads_from_lines(line + "\n" for line in lines))
    assert payloads == ["\n".join(lines[:-1]), "NT27-1"]
    assert payloads[0].__class__ is str  # a whole card is not flagged


def test_unterminated_card_before_many_lines_is_linear():
    """The 27 MB file that ran for 15 minutes: one open card, then ~300,000 payloads."""
    lines = ["BEGIN:VCARD\n", "BEGIN:VCARD\n", "N:X;Y\n"]
    lines += [f"NT27-{i:06d}\n" for i in range(300_000)]
    started = time.perf_counter()
    payloads = list(payloads_from_lines(lines))
    assert len(payloads) == 2 + 300_000
    assert time.perf_counter() - started < 20  # linear: about a second on a slow laptop

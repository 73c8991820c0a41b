import os
import threading
import time

import pytest

from leadcap.intake.terminal import (
    BACKSPACE,
    CTRL_C,
    DELETE,
    HOME,
    LEFT,
    BurstReader,
    collapse_repeats,
    payloads_from_lines,
    vcard_open,
)


def typed(chunks):
    """A pipe fed like a keyboard: (text, pause-after) pairs written in a thread."""
    read_fd, write_fd = os.pipe()

    def feed():
        for text, pause in chunks:
            os.write(write_fd, text.encode())
            time.sleep(pause)
        os.close(write_fd)

    threading.Thread(target=feed, daemon=True).start()
    return BurstReader(read_fd, line_gap=0.15, burst_gap=0.03)


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

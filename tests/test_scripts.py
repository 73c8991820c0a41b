"""Writing-system classes answer like the regular expression they stand for, and plain
ASCII text never compiles them (a few milliseconds of every start-up)."""

import re

import pytest

from leadcap.store import model
from leadcap.store.scripts import ScriptClass

TEXTS = ["Müller GmbH", "山田 太郎", "ﾔﾏﾀﾞ", "김민준", "plain ascii", "", "髙橋", "𠮷野家", "ｶﾞ x"]


@pytest.mark.parametrize("script", [model.CJK, model.JAPANESE_SCRIPT])
@pytest.mark.parametrize("text", TEXTS)
def test_same_answers_as_the_regular_expression(script, text):
    regex = re.compile(f"[{script.ranges}]")
    assert bool(script.search(text)) == bool(regex.search(text))
    assert script.sub(" ", text) == regex.sub(" ", text)


def test_ascii_text_compiles_nothing():
    script = ScriptClass("\u3040-\u30ff")
    assert script.search("Schmidt") is None and script.sub("", "Schmidt") == "Schmidt"
    assert "pattern" not in vars(script)
    assert script.search("やまだ")
    assert "pattern" in vars(script)


def test_korean_is_cjk_but_not_japanese():
    assert model.CJK.search("김민준") and not model.JAPANESE_SCRIPT.search("김민준")

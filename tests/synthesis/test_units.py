"""prepare with a turn's dictionaries and markup; TurnReading hands each unit its share of the markup."""

from __future__ import annotations

from voicewire.synthesis.units import TurnReading, prepare, split_text
from voicewire.text.lexicon import Lexicon, LexiconEntry
from voicewire.text.ssml import UnitMarkup, parse_ssml


def test_a_dictionary_applies_before_numbers_are_read() -> None:
    lexicon = Lexicon([LexiconEntry("C3PO", "see three pee oh"), LexiconEntry("v2.5", "/viː tuː/")])
    plain = prepare("C3PO runs v2.5 today.", 4)
    unit = prepare("C3PO runs v2.5 today.", 4, lexicon=lexicon)
    assert plain.words[:2] == ["C-three", "PO"]
    assert unit.words == ["see", "three", "pee", "oh", "runs", "V-two-point-five", "today."]  # IPA: fallback text
    assert unit.phonemes == (None, None, None, None, None, "viː tuː", None)
    assert [w.source for w in unit.spoken] == [0, 0, 0, 0, 1, 2, 3] and unit.first_word == 4
    assert unit.utterance(1.0).phonemes == unit.phonemes
    assert plain.phonemes == () and plain.utterance(1.0).phonemes == ()


def test_markup_comes_first_and_the_dictionary_fills_the_rest() -> None:
    lexicon = Lexicon([LexiconEntry("WWW", "dub dub dub"), LexiconEntry("web", "webby")])
    markup = UnitMarkup(fixed=parse_ssml('<sub alias="World Wide Web">WWW</sub> web').fixed, pause=0.7, rate=1.5)
    unit = prepare("WWW web", lexicon=lexicon, markup=markup)
    assert unit.words == ["World", "Wide", "Web", "webby"]
    assert (unit.pause, unit.lead, unit.rate) == (0.7, 0.0, 1.5)


def test_a_rate_multiplies_the_speed_within_the_range() -> None:
    fast = prepare("Go.", markup=UnitMarkup(rate=2.0))
    assert fast.utterance(0.8).speed == 1.6 and fast.utterance(1.5).speed == 2.0
    assert prepare("Go.", markup=UnitMarkup(rate=0.5)).utterance(0.6).speed == 0.5


def test_turn_reading_follows_the_units_in_order() -> None:
    marked = parse_ssml('<break time="1s"/>Say <say-as interpret-as="characters">hi</say-as> now. '
                        'Say hi <break time="500ms"/> again.')  # fmt: skip
    reading = TurnReading(marked=marked)
    got = []
    for text, first_word in split_text(marked.text):
        markup = reading.markup_of(text)
        assert markup is not None
        got.append((text, prepare(text, first_word, markup=markup).words, markup.lead, markup.pause))
    assert got == [
        ("Say hi now.", ["Say", "H", "I", "now."], 1.0, None),
        ("Say hi", ["Say", "hi"], 0.0, 0.5),  # the same words again: found after the first, read plain
        ("again.", ["again."], 0.0, None),
    ]


def test_turn_reading_without_markup_or_with_text_from_elsewhere() -> None:
    assert TurnReading(lexicon=Lexicon([])).markup_of("anything") is None
    assert TurnReading(marked=parse_ssml("one two")).markup_of("three") is None

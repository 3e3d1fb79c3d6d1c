"""Preparing a unit: in a turn's reading (its language, detected per unit for a multilingual voice
with ``auto``, the language of its numbers, math notation), with its dictionaries and markup
(``TurnReading`` hands each unit its share of the markup)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo
from voicewire.engines.catalog import Catalog
from voicewire.exceptions import InvalidField
from voicewire.protocol.turn import TurnOptions
from voicewire.synthesis.units import LanguageReading, TurnReading, prepare, split_text
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


KOKORO_LIKE = ("ja-JP", "en-US", "es-ES", "hi-IN", "zh-CN")


class _Silent(Engine):
    """Voices only: these tests never synthesize."""

    name = "silent"
    sample_rate = 24000

    def voices(self) -> Sequence[VoiceInfo]:
        def info(voice_id: str, languages: tuple[str, ...]) -> VoiceInfo:
            return VoiceInfo(voice_id=voice_id, engine=self.name, display_name=voice_id, languages=languages,
                             sample_rate=24000)  # fmt: skip

        return [info("multi", KOKORO_LIKE), info("english", ("en-US",))]

    def load(self, voice_id: str) -> None:
        raise AssertionError("not used")

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        raise AssertionError("not used")


CATALOG = Catalog([_Silent()], {})


def reading(voice_id: str, **options: object) -> LanguageReading:
    voice = CATALOG.resolve(voice_id)
    turn = TurnOptions(voice_id=voice_id, **options)  # type: ignore[arg-type]
    return LanguageReading.of(voice, turn, voice.language(turn.language))


def test_auto_with_a_multilingual_voice_detects_each_unit() -> None:
    r = reading("multi")
    assert r.detect_from == KOKORO_LIKE
    assert prepare("今日はいい天気ですね。", reading=r).language == "ja-JP"
    english = prepare("It costs $5.", reading=r)
    assert english.language == "en-US" and [w.text for w in english.spoken][-1] == "dollars."
    assert prepare("Tengo 25 años.", reading=reading("multi", language="es")).words == ["Tengo", "veinticinco", "años."]
    assert prepare("नमस्ते 5", reading=r).language == "hi-IN"


def test_a_named_language_or_a_single_language_voice_does_not_detect() -> None:
    assert reading("multi", language="ja").detect_from == ()
    assert reading("english").detect_from == ()
    assert prepare("今日は", reading=reading("english")).language == "en-US"


def test_numbers_in_another_language_and_math() -> None:
    r = reading("multi", language="en", number_language="hi", math_notation=True)
    assert r.numbers == "hi-IN" and r.math
    assert prepare("I have 5 × 3 apples.", reading=r).words == ["I", "have", "पाँच", "गुणा", "तीन", "apples."]


def test_a_number_language_the_voice_cannot_speak_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidField) as info:
        reading("english", number_language="hi")
    assert info.value.field == "number_pronunciation_language" and "en-US" in str(info.value)

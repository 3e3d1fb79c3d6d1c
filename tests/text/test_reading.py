"""The spoken form of a unit with fixed readings: provenance, marks, IPA per word."""

from __future__ import annotations

import pytest

from voicewire.text.normalize import to_spoken
from voicewire.text.reading import FixedReading, read
from voicewire.text.words import client_word_spans, has_cjk


def spoken(text: str, fixed: list[FixedReading]) -> list[tuple[str, int | None, str | None]]:
    words, phonemes = read(text, fixed)
    return [(w.text, w.source, p) for w, p in zip(words, phonemes, strict=True)]


def test_without_fixed_readings_it_is_the_normalizer() -> None:
    text = "It costs $9.99 on 3/4, Dr. Who."
    words, phonemes = read(text)
    assert words == to_spoken(text) and phonemes == [None] * len(words)


def test_a_fixed_word_keeps_its_client_word_and_the_mark_after_it() -> None:
    text = "I use Kubernetes. It costs $5"
    fixed = [FixedReading(6, 16, ("koo-ber-net-ees",))]
    assert spoken(text, fixed) == [
        ("I", 0, None), ("use", 1, None), ("koo-ber-net-ees.", 2, None), ("It", 3, None), ("costs", 4, None),
        ("five", 5, None), ("dollars", 5, None),
    ]  # fmt: skip


def test_the_strongest_mark_wins_and_a_question_exclaimed_stays_both() -> None:
    assert spoken("Qzv?!", [FixedReading(0, 3, ("x",))]) == [("x?!", 0, None)]
    assert spoken("Qzv,.", [FixedReading(0, 3, ("x",))]) == [("x.", 0, None)]
    assert spoken("(Qzv), and", [FixedReading(1, 4, ("x",))]) == [("x,", 0, None), ("and", 1, None)]


def test_a_reading_over_several_client_words_deals_its_words_in_order() -> None:
    text = "in New York City now"
    fixed = [FixedReading(3, 16, ("the", "big", "apple", "today"))]
    assert spoken(text, fixed) == [("in", 0, None), ("the", 1, None), ("big", 2, None), ("apple", 3, None),
                                   ("today", 3, None), ("now", 4, None)]  # fmt: skip
    short = [FixedReading(3, 16, ("gotham",))]  # fewer words than client words: the rest get none
    assert spoken(text, short) == [("in", 0, None), ("gotham", 1, None), ("now", 4, None)]


def test_ipa_is_one_word_or_one_per_client_word() -> None:
    text = "in New York."
    assert spoken(text, [FixedReading(3, 11, ("New", "York"), "njuː jɔːk")]) == [
        ("in", 0, None), ("New", 1, "njuː"), ("York.", 2, "jɔːk")
    ]  # fmt: skip
    assert spoken(text, [FixedReading(3, 11, ("New", "York"), "njuːjɔːk")]) == [
        ("in", 0, None), ("New-York.", 1, "njuːjɔːk")
    ]  # fmt: skip
    assert spoken("x C3PO!", [FixedReading(2, 6, ("C3PO!",), "siː")]) == [("x", 0, None), ("CPO!", 1, "siː")]
    assert spoken("42", [FixedReading(0, 2, ("42",), "fɔːti")]) == [("word", 0, "fɔːti")]


def test_a_span_inside_a_token_and_text_to_read_later() -> None:
    text = "ABCdef go"
    fixed = [FixedReading(0, 3, ("eigh", "B", "C")), FixedReading(7, 9, (), say="World Wide Web")]
    assert spoken(text, fixed) == [("eigh", 0, None), ("B", 0, None), ("C", 0, None), ("def", 0, None),
                                   ("World", 1, None), ("Wide", 1, None), ("Web", 1, None)]  # fmt: skip


def test_sources_never_decrease() -> None:
    text = "Call 555-0100 about C3PO, v2.5 and $5 million in New York!"
    fixed = [FixedReading(20, 24, ("see", "three")), FixedReading(49, 57, ("big", "apple"), None)]
    sources = [s for _, s, _ in spoken(text, fixed) if s is not None]
    assert sources == sorted(sources)


def test_overlapping_readings_are_a_bug() -> None:
    with pytest.raises(ValueError, match="overlap"):
        read("abcdef", [FixedReading(0, 4, ("x",)), FixedReading(2, 6, ("y",))])


def test_a_gap_of_marks_alone_is_a_mark_on_the_word_before() -> None:
    fixed = [FixedReading(0, 3, ("x",)), FixedReading(7, 10, ("y",))]
    assert spoken("Qzv — (Qzv).", fixed) == [("x,", 0, None), ("y.", 1, None)]
    assert spoken("Qzv", [FixedReading(0, 3, ("x",))]) == [("x", 0, None)]


def test_whole_word_readings_are_read_in_one_pass_in_context() -> None:
    """"Dr." before a name is a title: read in context (one pass), it keeps no sentence stop."""
    text = "Ask Dr. Qzvkt today."
    fixed = [FixedReading(8, 13, ("marmalade",))]
    assert spoken(text, fixed) == [("Ask", 0, None), ("Doctor", 1, None), ("marmalade", 2, None),
                                   ("today.", 3, None)]  # fmt: skip


def test_text_that_holds_the_placeholder_is_read_piece_by_piece() -> None:
    text = "zqxqa and Qzvkt."
    assert spoken(text, [FixedReading(10, 15, ("x",))]) == [("zqxqa", 0, None), ("and", 1, None), ("x.", 2, None)]


def test_one_pass_and_piece_by_piece_agree_on_plain_sentences() -> None:
    from voicewire.text.reading import _in_one_pass, _Reader

    text = "The birch canoe slid on the smooth planks, and Qzvkt cheered (Qzvkt's crew); then C3PO left!"
    fixed = [FixedReading(47, 52, ("one",)), FixedReading(62, 69, ("two's",)), FixedReading(82, 86, ("see", "pee"))]
    one = _in_one_pass(text, fixed, to_spoken)
    assert one is not None
    pieces = _Reader(text)
    pos = 0
    for piece in fixed:
        pieces.gap(pos, piece.start)
        pieces.fixed(piece)
        pos = piece.end
    pieces.gap(pos, len(text))
    assert one == (pieces.words, pieces.phonemes)


@pytest.mark.parametrize(
    "text",
    [
        "The birch canoe,  slid\ton (the) smooth-planks; Qzvkt's crew — then C3PO left!",
        "今日はいい天気ですね。 Qzvkt と C3PO。",
    ],
)
def test_the_words_a_span_covers_are_those_of_the_whole_texts_words(text: str) -> None:
    """Found around the span alone (text without Japanese or Chinese) or from the text's words, the
    covered words are the client words the span touches, for every span."""
    from voicewire.text.reading import _covered, _Reader

    spans = client_word_spans(text)
    given = _Reader(text) if has_cjk(text) else None  # as the one-pass reading passes them
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            touched = [(a, b) for a, b in spans if a < end and start < b]
            assert _covered(text, FixedReading(start, end, ("x",)), given) == touched

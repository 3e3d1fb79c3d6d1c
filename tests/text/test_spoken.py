"""The spoken form per language: sentence splits, numbers, dates, times, money, units, the Waves
number language and math notation, for every language the pipeline claims."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicewire.text.chunker import Chunker, split_units
from voicewire.text.normalize import spoken_text, to_spoken
from voicewire.text.spoken import to_spoken_in
from voicewire.text.words import client_words

SPLITS: list[tuple[str, str, list[str]]] = [
    ("es", "¿Cómo estás? ¡Muy bien! Gracias, Sra. López. Adiós.",
     ["¿Cómo estás?", "¡Muy bien!", "Gracias, Sra. López.", "Adiós."]),
    ("fr", "Bonjour, M. Dupont. Comment allez-vous ? Très bien.",
     ["Bonjour, M. Dupont.", "Comment allez-vous ?", "Très bien."]),
    ("it", "Ciao! Come stai? Bene, grazie.", ["Ciao!", "Come stai?", "Bene, grazie."]),
    ("pt", "Olá! Tudo bem? Sim, obrigado.", ["Olá!", "Tudo bem?", "Sim, obrigado."]),
    ("hi", "नमस्ते, आप कैसे हैं? मैं ठीक हूँ। धन्यवाद॥ अच्छा।",
     ["नमस्ते, आप कैसे हैं?", "मैं ठीक हूँ।", "धन्यवाद॥", "अच्छा।"]),
    ("ja", "今日はいい天気ですね。明日は雨でしょう！本当？「はい。」そうです。",
     ["今日はいい天気ですね。", "明日は雨でしょう！", "本当？", "「はい。」", "そうです。"]),
    ("de", "Guten Tag! Wie geht es Ihnen? Dr. Müller ist da.",
     ["Guten Tag!", "Wie geht es Ihnen?", "Dr. Müller ist da."]),
    ("zh", "我们今天去公园玩，天气很好。你呢？我也去！",
     ["我们今天去公园玩，天气很好。", "你呢？", "我也去！"]),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "text", "units"), SPLITS, ids=[s[0] for s in SPLITS])
def test_sentences_split_per_language(lang: str, text: str, units: list[str]) -> None:
    assert split_units(text, first_unit=False) == units
    chunker = Chunker(first_unit=False)  # char by char, as the live socket may receive it
    assert [u for c in text for u in chunker.add(c)] + chunker.flush() == units


def test_a_japanese_first_unit_ends_at_its_first_phrase_or_clause() -> None:
    text = "はい、今日はいい天気ですね。"
    assert split_units(text) == ["はい、今日はいい天気ですね。"]  # "はい、" alone is one word: too thin
    text = "東京タワーに行きました、とても高かったです。"  # a particle before kanji ends a phrase
    assert split_units(text) == ["東京タワーに", "行きました、とても高かったです。"]
    assert split_units(text, first_unit=False) == [text]  # whole sentences otherwise
    assert split_units("ごはんを食べた。") == ["ごはんを", "食べた。"] and split_units("はははは。") == ["はははは。"]


def test_cjk_text_without_marks_is_cut_at_a_bound() -> None:
    text = "あ" * 450
    units = split_units(text)
    assert "".join(units) == text and all(len(u) <= 300 for u in units) and len(units) >= 2
    chunker = Chunker()
    assert [u for piece in (text[:7], text[7:333], text[333:]) for u in chunker.add(piece)] + chunker.flush() == units


READINGS: list[tuple[str, str, str]] = [
    # Spanish: decimal comma, thousands point, inverted marks dropped, dates day-month-year
    ("es", "Tengo 25 años.", "Tengo veinticinco años."),
    ("es", "Cuesta 12,50 €.", "Cuesta doce euros con cincuenta céntimos."),
    ("es", "Son $1.500 y 3,5 km.", "Son mil quinientos dólares y tres coma cinco kilómetros."),
    ("es", "El 5/3/2024 a las 14:30.", "El cinco de marzo de dos mil veinticuatro a las catorce y treinta."),
    ("es", "¿Un 15 % más?", "Un quince por ciento más?"),
    ("es", "Llegó el 1º y la 2ª.", "Llegó el primero y la segunda."),
    # French
    ("fr", "Il est 8h30, le 1er mai 2024.", "Il est huit heures trente, le premier mai deux mille vingt-quatre."),
    ("fr", "Ça coûte 3,99 €.", "Ça coûte trois euros et quatre-vingt-dix-neuf centimes."),
    ("fr", "Il a 21 ans.", "Il a vingt et un ans."),
    # Italian
    ("it", "Oggi è il 25/12/2023, costa 10 €.", "Oggi è il venticinque dicembre duemilaventitre, costa dieci euro."),
    ("it", "Sono 40 kg.", "Sono quaranta chili."),
    # Portuguese (Brazil)
    ("pt-BR", "Custa R$ 20, são 100 km.", "Custa vinte reais, são cem quilômetros."),
    ("pt-BR", "Em 2024 éramos 3.", "Em dois mil e vinte e quatro éramos três."),
    # Hindi: Indian grouping (lakh), rupees, Devanagari digits
    ("hi", "मेरे पास 25 रुपये हैं।", "मेरे पास पच्चीस रुपये हैं."),
    ("hi", "कीमत ₹1,00,000 है।", "कीमत एक लाख रुपये है."),
    ("hi", "संख्या ९९ और 123 है।", "संख्या निन्यानवे और एक सौ तेईस है."),
    # Japanese: kanji numerals in place, so MeCab reads the counter after them
    ("ja", "今日は2024年3月5日です。", "今日は 二千二十四 年 三 月 五 日です."),
    ("ja", "りんごを3つ、1,000円で買いました！", "りんごを 三つ, 千 円で 買いました!"),
    ("ja", "価格は¥1,500です。", "価格は 千五百円です."),
    ("ja", "1,500円", "千五百 円"),
    # Mandarin: one character a word, years digit by digit, cn2an numerals
    ("zh", "我有25个苹果。", "我 有 二十五 个 苹 果."),
    ("zh", "2024年，价格12.5元。", "二零二四 年, 价 格 十二点五 元."),
    ("pt-BR", "Nasceu em 5/3/2024.", "Nasceu em cinco de março de dois mil e vinte e quatro."),
    ("hi", "आज 15/08/2024 है।", "आज पंद्रह अगस्त दो हज़ार चौबीस है."),
    ("hi", "कल 10:30 बजे।", "कल दस बजकर तीस मिनट."),
    ("es", "Son las 9:05.", "Son las nueve y cinco."),
    # German reads through num2words too (Piper voices speak it)
    ("de", "Es kostet 12,50 €.", "Es kostet zwölf Euro und fünfzig Cent."),
    ("de", "Heute ist der 3.10.2024.", "Heute ist der dritte Oktober zweitausendvierundzwanzig."),
    ("de", "Um 14:30 Uhr.", "Um vierzehn Uhr dreißig."),
]


@pytest.mark.parametrize(("lang", "text", "spoken"), READINGS)
def test_numbers_dates_money_units_per_language(lang: str, text: str, spoken: str) -> None:
    words = to_spoken_in(text, lang)
    assert spoken_text(words) == spoken
    n = len(client_words(text))
    sources = [w.source for w in words if w.source is not None]
    assert sources == sorted(sources) and set(sources) == set(range(n)), "every client word read, in order"


def test_english_is_read_as_before() -> None:
    for text in ("It costs $9.99. Buy it!", "Dr. Smith paid $100 for 2 tickets on March 3rd, 2024.", "5 - 3 = 2"):
        assert to_spoken_in(text, "en-US") == to_spoken(text)
        assert to_spoken_in(text, "en-GB", numbers="en") == to_spoken(text)


NUMBER_LANGUAGE: list[tuple[str, str, str, str]] = [
    # the Waves examples: English words with Hindi numbers, Hindi words with English numbers
    ("en", "hi", "I have 123 apples.", "I have एक सौ तेईस apples."),
    ("hi", "en", "मेरे पास 123 सेब हैं।", "मेरे पास one hundred twenty-three सेब हैं."),
    ("es", "en", "Tengo 25 años.", "Tengo twenty-five años."),
    ("ja", "en", "りんごを3つ", "りんごを three つ"),
]


@pytest.mark.parametrize(("lang", "numbers", "text", "spoken"), NUMBER_LANGUAGE)
def test_number_pronunciation_language(lang: str, numbers: str, text: str, spoken: str) -> None:
    words = to_spoken_in(text, lang, numbers=numbers)
    assert spoken_text(words) == spoken
    sources = [w.source for w in words if w.source is not None]
    assert set(sources) == set(range(len(client_words(text))))


MATH: list[tuple[str, str, bool, str]] = [
    ("en", "5 × 3 = 15", True, "five times three equals fifteen"),
    ("en", "2+2=4 and 10 - 3", True, "two plus two equals four and ten minus three"),
    ("en", "5-3 and 1/2", True, "five to three and one half"),  # unspaced - and / are a range, a fraction
    ("es", "5 × 3 = 15", True, "cinco por tres igual a quince"),
    ("hi", "10 ÷ 2 = 5", True, "दस बटा दो बराबर पाँच"),
    ("es", "2+2=4", False, "dos dos cuatro"),  # off: operators are not read
]


@pytest.mark.parametrize(("lang", "text", "math", "spoken"), MATH)
def test_math_notation(lang: str, text: str, math: bool, spoken: str) -> None:
    assert spoken_text(to_spoken_in(text, lang, math=math)) == spoken


def test_english_words_in_japanese_text_keep_their_words() -> None:
    words = to_spoken_in("Kokoroは速い。Hello 世界!", "ja")
    assert [w.text for w in words] == ["Kokoroは", "速い.", "Hello", "世界!"]


ALPHABET = list("aéñ日本語あア中文नम 0123456789.,:/%€$¥-+×=?!。、！？।¿¡")


LANGUAGES = ["es", "fr", "it", "pt-BR", "hi", "ja", "zh", "de"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(LANGUAGES), st.text(st.sampled_from(ALPHABET), max_size=60))
def test_any_text_in_any_language_keeps_the_invariants(lang: str, text: str) -> None:
    words = to_spoken_in(text, lang, math=True)
    n = len(client_words(text))
    sources = [w.source for w in words if w.source is not None]
    assert sources == sorted(sources) and all(0 <= s < n for s in sources)
    assert set(sources) == set(range(n)), "every client word gets a spoken word"
    assert not any(c.isdigit() for w in words for c in w.text)
    assert all(w.text and (w.text[0].isalpha()) for w in words), words


@pytest.mark.parametrize("text", [("今日はいい天気ですね、明日は雨でしょう。" * 500)[:10_000],
                                  ("नमस्ते, आज मौसम अच्छा है। कल बारिश होगी। " * 300)[:10_000]])  # fmt: skip
def test_a_long_japanese_or_hindi_text_streams_in_bounded_units(text: str) -> None:
    units = split_units(text)
    assert len(units[0]) <= 60 and all(len(u) <= 300 for u in units)
    assert "".join("".join(units).split()) == "".join(text.split())
    chunker = Chunker()  # in LLM-sized pieces, as the live socket gets it
    assert [u for k in range(0, len(text), 7) for u in chunker.add(text[k : k + 7])] + chunker.flush() == units
    lang = "ja" if "今日" in text else "hi"
    assert all(to_spoken_in(u, lang) for u in units[:50])

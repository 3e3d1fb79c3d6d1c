"""Numbers, months, currencies, units and math operators as words, per language.

``num2words`` reads numbers where it covers the language (Spanish, French, Italian, Portuguese,
German, Dutch, Japanese, ...); Hindi and Mandarin have tables of their own here (num2words 0.5 has
neither), Mandarin numerals by ``cn2an``. English reuses the port of hibari's readings in
``_numbers``, so an English number reads the same whatever path it takes. Every function returns
spoken words (letters only), never digits.

Japanese numbers are written as kanji numerals (``二千二十四``): the Japanese front end (MeCab) then
reads them with the counter that follows (``三本`` -> さんぼん), which a reading in kana could not.
"""

from __future__ import annotations

from typing import Final

from . import _numbers as en

__all__ = [
    "CURRENCIES",
    "MATH_WORDS",
    "MONTHS",
    "UNITS",
    "cardinal",
    "decimal",
    "digits",
    "money",
    "ordinal",
    "percent",
    "time_of_day",
    "year",
]

_NUM2WORDS: Final = {"es": "es", "fr": "fr", "it": "it", "pt": "pt_BR", "de": "de", "nl": "nl", "pl": "pl",
                     "ru": "ru", "sv": "sv", "fi": "fi", "no": "no", "tr": "tr", "id": "id", "ko": "ko",
                     "vi": "vi", "ja": "ja", "ar": "ar", "kn": "kn", "te": "te", "bn": "bn"}  # fmt: skip

_HI_0_99: Final = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस तीस इकतीस बत्तीस तैंतीस चौंतीस "
    "पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस "
    "सैंतालीस अड़तालीस उनचास पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ इकसठ "
    "बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर "
    "छिहत्तर सतहत्तर अठहत्तर उन्यासी अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी "
    "नवासी नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे"
).split()
_HI_SCALES: Final = ((10**11, "खरब"), (10**9, "अरब"), (10**7, "करोड़"), (10**5, "लाख"), (1000, "हज़ार"), (100, "सौ"))

_DIGIT_NAMES: Final = {
    "zh": "零一二三四五六七八九",
    "ja": "〇一二三四五六七八九",
}
_POINT: Final = {"es": "coma", "fr": "virgule", "it": "virgola", "pt": "vírgula", "de": "Komma", "hi": "दशमलव",
                 "ja": "点", "zh": "点", "en": "point", "nl": "komma"}  # fmt: skip
_MINUS: Final = {"es": "menos", "fr": "moins", "it": "meno", "pt": "menos", "de": "minus", "hi": "ऋण",
                 "ja": "マイナス", "zh": "负", "en": "minus"}  # fmt: skip
_PERCENT: Final = {"es": "por ciento", "fr": "pour cent", "it": "per cento", "pt": "por cento", "de": "Prozent",
                   "hi": "प्रतिशत", "en": "percent", "ja": "パーセント", "zh": "百分之"}  # fmt: skip

MONTHS: Final = {
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर".split(),
    "en": "January February March April May June July August September October November December".split(),
}

CURRENCIES: Final = {
    # symbol or code -> language -> (singular, plural, cents singular, cents plural)
    "€": {"es": ("euro", "euros", "céntimo", "céntimos"), "fr": ("euro", "euros", "centime", "centimes"),
          "it": ("euro", "euro", "centesimo", "centesimi"), "pt": ("euro", "euros", "centavo", "centavos"),
          "de": ("Euro", "Euro", "Cent", "Cent"), "hi": ("यूरो", "यूरो", "सेंट", "सेंट"),
          "en": ("euro", "euros", "cent", "cents"), "ja": ("ユーロ", "ユーロ", "セント", "セント"),
          "zh": ("欧元", "欧元", "分", "分")},
    "$": {"es": ("dólar", "dólares", "centavo", "centavos"), "fr": ("dollar", "dollars", "cent", "cents"),
          "it": ("dollaro", "dollari", "centesimo", "centesimi"), "pt": ("dólar", "dólares", "centavo", "centavos"),
          "de": ("Dollar", "Dollar", "Cent", "Cent"), "hi": ("डॉलर", "डॉलर", "सेंट", "सेंट"),
          "en": ("dollar", "dollars", "cent", "cents"), "ja": ("ドル", "ドル", "セント", "セント"),
          "zh": ("美元", "美元", "分", "分")},
    "£": {"es": ("libra", "libras", "penique", "peniques"), "fr": ("livre", "livres", "penny", "pence"),
          "it": ("sterlina", "sterline", "penny", "pence"), "pt": ("libra", "libras", "pêni", "pence"),
          "de": ("Pfund", "Pfund", "Penny", "Pence"), "hi": ("पाउंड", "पाउंड", "पेंस", "पेंस"),
          "en": ("pound", "pounds", "penny", "pence"), "ja": ("ポンド", "ポンド", "ペンス", "ペンス"),
          "zh": ("英镑", "英镑", "便士", "便士")},
    "₹": {"es": ("rupia", "rupias", "paisa", "paisas"), "fr": ("roupie", "roupies", "paisa", "paisas"),
          "it": ("rupia", "rupie", "paisa", "paisa"), "pt": ("rupia", "rupias", "paisa", "paisas"),
          "de": ("Rupie", "Rupien", "Paisa", "Paisa"), "hi": ("रुपया", "रुपये", "पैसा", "पैसे"),
          "en": ("rupee", "rupees", "paisa", "paise"), "ja": ("ルピー", "ルピー", "パイサ", "パイサ"),
          "zh": ("卢比", "卢比", "派士", "派士")},
    "R$": {"pt": ("real", "reais", "centavo", "centavos"), "es": ("real", "reales", "centavo", "centavos"),
           "en": ("real", "reais", "centavo", "centavos")},
    "¥": {"es": ("yen", "yenes", "", ""), "fr": ("yen", "yens", "", ""), "it": ("yen", "yen", "", ""),
          "pt": ("iene", "ienes", "", ""), "de": ("Yen", "Yen", "", ""), "hi": ("येन", "येन", "", ""),
          "en": ("yen", "yen", "", ""), "ja": ("円", "円", "", ""), "zh": ("元", "元", "角", "角")},
}  # fmt: skip
CODES: Final = {"EUR": "€", "USD": "$", "GBP": "£", "INR": "₹", "JPY": "¥", "CNY": "¥", "RMB": "¥", "Rs": "₹",
                "Rs.": "₹", "円": "¥", "元": "¥"}  # fmt: skip

UNITS: Final = {
    # unit -> language -> word (the same for one and many: the plural is rare after a number read aloud)
    "km": {"es": "kilómetros", "fr": "kilomètres", "it": "chilometri", "pt": "quilômetros", "de": "Kilometer",
           "hi": "किलोमीटर", "en": "kilometers", "ja": "キロメートル", "zh": "公里"},
    "m": {"es": "metros", "fr": "mètres", "it": "metri", "pt": "metros", "de": "Meter", "hi": "मीटर",
          "en": "meters", "ja": "メートル", "zh": "米"},
    "cm": {"es": "centímetros", "fr": "centimètres", "it": "centimetri", "pt": "centímetros", "de": "Zentimeter",
           "hi": "सेंटीमीटर", "en": "centimeters", "ja": "センチメートル", "zh": "厘米"},
    "mm": {"es": "milímetros", "fr": "millimètres", "it": "millimetri", "pt": "milímetros", "de": "Millimeter",
           "hi": "मिलीमीटर", "en": "millimeters", "ja": "ミリメートル", "zh": "毫米"},
    "kg": {"es": "kilos", "fr": "kilos", "it": "chili", "pt": "quilos", "de": "Kilo", "hi": "किलो",
           "en": "kilograms", "ja": "キログラム", "zh": "公斤"},
    "g": {"es": "gramos", "fr": "grammes", "it": "grammi", "pt": "gramas", "de": "Gramm", "hi": "ग्राम",
          "en": "grams", "ja": "グラム", "zh": "克"},
    "l": {"es": "litros", "fr": "litres", "it": "litri", "pt": "litros", "de": "Liter", "hi": "लीटर",
          "en": "liters", "ja": "リットル", "zh": "升"},
    "km/h": {"es": "kilómetros por hora", "fr": "kilomètres heure", "it": "chilometri orari",
             "pt": "quilômetros por hora", "de": "Kilometer pro Stunde", "hi": "किलोमीटर प्रति घंटा",
             "en": "kilometers per hour", "ja": "キロ毎時", "zh": "公里每小时"},
    "°C": {"es": "grados", "fr": "degrés", "it": "gradi", "pt": "graus", "de": "Grad", "hi": "डिग्री",
           "en": "degrees", "ja": "度", "zh": "度"},
}  # fmt: skip
UNITS["L"] = UNITS["l"]
UNITS["°"] = UNITS["°C"]

MATH_WORDS: Final = {
    # operator -> language -> words; English for a language not listed (the Waves rule)
    "×": {"en": "times", "hi": "गुणा", "mr": "गुणिले", "es": "por", "fr": "fois", "it": "per", "pt": "vezes",
          "de": "mal", "ja": "かける", "zh": "乘以"},
    "÷": {"en": "divided by", "hi": "बटा", "mr": "भागिले", "es": "entre", "fr": "divisé par", "it": "diviso",
          "pt": "dividido por", "de": "geteilt durch", "ja": "わる", "zh": "除以"},
    "+": {"en": "plus", "hi": "प्लस", "mr": "अधिक", "es": "más", "fr": "plus", "it": "più", "pt": "mais",
          "de": "plus", "ja": "たす", "zh": "加"},
    "-": {"en": "minus", "hi": "माइनस", "mr": "वजा", "es": "menos", "fr": "moins", "it": "meno", "pt": "menos",
          "de": "minus", "ja": "ひく", "zh": "减"},
    "=": {"en": "equals", "hi": "बराबर", "mr": "बरोबर", "es": "igual a", "fr": "égale", "it": "uguale",
          "pt": "igual a", "de": "gleich", "ja": "イコール", "zh": "等于"},
    "^": {"en": "to the power of", "hi": "की घात", "mr": "ची घात", "es": "elevado a", "fr": "puissance",
          "it": "elevato alla", "pt": "elevado a", "de": "hoch", "ja": "の累乗", "zh": "的乘方"},
}  # fmt: skip


def _hindi(n: int) -> list[str]:
    if n < 100:
        return [_HI_0_99[n]]
    out: list[str] = []
    for value, name in _HI_SCALES:
        if n >= value:
            out += [*_hindi(n // value), name]
            n %= value
    if n:
        out.append(_HI_0_99[n])
    return out


def _words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


def cardinal(n: int, lang: str) -> list[str]:
    """``n`` in words (``lang``: a primary subtag)."""
    if n < 0:
        return [_MINUS.get(lang, "minus"), *cardinal(-n, lang)]
    if n >= 10**21:  # past what every language here names: digit by digit
        return digits(str(n), lang)
    if lang == "en":
        return en.cardinal_words(n)
    if lang == "hi":
        return _hindi(n)
    if lang == "zh":
        import cn2an

        return [str(cn2an.an2cn(str(n), "low"))]
    name = _NUM2WORDS.get(lang)
    if name is None:
        return en.cardinal_words(n)
    from num2words import num2words

    try:
        return _words(str(num2words(n, lang=name)))
    except (NotImplementedError, OverflowError, ValueError):
        return en.cardinal_words(n)


def ordinal(n: int, lang: str, *, feminine: bool = False) -> list[str]:
    """``n``-th in words (masculine, or feminine where the language has it: ``1ª`` -> primera)."""
    if lang == "en":
        return en.ordinal_words(n)
    name = _NUM2WORDS.get(lang)
    if name is None or lang in ("ja", "hi", "zh"):
        return cardinal(n, lang)
    from num2words import num2words

    try:
        words = _words(str(num2words(n, lang=name, to="ordinal")))
    except (NotImplementedError, OverflowError, ValueError):
        return cardinal(n, lang)
    if feminine and words and lang in ("es", "it", "pt") and words[-1][-1:] == "o":
        words[-1] = words[-1][:-1] + "a"
    return words


def digits(text: str, lang: str) -> list[str]:
    """Each digit of ``text`` as a word (phone numbers, long codes)."""
    if lang in _DIGIT_NAMES:
        return ["".join(_DIGIT_NAMES[lang][int(c)] for c in text if c.isdecimal())]
    return [w for c in text if c.isdecimal() for w in cardinal(int(c), lang)]


def decimal(whole: str, fraction: str, lang: str) -> list[str]:
    """``whole`` point ``fraction``: the fraction digit by digit (as most languages say it aloud
    for more than two digits; fine for fewer too)."""
    point = _POINT.get(lang, "point")
    head = cardinal(int(whole or "0"), lang)
    if lang in ("ja", "zh"):
        return ["".join(head) + point + "".join(digits(fraction, lang))]
    if len(fraction) <= 2 and not fraction.startswith("0") and lang not in ("en", "hi"):
        return [*head, point, *cardinal(int(fraction), lang)]
    return [*head, point, *digits(fraction, lang)]


def year(n: int, lang: str) -> list[str]:
    """A year: English says "nineteen ninety", Mandarin digit by digit, the others as a number."""
    if lang == "en":
        return en._split(en.year(n))
    if lang == "zh":
        return digits(str(n), lang)
    return cardinal(n, lang)


def percent(words: list[str], lang: str) -> list[str]:
    if lang == "zh":
        return ["百分之", *words]
    return [*words, *_PERCENT.get(lang, "percent").split()]


def money(whole: str, cents: str, symbol: str, lang: str) -> list[str]:
    """An amount: ``12``, ``50``, ``€`` in ``es`` -> doce euros con cincuenta céntimos."""
    table = CURRENCIES[symbol]
    one, many, cent_one, cent_many = table.get(lang, table["en"])
    n = int(whole or "0")
    c = int(cents.ljust(2, "0")[:2]) if cents else 0
    if lang in ("ja", "zh"):  # two words: each of "12.5 元" (two client words) gets one
        amount = decimal(whole, cents, lang) if c else cardinal(n, lang)
        return ["".join(amount), one]
    out: list[str] = []
    if n or not c:
        out += [*cardinal(n, lang), one if n == 1 else many]
    if c and cent_one:
        joiner = {"es": "con", "fr": "et", "it": "e", "pt": "e", "de": "und", "en": "and", "hi": "और"}.get(lang)
        if out and joiner:
            out.append(joiner)
        out += [*cardinal(c, lang), cent_one if c == 1 else cent_many]
    elif c:
        out = [*decimal(whole, cents, lang), many]
    return out


def time_of_day(hours: int, minutes: int, lang: str) -> list[str]:
    """``14:30`` in words."""
    h, m = cardinal(hours, lang), cardinal(minutes, lang) if minutes else []
    if lang == "ja":
        return ["".join(h) + "時" + ("".join(m) + "分" if m else "")]
    if lang == "zh":
        return ["".join(h) + "点" + ("".join(m) + "分" if m else "")]
    if lang == "hi":
        return [*h, "बजकर", *m, "मिनट"] if m else [*h, "बजे"]
    if lang == "fr":
        return [*h, "heure" if hours == 1 else "heures", *m]
    if lang == "de":
        return [*h, "Uhr", *m]
    if lang in ("es", "it", "pt"):
        return [*h, "y" if lang == "es" else "e", *m] if m else h
    return [*h, *(m or ["o'clock"])] if lang == "en" else [*h, *m]

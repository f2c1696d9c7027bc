"""Vietnamese typed in the legacy 8-bit encodings TCVN3 (ABC) and VNI-Windows, back to Unicode.

Files from older offices hold text typed with .VnTime (TCVN3) or VNI-Times (VNI) fonts: the
font drew Vietnamese letters over the bytes of a Western code page, so read as Windows-1252
(or sitting in an XLSX cell) the text shows as "NguyÔn V¨n Hïng" or "Nguyeãn Vaên Huøng".

Legacy text here is a str holding one character per byte: the Windows-1252 character of the
byte, or the Latin-1 one for the five bytes Windows-1252 leaves undefined. Both schemes only use
bytes 0xA0-0xFF, where the two code pages agree.

TCVN3 is TCVN 5712:1993 part 3 (VN3): the 67 lowercase letters with diacritics, the 7 capitals
without tone (Ă Â Ê Ô Ơ Ư Đ) and no capital with a tone: typists switched to an all-capitals font
(.VnTimeH) or left the letter lowercase. The 16 capitals part 2 (VN2) adds in the free bytes are
read too. Part 1 (VN1) also puts capitals on control codes and on 0x80-0x9F, where Windows keeps
its quotes and dashes; those are not read. The tables follow GNU libiconv's TCVN table (the tests
check them against glibc's iconv).

VNI writes a base letter followed by a byte for its marks ("e" + "ã" = ễ), except for ơ, ư, đ, ỵ
and i with a tone, which have bytes of their own. The tables follow the VNI-Windows code table
as xvnkb's vni.h gives it.
"""

from __future__ import annotations

import re
import unicodedata

SCHEMES = ("tcvn3", "vni")

# Combining marks of the five tones, in the order of the tables below:
# sắc (acute), huyền (grave), hỏi (hook above), ngã (tilde), nặng (dot below).
TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
VOWELS = "aăâeêioôơuưy"


def _letter(base: str, tone: int | None) -> str:
    """The precomposed letter for a base vowel and a tone index (None: no tone)."""
    return unicodedata.normalize("NFC", base if tone is None else base + TONES[tone])


# --- TCVN3 --------------------------------------------------------------------------------

# For each lowercase vowel: its byte without tone (None: plain ASCII), then with each tone.
_TCVN3_VOWELS = {
    "a": (None, 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": (None, 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": (None, 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": (None, 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": (None, 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": (None, 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
_TCVN3_OTHERS = {
    "đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
}
# VN2 capitals with a tone, in bytes VN3 leaves free.
_TCVN3_CAPITALS = {
    "Ằ": 0xAF, "Ẳ": 0xBA, "Ẵ": 0xBF, "Ắ": 0xC0, "Ầ": 0xC1, "Ẩ": 0xC2, "Ẫ": 0xC3, "Ấ": 0xC4,
    "Ề": 0xC5, "Ể": 0xCD, "Ễ": 0xD9, "Ế": 0xDA, "Ồ": 0xDB, "Ổ": 0xE0, "Ỗ": 0xF0, "Ố": 0xFF,
}


def _tcvn3_tables() -> tuple[dict[str, str], dict[int, str]]:
    encode: dict[str, str] = {}
    for base, codes in _TCVN3_VOWELS.items():
        for tone, code in zip((None, 0, 1, 2, 3, 4), codes):
            if code is not None:
                encode[_letter(base, tone)] = chr(code)
    encode.update({letter: chr(code) for letter, code in _TCVN3_OTHERS.items()})
    # VN3 has no capital with a tone: typists used the lowercase byte in a capitals font.
    for letter, code in list(encode.items()):
        if letter.upper() not in encode:
            encode[letter.upper()] = code
    decode = {ord(code): letter for letter, code in encode.items() if letter.islower()}
    decode.update({ord(code): letter for letter, code in encode.items() if letter.isupper()
                   and letter in _TCVN3_OTHERS})
    decode.update({code: letter for letter, code in _TCVN3_CAPITALS.items()})
    return encode, decode


_TCVN3_ENCODE, _TCVN3_DECODE = _tcvn3_tables()
_TCVN3_UPPER_CODES = frozenset(
    [chr(_TCVN3_OTHERS[c]) for c in "ĂÂÊÔƠƯĐ"] + [chr(c) for c in _TCVN3_CAPITALS.values()])
# Lowercase letters that have a capital of their own (ă â ê ô ơ ư đ): typed on purpose.
_TCVN3_PLAIN_LOWER = frozenset(chr(_TCVN3_OTHERS[c]) for c in "đ") | frozenset(
    chr(codes[0]) for codes in _TCVN3_VOWELS.values() if codes[0] is not None)
# Letters with a tone, whose byte is lowercase for want of a capital.
_TCVN3_TONED = frozenset(chr(code) for codes in _TCVN3_VOWELS.values() for code in codes[1:])
_TCVN3_WORD = re.compile(r"[A-Za-z\u00A1-\u00FF]+")


def _tcvn3_to_unicode(text: str) -> str:
    """Decode, then give back the capitals that letters with a tone could not be typed as.

    A word otherwise in capitals ("NGUYÔN") is in capitals; a word next to one with a capital
    ("Thị ¸nh", "Thị trấn ¸i Nghĩa") is part of a name and gets its capital. Letters with a
    capital byte of their own (đ, ơ...) were typed lowercase on purpose and stay so. This is
    a guess: one in two thousand of the country's place names comes back in another case.
    """
    words = [(m.span(), m.group(), m.group().translate(_TCVN3_DECODE))
             for m in _TCVN3_WORD.finditer(text)]
    titled = [decoded[0].isupper() for _, _, decoded in words]
    pieces, position = [], 0
    for index, ((start, end), word, decoded) in enumerate(words):
        capitals = sum((ch.isascii() and ch.isupper()) or ch in _TCVN3_UPPER_CODES for ch in word)
        lowercase = any((ch.isascii() and ch.islower()) or ch in _TCVN3_PLAIN_LOWER for ch in word)
        if capitals >= 2 and not lowercase:
            decoded = decoded.upper()
        elif (word[0] in _TCVN3_TONED and not capitals
              and (index and titled[index - 1] or index + 1 < len(words) and titled[index + 1])):
            decoded = decoded[0].upper() + decoded[1:]
        pieces += [text[position:start], decoded]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


# --- VNI ----------------------------------------------------------------------------------

# The byte after the base letter: for a plain vowel, for â/ê/ô (circumflex) and for ă (breve),
# without tone and with each tone.
_VNI_TONES = ("", "ù", "ø", "û", "õ", "ï")
_VNI_CIRCUMFLEX = ("â", "á", "à", "å", "ã", "ä")
_VNI_BREVE = ("ê", "é", "è", "ú", "ü", "ë")
_VNI_BASES = {
    "a": ("a", _VNI_TONES), "ă": ("a", _VNI_BREVE), "â": ("a", _VNI_CIRCUMFLEX),
    "e": ("e", _VNI_TONES), "ê": ("e", _VNI_CIRCUMFLEX),
    "o": ("o", _VNI_TONES), "ô": ("o", _VNI_CIRCUMFLEX), "ơ": ("ô", _VNI_TONES),
    "u": ("u", _VNI_TONES), "ư": ("ö", _VNI_TONES),
    "y": ("y", ("", "ù", "ø", "û", "õ", None)),
}
# Letters VNI gives a single byte: i with a tone, ỵ and đ.
_VNI_SINGLE = {"í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î", "đ": "ñ"}


def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    encode: dict[str, str] = {}
    for vowel, (base, marks) in _VNI_BASES.items():
        for tone, mark in zip((None, 0, 1, 2, 3, 4), marks):
            if mark is not None:
                encode[_letter(vowel, tone)] = base + mark
    encode.update(_VNI_SINGLE)
    encode = {letter: code for letter, code in encode.items() if letter != code}
    encode.update({letter.upper(): code.upper() for letter, code in list(encode.items())})
    decode = {code: letter for letter, code in encode.items()}
    # A capital base with a lowercase mark byte (or the reverse) still means the base's case.
    for letter, code in encode.items():
        if len(code) == 2:
            decode.setdefault(code[0] + code[1].swapcase(), letter)
    return encode, decode


_VNI_ENCODE, _VNI_DECODE = _vni_tables()
_VNI_SEQUENCE = re.compile("|".join(
    re.escape(code) for code in sorted(_VNI_DECODE, key=len, reverse=True)))

# --- Common -------------------------------------------------------------------------------

# Letters only Unicode Vietnamese has: text holding one is not legacy text, whatever the rest.
_UNICODE_ONLY = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1EA0-\u1EF9\u0300\u0301\u0303\u0309\u0323]")


def to_unicode(text: str, scheme: str) -> str:
    """TCVN3 ("tcvn3") or VNI ("vni") text as NFC Unicode.

    Text that already holds a letter only Unicode has (ơ, ư, đ, ễ...) is returned as it is
    (in NFC): files mix cells typed in both.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown legacy scheme {scheme!r}")
    if _UNICODE_ONLY.search(text):
        return unicodedata.normalize("NFC", text)
    if scheme == "tcvn3":
        converted = _tcvn3_to_unicode(text)
    else:
        converted = _VNI_SEQUENCE.sub(lambda m: _VNI_DECODE[m.group()], text)
    return unicodedata.normalize("NFC", converted)


def from_unicode(text: str, scheme: str) -> str:
    """Unicode Vietnamese in TCVN3 or VNI, as a font of the scheme would have stored it.

    TCVN3 has no capital with a tone: those become the lowercase byte, as typed in a
    capitals font.
    """
    table = {"tcvn3": _TCVN3_ENCODE, "vni": _VNI_ENCODE}[scheme]
    return "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


# --- Is it Vietnamese? --------------------------------------------------------------------

# Vowel groups of Vietnamese syllables, tones left out (onset "qu" and "gi" taken apart).
_NUCLEI = frozenset("""
    a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê ui
    uô uơ uy ưa ưi ươ ưu yê iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu
""".split())
_CODAS = frozenset(("", "c", "ch", "m", "n", "ng", "nh", "p", "t"))


def _base_and_tone() -> dict[str, tuple[str, int | None]]:
    table: dict[str, tuple[str, int | None]] = {}
    for vowel in VOWELS:
        for tone in (None, 0, 1, 2, 3, 4):
            table[_letter(vowel, tone)] = (vowel, tone)
    for consonant in "bcdđfghjklmnpqrstvwxz":
        table[consonant] = (consonant, None)
    return table


_BASE_TONE = _base_and_tone()
# A word: what lies between spaces, digits and ASCII punctuation (legacy bytes like ¨ and ¸
# are letters in their scheme, so they stay inside the word).
_WORD = re.compile(r"[^\s\d!-/:-@\[-`{-~\u2000-\u206F]+")
_LATIN = re.compile(r"[\u00A1-\u024F\u1E00-\u1EFF]")


def is_vietnamese_word(word: str) -> bool:
    """Whether a word is spelt like a Vietnamese syllable: letters of the alphabet in one case
    or title case, consonants, a vowel group Vietnamese knows with at most one tone, and a
    final consonant Vietnamese allows ("Nguyễn" yes; "NguyÔn", "Vaên", "Müller" no)."""
    word = unicodedata.normalize("NFC", word)
    lower = word.lower()
    if not all(ch in _BASE_TONE for ch in lower):
        return False
    if not (word == lower or word == word.upper() or (word[0].isupper() and word[1:] == lower[1:])):
        return False
    letters = [_BASE_TONE[ch] for ch in lower]
    bases = [base for base, _ in letters]
    index = 0
    while index < len(letters):
        base, tone = letters[index]
        # The u of "qu" and the i of "gi" before a vowel belong to the first consonant.
        glide = ((base == "u" and index and bases[index - 1] == "q")
                 or (base == "i" and index and bases[index - 1] == "g"
                     and index + 1 < len(bases) and bases[index + 1] in VOWELS))
        if base in VOWELS and not glide:
            break
        if tone is not None:
            return False
        index += 1
    start = index
    while index < len(letters) and bases[index] in VOWELS:
        index += 1
    nucleus = "".join(bases[start:index])
    tones = sum(tone is not None for _, tone in letters[start:index])
    return nucleus in _NUCLEI and tones <= 1 and "".join(bases[index:]) in _CODAS


def _word_stats(words: list[str]) -> tuple[int, int]:
    """(words spelt like Vietnamese, words counted): only words with a non-ASCII character."""
    counted = [word for word in words if not word.isascii()]
    return sum(map(is_vietnamese_word, counted)), len(counted)


def detect(text: str) -> str | None:
    """"tcvn3" or "vni" when the text reads as Vietnamese only once converted, else None.

    Each scheme is scored by how many more of the words with a non-ASCII character are spelt
    like Vietnamese after conversion than before: Unicode Vietnamese is already spelt right and
    ASCII has no such word, so both give None.
    """
    words = [word for word in _WORD.findall(text) if not word.isascii()]
    if not words:
        return None
    before, total = _word_stats(words)
    best, best_gain = None, 0.0
    for scheme in SCHEMES:
        after, _ = _word_stats([to_unicode(word, scheme) for word in words])
        gain = (after - before) / total
        if gain > best_gain and after >= total / 2:
            best, best_gain = scheme, gain
    return best if best_gain >= 0.2 else None


# Signs of text broken beyond repair: the replacement character, control codes, and UTF-8
# read as Windows-1252 ("Nguyá»…n", "Ä‘").
_BROKEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]"
    "|[\u00c2-\u00c6\u00e1][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013-\u2122]")


def looks_garbled(text: str) -> bool:
    """Whether text (a sample of a file's cells) is too broken to import.

    Broken: signs of breakage in at least 1 word in 100, or fewer than half of the words in
    Latin letters with diacritics spelt like Vietnamese (with at least 3 misspelt, so that a
    foreign name or two does not refuse a file).
    """
    words = _WORD.findall(text)
    broken = len(_BROKEN.findall(text))
    if broken and broken * 100 >= len(words):
        return True
    latin = [word for word in words if _LATIN.search(word)]
    valid, total = _word_stats(latin)
    return total - valid >= 3 and valid < total / 2

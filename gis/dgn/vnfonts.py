"""Vietnamese legacy font encodings of DGN labels: TCVN3 (TCVN 5712:1993) and VNI-Windows.

MicroStation V7 text elements hold 8-bit bytes; Vietnamese cadastral sheets drawn before Unicode
carry them in the encoding of the font the label was typed in:

- **TCVN3** ("ABC", the ``.Vn…`` fonts): the 8-bit table of TCVN 5712:1993. ``TCVN_HIGH`` below
  is the VN1 table of that standard as glibc's ``TCVN5712-1`` converter decodes bytes
  0x80–0xFF (``tests/test_dgn_fonts.py`` checks every byte against ``iconv``). The ``.Vn`` fonts
  use its VN3 subset (0xA1–0xFF); VN1 also places capitals with tone marks in 0x80–0x9F and a
  few other cells. Capitals typed in the ``.VnTimeH`` family are stored as lower-case bytes
  (the font draws them upper case): from the bytes alone they decode to lower case.
- **VNI-Windows** (the ``VNI-…`` fonts): each vowel with marks is a base letter followed by one
  mark byte, read as Windows-1252 characters (``aù`` = á, ``aá`` = ấ, ``oâ`` = ô); ơ ư đ and
  the marked i and ỵ are single bytes. The table below follows that scheme as the open
  Vietnamese keyboards document it (xvnkb's ``vni.h``, Unikey).

``decode_label`` tells the three apart and refuses text that is valid in none of them, so no
mojibake is ever imported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from gis.errors import InvalidInput

Encoding = Literal["ascii", "unicode", "tcvn3", "vni"]
ENCODINGS: tuple[Encoding, ...] = ("unicode", "tcvn3", "vni")

#: Bytes 0x80–0xFF of TCVN 5712:1993 (VN1), 16 a row; 0xB0–0xB4 are combining tone marks.
TCVN_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"
    "\xa0ĂÂÊÔƠƯĐăâêôơưđẰ"
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"
    "éẹềểễếệìỉỄẾỒĩíịò"
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
assert len(TCVN_HIGH) == 128

# VNI-Windows: tone marks after the base (order: none, sắc, huyền, hỏi, ngã, nặng), lower case;
# the upper-case marks are the same Windows-1252 letters in upper case.
_TONES = ("", "ù", "ø", "û", "õ", "ï")
_TONES_CIRCUMFLEX = ("â", "á", "à", "å", "ã", "ä")  # â ấ ầ ẩ ẫ ậ (also ê, ô)
_TONES_BREVE = ("ê", "é", "è", "ú", "ü", "ë")  # ă ắ ằ ẳ ẵ ặ
_COMBINING = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _vni_pairs() -> dict[str, str]:
    """Unicode letter → its VNI-Windows spelling (Windows-1252 characters)."""
    table: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}

    def add(unicode_base: str, vni_base: str, marks: tuple[str, ...]) -> None:
        for mark, combining in zip(marks, _COMBINING, strict=True):
            for up in (False, True):
                u = unicodedata.normalize("NFC", unicode_base + combining)
                v = vni_base + mark
                table[u.upper() if up else u] = v.upper() if up else v

    for base in "aeouy":
        add(base, base, _TONES)
    add("â", "a", _TONES_CIRCUMFLEX)
    add("ê", "e", _TONES_CIRCUMFLEX)
    add("ô", "o", _TONES_CIRCUMFLEX)
    add("ă", "a", _TONES_BREVE)
    add("ơ", "ô", _TONES)  # ơ is one byte (ô), then the tone
    add("ư", "ö", _TONES)  # ư is one byte (ö), then the tone
    # i and ỵ have single bytes of their own
    for u, v in zip(("i", "í", "ì", "ỉ", "ĩ", "ị"), ("i", "í", "ì", "æ", "ó", "ò"), strict=True):
        table[u] = v
        table[u.upper()] = v.upper()
    table["ỵ"], table["Ỵ"] = "î", "Î"
    return {u: v for u, v in table.items() if not u.isascii()}


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], re.Pattern[str]]:
    """(Unicode → TCVN3 byte as a char, Unicode → VNI, a pattern of every VNI spelling)."""
    to_tcvn: dict[str, str] = {}
    for i, ch in enumerate(TCVN_HIGH):
        if unicodedata.combining(ch) or ch == "\xa0":
            continue
        to_tcvn.setdefault(ch, chr(0x80 + i))
    to_vni = _vni_pairs()
    spellings = sorted(set(to_vni.values()), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in spellings))
    return to_tcvn, to_vni, pattern


class LabelEncodingError(InvalidInput):
    """A label's bytes are valid in none of Unicode (UTF-8), TCVN3 and VNI-Windows."""


@dataclass(frozen=True)
class DecodedLabel:
    """A label's text in Unicode and the encoding it was read in."""

    text: str
    encoding: Encoding


def decode_tcvn3(raw: bytes) -> str | None:
    """The text of TCVN3 bytes, or None when a byte has no meaning there (controls, 0xA0)."""
    out: list[str] = []
    for b in raw:
        if b < 0x80:
            if b < 0x20 and b not in (0x09, 0x0A, 0x0D):
                return None
            out.append(chr(b))
        else:
            ch = TCVN_HIGH[b - 0x80]
            if ch == "\xa0":
                return None
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def decode_vni(raw: bytes) -> str | None:
    """The text of VNI-Windows bytes, or None when a non-ASCII byte is no VNI spelling."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    _, to_vni, pattern = _tables()
    from_vni = {v: u for u, v in to_vni.items()}
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        gap = text[pos:m.start()]
        if not gap.isascii():
            return None
        out += [gap, from_vni[m.group(0)]]
        pos = m.end()
    if not text[pos:].isascii():
        return None
    return "".join([*out, text[pos:]])


_TONE_MARKS = re.compile("[\u0300\u0301\u0303\u0309\u0323]")
_ONSET = re.compile("^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])")
_CODA = re.compile("(ch|ng|nh|[cmnpt])$")
#: Vowel nuclei of Vietnamese syllables with their glides, tone marks removed ("oo" of loan
#: words such as "xoong" is left out: VNI "oá" read as TCVN3 would pass for it).
_NUCLEI = frozenset({
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu",
    "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "ua", "uâ", "uê",
    "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê", "iêu", "yêu", "oai", "oao", "oay",
    "oeo", "uây", "uôi", "uya", "uyê", "uyu", "ươi", "ươu",
})


def _syllable_ok(word: str) -> bool:
    """A word has at most one tone mark and a real Vietnamese vowel nucleus."""
    nfd = unicodedata.normalize("NFD", word.lower())
    if len(_TONE_MARKS.findall(nfd)) > 1:
        return False
    bare = unicodedata.normalize("NFC", _TONE_MARKS.sub("", nfd))
    onset = _ONSET.match(bare)
    rest = bare[onset.end():] if onset else bare
    if onset and onset.group(0) == "gi" and (not rest or _CODA.fullmatch(rest)):
        rest = "i" + rest  # gì, gìn: the i is the vowel
    coda = _CODA.search(rest)
    nucleus = rest[: coda.start()] if coda else rest
    return nucleus in _NUCLEI


def plausible_vietnamese(text: str) -> bool:
    """Every word written with letters beyond ASCII is a well-formed Vietnamese syllable.

    Plain ASCII words (land-use codes, numbers) are not judged. Legacy bytes read with the
    wrong table give syllables with two tone marks or impossible vowel runs ("Haứ", "Noọi").
    """
    return all(_syllable_ok(w) for w in re.findall(r"[^\W\d_]+", text) if not w.isascii())


def decode_label(raw: bytes, encoding: Encoding | None = None) -> DecodedLabel:
    """Decode one label's bytes, in ``encoding`` when given (the sheet's, see detect_encoding).

    Pure ASCII is read as is. Otherwise the label must be valid and plausible Vietnamese in the
    encoding given, or, without one, in one of UTF-8, TCVN3 and VNI (tried in that order: legacy
    bytes rarely form valid UTF-8). Raises LabelEncodingError when none fits.
    """
    if raw.isascii():
        text = raw.decode("ascii")
        if any(ord(c) < 0x20 and c not in "\t\n\r" for c in text):
            raise LabelEncodingError(f"label holds control characters: {raw!r}")
        return DecodedLabel(text, "ascii")
    for name in (encoding,) if encoding else ENCODINGS:
        decoded = _decode_as(raw, name)
        if decoded is not None and plausible_vietnamese(decoded):
            return DecodedLabel(decoded, name)
    which = {"unicode": "Unicode (UTF-8)", "tcvn3": "TCVN3", "vni": "VNI-Windows"}.get(
        encoding or "", "Unicode (UTF-8), TCVN3 or VNI-Windows"
    )
    raise LabelEncodingError(f"label bytes {raw.hex(' ')} are not valid {which} text")


def detect_encoding(labels: list[bytes]) -> Encoding:
    """The encoding of a sheet's labels: the one most of its non-ASCII labels read well in.

    One sheet is typed in one font family, and one word alone can be ambiguous (VNI "thò" is
    TCVN3 "thũ"), so the sheet decides. Ties go to Unicode, then TCVN3 (the ``.Vn`` fonts are
    the usual cadastral ones).
    """
    legacy = [raw for raw in labels if not raw.isascii()]
    if not legacy:
        return "unicode"
    scores = {
        name: sum(
            1 for raw in legacy
            if (t := _decode_as(raw, name)) is not None and plausible_vietnamese(t)
        )
        for name in ENCODINGS
    }
    return max(ENCODINGS, key=lambda name: scores[name])


def _decode_as(raw: bytes, name: Encoding) -> str | None:
    """The text of ``raw`` in one encoding, or None."""
    if name == "unicode":
        try:
            return unicodedata.normalize("NFC", raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    if name == "tcvn3":
        return decode_tcvn3(raw)
    if name == "vni":
        return decode_vni(raw)
    return raw.decode("ascii", errors="strict")


def encode_label(text: str, encoding: Encoding) -> bytes:
    """Unicode text in one of the label encodings (what the DGN export writes)."""
    text = unicodedata.normalize("NFC", text)
    if encoding in ("unicode", "ascii"):
        return text.encode("utf-8" if encoding == "unicode" else "ascii")
    to_tcvn, to_vni, _ = _tables()
    table = to_tcvn if encoding == "tcvn3" else to_vni
    out = []
    for ch in text:
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in table:
            out.append(table[ch])
        else:
            raise InvalidInput(f"{ch!r} cannot be written in {encoding}")
    joined = "".join(out)
    return joined.encode("latin-1" if encoding == "tcvn3" else "cp1252")

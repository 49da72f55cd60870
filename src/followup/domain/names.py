"""How a patient's name is written for searching: without accents, case or extra spaces.

A coordinator on the phone types "jose munoz" for "José Muñoz" and "celik" for "Çelik". The
stored form of every name and every typed query go through the same function, so a plain
substring match finds them on any database, with no function call per row.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters with no Unicode decomposition that people still type without their stroke: Polish
# "Łukasz", Danish "Søren", Vietnamese "Đức", Turkish dotless "ı". Applied after case folding.
_BASE_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i", "þ": "th",
     "æ": "ae", "œ": "oe"}
)  # fmt: skip


def search_form(text: str) -> str:
    """``text`` as search compares it: compatibility-decomposed (NFKD), combining marks removed,
    case-folded ("ß" becomes "ss"), a few stroked letters reduced to their base letter, and
    runs of whitespace collapsed to one space. Applying it twice changes nothing."""
    if text.isascii():
        return " ".join(text.lower().split())
    return " ".join(form for form in map(_word_form, text.split()) if form)


@lru_cache(maxsize=1 << 16)
def _word_form(word: str) -> str:
    """One word's search form (cached: an import meets the same surnames over and over)."""
    if word.isascii():
        return word.lower()
    # Decompose again after folding: folding can produce letters that decompose ("İ" -> "i̇").
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", word).casefold())
    bare = "".join(c for c in folded if not unicodedata.category(c).startswith("M"))
    return " ".join(bare.translate(_BASE_LETTERS).split())

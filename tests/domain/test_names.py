"""The search form of a name: what a coordinator types without accents matches what is stored."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.domain.names import search_form


@pytest.mark.parametrize(
    "name, form",
    [
        ("José Muñoz", "jose munoz"),
        ("Ahmet Çelik", "ahmet celik"),
        ("Halina Wójcik", "halina wojcik"),
        ("Wolfgang Groß", "wolfgang gross"),  # case folding: ß is ss
        ("Łukasz Zieliński", "lukasz zielinski"),
        ("Dũng Trần", "dung tran"),
        ("Søren Ærø", "soren aero"),
        ("İSMAİL", "ismail"),
        ("  Anna \u00a0 MARIA\tSmith ", "anna maria smith"),
        ("Bob O'Hara", "bob o'hara"),
        ("Cid 50%_Off", "cid 50%_off"),
        ("", ""),
    ],
)
def test_search_form_of_names(name: str, form: str) -> None:
    assert search_form(name) == form


def test_decomposed_and_composed_spellings_agree() -> None:
    composed = "Jos\u00e9"
    decomposed = "Jose\u0301"
    assert search_form(composed) == search_form(decomposed) == "jose"


@given(st.text())
def test_search_form_is_idempotent_and_has_no_marks_or_extra_spaces(text: str) -> None:
    form = search_form(text)
    assert search_form(form) == form
    assert not any(unicodedata.category(c).startswith("M") for c in form)
    assert form == " ".join(form.split())


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_ascii_is_only_lowered(text: str) -> None:
    assert search_form(text) == " ".join(text.lower().split())

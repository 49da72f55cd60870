"""The WOMAC-style instrument: 24 items in three subscales, wording kept as data.

The structure (item keys, subscales, ranges, missing-item limits) is fixed in code because scoring
depends on it; the wording comes from a TOML file so a licensed site can load its own text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

ANSWER_MIN = 0
ANSWER_MAX = 4


@dataclass(frozen=True)
class Subscale:
    """One subscale: its items and how many may be missing before it becomes invalid."""

    name: str
    keys: tuple[str, ...]
    invalid_when_missing: int  # this many missing items (or more) make the subscale invalid

    @property
    def raw_max(self) -> int:
        """The highest raw score the subscale can reach (every item at the worst answer)."""
        return ANSWER_MAX * len(self.keys)


PAIN = Subscale("pain", ("p1", "p2", "p3", "p4", "p5"), invalid_when_missing=2)
STIFFNESS = Subscale("stiffness", ("s1", "s2"), invalid_when_missing=2)
FUNCTION = Subscale("function", tuple(f"f{i}" for i in range(1, 18)), invalid_when_missing=4)
SUBSCALES: tuple[Subscale, ...] = (PAIN, STIFFNESS, FUNCTION)
ITEM_KEYS: tuple[str, ...] = PAIN.keys + STIFFNESS.keys + FUNCTION.keys
TOTAL_RAW_MAX = ANSWER_MAX * len(ITEM_KEYS)
SUBSCALE_OF: dict[str, str] = {key: s.name for s in SUBSCALES for key in s.keys}


@dataclass(frozen=True)
class Item:
    """One question: stable key, subscale, position (1-24) and the site's wording."""

    key: str
    subscale: str
    number: int
    text: str


@dataclass(frozen=True)
class Instrument:
    """A wording of the instrument. ``version`` is stored with every assessment."""

    version: str
    language: str
    title: str
    recall: str
    answer_labels: tuple[str, ...]
    subscale_prompts: dict[str, str]
    items: tuple[Item, ...]

    def item(self, key: str) -> Item:
        """The item with this key (``p1`` ... ``f17``)."""
        return self.items[ITEM_KEYS.index(key)]

    def prompt_for(self, item: Item) -> str:
        """The full question as read to a patient: subscale lead-in plus item text."""
        return f"{self.subscale_prompts[item.subscale]} {item.text}"


class InstrumentError(ValueError):
    """The wording file does not describe the 24 items in the required order."""


def parse_instrument(data: dict, source: str) -> Instrument:
    """Build an Instrument from parsed TOML, checking it matches the fixed structure."""
    try:
        labels = tuple(str(x) for x in data["answer_labels"])
        raw_items = data["items"]
        prompts = {name: str(v["prompt"]) for name, v in data["subscales"].items()}
        version = str(data["version"])
    except (KeyError, TypeError) as exc:
        raise InstrumentError(f"{source}: missing or malformed entry {exc}") from None
    if len(labels) != ANSWER_MAX - ANSWER_MIN + 1:
        raise InstrumentError(f"{source}: answer_labels must have {ANSWER_MAX + 1} entries")
    keys = tuple(str(it.get("key")) for it in raw_items)
    if keys != ITEM_KEYS:
        raise InstrumentError(f"{source}: items must be {', '.join(ITEM_KEYS)} in that order")
    items = []
    for number, it in enumerate(raw_items, start=1):
        key = it["key"]
        if it.get("subscale") != SUBSCALE_OF[key]:
            raise InstrumentError(f"{source}: item {key} must be in subscale {SUBSCALE_OF[key]}")
        if not str(it.get("text", "")).strip():
            raise InstrumentError(f"{source}: item {key} has no text")
        items.append(Item(key=key, subscale=SUBSCALE_OF[key], number=number, text=it["text"]))
    missing = {s.name for s in SUBSCALES} - prompts.keys()
    if missing:
        raise InstrumentError(f"{source}: no prompt for subscale(s) {', '.join(sorted(missing))}")
    return Instrument(
        version=version,
        language=str(data.get("language", "")),
        title=str(data.get("title", "Knee questionnaire")),
        recall=str(data.get("recall", "")),
        answer_labels=labels,
        subscale_prompts=prompts,
        items=tuple(items),
    )


def load_instrument(path: Path | None = None) -> Instrument:
    """Load a wording file; without a path, the packaged English wording."""
    if path is None:
        return default_instrument()
    with open(path, "rb") as fh:
        return parse_instrument(tomllib.load(fh), str(path))


@cache
def default_instrument() -> Instrument:
    """The packaged English questionnaire wording (read once)."""
    text = resources.files("followup.domain").joinpath("womac_style_en.toml").read_text("utf-8")
    return parse_instrument(tomllib.loads(text), "womac_style_en.toml")

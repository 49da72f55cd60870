"""Reading a rule file: the packaged defaults (``rules.toml`` beside this module) and a clinic's
own file merged over them, tables key by key, an array (the schedule) whole.

An override must name its own ``version``, different from the default's: flags record the
version, so two different rule sets under one name would make that record meaningless. Any error
names the file and the key, in the file's terms rather than pydantic's.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from followup.domain.rules import RuleSet

DEFAULT_RULES_FILE = "rules.toml"


class RulesError(ValueError):
    """A rule file is unreadable or holds a wrong key, type or value (the message names both)."""


# pydantic's wording where it speaks of Python types rather than what the file holds.
_IN_FILE_TERMS = {
    "missing": "missing",
    "extra_forbidden": "unknown key",
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "tuple_type": "must be an array of tables",
    "too_short": "must not be empty",
}


def _describe(error: ErrorDetails) -> str:
    """One validation error as ``dotted.key[0].path: what is wrong``."""
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":  # a bad table key: the path already ends with it
            path += f".{part}" if path else part
    kind, value = error["type"], error["input"]
    if kind == "value_error":  # raised by one of the checks above: in its own words
        what = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        what = _IN_FILE_TERMS.get(kind, error["msg"])
    if kind not in {"missing", "extra_forbidden"} and not isinstance(value, dict | list | tuple):
        what += f", got {value!r}"
    return f"{path}: {what}" if path else what


def build_rules(data: dict[str, Any], source: str) -> RuleSet:
    """Validate a complete parsed rule file and build the RuleSet; errors name ``source`` and
    the key (the first error found, as a RulesError)."""
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{source}: {_describe(exc.errors()[0])}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else in the override (arrays too) replaces the default."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _default_data() -> dict[str, Any]:
    text = resources.files("followup.domain").joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
    return tomllib.loads(text)


@cache
def default_rules() -> RuleSet:
    """The packaged default rule set (read once)."""
    return build_rules(_default_data(), DEFAULT_RULES_FILE)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """A clinic's rule file merged over the defaults; without a path, the defaults.

    The override must set its own ``version`` (different from the default's): flags record the
    version, and two different rule sets under one name would make that record meaningless.
    Unknown keys are errors, so a typo cannot silently leave a default in force.
    """
    if path is None:
        return default_rules()
    source = str(path)
    try:
        with open(path, "rb") as fh:
            override = tomllib.load(fh)
    except OSError as exc:
        raise RulesError(f"{source}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from None
    if "version" not in override:
        raise RulesError(f"{source}: version: a clinic's rule file must name its own version")
    rules = build_rules(_merge(_default_data(), override), source)
    if rules.version == default_rules().version:
        raise RulesError(f"{source}: version: must differ from the default {rules.version!r}")
    return rules

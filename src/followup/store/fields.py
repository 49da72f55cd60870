"""Each value range is stated once, on a model field, and everything else derives from it: the
database's CHECK constraints (``check_constraints``), the CSV import's cell checks
(``store.csv_files.column``) and the entry forms' checks (``validate``).

A range is pydantic's own field metadata (``Field(ge=..., le=..., max_length=...)``); the allowed
values of a coded field are ``OneOf``, an IANA time zone is ``TimeZoneName``, text that must stay
on one line is ``SingleLine``, free text of several lines is ``Lines``, a patient, treatment or
site ID is ``CLINIC_ID`` (which also gives its CHECK constraint) and text of a set form is
``Matches``, all carried in ``Annotated`` so the table models inherit them from their base
models. No text field holds a control character; numbers are plain ASCII digits.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, get_args
from zoneinfo import available_timezones

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import core_schema
from sqlalchemy import CheckConstraint

from followup.errors import FollowupError

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class OneOf:
    """The allowed values of a coded text field (``knee``: left or right)."""

    values: tuple[str, ...]

    def check(self, value: Any) -> Any:
        """The value if it is allowed (or None); otherwise ValueError naming the choices."""
        if value is not None and value not in self.values:
            raise ValueError(f"{value!r} is not one of: {', '.join(self.values)}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True)
class TimeZoneName:
    """An IANA time zone name (``Asia/Tokyo``): a patient's local time is shown next to every
    call, so a zone nobody knows must not be stored."""

    def check(self, value: Any) -> Any:
        """The value if it names a zone (or is None); otherwise ValueError."""
        if value is not None and value not in _zones():
            raise ValueError(f"{value!r} is not an IANA time zone name like Asia/Tokyo")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


# What ``str.splitlines`` breaks a line on: any of them in a one-line field is a pasted paragraph.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Control characters (C0, DEL, C1): no text a clinic types holds one, a NUL is refused by
# PostgreSQL at the very end of an import, and an escape sequence printed to a terminal can
# forge a line. Text of several lines may hold tab, line feed and carriage return.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_problem(value: str, *, lines: bool = False) -> str | None:
    """Why ``value`` cannot be stored: the first control character it holds (by code and
    position, never the text around it), or None. ``lines``: tab and line ends are allowed."""
    found = (CONTROL_IN_LINES if lines else CONTROL).search(value)
    if found is None:
        return None
    return f"has a control character (U+{ord(found.group()):04X}) at character {found.start() + 1}"


# Numbers as a clinic writes them: ASCII digits, a sign, a decimal point. Python's int() and
# float() also take "1_0", other scripts' digits ("١٢"), "nan" and "1e3".
WHOLE = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def whole_number(text: str) -> int:
    """``text`` (without spaces at the ends) as a whole number, or ValueError."""
    if WHOLE.fullmatch(text) is None:
        raise ValueError("is not a whole number (digits 0-9)")
    return int(text)


def decimal_number(text: str) -> float:
    """``text`` (without spaces at the ends) as a number like 27.5, or ValueError."""
    if DECIMAL.fullmatch(text) is None:
        raise ValueError("is not a number like 27.5 (digits 0-9 and a point)")
    return float(text)


class TextCheck:
    """A check of a text field beyond its length, run by the models' validation and by the CSV
    import alike (``check`` raises ValueError with the message)."""

    def check(self, value: Any) -> Any:
        """Return ``value`` if it passes the check, else raise ValueError saying why."""
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


@dataclass(frozen=True)
class SingleLine(TextCheck):
    """Text shown on one line (a call note, an adverse event, a phone number): a pasted
    paragraph is refused rather than stored where every list would cut or garble it."""

    def check(self, value: Any) -> Any:
        """Refuse text with a line break (it would break a CSV row or a call sheet line) or
        another control character."""
        if isinstance(value, str):
            if not LINE_BREAKS.isdisjoint(value):
                raise ValueError("must be one line (it has a line break)")
            problem = control_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value


@dataclass(frozen=True)
class Lines(TextCheck):
    """Free text that may run over several lines (a note, an adverse event): tab and line ends
    are allowed, other control characters are not."""

    def check(self, value: Any) -> Any:
        """Refuse text holding a control character other than tab and line ends."""
        problem = control_problem(value, lines=True) if isinstance(value, str) else None
        if problem is not None:
            raise ValueError(problem)
        return value


@dataclass(frozen=True)
class ClinicId(TextCheck):
    """A clinic's identifier of a patient, a treatment or a site (``P0001``, ``T00042``):
    letters, digits, ``-``, ``_`` and ``.``, 1 to ``longest`` characters. IDs are shown in every
    list, typed at the kiosk and written in file names, so nothing else may be in one. The
    message never repeats the value (it may be anything, even an escape sequence)."""

    longest: int = 32
    allowed: str = string.ascii_letters + string.digits + "-_."

    @property
    def rule(self) -> str:
        """The rule in words, for messages."""
        return f"must be 1-{self.longest} letters, digits, '-', '_' or '.' (like P0001)"

    def check(self, value: Any) -> Any:
        """Refuse an ID that breaks the rule: as in ``constraint``, what is left once every
        allowed character is stripped off must be nothing."""
        if isinstance(value, str) and not (
            0 < len(value) <= self.longest and not value.strip(self.allowed)
        ):
            raise ValueError(self.rule)
        return value

    def constraint(self, column: str, name: str) -> CheckConstraint:
        """The same rule as a CHECK constraint, in SQL both SQLite and PostgreSQL run: what is
        left once every allowed character is trimmed off must be nothing."""
        return CheckConstraint(
            f"length({column}) BETWEEN 1 AND {self.longest} "
            f"AND trim({column}, '{self.allowed}') = ''",
            name=name,
        )


# The one rule for every patient, treatment and site ID.
CLINIC_ID = ClinicId()


@dataclass(frozen=True)
class Matches(TextCheck):
    """Text of a set form (``pattern``, matched whole); ``what`` says it in a message."""

    pattern: str
    what: str

    def check(self, value: Any) -> Any:
        """Refuse text that does not match the pattern, naming what was expected."""
        if isinstance(value, str) and re.fullmatch(self.pattern, value) is None:
            raise ValueError(f"{value!r} is not {self.what}")
        return value


@dataclass(frozen=True)
class FieldRule:
    """What a field allows, read from its metadata: bounds, the longest text, the choices."""

    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    one_of: OneOf | None = None
    time_zone: bool = False
    text_checks: tuple[TextCheck, ...] = ()


def field_rule(model: type[BaseModel], name: str) -> FieldRule:
    """The rule stated on ``model``'s field ``name``."""
    low = high = max_length = None
    one_of = None
    zone = False
    text_checks: list[TextCheck] = []
    for item in model.model_fields[name].metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.MaxLen):
            max_length = item.max_length
        elif isinstance(item, OneOf):
            one_of = item
        elif isinstance(item, TimeZoneName):
            zone = True
        elif isinstance(item, TextCheck):
            text_checks.append(item)
    return FieldRule(low, high, max_length, one_of, zone, tuple(text_checks))  # type: ignore[arg-type]


def _number(value: float) -> str:
    return f"{value:g}"


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK constraint for a coded column of a table without a validation model."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def _nullable(annotation: Any) -> bool:
    return annotation is None or type(None) in get_args(annotation)


def check_constraints(
    model: type[BaseModel], table: str, names: Mapping[str, str] | None = None
) -> list[CheckConstraint]:
    """A CHECK constraint for every bounded or coded field of ``model``: the database is the
    last line of defence, since table models do not validate on construction. Named
    ``ck_<table>_<field>`` unless ``names`` says otherwise."""
    checks = []
    for field, info in model.model_fields.items():
        rule = field_rule(model, field)
        name = (names or {}).get(field, f"ck_{table}_{field}")
        if rule.one_of is not None:
            allowed = ", ".join(f"'{v}'" for v in rule.one_of.values)
            condition = f"{field} IN ({allowed})"
            if _nullable(info.annotation):
                condition = f"{field} IS NULL OR {condition}"
            checks.append(CheckConstraint(condition, name=name))
        elif rule.low is not None and rule.high is not None:
            between = f"{field} BETWEEN {_number(rule.low)} AND {_number(rule.high)}"
            checks.append(CheckConstraint(f"{field} IS NULL OR ({between})", name=name))
    return checks


def validate(model: type[Model], data: Mapping[str, Any], labels: Mapping[str, str]) -> Model:
    """``data`` validated by ``model``, or a FollowupError naming the field (in the words of
    ``labels``, the form's own) and what is wrong with it."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        message = _message(model, field, error)
        raise FollowupError(f"{labels.get(field, field)}: {message}") from None


def _message(model: type[BaseModel], field: str, error: Any) -> str:
    """What is wrong, in the words of the rule stated on the field."""
    kind = error["type"]
    rule = field_rule(model, field) if field in model.model_fields else FieldRule()
    if kind in ("less_than_equal", "greater_than_equal") and rule.low is not None:
        got = error["input"]
        got = _number(got) if isinstance(got, float) else got
        return f"must be {_number(rule.low)}-{_number(rule.high or 0)}, got {got}"
    if kind == "string_too_long":
        return f"is longer than {rule.max_length} characters"
    if kind == "string_too_short":
        return "is required"
    if kind == "string_unicode":  # a byte that is not UTF-8, as Python hands it over
        return "is not UTF-8 text (set the terminal to UTF-8)"
    if kind == "missing" or (kind.endswith("_type") and error.get("input") is None):
        return "is required"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number (digits 0-9)"
    if kind.startswith("date_"):
        return "is not a date like 1958-04-01"
    return str(error["msg"]).removeprefix("Value error, ")

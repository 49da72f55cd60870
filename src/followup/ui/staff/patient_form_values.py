"""What the patient form's fields hold: the choices offered, the typed text turned into the
patient's values and a stored value back into text, and which field a refusal is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from followup.domain.written_dates import written_day
from followup.errors import FollowupError, PermissionDenied
from followup.services.patients import FIELDS, LABELS, ReasonRequired, check_patient_id
from followup.store.fields import decimal_number

YES_NO: list[tuple[str, Any]] = [("yes", True), ("no", False)]
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "sex": [("F", "F"), ("M", "M"), ("X", "X")],
    "smoker": YES_NO,
    "diabetes": YES_NO,
    "activity": [("low", "low"), ("moderate", "moderate"), ("high impact", "high_impact")],
}
PLACEHOLDERS = {
    "patient_id": "e.g. P0420 (cannot be changed later)",
    "birth_date": "YYYY-MM-DD",
    "phone": "as dialled, e.g. +44 20 7946 0000",
    "language": "IETF tag, e.g. en, ja, pt-BR",
    "bmi": "10-90",
}


def field_named(error: FollowupError) -> str | None:
    """The form field a refusal is about: the service starts a field's message with its label
    (``time zone: ...``); IDs, sites and reasons have messages of their own."""
    message = str(error)
    if isinstance(error, ReasonRequired):
        return "reason"
    if isinstance(error, PermissionDenied) or message.startswith("there is no site"):
        return "site_id"
    if message.startswith(("patient ID:", "a patient ID", "a patient with ID")):
        return "patient_id"
    head = message.split(":", 1)[0]
    return next((f for f, label in LABELS.items() if label == head), None)


def typed_values(raw: dict[str, Any]) -> dict[str, Any]:
    """The form's text as the patient's fields hold it (a date, a number); a FollowupError
    names the field that is not one, the first from the top of the form."""
    values = {f: raw[f] for f in FIELDS}
    if "patient_id" in raw:  # adding: the ID comes first
        if not raw["patient_id"]:
            raise FollowupError("patient ID: is required")
        check_patient_id(raw["patient_id"])
    if raw["name"] is None:
        raise FollowupError("name: is required")
    born = raw["birth_date"]
    if born is None:
        raise FollowupError("birth date: is required")
    try:
        values["birth_date"] = written_day(born)
    except ValueError:
        raise FollowupError("birth date: is not a date like 1956-03-02") from None
    if raw["bmi"] is not None:
        try:
            values["bmi"] = decimal_number(raw["bmi"].strip())
        except ValueError:
            raise FollowupError(f"BMI: {raw['bmi']!r} is not a number") from None
    return values


def as_text(field: str, value: Any) -> Any:
    """A stored value as the form holds it (text for text fields, the value for picks)."""
    if field in CHOICES or field == "site_id" or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # exactly as stored: a rounded BMI would read as a change
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)

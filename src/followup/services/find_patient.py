"""Finding a patient by ID or name, answering every keystroke of the search box.

Search never scans more than it must: an ID prefix is a range on the primary key, a name fragment
walks the search-name index in order and stops at the limit. Names match ignoring case and
accents ("jose munoz" finds "José Muñoz").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import select

from followup.domain.names import search_form
from followup.services.context import Context
from followup.store.engine import read_session
from followup.store.models import Patient

SEARCH_LIMIT = 50
MAX_QUERY = 80


@dataclass(frozen=True)
class PatientHit:
    """One search result: enough to tell two patients of the same name apart on the phone."""

    id: str
    name: str
    birth_date: date
    phone: str | None
    site_id: str | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _name_conditions(text: str) -> list[Any]:
    """Every word of ``text`` somewhere in the name, ignoring case and accents: "jose munoz"
    finds "José Muñoz". Both sides are in search form (``search_form``), so a plain LIKE
    compares them on either database, without a function call per row."""
    return [
        Patient.search_name.like(f"%{_escape_like(word)}%", escape="\\")
        for word in search_form(text).split()
    ]


def _hit(row: Any) -> PatientHit:
    return PatientHit(id=row[0], name=row[1], birth_date=row[2], phone=row[3], site_id=row[4])


_HIT_COLUMNS = (Patient.id, Patient.name, Patient.birth_date, Patient.phone, Patient.site_id)


def search_patients(
    ctx: Context, query: str, *, limit: int = SEARCH_LIMIT, site_id: str | None = None
) -> list[PatientHit]:
    """Patients whose ID starts with ``query`` (first) or whose name contains every word of it,
    ignoring case and accents (those in name order); at most ``limit``. ``site_id`` limits the
    search to one site."""
    text = " ".join(query.split())[:MAX_QUERY]
    if not text:
        return []
    found: dict[str, PatientHit] = {}
    with read_session(ctx.engine) as session:
        # One range per spelling (as typed, upper case): each walks the primary key in order
        # and stops at the limit; an OR of the two would sort every match first.
        by_id: list[PatientHit] = []
        for prefix in sorted({text, text.upper()}):
            query = select(*_HIT_COLUMNS).where(
                Patient.id >= prefix, Patient.id < _next_prefix(prefix)
            )
            if site_id is not None:
                query = query.where(Patient.site_id == site_id)
            by_id.extend(_hit(row) for row in session.exec(query.order_by(Patient.id).limit(limit)))
        for hit in sorted(by_id, key=lambda h: h.id)[:limit]:
            found[hit.id] = hit
        conditions = _name_conditions(text)
        if len(found) < limit and conditions:
            by_name = select(*_HIT_COLUMNS).where(*conditions)
            if site_id is not None:
                by_name = by_name.where(Patient.site_id == site_id)
            by_name = by_name.order_by(Patient.search_name, Patient.id).limit(limit)
            for row in session.exec(by_name):
                found.setdefault(row[0], _hit(row))
    return list(found.values())[:limit]

"""Recording a treatment or a booster from the staff UI (the patient screen, the review queue).

A booster opens filled from the knee's latest treatment (``services.record_treatment
.booster_suggestion``: same product, grade and route, one banked dose fewer) and the clinician
corrects what differs. The form only turns text into values; the service checks them as an
import row is checked, refuses what does not fit (shown under the field it names, nothing saved,
the form kept as typed), stores and audits the treatment and re-evaluates the knee, closing the
earlier episode's flags. The form dismisses with what was recorded, or None when left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Header, Input, Label, Select, Static

from followup.domain.records import KNEES, PRODUCT_NAMES, ROUTES
from followup.domain.written_dates import written_day
from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.record_treatment import (
    LABELS,
    KneeTreatment,
    RecordedTreatment,
    TreatmentDraft,
    booster_suggestion,
    record_treatment,
    treatments_to_boost,
)
from followup.store.fields import decimal_number, whole_number
from followup.ui.staff.form_screen import StaffForm
from followup.ui.staff.messages import RecordsChanged
from followup.ui.widgets import formatting as fmt
from followup.ui.widgets.form_fields import FormInput
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import plain

FIELDS = (
    "knee", "treated_on", "product", "route", "cells_millions", "kl_grade", "booster_of",
    "banked_doses", "treatment_id",
)  # fmt: skip
FORM_LABELS = {**LABELS, "booster_of": "booster of", "treatment_id": "treatment ID"}
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "knee": [(k, k) for k in KNEES],
    "product": [(name, key) for key, name in PRODUCT_NAMES.items()],
    "route": [(fmt.words(r), r) for r in ROUTES],
    "kl_grade": [(str(g), g) for g in range(1, 5)],
}
PLACEHOLDERS = {
    "treated_on": "YYYY-MM-DD",
    "cells_millions": "e.g. 50 (blank: not recorded)",
    "banked_doses": "doses left in the bank after this one (blank: not recorded)",
    "treatment_id": "blank: the next free number (T00042)",
}
BLANKS = {"kl_grade": "not recorded", "booster_of": "not a booster", "route": "intra articular"}


@dataclass
class TreatmentSaved(Message):
    """The service recorded the treatment."""

    recorded: RecordedTreatment
    patient_id: str


@dataclass
class TreatmentRefused(Message):
    """The service (or the form) refused; ``field`` is the form field named, if any."""

    message: str
    field: str | None


@dataclass
class EarlierTreatments(Message):
    """The patient's treatments a booster may be of, and the booster suggested (when asked)."""

    treatments: list[KneeTreatment]
    suggestion: TreatmentDraft | None


def field_named(message: str) -> str | None:
    """The field a refusal starts with (``treated on: ...``), if any."""
    head = message.split(":", 1)[0]
    return next((f for f, label in FORM_LABELS.items() if label == head), None)


def typed_draft(patient_id: str, raw: dict[str, Any]) -> TreatmentDraft:
    """The form's text as a draft; a FollowupError names a field that is not a value."""
    if raw["treated_on"] is None:
        raise FollowupError("treated on: is required")
    try:
        treated_on = written_day(raw["treated_on"])
    except ValueError:
        raise FollowupError(
            f"treated on: {raw['treated_on']!r} is not a date like 2026-11-21"
        ) from None
    numbers: dict[str, Any] = {}
    for field, parse in (("cells_millions", decimal_number), ("banked_doses", whole_number)):
        text = raw[field]
        try:
            numbers[field] = None if text is None else parse(text.strip())
        except ValueError:
            what = "a number" if parse is decimal_number else "a whole number"
            raise FollowupError(f"{FORM_LABELS[field]}: {text!r} is not {what}") from None
    if raw["knee"] is None or raw["product"] is None:
        raise FollowupError(f"{'knee' if raw['knee'] is None else 'product'}: is required")
    return TreatmentDraft(
        patient_id, raw["knee"], treated_on, raw["product"], raw["route"] or "intra_articular",
        numbers["cells_millions"], raw["kl_grade"], raw["booster_of"], numbers["banked_doses"],
        raw["treatment_id"],
    )  # fmt: skip


class TreatmentForm(StaffForm):
    """A new treatment of ``patient_id``; with ``booster_knee``, a booster of that knee's
    latest treatment, filled in from it as soon as it is read."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="treatment_form.save", tooltip="Record it"),
        Binding("escape", "cancel", "Cancel", id="treatment_form.cancel",
                tooltip="Leave without saving (asks first when something was typed)"),
    ]  # fmt: skip

    SAVE_GROUP = "treatment-form"

    def __init__(self, patient_id: str, name: str, booster_knee: str | None = None) -> None:
        super().__init__(classes="patient-form treatment-form")
        self.patient_id = patient_id
        self.patient_name = name
        self.booster_knee = booster_knee

    @property
    def field_names(self) -> list[str]:
        """Every field of a treatment, in the form's order."""
        return list(FIELDS)

    def compose(self) -> ComposeResult:
        start = {"treated_on": self.ctx.today().isoformat(), "knee": self.booster_knee}
        self.initial = {f: start.get(f) for f in FIELDS}
        what = f"Booster of the {self.booster_knee} knee" if self.booster_knee else "New treatment"
        yield Header()
        yield Static(f"{what} · {self.patient_name} ({self.patient_id})", id="form-title",
                     classes="bar", markup=False)  # fmt: skip
        with VerticalScroll(id="form-fields"):
            for field in FIELDS:
                with Horizontal(classes="form-row", id=f"row-{field}"):
                    label = FORM_LABELS[field]
                    yield Label(label[:1].upper() + label[1:], classes="form-label")
                    yield self._widget(field)
                yield Static("", id=f"problem-{field}", classes="field-problem", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Record (Ctrl+S)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")
        yield Static("", id="form-problem", classes="problem", markup=False)
        yield KeyBar()

    def _widget(self, field: str) -> Widget:
        value = self.initial[field]
        if field in CHOICES or field == "booster_of":
            options = CHOICES.get(field) or ([(plain(value), value)] if value else [])
            return Select(options, value=Select.NULL if value is None else value,
                          prompt=BLANKS.get(field, "choose"), id=f"f-{field}",
                          compact=True)  # fmt: skip
        return FormInput(value=value or "", placeholder=PLACEHOLDERS.get(field, ""),
                         id=f"f-{field}", compact=True, last=field == FIELDS[-1])  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#f-knee" if self.booster_knee is None else "#f-treated_on").focus()
        self._read_treatments(self.ctx, self.patient_id, self.booster_knee)

    @work(thread=True, exclusive=True, exit_on_error=False, group="treatment-form-read",
          description="Reading the patient's treatments")  # fmt: skip
    def _read_treatments(self, ctx: Context, patient_id: str, knee: str | None) -> None:
        suggestion = None
        if knee is not None:
            suggestion = booster_suggestion(ctx, patient_id, knee, ctx.today())
        self.post_message(EarlierTreatments(treatments_to_boost(ctx, patient_id), suggestion))

    def on_earlier_treatments(self, message: EarlierTreatments) -> None:
        select = self.query_one("#f-booster_of", Select)
        current = None if select.is_blank() else select.value
        options = [
            (
                plain(f"{t.id} · {t.knee} · {t.treated_on.isoformat()} · {fmt.product(t.product)}"),
                t.id,
            )
            for t in message.treatments
        ]
        select.set_options(options)
        if current is not None and current in [t.id for t in message.treatments]:
            select.value = current
        if self.booster_knee is None:
            return
        if message.suggestion is None:
            self.show_problem("booster_of", f"no earlier treatment of the {self.booster_knee} "
                               "knee to boost: record it as a new treatment")  # fmt: skip
            return
        if self.raw() == self.initial:  # nothing typed yet: take the suggestion whole
            self._fill(message.suggestion)

    def _fill(self, d: TreatmentDraft) -> None:
        """The form filled from a suggested booster; what it holds then counts as untouched."""
        for field in FIELDS:
            value = getattr(d, field)
            widget = self.query_one(f"#f-{field}")
            if isinstance(widget, Select):
                widget.value = Select.NULL if value is None else value
            elif field == "treated_on":
                widget.value = value.isoformat()  # type: ignore[attr-defined]
            else:
                widget.value = "" if value is None else fmt.number(value)  # type: ignore[attr-defined]
        self.initial = self.raw()

    def raw(self) -> dict[str, Any]:
        """Each field as the form holds it: stripped text or None, a pick's value or None."""
        found: dict[str, Any] = {}
        for field in FIELDS:
            widget = self.query_one(f"#f-{field}")
            if isinstance(widget, Select):
                found[field] = None if widget.is_blank() else widget.value
            else:
                found[field] = widget.value.strip() or None  # type: ignore[attr-defined]
        return found

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        self.show_problem((event.control.id or "").removeprefix("f-"), "")

    def action_save(self) -> None:
        if self.saving:
            return
        self.clear_problems()
        try:
            draft = typed_draft(self.patient_id, self.raw())
        except FollowupError as exc:
            self.refused(field_named(str(exc)), str(exc))
            return
        self.start_saving(self._save, self.ctx, draft, self.staff.actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="treatment-form",
          description="Recording the treatment")  # fmt: skip
    def _save(self, ctx: Context, draft: TreatmentDraft, actor: str) -> None:
        try:
            recorded = record_treatment(ctx, draft, actor)
        except FollowupError as exc:
            self.post_message(TreatmentRefused(str(exc), field_named(str(exc))))
            return
        self.post_message(TreatmentSaved(recorded, draft.patient_id))

    def on_treatment_refused(self, message: TreatmentRefused) -> None:
        self.refused(message.field, message.message)

    def on_treatment_saved(self, message: TreatmentSaved) -> None:
        r = message.recorded
        note = f"Treatment {r.treatment_id} recorded"
        if r.booster_of:
            note += f", a booster of {r.booster_of}"
        if r.superseded_flags:
            closed = fmt.plural(r.superseded_flags, "open flag")
            note += f"; {closed} of the earlier treatment closed"
        self.notify(note + ".", markup=False)
        self.app.post_message(RecordsChanged(message.patient_id))
        self.dismiss(r)

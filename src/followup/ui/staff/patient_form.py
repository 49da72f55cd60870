"""Adding a patient and editing one's details from the staff UI: contact details, time zone,
site, language and risk factors.

The form only turns what was typed into values (a date, a number, a pick); ``services.patients``
checks them by the import's rules, audits every change with its old and new values and refuses
a clinical change without a reason. A refusal is shown under the field it names, nothing is
saved and the form keeps what was typed. An edit sends only the fields changed here, so a
colleague's change to another field in the meantime is not overwritten.

The form dismisses with the patient's ID once saved (None when left), so the screen that opened
it can show the patient again; a patient just added is opened.
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

from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.patient_record import PatientDetail
from followup.services.patients import (
    CLINICAL_FIELDS,
    FIELDS,
    LABELS,
    PatientDraft,
    add_patient,
    edit_patient,
)
from followup.services.sites import SiteView, list_sites
from followup.services.staff import StaffMember
from followup.ui.staff.form_screen import StaffForm
from followup.ui.staff.messages import RecordsChanged
from followup.ui.staff.patient_form_values import (
    CHOICES,
    PLACEHOLDERS,
    as_text,
    field_named,
    typed_values,
)
from followup.ui.widgets.form_fields import FormInput, TimeZoneInput, zone_hint
from followup.ui.widgets.keybar import KeyBar
from followup.ui.widgets.plain_table import plain

REASON_HINT = "needed when smoker, diabetes, BMI or activity changes"
# The key that opens an empty form, for the lists that offer it (the worklist). Not on the key
# bar, which it would crowd; Help and the command palette list it.
NEW_PATIENT = Binding(
    "n",
    "app.new_patient",
    "New patient",
    id="new_patient",
    tooltip="Register a new patient: details, time zone, site, risk factors",
    show=False,
)


@dataclass
class PatientSaved(Message):
    """The service saved the form; ``note`` says what, for a notification."""

    patient_id: str
    note: str


@dataclass
class PatientRefused(Message):
    """The service refused the form; ``message`` is its own (safe to show), ``field`` the form
    field it names, if any."""

    message: str
    field: str | None


@dataclass
class SitesRead(Message):
    """The sites a patient may belong to."""

    sites: list[SiteView]


class PatientForm(StaffForm):
    """A new patient (``detail`` None) or one patient's details (``detail``)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="patient_form.save", tooltip="Save the patient"),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="patient_form.cancel",
            tooltip="Leave without saving (asks first when something was typed)",
        ),
    ]

    SAVE_GROUP = "patient-form"

    def __init__(self, detail: PatientDetail | None = None) -> None:
        super().__init__(classes="patient-form")
        self.detail = detail
        self.fields: list[str] = []

    @property
    def field_names(self) -> list[str]:
        """The patient ID (when adding), the details, and the reason (when editing)."""
        return self.fields

    @property
    def adding(self) -> bool:
        """Whether this form adds a new patient (rather than editing one)."""
        return self.detail is None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        d = self.detail
        self.fields = (["patient_id"] if d is None else []) + list(FIELDS)
        stored = {f: getattr(d, f) for f in FIELDS} if d else {"site_id": self.staff.site_id}
        self.initial = {f: as_text(f, stored.get(f)) for f in self.fields}
        if d is not None:
            self.fields.append("reason")
            self.initial["reason"] = None
        title = "New patient" if d is None else f"Edit patient {d.id} · {d.name}"
        yield Header()
        yield Static(title, id="form-title", classes="bar", markup=False)
        with VerticalScroll(id="form-fields"):
            for field in self.fields:
                with Horizontal(classes="form-row", id=f"row-{field}"):
                    yield Label(self._label(field), classes="form-label")
                    yield self._widget(field)
                if field == "timezone":
                    yield Static(zone_hint(self.initial["timezone"] or ""), id="zone-hint",
                                 classes="field-hint", markup=False)  # fmt: skip
                if field == "reason":
                    yield Static(REASON_HINT, id="reason-hint", classes="field-hint")
                yield Static("", id=f"problem-{field}", classes="field-problem", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")
        yield Static("", id="form-problem", classes="problem", markup=False)
        yield KeyBar()

    def _label(self, field: str) -> str:
        text = "patient ID" if field == "patient_id" else LABELS.get(field, field)
        return text[:1].upper() + text[1:]

    def _widget(self, field: str) -> Widget:
        value = self.initial[field]
        if field in CHOICES or field == "site_id":
            options = CHOICES.get(field) or ([(plain(value), value)] if value else [])
            fixed = field == "site_id" and self.staff.site_id is not None
            blank = "no site" if field == "site_id" else "not recorded"
            return Select(options, value=Select.NULL if value is None else value, prompt=blank,
                          id=f"f-{field}", compact=True, disabled=fixed,
                          allow_blank=not fixed)  # fmt: skip
        kind = TimeZoneInput if field == "timezone" else FormInput
        return kind(
            value=value or "",
            placeholder=PLACEHOLDERS.get(field, ""),
            id=f"f-{field}",
            compact=True,
            last=field == self.fields[-1],
        )

    def on_mount(self) -> None:
        self.query_one(f"#f-{self.fields[0]}").focus()
        if self.staff.site_id is None:
            self._read_sites(self.ctx)

    @work(thread=True, exclusive=True, exit_on_error=False, group="patient-form-sites",
          description="Reading the sites")  # fmt: skip
    def _read_sites(self, ctx: Context) -> None:
        self.post_message(SitesRead(list_sites(ctx)))

    def on_sites_read(self, message: SitesRead) -> None:
        select = self.query_one("#f-site_id", Select)
        current = None if select.is_blank() else select.value
        options = [
            (plain(f"{s.id} · {s.name}" if s.name != s.id else s.id), s.id) for s in message.sites
        ]
        if current is not None and current not in [s.id for s in message.sites]:
            options.append(
                (plain(current), current)
            )  # kept, even if the site list no longer has it
        select.set_options(options)
        if current is not None:
            select.value = current

    # -- what the form holds ---------------------------------------------------------------

    def raw(self) -> dict[str, Any]:
        """Each field as the form holds it: text without spaces at the ends (None when empty;
        the patient ID exactly as typed), a pick's value (None when blank)."""
        found: dict[str, Any] = {}
        for field in self.fields:
            widget = self.query_one(f"#f-{field}")
            if isinstance(widget, Select):
                found[field] = None if widget.is_blank() else widget.value
            elif field == "patient_id":
                found[field] = widget.value or None  # type: ignore[attr-defined]
            else:
                found[field] = widget.value.strip() or None  # type: ignore[attr-defined]
        return found

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        field = (event.control.id or "").removeprefix("f-")
        if field in self.fields:
            self.show_problem(field, "")
        if field == "timezone":
            self.query_one("#zone-hint", Static).update(zone_hint(str(event.value)))
        if not self.adding:
            raw = self.raw()
            changed = [LABELS[f] for f in CLINICAL_FIELDS if raw[f] != self.initial[f]]
            hint = f"required: {', '.join(changed)} changed" if changed else REASON_HINT
            self.query_one("#reason-hint", Static).update(hint)

    # -- saving ----------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        self.clear_problems()
        raw = self.raw()
        try:
            values = typed_values(raw)
        except FollowupError as exc:
            self.refused(field_named(exc), str(exc))
            return
        staff = self.staff
        if self.detail is None:
            draft = PatientDraft(raw["patient_id"] or "", **values)
            self.start_saving(self._add, self.ctx, draft, staff.actor, staff.site_id)
            return
        changes = {f: v for f, v in values.items() if v != getattr(self.detail, f)}
        if not changes:
            self.notify("Nothing changed.")
            self.dismiss(None)
            return
        self.start_saving(self._edit, self.ctx, self.detail.id, changes, staff, raw["reason"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="patient-form",
          description="Adding the patient")  # fmt: skip
    def _add(self, ctx: Context, draft: PatientDraft, actor: str, site: str | None) -> None:
        try:
            patient_id = add_patient(ctx, draft, actor, staff_site=site)
        except FollowupError as exc:
            self.post_message(PatientRefused(str(exc), field_named(exc)))
            return
        self.post_message(PatientSaved(patient_id, f"Patient {patient_id} added."))

    @work(thread=True, exclusive=True, exit_on_error=False, group="patient-form",
          description="Saving the patient's details")  # fmt: skip
    def _edit(
        self,
        ctx: Context,
        pid: str,
        changes: dict[str, Any],
        staff: StaffMember,
        reason: str | None,
    ) -> None:
        try:
            change = edit_patient(ctx, pid, changes, staff.actor, reason, staff_site=staff.site_id)
        except FollowupError as exc:
            self.post_message(PatientRefused(str(exc), field_named(exc)))
            return
        note = f"Patient {pid}: " + (", ".join(LABELS[f] for f in change.new) or "nothing")
        note += " changed."
        for knee in change.reevaluated_knees:
            note += f" Flags of the {knee} knee re-evaluated."
        self.post_message(PatientSaved(pid, note))

    def on_patient_refused(self, message: PatientRefused) -> None:
        self.refused(message.field, message.message)

    def on_patient_saved(self, message: PatientSaved) -> None:
        self.notify(message.note, markup=False)
        self.app.post_message(RecordsChanged(message.patient_id))
        adding = self.adding
        self.dismiss(message.patient_id)
        if adding:  # after the form has left the screen stack, or the app would wait for it
            self.open_patient(message.patient_id)

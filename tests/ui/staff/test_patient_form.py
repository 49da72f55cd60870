"""Registering a patient and editing one's details from the staff UI, by keys: refusals named
under their field with nothing saved and what was typed kept, audit events with old and new
values, a reason for a clinical field, and the knees re-evaluated when smoker status changes."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from followup.errors import NotFound
from followup.services.audit import list_events
from followup.services.patient_record import patient_detail
from followup.services.review_queue import open_flags
from followup.services.staff import add_user
from followup.services.staff import sign_in as services_sign_in
from followup.ui.staff.app import FollowupApp
from followup.ui.staff.patient import PatientScreen
from followup.ui.staff.patient_form import PatientForm
from followup.ui.staff.worklist import WorklistScreen
from followup.ui.widgets.dialogs import ConfirmDialog
from followup.ui.widgets.form_fields import TimeZonePicker, matching_zones

from .conftest import FakeIdleClock, settle


def _problem(form: PatientForm, field: str) -> str:
    return str(form.query_one(f"#problem-{field}", Static).render())


def _patient_events(ctx, pid: str) -> list:
    return [e for e in list_events(ctx.engine, pid) if e.entity == "patient"]


async def _new_patient_form(pilot) -> PatientForm:
    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, PatientForm)
    return form


async def test_a_patient_is_registered_by_keys_after_a_bad_time_zone_is_refused(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        form = await _new_patient_form(pilot)
        await pilot.press(*"P9001", "tab", *"Ann Test", "tab", *"1950-02-03", "tab")
        await pilot.press("enter", "down", "enter")  # sex: the first choice, F
        await pilot.press("tab", *"+1 555 0100", "tab", "tab", *"Asia/To", "ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # refused: the form stays
        assert _problem(form, "timezone").startswith(
            "time zone: 'Asia/To' is not an IANA time zone name"
        )
        assert "Not saved: time zone:" in str(form.query_one("#form-problem", Static).render())
        assert form.query_one("#row-timezone").has_class("refused")
        assert form.query_one("#f-timezone", Input).value == "Asia/To"  # kept as typed
        assert form.query_one("#f-name", Input).value == "Ann Test"
        with pytest.raises(NotFound):
            patient_detail(demo_ctx, "P9001")
        assert _patient_events(demo_ctx, "P9001") == []

        assert pilot.app.focused is form.query_one("#f-timezone")
        await pilot.press("end")  # at the end of the text, → takes the completion
        await pilot.press("right")
        assert form.query_one("#f-timezone", Input).value == "Asia/Tokyo"
        assert _problem(form, "timezone") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PatientScreen) and screen.patient_id == "P9001"
        assert "Asia/Tokyo" in str(screen.query_one("#patient-title", Static).render())
    detail = patient_detail(demo_ctx, "P9001")
    assert (detail.name, detail.sex, detail.phone, detail.timezone) == (
        "Ann Test", "F", "+1 555 0100", "Asia/Tokyo",
    )  # fmt: skip
    [event] = _patient_events(demo_ctx, "P9001")
    assert (event.action, event.user, event.old) == ("create", "demo", None)
    assert event.new["timezone"] == "Asia/Tokyo" and event.new["birth_date"] == "1950-02-03"


async def test_the_time_zone_list_finds_a_city(demo_ctx, run_app):
    assert matching_zones("Asia/To")[:2] == ["Asia/Tokyo", "Asia/Tomsk"]
    assert "America/New_York" in matching_zones("new york")
    async with run_app(demo_ctx, user="demo") as pilot:
        form = await _new_patient_form(pilot)
        form.query_one("#f-timezone").focus()
        await pilot.press(*"tokyo", "down")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TimeZonePicker)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is form
        assert form.query_one("#f-timezone", Input).value == "Asia/Tokyo"


async def test_a_date_and_a_number_that_are_not_are_named(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        form = await _new_patient_form(pilot)
        await pilot.press(*"P9002", "tab", *"Ben Test", "tab", *"1950-13-01", "ctrl+s")
        await settle(pilot)
        assert _problem(form, "birth_date") == "birth date: is not a date like 1956-03-02"
        assert pilot.app.focused is form.query_one("#f-birth_date")
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"02-01")
        form.query_one("#f-bmi", Input).value = "200"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _problem(form, "bmi") == "BMI: must be 10-90, got 200"  # the service's words
        assert _patient_events(demo_ctx, "P9002") == []


async def test_leaving_a_form_with_something_typed_asks_first(demo_ctx, run_app):
    async with run_app(demo_ctx, user="demo") as pilot:
        await _new_patient_form(pilot)
        await pilot.press("escape")  # nothing typed: just closes
        assert isinstance(pilot.app.screen, WorklistScreen)
        form = await _new_patient_form(pilot)
        await pilot.press(*"P9003", "escape")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("n")
        assert pilot.app.screen is form
        assert form.query_one("#f-patient_id", Input).value == "P9003"
        await pilot.press("f2")  # no leaving by another key either
        await settle(pilot)
        assert pilot.app.screen is form
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WorklistScreen)


def _smoker_in_booster_window(ctx) -> tuple[str, str]:
    for flag in open_flags(ctx):
        if flag.kind == "booster_window" and patient_detail(ctx, flag.patient_id).smoker:
            return flag.patient_id, flag.knee
    raise AssertionError("the demo has a smoker in the booster window")


async def test_editing_audits_old_and_new_and_a_clinical_change_needs_a_reason(demo_ctx, run_app):
    pid, knee = _smoker_in_booster_window(demo_ctx)
    before = patient_detail(demo_ctx, pid)
    async with run_app(demo_ctx, user="demo") as pilot:
        pilot.app.open_patient(pid)
        await settle(pilot)
        patient = pilot.app.screen
        assert isinstance(patient, PatientScreen)
        await pilot.press("E")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, PatientForm)
        assert form.query_one("#f-phone", Input).value == (before.phone or "")
        # A wrong number fixed: Tab selects the field's text, typing replaces it.
        await pilot.press("tab", "tab", "tab", *"+1 773 555 0199", "ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is patient
        assert "+1 773 555 0199" in str(patient.query_one("#patient-title", Static).render())
        event = _patient_events(demo_ctx, pid)[-1]
        assert (event.action, event.user) == ("update", "demo")
        assert (event.old, event.new) == ({"phone": before.phone}, {"phone": "+1 773 555 0199"})

        await pilot.press("E")
        await settle(pilot)
        form = pilot.app.screen
        smoker = form.query_one("#f-smoker", Select)
        smoker.focus()
        await pilot.press("enter", "down", "enter")  # yes -> no
        assert smoker.value is False
        assert "required: smoker changed" in str(form.query_one("#reason-hint", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert _problem(form, "reason").startswith("changing smoker needs a reason")
        assert pilot.app.focused is form.query_one("#f-reason")
        assert patient_detail(demo_ctx, pid).smoker is True  # nothing saved
        await pilot.press(*"never smoked: a data entry mistake", "enter")  # last field: saves
        await settle(pilot)
        assert pilot.app.screen is patient
        assert "Smoker no" in str(patient.query_one("#patient-risk", Static).render())
    assert patient_detail(demo_ctx, pid).smoker is False
    event = _patient_events(demo_ctx, pid)[-1]
    assert (event.old, event.new, event.reason) == (
        {"smoker": True}, {"smoker": False}, "never smoked: a data entry mistake",
    )  # fmt: skip
    # A non-smoker's results last twice as long: the booster window is not open any more.
    assert (pid, knee, "booster_window") not in {
        (f.patient_id, f.knee, f.kind) for f in open_flags(demo_ctx)
    }


async def test_staff_limited_to_a_site_register_patients_of_their_site_only(demo_ctx):
    add_user(demo_ctx, "nina", "nina", "coordinator", "test", site_id="north", allow_weak=True)
    app = FollowupApp(demo_ctx, idle_clock=FakeIdleClock(), idle_check_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        app.signed_in(services_sign_in(demo_ctx, "nina", "nina"))
        await settle(pilot)
        form = await _new_patient_form(pilot)
        site = form.query_one("#f-site_id", Select)
        assert site.disabled and site.value == "north"
        await pilot.press(*"P9004", "tab", *"Cleo Test", "tab", *"1960-05-06", "ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientScreen)
    assert patient_detail(demo_ctx, "P9004").site_id == "north"


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_every_field_can_be_reached_and_seen(demo_ctx, size):
    app = FollowupApp(demo_ctx, idle_clock=FakeIdleClock(), idle_check_seconds=3600)
    async with app.run_test(size=size) as pilot:
        app.signed_in(services_sign_in(demo_ctx, "demo", "demo"))
        await settle(pilot)
        pilot.app.open_patient("P0001")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, PatientForm)
        fields = form.query_one("#form-fields")
        seen = []
        for _ in form.fields:
            await pilot.pause()
            focused = pilot.app.focused
            assert focused is not None and fields.region.contains_region(focused.region), focused
            seen.append((focused.id or "").removeprefix("f-"))
            await pilot.press("tab")
        assert seen == form.fields
        await pilot.pause()
        save = form.query_one("#save")
        assert pilot.app.focused is save and fields.region.contains_region(save.region)


async def test_an_empty_form_names_its_fields_from_the_top_under_each_field(demo_ctx, run_app):
    """Saving an empty form asked for the birth date first, and a refused patient ID was shown
    only on the bottom line, with the cursor left where it was."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        form = await _new_patient_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _problem(form, "patient_id") == "patient ID: is required"
        assert pilot.app.focused is form.query_one("#f-patient_id")
        await pilot.press(*"P 1", "ctrl+s")
        await settle(pilot)
        bottom = str(form.query_one("#form-problem", Static).render())
        assert _problem(form, "patient_id").startswith("patient ID: must be 1-32 letters"), bottom
        assert pilot.app.focused is form.query_one("#f-patient_id")
        await pilot.press("backspace", "backspace", "backspace", *"P9002", "ctrl+s")
        await settle(pilot)
        assert _problem(form, "patient_id") == ""
        assert _problem(form, "name") == "name: is required"
        assert pilot.app.focused is form.query_one("#f-name")
        await pilot.press(*"Ann Test", "ctrl+s")
        await settle(pilot)
        assert _problem(form, "birth_date") == "birth date: is required"
        assert pilot.app.focused is form.query_one("#f-birth_date")


async def test_the_line_above_the_keys_forgets_a_refusal_being_corrected(demo_ctx, run_app):
    """The field's own message went as soon as it was edited; the line above the keys (all
    that shows of it at 80x24 when the field has scrolled away) still said "Not saved: ..."."""
    async with run_app(demo_ctx, user="demo", size=(80, 24)) as pilot:
        form = await _new_patient_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        bottom = form.query_one("#form-problem", Static)
        assert str(bottom.render()) == "Not saved: patient ID: is required"
        await pilot.press("P")
        assert _problem(form, "patient_id") == ""
        assert str(bottom.render()) == ""

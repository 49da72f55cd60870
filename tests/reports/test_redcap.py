"""REDCap exchange: the project files as a REDCap user uploads them (exact dictionary header, event
names as REDCap makes them, records that line up with the dictionary), the placement of each
assessment in its event, and the records import (same checks as the CSV import, all or nothing,
a lossless round trip)."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from followup.domain.instrument import ITEM_KEYS, default_instrument
from followup.domain.rule_file import load_rules
from followup.reports.redcap import DICTIONARY_COLUMNS, FILES, write_project
from followup.reports.redcap_events import event_name, unique_event_names
from followup.services.context import Context
from followup.services.exchange import (
    BASELINE,
    UNSCHEDULED,
    KneeTreatment,
    exchange_assessments,
    follow_up_events,
    place,
)

HEADER_LINE = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"'
)
SYSTEM_COLUMNS = {"redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"}
# REDCap refuses these as field names (its reserved list).
RESERVED = {
    "redcap_event_name", "redcap_csrf_token", "redcap_survey_timestamp",
    "redcap_survey_identifier", "redcap_survey_return_code", "redcap_data_access_group",
    "hidden_edit_flag", "submit", "new", "return", "continue", "case", "class", "enum", "catch",
    "throw", "document", "super", "record", "event_id", "event", "arm", "instance",
}  # fmt: skip
RULES = load_rules(None)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def project(demo_ctx: Context, tmp_path: Path) -> Path:
    folder = tmp_path / "redcap"
    events = follow_up_events(demo_ctx.rules)
    write_project(folder, demo_ctx.instrument, events, exchange_assessments(demo_ctx))
    return folder


# --- the files, as a REDCap user sees them ------------------------------------------------------


def test_dictionary_has_redcaps_exact_header_and_record_id_first(project: Path) -> None:
    text = (project / FILES["dictionary"]).read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER_LINE
    assert len(DICTIONARY_COLUMNS) == 18
    rows = read_csv(project / FILES["dictionary"])
    assert rows[0]["Variable / Field Name"] == "record_id"
    assert rows[0]["Field Type"] == "text"
    assert {r["Form Name"] for r in rows} == {"knee_assessment"}
    for row in rows:
        name = row["Variable / Field Name"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and len(name) <= 26, name
        assert name not in RESERVED
        assert set(row) == set(DICTIONARY_COLUMNS)


def test_items_are_radio_zero_to_four_with_the_instruments_wording(project: Path) -> None:
    rows = {r["Variable / Field Name"]: r for r in read_csv(project / FILES["dictionary"])}
    instrument = default_instrument()
    for key in ITEM_KEYS:
        row = rows[key]
        assert row["Field Type"] == "radio"
        assert row["Choices, Calculations, OR Slider Labels"] == (
            "0, None | 1, Mild | 2, Moderate | 3, Severe | 4, Extreme"
        )
        assert row["Field Label"] == instrument.item(key).text
    # One matrix per subscale: adjacent fields, the subscale's prompt as its header.
    groups = [rows[k]["Matrix Group Name"] for k in ITEM_KEYS]
    assert groups == ["pain_items"] * 5 + ["stiffness_items"] * 2 + ["function_items"] * 17
    assert instrument.subscale_prompts["stiffness"] == rows["s1"]["Section Header"]
    assert rows["s2"]["Section Header"] == ""


def test_dates_and_numbers_use_redcaps_validation(project: Path) -> None:
    rows = {r["Variable / Field Name"]: r for r in read_csv(project / FILES["dictionary"])}
    validation = "Text Validation Type OR Show Slider Number"
    assert rows["assessed_on"][validation] == "date_ymd"
    assert rows["assessed_on"]["Required Field?"] == "y"
    for name, high in (("pain_nrs", "10"), ("global", "100")):
        assert rows[name][validation] == "integer"
        assert (rows[name]["Text Validation Min"], rows[name]["Text Validation Max"]) == ("0", high)
    assert rows["knee"]["Choices, Calculations, OR Slider Labels"] == "left, Left | right, Right"


def test_one_event_per_timepoint_with_the_designations_naming_them(project: Path) -> None:
    events = read_csv(project / FILES["events"])
    header = (project / FILES["events"]).read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "event_name,arm_num,day_offset,offset_min,offset_max,unique_event_name,custom_event_label"
    )
    labels = [step.label for step in RULES.schedule.timepoints]
    assert [e["event_name"] for e in events] == [
        "Baseline",
        *(f"Follow-up {label}" for label in labels),
        "Unscheduled",
    ]
    assert all(len(e["event_name"]) <= 30 for e in events)
    offsets = [int(e["day_offset"]) for e in events]
    assert offsets == sorted(offsets) and len(set(offsets[1:])) == len(offsets) - 1
    assert events[1]["offset_min"] == events[1]["offset_max"] == "4"  # 2w +/- 4 days
    designations = read_csv(project / FILES["designations"])
    assert list(designations[0]) == ["arm_num", "unique_event_name", "form"]
    assert [d["unique_event_name"] for d in designations] == [
        e["unique_event_name"] for e in events
    ]
    assert {d["form"] for d in designations} == {"knee_assessment"}
    repeating = read_csv(project / FILES["repeating"])
    assert [r["event_name"] for r in repeating] == [e["unique_event_name"] for e in events]


def test_records_line_up_with_the_dictionary_and_events(project: Path) -> None:
    fields = {r["Variable / Field Name"] for r in read_csv(project / FILES["dictionary"])}
    choices = {
        r["Variable / Field Name"]: {
            c.split(",")[0].strip() for c in r["Choices, Calculations, OR Slider Labels"].split("|")
        }
        for r in read_csv(project / FILES["dictionary"])
        if r["Field Type"] == "radio"
    }
    event_names = {e["unique_event_name"] for e in read_csv(project / FILES["events"])}
    records = read_csv(project / FILES["records"])
    assert len(records) == 1592
    for column in records[0]:
        assert column in fields or column in SYSTEM_COLUMNS or column == "knee_assessment_complete"
    seen = set()
    for r in records:
        assert r["redcap_event_name"] in event_names
        assert r["redcap_repeat_instrument"] == "knee_assessment"
        assert r["knee_assessment_complete"] == "2"
        assert date.fromisoformat(r["assessed_on"]).isoformat() == r["assessed_on"]
        for name, allowed in choices.items():
            assert r[name] == "" or r[name] in allowed, (name, r[name])
        key = (r["record_id"], r["redcap_event_name"], r["redcap_repeat_instance"])
        assert key not in seen
        seen.add(key)
    # Two knees or two forms in one event are told apart by the instance number.
    assert any(r["redcap_repeat_instance"] == "2" for r in records)


def test_files_are_readable_by_their_owner_only(project: Path) -> None:
    assert oct(project.stat().st_mode & 0o777) == "0o700"
    for name in FILES.values():
        assert oct((project / name).stat().st_mode & 0o777) == "0o600"


def test_unique_event_names_follow_redcaps_rule() -> None:
    # Names REDCap itself produced (its API documentation and real exports).
    assert unique_event_names(["Screening & Enrollment"]) == ["screening__enrollm_arm_1"]
    assert unique_event_names(["Deadline to opt out of study"], arm=2) == [
        "deadline_to_opt_ou_arm_2"
    ]
    assert unique_event_names(["3 Month", "Visit", "Visit", "  _Odd_ "]) == [
        "3_month_arm_1",
        "visit_arm_1",
        "visit_arm_1b",
        "odd_arm_1",
    ]
    assert unique_event_names(["Follow-up 12m"]) == ["followup_12m_arm_1"]
    assert re.fullmatch(r"[0-9a-f]{10}_arm_1", unique_event_names(["ÅÄÖ"])[0])


def test_event_names_fit_redcaps_limit_for_long_labels() -> None:
    events = follow_up_events(RULES)
    assert event_name(events[0]) == "Baseline"
    assert event_name(events[-1]) == "Unscheduled"


# --- placement ----------------------------------------------------------------------------------

T1 = KneeTreatment("T1", date(2025, 1, 10))
T2 = KneeTreatment("T2", date(2025, 5, 1))


@pytest.mark.parametrize(
    ("treatments", "on", "expected"),
    [
        ((T1,), date(2025, 1, 10), (BASELINE, "T1")),  # the treatment day is baseline
        ((T1,), date(2024, 10, 12), (BASELINE, "T1")),  # 90 days before
        ((T1,), date(2024, 10, 11), (UNSCHEDULED, None)),  # 91 days before
        ((T1,), date(2025, 1, 24), ("2w", "T1")),
        ((T1,), date(2025, 1, 20), ("2w", "T1")),  # due - 4
        ((T1,), date(2025, 1, 19), (UNSCHEDULED, "T1")),  # between windows
        ((T1,), date(2025, 4, 10), ("3m", "T1")),
        ((T1, T2), date(2025, 4, 20), ("3m", "T1")),  # a window wins over T2's baseline
        ((T1, T2), date(2025, 4, 30), (BASELINE, "T2")),  # outside 3m: T2's baseline
        ((T1, T2), date(2025, 5, 1), (BASELINE, "T2")),
        ((T1, T2), date(2025, 5, 15), ("2w", "T2")),
        ((), date(2025, 5, 15), (UNSCHEDULED, None)),  # a knee never treated
    ],
)
def test_each_assessment_is_placed_in_its_window(
    treatments: tuple[KneeTreatment, ...], on: date, expected: tuple[str, str | None]
) -> None:
    assert tuple(place(treatments, on, RULES)) == expected


def test_a_booster_cuts_the_earlier_episodes_window() -> None:
    booster = KneeTreatment("T2", T1.treated_on + timedelta(days=16))  # inside 2w's window
    assert place((T1, booster), booster.treated_on - timedelta(days=1), RULES) == ("2w", "T1")
    assert place((T1, booster), booster.treated_on, RULES) == (BASELINE, "T2")
    assert place((T1, booster), booster.treated_on + timedelta(days=1), RULES).treatment_id == "T2"

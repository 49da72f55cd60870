"""Write the demo cohort into src/followup/sample_data/ (four CSVs, demo.toml and a README).

Run from anywhere: ``python tools/make_demo_data.py`` (or ``python -m tools.make_demo_data`` from
the repository root). The output is deterministic. Each patient's trajectory archetype goes to
tools/demo_manifest.csv, never into the sample data, which ships inside the package.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

try:
    from tools.synthetic import (
        ARCHETYPE_TEXT,
        ARCHETYPE_WEIGHTS,
        CLINIC_TZ,
        CONFIRM_CALL,
        CSV_FILES,
        EXPECTED_FLAG,
        generate_cohort,
        write_csvs,
    )
except ImportError:  # run as a script: tools/ is on sys.path
    from synthetic import (
        ARCHETYPE_TEXT,
        ARCHETYPE_WEIGHTS,
        CLINIC_TZ,
        CONFIRM_CALL,
        CSV_FILES,
        EXPECTED_FLAG,
        generate_cohort,
        write_csvs,
    )

HERE = Path(__file__).resolve().parent
SAMPLE_DIR = HERE.parent / "src" / "followup" / "sample_data"
MANIFEST = HERE / "demo_manifest.csv"
ANCHOR = date(2026, 11, 21)
SEED = 20261121
PATIENTS = 180
APP_USER_SHARE = 0.6  # more between-timepoint self-reports than the benchmark: richer charts

# Minimum number of patients per archetype group in the demo (the brief's guarantees).
MINIMUMS = {
    ("wearing_off",): 8,
    (
        "possible_wearing_off_unconfirmed",
        "possible_wearing_off_trend",
        "returning_stiffness",
    ): 6,
    ("possible_wearing_off_unconfirmed",): 2,
    ("possible_wearing_off_trend",): 2,
    ("returning_stiffness",): 2,
    ("confirmation_due",): 2,
    ("non_responder",): 6,
    ("safety_adverse_event", "safety_flare"): 5,
    ("lapsed_overdue", "lapsed_lost"): 8,
    ("booster_window",): 8,
    ("due_this_week",): 10,
    ("no_baseline",): 1,
    ("booster_story",): 1,
    ("reopen_story",): 1,
}
# The demo loader's story (services/demo.py) acts on these patients; demo.toml names them so
# the loader need not know the generator's patient numbers.
STORIES = {"booster_story": "booster_scheduled", "reopen_story": "reopened"}


@dataclass
class DemoStats:
    """Counts describing the written demo files (for the README and the minimum checks)."""

    patients: int
    treatments: int
    assessments: int
    contacts: int
    boosters: int
    both_knees: int
    abroad: int
    invalid: int
    incomplete: int
    adverse: int
    archetypes: Counter[str]
    stories: dict[str, dict[str, str]]
    products: Counter[str]
    kl: Counter[str]
    sources: Counter[str]
    outcomes: Counter[str]
    timezones: Counter[str]


def read_rows(name: str) -> list[dict[str, str]]:
    """Rows of one written CSV file."""
    with (SAMPLE_DIR / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_minimums(stats: DemoStats) -> list[str]:
    """Problems with the demo's guaranteed counts (empty when all are met)."""
    problems = []
    for group, minimum in MINIMUMS.items():
        count = sum(stats.archetypes[a] for a in group)
        if count < minimum:
            problems.append(f"{'/'.join(group)}: {count} < {minimum}")
    for label, count, minimum in (
        ("boosters", stats.boosters, 10),
        ("both knees", stats.both_knees, 15),
        ("outside the clinic's time zone", stats.abroad, 15),
        ("patients", stats.patients, 150),
        ("assessments", stats.assessments, 1500),
    ):
        if count < minimum:
            problems.append(f"{label}: {count} < {minimum}")
    return problems


def table(title: str, counts: Counter[str], labels: dict[str, str] | None = None) -> str:
    """A small markdown table of counts, largest first."""
    lines = [f"| {title} | count |", "| --- | ---: |"]
    for key, count in counts.most_common():
        label = (labels or {}).get(key, key) or "(empty)"
        lines.append(f"| {label} | {count} |")
    return "\n".join(lines)


def expected_text(archetype: str) -> str:
    """How the manifest's expected flag reads in the README."""
    expected = EXPECTED_FLAG[archetype]
    if expected == "due":
        return "listed by `followup due` (not a flag)"
    if archetype in CONFIRM_CALL:
        return "none yet: a `confirm` call on `followup due --days 30`"
    if archetype in STORIES:
        return f"`{expected}`, which the demo loader then decides (see `demo.toml`)"
    return f"`{expected}`" if expected else "none"


def readme(stats: DemoStats) -> str:
    """The sample data's README.md text."""
    arch_lines = [
        f"| `{name}` | {stats.archetypes[name]} | {expected_text(name)} | {ARCHETYPE_TEXT[name]} |"
        for name in ARCHETYPE_WEIGHTS
    ]
    kl_labels = {"": "unknown (empty)", **{str(k): f"KL {k}" for k in range(1, 5)}}
    columns = "\n".join(f"- `{name}`: {', '.join(cols)}" for name, cols in CSV_FILES.items())
    return f"""# Demo data (synthetic)

**Every person in these files is invented.** Names are drawn from several cultures to look like a
real international clinic, but no record describes a real patient. Phone numbers come from ranges
reserved for fiction (US `555-01xx`, UK `020 7946 0xxx`, Australia `02 5550 xxxx`) and e-mail
addresses use the reserved `example.com` / `example.org` domains.

Regenerate (deterministic) with `python tools/make_demo_data.py`; the generator is the
`tools/synthetic/` package, and `python tools/generate_cohort.py` writes larger benchmark cohorts.

## Anchor date

All dates are relative to the **anchor date {ANCHOR.isoformat()}** (`demo.toml`: `anchor_date`);
nothing is dated after it. When the app loads the demo it shifts every date by *today - anchor*,
so on any day the demo looks as it did on the anchor date: the same calls due this week, the same
flags in the weekly review.

## Contents

| file | rows |
| --- | ---: |
| `patients.csv` | {stats.patients} |
| `treatments.csv` | {stats.treatments} |
| `assessments.csv` | {stats.assessments} |
| `contacts.csv` | {stats.contacts} |

- {stats.boosters} boosters (a later treatment of the same knee with `booster_of` pointing at
  the earlier one, drawn from its banked doses), {stats.both_knees} patients with both knees
  treated, {stats.abroad} patients outside the clinic's time zone ({CLINIC_TZ}).
- {stats.incomplete} forms with 1-3 skipped items (imputed) and {stats.invalid} invalid forms
  (two or more pain items missing), {stats.adverse} recorded adverse events.

### Trajectory archetypes

Each patient follows one course (for the index knee's latest treatment). The per-patient label is
kept out of the data, in `tools/demo_manifest.csv`, so tests can compare the app's flags with it.

| archetype | patients | flag expected at the anchor | course |
| --- | ---: | --- | --- |
{chr(10).join(arch_lines)}

The expected flags are those of rule set `followup-2026.2` (DESIGN.md 2.3); the expected one is
the only flag open on the index knee (a booster-window or lapsed patient's other knee may show
the same kind). Readings carry everyday noise of about 4-6 points; the generator keeps a knee
that holds its relief clear of the signal level and of a worsening trend, and places signals
above it, so each archetype's outcome is certain on any day the demo is loaded.
`python tools/check_demo_flags.py --days -7 0 7` checks it with the app's own rules.

`demo.toml` names, under `[story.*]`, the knees the demo loader's story acts on: a wear-off
knee with banked doses whose booster is scheduled and then recorded (`booster_scheduled`), and
one whose decision is reopened (`reopened`).

{table("product", stats.products)}

{table("KL grade", stats.kl, kl_labels)}

{table("assessment source", stats.sources)}

{table("call outcome", stats.outcomes)}

{table("time zone", stats.timezones)}

## CSV formats

UTF-8, a header row, ISO 8601 dates; an empty cell means "not recorded". Columns:

{columns}

Item answers `p1`-`p5` (pain), `s1`-`s2` (stiffness), `f1`-`f17` (function) are 0-4, higher is
worse; `pain_nrs` is 0-10 and `global` (patient global assessment) 0-100, higher is worse.
`contacted_at` is an ISO date-time with the UTC offset of the patient's own time zone. For
`bmac`, `cells_millions` is total nucleated cells; it is empty for `prp` and `hyaluronic_acid`.
"""


def demo_toml(stats: DemoStats) -> str:
    """demo.toml: the anchor date, and the knees the loader's story acts on (wear-off open at
    the anchor): one gets a booster scheduled and recorded, one a decision reopened."""
    lines = [
        "# Dates in this demo are relative to the anchor date; the app shifts them by",
        "# (today - anchor_date) when it loads the demo.",
        f"anchor_date = {ANCHOR.isoformat()}",
    ]
    for story, knee in stats.stories.items():
        lines += ["", f"[story.{story}]"]
        lines += [f'{key} = "{value}"' for key, value in knee.items()]
    return "\n".join(lines) + "\n"


def collect_stats() -> DemoStats:
    """Counts for the README, read back from the written files."""
    patients = read_rows("patients.csv")
    treatments = read_rows("treatments.csv")
    assessments = read_rows("assessments.csv")
    contacts = read_rows("contacts.csv")
    with MANIFEST.open(newline="", encoding="utf-8") as f:
        manifest = list(csv.DictReader(f))
    stories = {
        STORIES[m["archetype"]]: {
            "patient_id": m["patient_id"],
            "knee": m["index_knee"],
            "treatment_id": m["index_treatment_id"],
        }
        for m in manifest
        if m["archetype"] in STORIES
    }
    pain_items = [f"p{i}" for i in range(1, 6)]
    blank = [
        sum(1 for k, v in a.items() if v == "" and k[:1] in "psf" and k[1:].isdigit())
        for a in assessments
    ]
    invalid = sum(1 for a in assessments if sum(a[k] == "" for k in pain_items) >= 2)
    return DemoStats(
        patients=len(patients),
        treatments=len(treatments),
        assessments=len(assessments),
        contacts=len(contacts),
        boosters=sum(1 for t in treatments if t["booster_of"]),
        both_knees=len({(t["patient_id"], t["knee"]) for t in treatments}) - len(patients),
        abroad=sum(1 for p in patients if p["timezone"] != CLINIC_TZ),
        invalid=invalid,
        incomplete=sum(1 for b in blank if b) - invalid,
        adverse=sum(1 for a in assessments if a["adverse_event"]),
        archetypes=Counter(m["archetype"] for m in manifest),
        stories=dict(sorted(stories.items())),
        products=Counter(t["product"] for t in treatments),
        kl=Counter(t["kl_grade"] for t in treatments),
        sources=Counter(a["source"] for a in assessments),
        outcomes=Counter(c["outcome"] for c in contacts),
        timezones=Counter(p["timezone"] for p in patients),
    )


def main() -> int:
    """Write the sample data and the manifest; fail if a guaranteed count is not met."""
    cohort = generate_cohort(PATIENTS, ANCHOR, SEED, app_user_share=APP_USER_SHARE)
    counts = write_csvs(cohort, SAMPLE_DIR, MANIFEST)
    stats = collect_stats()
    (SAMPLE_DIR / "demo.toml").write_text(demo_toml(stats), encoding="utf-8")
    (SAMPLE_DIR / "README.md").write_text(readme(stats), encoding="utf-8")
    for name, count in counts.items():
        print(f"{name:16s} {count:>6d} rows")
    problems = check_minimums(stats)
    if problems:
        print("demo counts below the guaranteed minimums: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

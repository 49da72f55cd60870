"""Outcomes (``followup outcomes``): responder rates and how long relief lasts, for the whole clinic
or per group (product, KL grade, smoker, route, site), as of a day, as a plain read model.

Every episode is read in one ordered pass (``store.episodes.cohort_episodes``, the driver's own
cursor), one knee at a time, and reduced at once to what the analysis needs
(``domain.outcomes.episodes``), so no cohort-sized list of assessments is ever held and no query
runs per episode. The statistics are the domain's (``domain.outcomes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import groupby

from followup.domain.outcomes.episodes import (
    RESPONDER_MONTHS,
    EpisodeOutcome,
    confirmed_response_means,
    episode_outcome,
    wearing_off_means,
)
from followup.domain.outcomes.logrank import LogRank, log_rank
from followup.errors import FollowupError
from followup.services.context import Context
from followup.services.outcome_model import (
    GroupOutcome,
    OutcomesReport,
    group_outcome,
)
from followup.store.bulk import driver_rows
from followup.store.engine import read_session
from followup.store.episodes import Reader, cohort_episodes

# One ASCII digit: str.isdigit() also takes "²" (which int() refuses) and "３", and a range
# to a long number would be counted out one grade at a time.
GRADE_DIGIT = re.compile("[0-9]")
GROUPINGS = ("product", "kl_grade", "smoker", "route", "site")
PRODUCT_NAMES = {
    "adsc_cultured": "Adipose MSCs, culture-expanded",
    "adsc_uncultured": "Adipose cells, uncultured (SVF)",
    "bmac": "Bone-marrow concentrate",
    "umbilical_cord": "Umbilical-cord cells",
    "prp": "PRP",
    "hyaluronic_acid": "Hyaluronic acid",
    "corticosteroid": "Corticosteroid",
    "other": "Other product",
}
ROUTE_NAMES = {"intra_articular": "Intra-articular", "iv": "Intravenous"}
SMOKER_NAMES = {"yes": "Smoker", "no": "Non-smoker", "unknown": "Smoking not recorded"}
KL_GRADES = ("1", "2", "3", "4", "unknown")
# The log-rank test and each curve are flagged as rough below this many confirmed wear-offs.
FEW_EVENTS = 10


@dataclass(frozen=True)
class Patient:
    """What grouping needs of a patient."""

    smoker: bool | None
    site_id: str | None


def group_key(grouping: str, outcome: EpisodeOutcome, patient: Patient) -> str:
    """The group an episode belongs to: a product or route code, KL grade "1"-"4" (each grade on
    its own) or "unknown", smoker "yes"/"no"/"unknown", or a site ID ("none" without one)."""
    t = outcome.treatment
    if grouping == "product":
        return t.product
    if grouping == "kl_grade":
        return "unknown" if t.kl_grade is None else str(t.kl_grade)
    if grouping == "smoker":
        return "unknown" if patient.smoker is None else ("yes" if patient.smoker else "no")
    if grouping == "route":
        return t.route
    if grouping == "site":
        return patient.site_id or "none"
    raise FollowupError(f"--by must be one of: {', '.join(GROUPINGS)}")


def group_label(grouping: str, key: str, sites: Mapping[str, str]) -> str:
    """A group's name as a clinic says it."""
    if grouping == "product":
        return PRODUCT_NAMES.get(key, key)
    if grouping == "kl_grade":
        return "KL grade unknown" if key == "unknown" else f"KL {key}"
    if grouping == "smoker":
        return SMOKER_NAMES.get(key, key)
    if grouping == "route":
        return ROUTE_NAMES.get(key, key)
    if key == "none":
        return "No site"
    name = sites.get(key)
    return f"{name} ({key})" if name and name != key else key


def _group_order(grouping: str, key: str) -> tuple[int, str]:
    """Groups in the order a clinic lists them: products and routes as the rules list them,
    grades 1 to 4, then unknown."""
    known: tuple[str, ...] = ()
    if grouping == "product":
        known = tuple(PRODUCT_NAMES)
    elif grouping == "route":
        known = tuple(ROUTE_NAMES)
    elif grouping == "smoker":
        known = ("no", "yes")
    elif grouping == "kl_grade":
        known = ("1", "2", "3", "4")
    return (known.index(key), key) if key in known else (len(known), key)


def _knee_outcomes(read: Reader, ctx: Context, as_of: date) -> Iterator[EpisodeOutcome]:
    """Every episode treated by ``as_of``, reduced to its outcome; a knee's episodes come
    together, in date order, so each one's next treatment is the one after it."""
    episodes = cohort_episodes(read, ctx.rules)
    for _knee, knee_episodes in groupby(
        episodes, key=lambda e: (e.treatment.patient_id, e.treatment.knee)
    ):
        ordered = list(knee_episodes)
        for i, episode in enumerate(ordered):
            if episode.treatment.treated_on > as_of:
                break
            following = ordered[i + 1].treatment if i + 1 < len(ordered) else None
            yield episode_outcome(episode, as_of, ctx.rules, following)


def build_outcomes(
    ctx: Context,
    as_of: date | None = None,
    by: str | None = None,
    only: Mapping[str, Iterable[str]] | None = None,
) -> OutcomesReport:
    """The outcomes as of ``as_of`` (default today) for every counted episode, and per group of
    ``by`` with a log-rank test between the groups. ``only`` keeps the episodes whose group key
    (``group_key``) for each named grouping is one of the given ones, e.g.
    ``{"product": ["adsc_cultured"], "kl_grade": ["2", "3"]}``."""
    as_of = as_of or ctx.today()
    if by is not None and by not in GROUPINGS:
        raise FollowupError(f"--by must be one of: {', '.join(GROUPINGS)}")
    wanted = {g: frozenset(keys) for g, keys in (only or {}).items()}
    for grouping in wanted:
        if grouping not in GROUPINGS:
            raise FollowupError(f"cannot select by {grouping!r}; one of: {', '.join(GROUPINGS)}")
    with read_session(ctx.engine) as session:
        conn = session.connection()
        read = partial(driver_rows, conn)
        patients = {
            pid: Patient(None if smoker is None else bool(smoker), site)
            for pid, smoker, site in read("SELECT id, smoker, site_id FROM patient", ())
        }
        sites = dict(read("SELECT id, name FROM site", ()))
        grouped: dict[str, list[EpisodeOutcome]] = {}
        everyone: list[EpisodeOutcome] = []
        for outcome in _knee_outcomes(read, ctx, as_of):
            patient = patients.get(outcome.treatment.patient_id, Patient(None, None))
            if any(group_key(g, outcome, patient) not in keys for g, keys in wanted.items()):
                continue
            everyone.append(outcome)
            if by is not None:
                grouped.setdefault(group_key(by, outcome, patient), []).append(outcome)
    overall = group_outcome("all", "All knees", everyone, FEW_EVENTS)
    groups: tuple[GroupOutcome, ...] = ()
    test, note = None, None
    if by is not None:
        keys = sorted(grouped, key=lambda k: _group_order(by, k))
        groups = tuple(
            group_outcome(k, group_label(by, k, sites), grouped[k], FEW_EVENTS) for k in keys
        )
        test, note = _compare(groups)
    return OutcomesReport(
        as_of=as_of,
        generated_at=ctx.now(),
        rule_set_version=ctx.rules.version,
        by=by,
        only={g: tuple(sorted(k)) for g, k in sorted(wanted.items())},
        responder_months=RESPONDER_MONTHS,
        overall=overall,
        groups=groups,
        log_rank=test,
        log_rank_note=note,
        response_means=confirmed_response_means(ctx.rules),
        wearing_off_means=wearing_off_means(ctx.rules),
        baseline_lookback_days=ctx.rules.baseline.lookback_days,
    )


def _compare(groups: tuple[GroupOutcome, ...]) -> tuple[LogRank | None, str | None]:
    """The log-rank test between the groups with confirmed responders, and a caution in plain
    words when it cannot be run or rests on few wear-offs."""
    tested = [g for g in groups if g.curve.subjects]
    if len(tested) < 2:
        return None, (
            "No comparison between groups: fewer than two groups have confirmed responders "
            "to follow."
        )
    times = [(g.durability_days, g.durability_events) for g in tested]
    test = log_rank(times)
    small = [g for g in tested if g.curve.events < FEW_EVENTS]
    left = [g.label for g in groups if not g.curve.subjects]
    notes = []
    if left:
        notes.append(f"Not in the test (no confirmed responders): {', '.join(left)}.")
    if small:
        if len(small) < len(tested):
            which = f"{len(small)} of the {len(tested)} groups compared"
        else:
            which = "both groups compared" if len(tested) == 2 else f"all {len(tested)} groups"
        notes.append(
            f"Caution: {which} ({', '.join(g.label for g in small)}) have fewer than "
            f"{FEW_EVENTS} confirmed wear-offs. With so few events the test can easily miss a "
            "real difference, and a small p value rests on a handful of knees: read it as a "
            "hint to watch, not a finding."
        )
    if test.df < len(tested) - 1:
        notes.append(
            f"Only {test.df + 1} of the groups could be compared: the others had nobody at risk "
            "when wear-offs happened."
        )
    return test, " ".join(notes) or None


def kl_grade_keys(text: str) -> tuple[str, ...]:
    """Grades as a clinic types them ('2-3', '2,3', '4' or 'unknown') as the group keys a
    selection takes (``only={"kl_grade": ...}``), in order, each once."""
    found: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = (side.strip() for side in part.partition("-"))
        if dash and GRADE_DIGIT.fullmatch(low) and GRADE_DIGIT.fullmatch(high) and low <= high:
            found += [str(g) for g in range(int(low), int(high) + 1)]
        else:
            found.append(part.lower())
    bad = [g for g in found if g not in KL_GRADES]
    if bad or not found:
        raise FollowupError(
            f"KL grade {text.strip()!r}: give grades 1-4 as a list or a range (2,3 or 2-3), "
            "or unknown"
        )
    return tuple(dict.fromkeys(found))


def group_names(grouping: str) -> dict[str, str]:
    """The known group keys of a grouping and their names (for help text and the TUI)."""
    if grouping == "product":
        return dict(PRODUCT_NAMES)
    if grouping == "route":
        return dict(ROUTE_NAMES)
    if grouping == "smoker":
        return dict(SMOKER_NAMES)
    if grouping == "kl_grade":
        return {"1": "KL 1", "2": "KL 2", "3": "KL 3", "4": "KL 4", "unknown": "KL unknown"}
    return {}


__all__ = [
    "GROUPINGS",
    "GroupOutcome",
    "OutcomesReport",
    "build_outcomes",
    "group_key",
    "group_label",
    "group_names",
    "kl_grade_keys",
]

"""The patient builder: one patient's treatments, assessments and calls for a given archetype.

The builder plans the index knee's treatment so its archetype can show at the anchor date (a
wearing-off knee must be old enough, a durable responder must not be due a booster yet), then
its visits; boosters get an earlier treatment whose last visit is the booster's own pre-treatment
assessment (the rules judge the booster against the earlier treatment's baseline), and some
patients have the other knee treated too, as a plain responder.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .archetypes import APP_USER_RATE, EXPECTED_FLAG, LAPSED_WINDOWS, PORTAL_ARCHETYPES
from .calls import CallLog
from .course import RAW_MAX
from .csv_layout import yes_no
from .followups import FollowUpPlanner
from .forms import FormFiller
from .index_treatment import IndexPlan, draw_kl_grade, plan_index_treatment
from .people import make_person
from .schedule import BOOSTER_MARGIN_DAYS, booster_window_day
from .targets import baseline_targets, best_targets
from .trajectories import add_portal_reports, shape_index
from .treatments import Treatment, cells_for, initial_banked_doses
from .visits import Episode, Visit


@dataclass
class PatientRecords:
    """Everything generated for one patient, as CSV rows, plus its manifest row."""

    patient: list[object]
    treatments: list[list[object]]
    assessments: list[list[object]]
    contacts: list[list[object]]
    manifest: list[object]


@dataclass(frozen=True)
class Traits:
    """Cohort-level choices for one patient (drawn with quotas so small cohorts get them too)."""

    archetype: str
    booster: bool
    both_knees: bool
    abroad: bool
    app_user_share: float = 1 / 3
    variant: int = 0  # the patient's rank among its archetype's: picks a variant of the course


class PatientBuilder:
    """Builds one patient's treatments, assessments and calls for a given archetype."""

    def __init__(
        self,
        rng: random.Random,
        anchor: date,
        patient_id: str,
        traits: Traits,
        new_treatment_id: Callable[[], str],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.traits = traits
        self.arch = traits.archetype
        self.new_treatment_id = new_treatment_id
        self.person = make_person(rng, patient_id, anchor, traits.abroad)
        app_user = rng.random() < traits.app_user_share
        self.self_report_rate = APP_USER_RATE if app_user else rng.choice((0.1, 0.3))
        self.forms = FormFiller(rng, patient_id)
        self.planner = FollowUpPlanner(rng, anchor, self.arch, self.self_report_rate)
        self.episodes: list[Episode] = []
        self.plan: IndexPlan | None = None
        self.lapse = LAPSED_WINDOWS.get(self.arch, 0)
        self.calls = CallLog(rng, anchor, patient_id, self.person.timezone, self.arch, self.lapse)

    def _treatment(
        self, knee: str, on: date, product: str, route: str, kl: int | None
    ) -> Treatment:
        """A first treatment of ``knee`` (not a booster), with a new treatment id."""
        return Treatment(
            treatment_id=self.new_treatment_id(),
            patient_id=self.person.patient_id,
            knee=knee,
            treated_on=on,
            product=product,
            cells_millions=cells_for(self.rng, product, route),
            route=route,
            kl_grade=kl,
            banked_doses=initial_banked_doses(self.rng, product),
        )

    def build(self) -> PatientRecords:
        """Generate the patient's treatments, assessments and calls."""
        knee = self.rng.choice(("left", "right"))
        t = self.traits
        plan = plan_index_treatment(
            self.rng, self.anchor, self.arch, t.booster, self.person.smoker, t.variant
        )
        self.plan = plan
        treated = self.anchor - timedelta(days=plan.age)
        if t.booster:
            index = self._booster_history(knee, treated, plan.kl_grade)
        else:
            index = self._treatment(knee, treated, plan.product, plan.route, plan.kl_grade)
            if index.banked_doses is not None:
                index.banked_doses = max(plan.min_banked, index.banked_doses)
            self._index_episode(index, baseline=None)
        if t.both_knees:
            self._second_knee(index)
        return self._records(index)

    def _index_episode(
        self, t: Treatment, baseline: Visit | None, chain_baseline: Visit | None = None
    ) -> Episode:
        """The index knee's latest treatment and its visits, shaped by the archetype.

        A booster's ``baseline`` is the last visit before it, and ``chain_baseline`` the first
        treatment's baseline, which the rules judge it against; otherwise the episode gets its
        own baseline.
        """
        plan = self.plan
        assert plan is not None, "the index treatment is planned first"
        visits, missed, still_open = self.planner.visits(
            t.treated_on, None, self.lapse, plan.forced_open, plan.pinned
        )
        base: tuple[float, ...] = baseline_targets(self.rng, self.arch)
        if baseline is not None and baseline.raw is not None:
            base = tuple(100 * r / m for r, m in zip(baseline.raw, RAW_MAX, strict=True))
        ep = Episode(
            treatment=t,
            visits=visits,
            best_target=best_targets(self.rng, base, self.arch),
            peak_day=self.rng.randint(60, 150),
            baseline=baseline,
            chain_baseline=chain_baseline,
            missed=missed,
            open_windows=still_open,
        )
        if baseline is None:
            ep.visits.insert(0, self.planner.baseline_visit(t.treated_on))
            self.forms.render_baseline(ep, base)
            # The site forgot to enter the pre-treatment form: the knee has no baseline.
            ep.visits[0].recorded = self.arch != "no_baseline"
        if self.arch in PORTAL_ARCHETYPES and self.self_report_rate == APP_USER_RATE:
            add_portal_reports(self.rng, self.anchor, self.lapse, ep)
        shape_index(self.rng, self.anchor, self.arch, ep, self.traits.variant)
        self._finish(ep)
        return ep

    def _booster_history(self, knee: str, treated: date, kl: int | None) -> Treatment:
        """An earlier culture-expanded treatment of the knee, then the booster from its bank."""
        gap = self.rng.choice((self.rng.randint(440, 505), self.rng.randint(620, 680)))
        first_on = treated - timedelta(days=gap)
        first = self._treatment(knee, first_on, "adsc_cultured", "intra_articular", kl)
        first.banked_doses = max(self.rng.randint(1, 4), self.plan.min_banked + 1)  # type: ignore[union-attr]
        visits, missed, _ = self.planner.visits(first_on, treated)
        last_visit = max((v.on for v in visits), default=first_on)
        pre = Visit(
            max(treated - timedelta(days=self.rng.randint(0, 30)), last_visit + timedelta(days=20)),
            "clinic" if self.rng.random() < 0.6 else "phone",
        )
        if pre.on > treated:
            pre.on = treated
        base = baseline_targets(self.rng, self.arch)
        earlier = Episode(
            treatment=first,
            visits=[self.planner.baseline_visit(first_on), *visits, pre],
            best_target=best_targets(self.rng, base, "pre_booster"),
            peak_day=self.rng.randint(60, 150),
            missed=missed,
        )
        self.forms.render_baseline(earlier, base)
        self._finish(earlier)  # the booster's baseline (``pre``) needs its values now
        booster = Treatment(
            treatment_id=self.new_treatment_id(),
            patient_id=self.person.patient_id,
            knee=knee,
            treated_on=treated,
            product="adsc_cultured",
            cells_millions=first.cells_millions,
            route="intra_articular",
            kl_grade=kl,
            booster_of=first.treatment_id,
            banked_doses=first.banked_doses - 1,
        )
        self._index_episode(booster, baseline=pre, chain_baseline=earlier.visits[0])
        return booster

    def _second_knee(self, index: Treatment) -> None:
        """The other knee, treated the same day (mostly) or a little later; a plain responder."""
        index_ep = next(e for e in self.episodes if e.treatment is index)
        knee = "left" if index.knee == "right" else "right"
        later = self.rng.random() < 0.25 and (self.anchor - index.treated_on).days > 90
        on = index.treated_on + timedelta(days=self.rng.randint(7, 60) if later else 0)
        kl = self._second_kl((self.anchor - on).days)
        product = index.product if index.route != "iv" else "adsc_cultured"
        t = self._treatment(knee, on, product, "intra_articular", kl)
        if index.banked_doses is not None and product == index.product and not later:
            t.banked_doses = max(0, index.banked_doses - 1)
        base = baseline_targets(self.rng, self.arch)
        arch = self.rng.choice(("durable_responder", "durable_responder", "partial_responder"))
        if later or index_ep.baseline is not None:
            visits, missed, still_open = self.planner.visits(on, None, self.lapse)
            visits.insert(0, self.planner.baseline_visit(on))
        else:
            # Same-day visits of both knees: one call, two forms (a confirmation call is about
            # the index knee only).
            visits = [Visit(v.on, v.source) for v in index_ep.visits if v.shared]
            missed, still_open = index_ep.missed, index_ep.open_windows
        visits[0].phase = "baseline"
        ep = Episode(
            treatment=t,
            visits=visits,
            best_target=best_targets(self.rng, base, arch),
            peak_day=self.rng.randint(60, 150),
            missed=missed,
            open_windows=still_open,
        )
        self.forms.render_baseline(ep, base)
        self._finish(ep)

    def _second_kl(self, age: int) -> int | None:
        """A grade whose booster window stays closed (unless the archetype wants it open)."""
        for _ in range(20):
            kl = draw_kl_grade(self.rng)
            opens = booster_window_day(kl, "intra_articular", self.person.smoker)
            if self.arch == "booster_window" or age <= opens - BOOSTER_MARGIN_DAYS:
                return kl
        return 1

    def _finish(self, ep: Episode) -> None:
        """Fill in the episode's forms; the episode is then part of the patient's history."""
        self.forms.fill(ep)
        self.episodes.append(ep)

    def _records(self, index: Treatment) -> PatientRecords:
        """The patient's CSV rows; the calls are drawn last, around the visits now known."""
        treatments = sorted((e.treatment for e in self.episodes), key=lambda t: t.treatment_id)
        rows = [row for ep in self.episodes for row in ep.rows]
        rows.sort(key=lambda r: (r[2], r[1]))
        manifest = [
            self.person.patient_id,
            self.arch,
            EXPECTED_FLAG[self.arch],
            index.knee,
            index.treatment_id,
            yes_no(self.traits.booster),
            yes_no(self.traits.both_knees),
            self.person.timezone,
        ]
        return PatientRecords(
            patient=self.person.row(),
            treatments=[t.row() for t in treatments],
            assessments=rows,
            contacts=self.calls.rows(self.episodes),
            manifest=manifest,
        )

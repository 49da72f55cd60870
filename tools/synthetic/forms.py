"""Filling in the questionnaire forms: a planned visit becomes an assessments.csv row.

Besides the item answers, a form may carry the 0-10 pain rating, the patient global assessment,
an adverse event and a note; now and then a few items are skipped (the app imputes them), a form
is invalid (two or more pain items unanswered), or a patient declines the stiffness questions.
A form that was taken but never reached the clinic's records (a lost baseline form) is drawn,
since the knee's course starts from it, but written nowhere.
"""

from __future__ import annotations

import random

from .answers import ItemAnswers
from .course import Course, scores
from .draws import clamp, noise, pick
from .notes import NOTES
from .visits import Episode, Visit


def global_for(rng: random.Random, pain: float, function: float) -> int:
    """A patient global assessment (0-100) in line with the pain and function scores."""
    return int(clamp(round((pain + function) / 2 + noise(rng, 6)), 0, 100))


def nrs_for(rng: random.Random, pain: float) -> int:
    """A 0-10 pain rating in line with the pain score."""
    return int(clamp(round(pain / 10 + noise(rng, 0.8)), 0, 10))


class FormFiller:
    """Fills in one patient's forms, episode by episode, from the planned visits."""

    def __init__(self, rng: random.Random, patient_id: str) -> None:
        self.rng = rng
        self.patient_id = patient_id
        self.answers = ItemAnswers(rng)

    def render_baseline(self, ep: Episode, targets: tuple[float, ...]) -> None:
        """Values of the episode's own baseline visit (its first), needed before the rest."""
        visit = ep.visits[0]
        visit.phase = "baseline"
        visit.raw = self.answers.baseline(targets)
        if self.rng.random() < 0.75:
            visit.global_ = global_for(self.rng, 5 * visit.raw[0], 100 * visit.raw[2] / 68)

    def fill(self, ep: Episode) -> None:
        """Render the episode's visits into assessment rows (``ep.rows``), in date order."""
        baseline = ep.baseline if ep.baseline is not None else ep.visits[0]
        judged_by = ep.chain_baseline or baseline  # a booster is judged against its chain's first
        assert baseline.raw is not None and judged_by.raw is not None, "baselines come first"
        course = Course(baseline.raw, judged_by.raw, baseline.global_)
        treated = ep.treatment.treated_on
        for v in ep.visits:
            day = (v.on - treated).days
            if v.phase != "baseline":
                v.raw = self.answers.raw_for(ep, course, v)
            answers = self._answers(v, course, day)
            if v.phase != "baseline":
                course.record(scores(answers), day)  # what the rules will read of it
            if v.recorded:
                ep.rows.append(self._assessment_row(ep, v, course, answers))

    def _answers(self, v: Visit, course: Course, day: int) -> list[int | None]:
        """The visit's item answers; an invalid form has pain items blank, a patient may decline
        the stiffness questions, and now and then a few items are skipped (imputed), unless the
        imputed score would stir the course where the complete form does not."""
        raw = v.raw
        assert raw is not None, "visits are rendered before their answers"
        answers = self.answers.items(raw)
        if v.invalid:
            self.answers.invalidate(answers)
        elif v.declined_stiffness:
            answers[5] = answers[6] = None
        elif v.phase in ("respond", "baseline", "nonresp") and self.rng.random() < 0.03:
            skipped = list(answers)
            self.answers.skip_items(skipped, raw)
            if v.phase != "respond" or not course.stirs(scores(skipped), day):
                answers = skipped
        return answers

    def _assessment_row(
        self, ep: Episode, v: Visit, course: Course, answers: list[int | None]
    ) -> list[object]:
        raw = v.raw
        assert raw is not None, "visits are rendered before their row"
        pain, function = 100 * raw[0] / 20, 100 * raw[2] / 68
        nrs = nrs_for(self.rng, pain) if self.rng.random() < 0.55 else None
        global_ = self._global(v, course, pain, function)
        note = v.note or self._note(v)
        return [
            self.patient_id,
            ep.treatment.knee,
            v.on.isoformat(),
            v.source,
            *answers,
            nrs,
            global_,
            v.adverse_event,
            note,
        ]

    def _global(self, v: Visit, course: Course, pain: float, function: float) -> int | None:
        if v.phase == "baseline" or self.rng.random() >= 0.65:
            return v.global_
        value = global_for(self.rng, pain, function)
        # The global counts towards the OMERACT-OARSI responder criterion: a non-responder's
        # must not improve much.
        if v.phase == "nonresp" and course.baseline_global is not None:
            value = max(value, course.baseline_global - 5)
        v.global_ = value
        return value

    def _note(self, v: Visit) -> str:
        notes = NOTES.get(v.phase)
        if notes and self.rng.random() < 0.08:
            return pick(self.rng, notes)
        return ""

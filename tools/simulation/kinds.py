"""The kinds of patient the simulation follows, each a true course without noise.

A course gives the patient's true pain and function (normalised 0-100, higher = worse) on each day
after the first treatment, as straight lines between knots (day, level) and level before the first
knot and after the last. Stiffness follows them: its baseline is the mean of pain's and function's,
and it keeps the mean of their relative change (pain at 50 % and function at 70 % of baseline put
stiffness at 60 % of its own). Noise is added per reading elsewhere (``readings``).

Months are 365.25 / 12 days. Every improving kind reaches its best three months after the
treatment (late responders: six), the time to peak effect reported for regenerative injections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MONTH_DAYS = 365.25 / 12
Knots = tuple[tuple[int, float], ...]


# Half-width of the default schedule's 24- and 48-month windows (rules.toml): the visit's window
# closes this many days after its due day.
LAST_WINDOW_DAYS = 45


def month(months: float) -> int:
    """``months`` after the treatment, as a whole number of days."""
    return round(months * MONTH_DAYS)


def level_on(knots: Knots, day: int) -> float:
    """The course's level on ``day``: straight lines between the knots, flat outside them."""
    if day <= knots[0][0]:
        return knots[0][1]
    for (d0, v0), (d1, v1) in zip(knots, knots[1:], strict=False):
        if day <= d1:
            return v0 + (v1 - v0) * (day - d0) / (d1 - d0)
    return knots[-1][1]


@dataclass(frozen=True)
class Kind:
    """One kind of patient: the true course of pain and function, what the flags should say
    about it, and how long it is followed.

    ``stable``: the relief, once reached, truly lasts (no wear-off flag is deserved);
    ``responder``: the treatment truly worked (``no_response`` is wrong for it);
    ``wear_off_from``: the day relief starts to go, and ``half_way``: the day the patient is
    half-way back to baseline (the reference for how early wear-off is detected);
    ``booster_day``: a maintenance booster of the same knee, given while well;
    ``horizon``: days followed (the patient's flags are judged up to and including that day):
    through the close of the 24-month visit's window ("by 24 months" means by the 24-month
    follow-up; cutting at day 730 exactly would drop the half of 24-month visits that fall after
    their due day).
    """

    name: str
    title: str
    pain: Knots
    function: Knots
    stable: bool = False
    responder: bool = True
    wear_off_from: int | None = None
    half_way: int | None = None
    booster_day: int | None = None
    horizon: int = month(24) + LAST_WINDOW_DAYS

    def pain_on(self, day: int) -> float:
        """True pain on ``day`` after the (first) treatment."""
        return level_on(self.pain, day)

    def function_on(self, day: int) -> float:
        """True function on ``day`` after the (first) treatment."""
        return level_on(self.function, day)

    def stiffness_on(self, day: int) -> float:
        """True stiffness: baseline the mean of pain's and function's, changing by the mean of
        their relative changes."""
        p0, f0 = self.pain[0][1], self.function[0][1]
        relative = (self.pain_on(day) / p0 + self.function_on(day) / f0) / 2
        return (p0 + f0) / 2 * relative

    @property
    def wears_off(self) -> bool:
        """Whether the relief truly goes (detection is measured for these)."""
        return self.wear_off_from is not None


def _both(knots: Sequence[tuple[int, float]]) -> dict[str, Knots]:
    return {"pain": tuple(knots), "function": tuple(knots)}


KINDS: tuple[Kind, ...] = (
    Kind(
        "stable_strong",
        "stable strong responder (70 -> 30)",
        **_both([(0, 70), (month(3), 30)]),
        stable=True,
    ),
    Kind(
        "stable_moderate_40",
        "stable moderate responder (70 -> 40)",
        **_both([(0, 70), (month(3), 40)]),
        stable=True,
    ),
    Kind(
        "stable_moderate_45",
        "stable moderate responder (70 -> 45)",
        **_both([(0, 70), (month(3), 45)]),
        stable=True,
    ),
    Kind(
        "pain_only",
        "pain-only responder (pain 70 -> 30, function 50 flat)",
        pain=((0, 70), (month(3), 30)),
        function=((0, 50),),
        stable=True,
    ),
    Kind(
        "late_responder",
        "late responder (70 flat to month 3, 30 by month 6)",
        **_both([(0, 70), (month(3), 70), (month(6), 30)]),
        stable=True,
    ),
    Kind(
        "non_responder",
        "non-responder (60/50 -> 57/48)",
        pain=((0, 60), (month(3), 57)),
        function=((0, 50), (month(3), 48)),
        responder=False,
    ),
    Kind(
        "linear_wear_off",
        "linear wear-off (30 back to 70, months 6-18)",
        **_both([(0, 70), (month(3), 30), (month(6), 30), (month(18), 70)]),
        wear_off_from=month(6),
        half_way=month(12),
    ),
    Kind(
        "abrupt_wear_off",
        "abrupt wear-off (30 -> 65 at month 12)",
        **_both([(0, 70), (month(3), 30), (month(12) - 1, 30), (month(12), 65)]),
        wear_off_from=month(12),
        half_way=month(12),
    ),
    Kind(
        "booster_wear_off",
        "wear-off after a booster at month 18 (30 back to 70, months 24-36)",
        **_both([(0, 70), (month(3), 30), (month(24), 30), (month(36), 70)]),
        wear_off_from=month(24),
        half_way=month(30),
        booster_day=month(18),
        horizon=month(48) + LAST_WINDOW_DAYS,
    ),
)
KIND_NAMES = tuple(k.name for k in KINDS)


def kind_named(name: str) -> Kind:
    """The kind called ``name`` (KeyError naming it when there is none)."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    raise KeyError(f"no patient kind {name!r}; kinds: {', '.join(KIND_NAMES)}")

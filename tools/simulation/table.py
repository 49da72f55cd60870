"""The tables the simulation prints: per kind of patient, what share got each flag, how early
real wear-off was detected, what fired the watch, and the targets of the rule set's issue.

Shares are of the patients of that kind (n per row). Detection and delays are defined in
``tools/simulate_flags.py``; delays are days from the day the patient was half-way back to
baseline to the first day of the spell (negative: before it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from .evaluation import Outcome
from .kinds import KINDS, Kind

WO, PWO, NR = "wearing_off", "possible_wearing_off", "no_response"


@dataclass(frozen=True)
class KindRow:
    """The figures of one kind of patient."""

    kind: Kind
    outcomes: tuple[Outcome, ...]

    @property
    def n(self) -> int:
        return len(self.outcomes)

    def share(self, test: Callable[[Outcome], bool]) -> float:
        """The share of this kind's patients for whom ``test`` holds."""
        return sum(map(test, self.outcomes)) / self.n if self.n else float("nan")

    def delays(self, *kinds: str) -> list[int]:
        """Days from half-way to detection by any of ``kinds`` (``Outcome.raised_from`` the
        day the wear-off starts), for the patients in whom there is one."""
        found = []
        for o in self.outcomes:
            days = [d for k in kinds if (d := o.raised_from(k, o.wear_off_from)) is not None]
            if days and o.half_way is not None:
                found.append((min(days) - o.half_way).days)
        return found

    def detected_within(self, limit: int | None, *kinds: str) -> float:
        """The share detected (by ``kinds``) by the horizon, and within ``limit`` days of
        half-way when given."""
        delays = self.delays(*kinds)
        hits = len(delays) if limit is None else sum(d <= limit for d in delays)
        return hits / self.n if self.n else float("nan")

    @property
    def calls_per_year(self) -> float:
        """Confirmation calls made per patient-year."""
        years = sum(o.years for o in self.outcomes)
        return sum(o.calls for o in self.outcomes) / years if years else float("nan")

    def metric(self, name: str) -> float:
        """A figure by name (the targets refer to them)."""
        return METRICS[name](self)


METRICS: dict[str, Callable[[KindRow], float]] = {
    "ever wearing_off": lambda r: r.share(lambda o: o.ever(WO)),
    "ever possible_wearing_off": lambda r: r.share(lambda o: o.ever(PWO)),
    "either open at end": lambda r: r.share(lambda o: bool({WO, PWO} & o.open_at_end)),
    "ever no_response": lambda r: r.share(lambda o: o.ever(NR)),
    "no_response open at end": lambda r: r.share(lambda o: NR in o.open_at_end),
    "calls per patient-year": lambda r: r.calls_per_year,
    "detected": lambda r: r.detected_within(None, WO),
    "detected within 60 days": lambda r: r.detected_within(60, WO),
    "detected within 240 days": lambda r: r.detected_within(240, WO),
}


def rows_by_kind(outcomes: Iterable[Outcome]) -> list[KindRow]:
    """One row per kind, in the kinds' order."""
    by_kind: dict[str, list[Outcome]] = {k.name: [] for k in KINDS}
    for o in outcomes:
        by_kind[o.kind].append(o)
    return [KindRow(k, tuple(by_kind[k.name])) for k in KINDS if by_kind[k.name]]


def pct(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"


def days(values: Sequence[int]) -> str:
    return "-" if not values else f"{median(values):+.0f}"


def markdown(header: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
    """A Markdown table (it reads in a terminal and pastes into the README)."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out.extend("| " + " | ".join(line) + " |" for line in lines)
    return "\n".join(out)


def flags_table(rows: Sequence[KindRow]) -> str:
    """Per kind: the share that ever got each flag, open at the end, and calls."""
    header = (
        "kind of patient",
        "n",
        "ever `wearing_off`",
        "ever `possible_wearing_off`",
        "either open at end",
        "ever `no_response`",
        "`no_response` open at end",
        "confirmation calls / patient-year",
    )
    names = header[2:]
    return markdown(
        header,
        (
            [r.kind.title, str(r.n)]
            + [pct(r.metric(m)) for m in _metric_names(names[:-1])]
            + [f"{r.calls_per_year:.2f}"]
            for r in rows
        ),
    )


def _metric_names(columns: Sequence[str]) -> list[str]:
    return [c.replace("`", "") for c in columns]


def detection_table(rows: Sequence[KindRow]) -> str:
    """For the kinds whose relief truly wears off: how many were detected, and how early."""
    header = (
        "true wear-off",
        "n",
        "`wearing_off` by end",
        "within 60 d of half-way",
        "within 240 d",
        "median days from half-way",
        "`possible_wearing_off` by end",
        "either: median days from half-way",
    )
    return markdown(
        header,
        (
            [
                r.kind.title,
                str(r.n),
                pct(r.detected_within(None, WO)),
                pct(r.detected_within(60, WO)),
                pct(r.detected_within(240, WO)),
                days(r.delays(WO)),
                pct(r.detected_within(None, PWO)),
                days(r.delays(WO, PWO)),
            ]
            for r in rows
            if r.kind.wears_off
        ),
    )


def watch_table(rows: Sequence[KindRow]) -> str:
    """What raised ``possible_wearing_off``: the share of patients in whom each condition ever
    fired (a patient may have several), and the stiffness condition as the only one."""
    header = ("kind of patient", "n", "signal", "trend", "stiffness", "stiffness only", "other")

    def fired(r: KindRow, condition: str) -> str:
        return pct(r.share(lambda o: condition in o.watch_conditions))

    return markdown(
        header,
        (
            [
                r.kind.title,
                str(r.n),
                fired(r, "signal"),
                fired(r, "trend"),
                fired(r, "stiffness"),
                pct(r.share(lambda o: o.watch_conditions == frozenset({"stiffness"}))),
                fired(r, "other"),
            ]
            for r in rows
        ),
    )


@dataclass(frozen=True)
class Target:
    """A target of the rule set's issue (at noise SD 8): a figure of a group of kinds, at most
    or at least a value, for each kind of the group."""

    group: str
    metric: str
    at_most: bool
    value: float
    applies: Callable[[Kind], bool]

    def describe(self) -> str:
        value = f"{self.value:.2f}" if self.metric.startswith("calls") else f"{self.value:.0%}"
        return f"{self.group}: {self.metric} {'<=' if self.at_most else '>='} {value}"

    def met(self, row: KindRow) -> bool:
        got = row.metric(self.metric)
        return got <= self.value + 1e-9 if self.at_most else got >= self.value - 1e-9


def _named(name: str) -> Callable[[Kind], bool]:
    return lambda k: k.name == name


TARGETS = (
    Target("stable responders", "ever wearing_off", True, 0.10, lambda k: k.stable),
    Target("stable responders", "ever possible_wearing_off", True, 0.12, lambda k: k.stable),
    Target("non-responders", "no_response open at end", False, 0.84, lambda k: not k.responder),
    Target("non-responders", "ever wearing_off", True, 0.03, lambda k: not k.responder),
    Target("true responders", "ever no_response", True, 0.20, lambda k: k.responder),
    Target("linear wear-off", "detected", False, 0.90, _named("linear_wear_off")),
    Target("linear wear-off", "detected within 60 days", False, 0.40, _named("linear_wear_off")),
    Target("linear wear-off", "detected within 240 days", False, 0.75, _named("linear_wear_off")),
    Target("abrupt wear-off", "detected", False, 0.90, _named("abrupt_wear_off")),
    Target("abrupt wear-off", "detected within 60 days", False, 0.30, _named("abrupt_wear_off")),
    Target("abrupt wear-off", "detected within 240 days", False, 0.75, _named("abrupt_wear_off")),
    Target("wear-off after a booster", "detected", False, 0.80, _named("booster_wear_off")),
    Target("stable patients", "calls per patient-year", True, 0.25, lambda k: k.stable),
    Target("wearing-off patients", "calls per patient-year", True, 1.0, lambda k: k.wears_off),
)


def targets_report(rows: Sequence[KindRow]) -> tuple[str, int]:
    """Each target with every kind it applies to: met or missed; and how many were missed."""
    lines, missed = [], 0
    for target in TARGETS:
        for row in rows:
            if not target.applies(row.kind):
                continue
            ok = target.met(row)
            missed += not ok
            got = row.metric(target.metric)
            shown = f"{got:.2f}" if target.metric.startswith("calls") else pct(got)
            lines.append(
                f"{'met   ' if ok else 'MISSED'} {target.describe()} -- {row.kind.name}: {shown}"
            )
    return "\n".join(lines), missed

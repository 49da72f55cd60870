"""What the flag rules are worth on realistic, noisy patients: a simulation.

    python tools/simulate_flags.py --patients 400 --sd 8 --seed 1
    python tools/simulate_flags.py --patients 400 --sd 5 --seed 1
    python tools/simulate_flags.py --via-cli        # a small cohort through the real command line

It generates patients whose true course is known, gives them the noisy answers real patients
give, follows them on the product's schedule, runs the product's own rules (the rule set in
force: ``followup.domain.flags`` with ``default_rules()``, or ``--rules FILE``) and prints, per
kind of patient, what share got which flag and how early real wear-off was found, with the
targets of the issue that introduced rule set 2026.2 met or missed. Nothing here re-implements a
rule: the same command measures whichever rules the product has.

Kinds of patient (``--patients`` of each; true pain and function, 0-100, higher = worse;
``tools/simulation/kinds.py``). Improving kinds reach their best 3 months after the treatment.

- stable strong responder: pain and function 70 -> 30; stable moderate responders: 70 -> 40 and
  70 -> 45; pain-only responder: pain 70 -> 30, function flat at 50; late responder: flat at 70
  until month 3, then 30 by month 6. All five are "stable" (their relief lasts).
- non-responder: pain 60 -> 57 and function 50 -> 48 (the only kind that is not a responder).
- linear wear-off: 70 -> 30, back from 30 to 70 in a straight line between months 6 and 18;
  half-way (50) at month 12. abrupt wear-off: 30 -> 65 on the day of month 12, half-way then.
- wear-off after a booster: 70 -> 30, a maintenance booster of the same knee at month 18 while
  well (``booster_of`` the first treatment; its episode starts that day and the schedule
  restarts), still 30 until month 24, then back to 70 in a straight line by month 36; half-way
  at month 30. Followed for 48 months (every other kind for 24).
- Stiffness follows pain and function: its baseline is their mean and it moves by the mean of
  their relative changes.

Readings (``readings.py``): per reading, Gaussian noise of SD ``--sd`` (8, the individual error
of WOMAC; also 5) on pain and function, independent of each other, and ``--stiffness-sd`` (15)
on stiffness; each kept within 0-100 and rounded to the instrument's raw steps (pain 5 points,
stiffness 12.5, function about 1.47), spread over the items and scored by
``followup.domain.scoring.score``. The patients are defined by pain, function and stiffness, so
no patient global is recorded unless ``--with-global`` (it then tracks true pain with its own
noise of SD ``--sd``: a second noisy look at pain that the 2-of-3 responder rule counts, which
lets more non-responders through). Every form is complete (valid).

Visits (``history.py``): first treatments spread over 2020 (one knee, KL grade 2, not a smoker);
a baseline form on the treatment day or up to 14 days before; the product's schedule
(``schedule.timepoints_for``: 2w, 6w, 3m, 6m, 9m, 12m, 18m, 24m, 36m, 48m); each patient misses
each scheduled visit with a probability drawn per patient between 10 % and 20 %; a visit falls
around its due day (normal, SD half the window), clipped to the window. Confirmation calls exist
only when the rules offer ``flags.confirmation_call`` (rule set 2026.2 on): after every form the
open call is asked for; a new call is answered with probability 0.85 on its due day plus a small
jitter within its window, and made only if still open that day (a scheduled visit may have
served it); an answered call serves a scheduled visit whose window overlaps the call's. Calls
per patient-year count every call made, answered or not. No review decision is ever made: the
simulation measures the raw signal a clinic would review.

Definitions (``evaluation.py``, ``table.py``):

- Each episode is evaluated on every day its findings can change (each form's day, each
  scheduled or confirmation window's first day and the day after it closes, the ``no_response``
  days, ``flags.stable_range``'s next change) up to the horizon: the close of the 24-month
  visit's window (24 months + 45 days; 48 months + 45 days for the booster kind), so "by 24
  months" means by the 24-month follow-up (a cut at day 730 would drop the half of 24-month
  visits that fall after their due day).
- "ever K": K open on any of those days up to the horizon, in any episode of the knee.
- "open at end": K open on the horizon day (after the 24-month visit; 48 for the booster kind).
- "detected": by the horizon, ``wearing_off`` open with a ``raised_on`` on or after the day the
  wear-off starts (month 6, month 12, month 24); the detection day is the first day such a
  finding was open. A false alarm raised while the patient was still well does not count, even
  if it stays open into the wear-off (a clinic would have reviewed it; only newer evidence
  raises it again). "within 60 / 240 days": the detection day minus the half-way day <= 60 /
  240 (earlier counts as within). ``possible_wearing_off`` detection is reported the same way,
  and "either" is the first of the two. Targets are judged for each kind of a group
  separately.

Shares of 400 patients are within about +/- 3 points (95 %) near 10 % and +/- 5 near 50 %.
The run is deterministic for a seed: each patient draws from a stream of its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``tools`` importable
    sys.path.insert(0, str(ROOT))

from followup.domain.rule_file import RulesError, default_rules, load_rules  # noqa: E402
from tools.simulation import Noise, rows_by_kind, simulate  # noqa: E402
from tools.simulation.table import (  # noqa: E402
    detection_table,
    flags_table,
    targets_report,
    watch_table,
)
from tools.simulation.via_cli import compare_via_cli  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Measure the flag rules on simulated noisy patients (see the module text)."
    )
    p.add_argument("--patients", type=int, default=400, help="patients of each kind (400)")
    p.add_argument("--sd", type=float, default=8.0, help="noise SD on pain and function (8)")
    p.add_argument("--stiffness-sd", type=float, default=15.0, help="noise SD on stiffness (15)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument(
        "--with-global",
        action="store_true",
        help="patients also give a patient global rating (tracking pain, with the same noise)",
    )
    p.add_argument("--rules", type=Path, metavar="FILE", help="a clinic rule file to measure")
    p.add_argument(
        "--via-cli",
        action="store_true",
        help="also run a small cohort through the followup command line and compare",
    )
    p.add_argument(
        "--cli-patients", type=int, default=7, help="patients of each kind for --via-cli (7)"
    )
    p.add_argument(
        "--cli-step", type=int, default=61, help="days between --via-cli comparisons (61)"
    )
    args = p.parse_args(argv)
    if args.patients < 1 or args.cli_patients < 1 or args.cli_step < 1:
        p.error("--patients, --cli-patients and --cli-step must be at least 1")
    if args.sd < 0 or args.stiffness_sd < 0:
        p.error("noise SDs cannot be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    """Simulate, print the tables (and the command-line check); 1 when the check disagrees."""
    args = parse_args(argv)
    try:
        rules = load_rules(args.rules) if args.rules else default_rules()
    except RulesError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    noise = Noise(args.sd, args.stiffness_sd, args.with_global)
    started = time.perf_counter()
    _, outcomes = simulate(args.patients, args.seed, noise, rules)
    rows = rows_by_kind(outcomes)
    print(
        f"Rule set {rules.version}; {args.patients} simulated patients of each kind; noise SD "
        f"{args.sd:g} on pain and function, {args.stiffness_sd:g} on stiffness; "
        f"patient global {'recorded' if args.with_global else 'not recorded'}; seed {args.seed}"
    )
    print()
    print(flags_table(rows))
    print()
    print(detection_table(rows))
    print()
    print("What raised `possible_wearing_off` (share of patients in whom each condition fired):")
    print()
    print(watch_table(rows))
    print()
    report, missed = targets_report(rows)
    print(f"Targets of rule set 2026.2 (set for noise SD 8): {missed} missed")
    print(report)
    print(f"\nsimulated and evaluated in {time.perf_counter() - started:.1f} s")
    if not args.via_cli:
        return 0
    started = time.perf_counter()
    print(f"\nThrough the command line: {args.cli_patients} patients of each kind")
    histories, _ = simulate(args.cli_patients, args.seed, noise, rules)
    bad = compare_via_cli(histories, rules, args.rules, args.cli_step)
    print(f"checked in {time.perf_counter() - started:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

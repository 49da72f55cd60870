"""Commands on treatments: ``treatment add`` records a treatment or a booster (``--booster``
takes the knee's latest treatment as the one it boosts and draws a banked dose), ``treatment
error`` marks one entered in error. Both act for a signed-in coordinator or clinician."""

from __future__ import annotations

import argparse

from followup.cli.common import (
    EXIT_OK,
    Group,
    UsageError,
    acting_staff,
    context,
    day_option,
    number_argument,
    out,
    whole_argument,
)
from followup.domain.records import KNEES, PRODUCTS, ROUTES

ROLES = ("coordinator", "clinician")


def cmd_treatment_add(args: argparse.Namespace) -> int:
    """`followup treatment add`: record an injection, suggesting the booster when one is due."""
    from followup.services.record_treatment import (
        TreatmentDraft,
        booster_suggestion,
        record_treatment,
    )

    treated_on = day_option(args.date, "--date")
    if args.booster and args.booster_of:
        raise UsageError("give --booster or --booster-of, not both")
    ctx = context(args)
    actor = acting_staff(args, ctx, ROLES, "recording a treatment").actor
    draft = TreatmentDraft(
        args.patient_id, args.knee, treated_on, args.product or "", args.route,
        args.cells, args.kl_grade, args.booster_of, args.banked_doses, args.id,
    )  # fmt: skip
    if args.booster:
        suggested = booster_suggestion(ctx, args.patient_id, args.knee, treated_on)
        if suggested is None:
            raise UsageError(
                f"{args.patient_id} has no earlier treatment of the {args.knee} knee to boost"
            )
        draft = TreatmentDraft(
            args.patient_id, args.knee, treated_on, args.product or suggested.product,
            args.route if args.route_given else suggested.route,
            args.cells if args.cells is not None else suggested.cells_millions,
            args.kl_grade if args.kl_grade is not None else suggested.kl_grade,
            suggested.booster_of,
            args.banked_doses if args.banked_doses is not None else suggested.banked_doses,
            args.id,
        )  # fmt: skip
    if not draft.product:
        raise UsageError("--product is required (except with --booster, which repeats it)")
    done = record_treatment(ctx, draft, actor)
    what = f"booster of {done.booster_of}" if done.booster_of else "treatment"
    doses = "" if done.banked_doses is None else f"; {done.banked_doses} banked dose(s) left"
    closed = (
        f"; {done.superseded_flags} open flag(s) of the earlier episode closed"
        if done.superseded_flags
        else ""
    )
    out(f"{what} {done.treatment_id} recorded for {args.patient_id} ({args.knee}){doses}{closed}")
    return EXIT_OK


def cmd_treatment_error(args: argparse.Namespace) -> int:
    """`followup treatment error`: mark a treatment as entered in error (kept, not counted)."""
    from followup.services.record_treatment import mark_treatment_entered_in_error

    ctx = context(args)
    actor = acting_staff(args, ctx, ROLES, "correcting a treatment").actor
    mark_treatment_entered_in_error(ctx, args.treatment_id, args.reason, actor)
    out(f"treatment {args.treatment_id} marked entered in error; the knee was re-evaluated")
    return EXIT_OK


class _RouteGiven(argparse.Action):
    """Remembers that --route was typed (a booster otherwise repeats the route it boosts)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        namespace.route = values
        namespace.route_given = True


def register(group: Group) -> None:
    """Add this module's commands to the parser."""
    treatment = group("treatment", "treatments and boosters")
    p = treatment("add", cmd_treatment_add, "record a treatment or a booster of a knee")
    p.add_argument("patient_id", metavar="PATIENT_ID")
    p.add_argument("--knee", required=True, choices=KNEES)
    p.add_argument("--date", required=True, metavar="DATE", help="the day of the injection")
    p.add_argument("--product", choices=PRODUCTS)
    p.add_argument("--route", choices=ROUTES, default="intra_articular", action=_RouteGiven)
    p.set_defaults(route_given=False)
    p.add_argument(
        "--cells", type=number_argument, metavar="MILLIONS", help="cells injected, in millions"
    )
    p.add_argument("--kl-grade", type=whole_argument, metavar="1-4")
    p.add_argument("--booster-of", metavar="TREATMENT_ID", help="the treatment this one boosts")
    p.add_argument(
        "--booster",
        action="store_true",
        help="a booster of the knee's latest treatment (its product, grade and route, one banked "
        "dose fewer)",
    )
    p.add_argument(
        "--banked-doses", type=whole_argument, metavar="N", help="cryopreserved doses left after"
    )
    p.add_argument(
        "--id", metavar="TREATMENT_ID", help="the clinic's ID (default: the next T00000)"
    )
    p = treatment("error", cmd_treatment_error, "mark a treatment entered in error (with a reason)")
    p.add_argument("treatment_id", metavar="TREATMENT_ID")
    p.add_argument("--reason", required=True)

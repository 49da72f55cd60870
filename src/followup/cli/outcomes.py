"""``followup outcomes``: responder rates and Kaplan-Meier durability with confidence intervals,
for the whole clinic or per group, printed as a table, as JSON, or written as an HTML report.

Besides ``--by``, the episodes can be narrowed to some products, grades, routes, sites or smoking
status, so a clinic can ask "for KL 2-3 knees treated with cultured adipose cells, how long does
relief last, and is it shorter for smokers?" as
``followup outcomes --product adsc_cultured --kl-grade 2-3 --by smoker``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from followup.cli.common import (
    EXIT_OK,
    Command,
    UsageError,
    context,
    not_empty,
    out,
    out_text,
    print_json,
)
from followup.cli.common import as_of as as_of_date
from followup.errors import FollowupError
from followup.services.context import Context

GROUPINGS = ("product", "kl_grade", "smoker", "route", "site")


def _kl_grades(text: str) -> list[str]:
    """'2-3', '2,3', '4' or 'unknown' as grade keys."""
    from followup.services.outcomes import kl_grade_keys

    try:
        return list(kl_grade_keys(text))
    except FollowupError:
        raise UsageError(
            f"--kl-grade {text!r}: give grades 1-4 as a list or a range (2,3 or 2-3), or unknown"
        ) from None


def _selection(args: argparse.Namespace) -> dict[str, list[str]]:
    from followup.services.outcomes import group_names

    only: dict[str, list[str]] = {}
    for grouping, value in (
        ("product", args.product),
        ("route", args.route),
        ("site", args.site),
    ):
        if value is not None:  # an empty one too: it would select every episode
            keys = [v.strip() for v in value.split(",") if v.strip()]
            known = group_names(grouping)
            bad = [k for k in keys if known and k not in known]
            if bad or not keys:
                raise UsageError(
                    f"--{grouping} {value!r}: choose from {', '.join(known)}"
                    if known
                    else f"--{grouping}: give one or more IDs separated by commas"
                )
            only[grouping] = keys
    if args.kl_grade is not None:
        only["kl_grade"] = _kl_grades(args.kl_grade)
    if args.smoker:
        only["smoker"] = [args.smoker]
    return only


def _check_sites(ctx: Context, wanted: list[str]) -> None:
    """Refuse a ``--site`` the clinic does not have: a mistyped site would report no episodes
    as if it had none."""
    from followup.services.sites import list_sites

    if not wanted:
        return
    known = [site.id for site in list_sites(ctx)]
    unknown = [s for s in wanted if s not in known]
    if unknown:
        choose = f"; the sites are: {', '.join(known)}" if known else "; there is no site yet"
        raise FollowupError(f"--site: no site {', '.join(map(repr, unknown))}{choose}")


def cmd_outcomes(args: argparse.Namespace) -> int:
    """Print the outcomes table (or JSON), or write the HTML report."""
    from followup.reports.files import write_private
    from followup.reports.outcomes import render_html, render_text
    from followup.services.outcomes import build_outcomes

    only = _selection(args)
    ctx = context(args)
    _check_sites(ctx, only.get("site", []))
    as_of = as_of_date(args.as_of) or ctx.today()
    report = build_outcomes(ctx, as_of, args.by, only)
    if args.out:
        path = Path(args.out)
        write_private(path, render_html(report))
        out(
            f"outcomes report as of {as_of.isoformat()} ({report.overall.counted} episode(s) "
            f"counted) written to {path}"
        )
    if args.json:
        print_json(report.as_json())
    elif not args.out:
        out_text(render_text(report))
    return EXIT_OK


def register(command: Command) -> None:
    """Add this module's command to the parser."""
    p = command(
        "outcomes",
        cmd_outcomes,
        "responder rates and Kaplan-Meier durability with confidence intervals",
    )
    p.add_argument("--as-of", metavar="DATE", help="analyse as of DATE (default today)")
    p.add_argument("--by", choices=GROUPINGS, help="one group per product, grade, ... compared")
    p.add_argument("--json", action="store_true", help="print every figure as JSON")
    p.add_argument(
        "--out", type=not_empty, metavar="FILE.html", help="write the HTML report to FILE (0600)"
    )
    p.add_argument("--product", metavar="P[,P]", help="only these products (e.g. adsc_cultured)")
    p.add_argument("--kl-grade", metavar="G", help="only these grades: 2-3, 2,3, 4 or unknown")
    p.add_argument("--smoker", choices=("yes", "no", "unknown"), help="only (non-)smokers")
    p.add_argument("--route", metavar="R", help="only this route: intra_articular or iv")
    p.add_argument("--site", metavar="ID[,ID]", help="only patients of these sites")

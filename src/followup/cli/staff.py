"""Commands an admin runs on staff accounts (``user``) and sites (``site``). Each acts for a
signed-in admin (``--user``), recorded in the audit trail; see ``common.acting_staff``."""

from __future__ import annotations

import argparse

from followup.cli.common import (
    ALL_ROLES,
    EXIT_OK,
    Group,
    UsageError,
    acting_staff,
    context,
    out,
    print_json,
    read_password,
)

ADMIN = ("admin",)


def cmd_user_add(args: argparse.Namespace) -> int:
    """`followup user add`: create a staff account (admins only)."""
    from followup.services.staff import add_user

    ctx = context(args)
    acting = acting_staff(args, ctx, ADMIN, "adding a staff account")
    password = read_password(f"Password for the new account {args.name}")
    member = add_user(ctx, args.name, password, args.role, acting.actor, site_id=args.site)
    where = f" limited to site {member.site_id}" if member.site_id else ""
    out(f"{member.role} {member.username!r} created{where}")
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    """`followup user list`: list the staff accounts (admins only)."""
    from followup.services.staff_accounts import list_users

    ctx = context(args)
    acting_staff(args, ctx, ADMIN, "listing staff accounts")
    users = list_users(ctx)
    if args.json:
        print_json([u.as_json() for u in users])
        return EXIT_OK
    if not users:
        out("no staff accounts yet")
    now = ctx.now()
    for u in users:
        state = "active" if u.active else "disabled"
        if u.locked(now):
            state += f", locked until {u.locked_until.isoformat(timespec='minutes')}"  # type: ignore[union-attr]
        if u.failed_attempts:
            state += f", {u.failed_attempts} wrong password(s)"
        out(f"{u.username:20s} {u.role:12s} site {u.site_id or '(all)':12s} {state}")
    return EXIT_OK


def _account_command(verb: str, doing: str, done: str):  # type: ignore[no-untyped-def]
    """A command that changes one account: ``followup user VERB NAME``."""

    def handler(args: argparse.Namespace) -> int:
        from followup.services import staff_accounts

        ctx = context(args)
        acting = acting_staff(args, ctx, ADMIN, doing)
        getattr(staff_accounts, f"{verb}_user")(ctx, args.name, acting.actor)
        out(f"{args.name!r} {done}")
        return EXIT_OK

    return handler


def cmd_user_reset_password(args: argparse.Namespace) -> int:
    """`followup user reset-password`: give an account a new password (admins only)."""
    from followup.services.staff_accounts import reset_password

    ctx = context(args)
    acting = acting_staff(args, ctx, ADMIN, "resetting a password")
    reset_password(ctx, args.name, read_password(f"New password for {args.name}"), acting.actor)
    out(f"new password set for {args.name!r}; wrong attempts and any lock cleared")
    return EXIT_OK


def cmd_user_set_role(args: argparse.Namespace) -> int:
    """`followup user set-role`: make an account a coordinator, clinician or admin."""
    from followup.services.staff_accounts import set_role

    ctx = context(args)
    acting = acting_staff(args, ctx, ADMIN, "changing a role")
    account = set_role(ctx, args.name, args.role, acting.actor)
    out(f"{account.username!r} is now a {account.role}")
    return EXIT_OK


def cmd_user_set_site(args: argparse.Namespace) -> int:
    """`followup user set-site`: limit an account to one site, or let it see every site."""
    from followup.services.staff_accounts import set_site

    # An empty SITE (a variable left unset) is no site given: it must not lift the limit.
    if args.none == bool(args.site and args.site.strip()):
        raise UsageError("give a SITE, or --none to let the account see every site")
    site = None if args.none else args.site.strip()
    ctx = context(args)
    acting = acting_staff(args, ctx, ADMIN, "changing a staff member's site")
    account = set_site(ctx, args.name, site, acting.actor)
    where = f"limited to site {account.site_id}" if account.site_id else "sees every site"
    out(f"{account.username!r} {where}")
    return EXIT_OK


def cmd_site_add(args: argparse.Namespace) -> int:
    """`followup site add`: add a clinic site (admins only)."""
    from followup.services.sites import add_site

    ctx = context(args)
    acting = acting_staff(args, ctx, ADMIN, "adding a site")
    site = add_site(ctx, args.site_id, args.name, acting.actor)
    out(f"site {site.id!r} ({site.name}) added")
    return EXIT_OK


def cmd_site_list(args: argparse.Namespace) -> int:
    """`followup site list`: list the clinic's sites."""
    from followup.services.sites import list_sites

    ctx = context(args)
    acting_staff(args, ctx, ALL_ROLES, "listing sites")
    sites = list_sites(ctx)
    if args.json:
        print_json([s.as_json() for s in sites])
        return EXIT_OK
    if not sites:
        out("no sites yet (add one with: followup site add SITE_ID --name NAME)")
    for s in sites:
        out(f"{s.id:20s} {s.name}")
    return EXIT_OK


def register(group: Group) -> None:
    """Add this module's commands to the parser."""
    user = group("user", "staff accounts (an admin's work)")
    p = user("add", cmd_user_add, "add a staff account (asks for the password twice)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ALL_ROLES)
    p.add_argument("--site", metavar="SITE", help="limit the account to one site")
    p = user("list", cmd_user_list, "list staff accounts: role, site, active, locked")
    p.add_argument("--json", action="store_true", help="print JSON")
    for verb, doing, done, text in (
        ("disable", "disabling a staff account", "is disabled: it can no longer sign in",
         "stop an account from signing in (its history stays)"),
        ("enable", "enabling a staff account", "is enabled: it can sign in again",
         "let a disabled account sign in again"),
        ("unlock", "unlocking a staff account", "is unlocked: wrong passwords cleared",
         "clear an account's wrong passwords and lock"),
    ):  # fmt: skip
        user(verb, _account_command(verb, doing, done), text).add_argument("name")
    p = user("reset-password", cmd_user_reset_password, "set a new password (asks twice)")
    p.add_argument("name")
    p = user("set-role", cmd_user_set_role, "change an account's role")
    p.add_argument("name")
    p.add_argument("role", choices=ALL_ROLES)
    p = user("set-site", cmd_user_set_site, "limit an account to one site (or --none)")
    p.add_argument("name")
    p.add_argument("site", nargs="?", metavar="SITE")
    p.add_argument("--none", action="store_true", help="no site limit: every site")
    site = group("site", "the clinic's sites")
    p = site("add", cmd_site_add, "add a site")
    p.add_argument("site_id", metavar="SITE_ID")
    p.add_argument("--name", help="the site's name (default: its ID)")
    p = site("list", cmd_site_list, "list the sites")
    p.add_argument("--json", action="store_true", help="print JSON")

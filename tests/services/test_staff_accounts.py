"""Staff accounts and sites as admins manage them (services/staff.py, staff_accounts.py,
sites.py), on SQLite and PostgreSQL: the last active admin stays, unknown sites are refused
with the way to add them, an empty password is not a wrong one, every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from followup.errors import FollowupError, NotFound
from followup.services.audit import list_events
from followup.services.context import Context
from followup.services.sites import add_site, list_sites
from followup.services.staff import (
    MAX_FAILURES,
    SignInRefused,
    add_user,
    has_staff,
    sign_in,
)
from followup.services.staff_accounts import (
    disable_user,
    enable_user,
    list_users,
    reset_password,
    set_role,
    set_site,
    unlock_user,
)

PASSWORD = "long-password"


def _staff_events(ctx: Context) -> list:
    return [e for e in list_events(ctx.engine) if e.entity == "staff_user"]


@pytest.fixture
def clinic(any_ctx: Context) -> Context:
    add_user(any_ctx, "boss", PASSWORD, "admin", "cli:root")
    add_site(any_ctx, "north", "North clinic", "boss")
    add_user(any_ctx, "nina", PASSWORD, "coordinator", "boss", site_id="north")
    return any_ctx


def test_has_staff_only_once_an_account_exists(any_ctx: Context) -> None:
    assert not has_staff(any_ctx)
    add_user(any_ctx, "boss", PASSWORD, "admin", "cli:root")
    assert has_staff(any_ctx)


def test_a_new_account_on_an_unknown_site_says_how_to_add_it(any_ctx: Context) -> None:
    """Once a database error (FOREIGN KEY constraint failed); now a message."""
    with pytest.raises(FollowupError) as refused:
        add_user(any_ctx, "nina", PASSWORD, "coordinator", "cli:root", site_id="north")
    assert str(refused.value) == (
        "there is no site 'north'; an admin adds it with: followup site add north --name 'SITE NAME'"
    )
    assert not has_staff(any_ctx)


def test_the_list_shows_state_but_never_the_hash(clinic: Context) -> None:
    users = {u.username: u for u in list_users(clinic)}
    assert set(users) == {"boss", "nina"}
    nina = users["nina"].as_json()
    assert nina == {"username": "nina", "role": "coordinator", "site": "north", "active": True,
                    "locked_until": None, "failed_attempts": 0}  # fmt: skip
    assert not any("hash" in key or "password" in key for key in nina)


def test_disable_and_enable_are_audited_and_stop_sign_in(clinic: Context) -> None:
    disable_user(clinic, "nina", "boss")
    with pytest.raises(SignInRefused, match="wrong user name or password"):
        sign_in(clinic, "nina", PASSWORD)
    enable_user(clinic, "nina", "boss")
    assert sign_in(clinic, "nina", PASSWORD).username == "nina"
    disable, enable = _staff_events(clinic)[-2:]
    assert (disable.action, disable.user, disable.old, disable.new) == (
        "disable", "boss", {"active": True}, {"active": False},
    )  # fmt: skip
    assert (enable.action, enable.old, enable.new) == (
        "enable",
        {"active": False},
        {"active": True},
    )


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(clinic: Context) -> None:
    before = len(_staff_events(clinic))
    with pytest.raises(FollowupError, match="'boss' is the last active admin; add another admin"):
        disable_user(clinic, "boss", "boss")
    with pytest.raises(FollowupError, match="'boss' is the last active admin"):
        set_role(clinic, "boss", "clinician", "boss")
    assert len(_staff_events(clinic)) == before
    # A disabled second admin does not count; an active one does.
    add_user(clinic, "ava", PASSWORD, "admin", "boss")
    disable_user(clinic, "ava", "boss")
    with pytest.raises(FollowupError, match="last active admin"):
        disable_user(clinic, "boss", "boss")
    enable_user(clinic, "ava", "boss")
    disable_user(clinic, "boss", "ava")
    with pytest.raises(FollowupError, match="'ava' is the last active admin"):
        set_role(clinic, "ava", "coordinator", "ava")


def test_set_role_and_set_site(clinic: Context) -> None:
    set_role(clinic, "nina", "clinician", "boss")
    assert sign_in(clinic, "nina", PASSWORD).role == "clinician"
    with pytest.raises(FollowupError, match="role must be one of"):
        set_role(clinic, "nina", "janitor", "boss")
    with pytest.raises(FollowupError, match="there is no site 'south'; an admin adds it"):
        set_site(clinic, "nina", "south", "boss")
    set_site(clinic, "nina", None, "boss")
    assert sign_in(clinic, "nina", PASSWORD).site_id is None
    role, site = _staff_events(clinic)[-2:]
    assert (role.old, role.new) == ({"role": "coordinator"}, {"role": "clinician"})
    assert (site.action, site.old, site.new) == (
        "set_site",
        {"site_id": "north"},
        {"site_id": None},
    )
    with pytest.raises(NotFound, match="no user named 'zed'"):
        set_site(clinic, "zed", None, "boss")


def test_an_empty_password_is_refused_and_not_counted(clinic: Context) -> None:
    for _ in range(MAX_FAILURES + 2):
        with pytest.raises(SignInRefused, match="enter your password"):
            sign_in(clinic, "nina", "")
    [nina] = [u for u in list_users(clinic) if u.username == "nina"]
    assert nina.failed_attempts == 0 and nina.locked_until is None
    assert sign_in(clinic, "nina", PASSWORD).username == "nina"
    assert not [e for e in list_events(clinic.engine) if e.action == "sign_in_failed"]


def test_unlock_and_reset_password_clear_the_lock(clinic: Context) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            sign_in(clinic, "nina", "wrong-password")
    with pytest.raises(SignInRefused, match="locked"):
        sign_in(clinic, "nina", PASSWORD)
    [nina] = [u for u in list_users(clinic) if u.username == "nina"]
    assert nina.locked(clinic.now()) and not nina.locked(clinic.now() + timedelta(hours=1))
    unlock_user(clinic, "nina", "boss")
    assert sign_in(clinic, "nina", PASSWORD).username == "nina"
    unlock = _staff_events(clinic)[-1]
    assert unlock.action == "unlock" and unlock.new == {"failed_attempts": 0, "locked_until": None}
    assert unlock.old["locked_until"] is not None

    with pytest.raises(FollowupError, match="at least 8"):
        reset_password(clinic, "nina", "short", "boss")
    reset_password(clinic, "nina", "another-password", "boss")
    with pytest.raises(SignInRefused):
        sign_in(clinic, "nina", PASSWORD)
    assert sign_in(clinic, "nina", "another-password").username == "nina"
    reset = [e for e in _staff_events(clinic) if e.action == "reset_password"][-1]
    assert reset.new["password"] == "changed"
    assert "another-password" not in str(reset.new) + str(reset.old)


def test_sites_are_added_once_and_listed(any_ctx: Context) -> None:
    add_site(any_ctx, "north", None, "boss")
    add_site(any_ctx, "main", "Main clinic", "boss")
    assert [(s.id, s.name) for s in list_sites(any_ctx)] == [
        ("main", "Main clinic"), ("north", "north"),
    ]  # fmt: skip
    with pytest.raises(FollowupError, match="a site 'north' already exists"):
        add_site(any_ctx, "north", "Again", "boss")
    for bad in ("", " north", "x" * 41, "no\nrth"):
        with pytest.raises(FollowupError, match="site ID"):
            add_site(any_ctx, bad, None, "boss")
    with pytest.raises(FollowupError, match="the site name must be one line of at most 200"):
        add_site(any_ctx, "south", "x" * 201, "boss")
    [event] = [e for e in list_events(any_ctx.engine) if e.entity_id == "main"]
    assert (event.entity, event.action, event.new) == (
        "site", "create", {"id": "main", "name": "Main clinic"},
    )  # fmt: skip

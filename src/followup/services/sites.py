"""The clinic's sites: every patient belongs to one, and staff can be limited to one. Admins add
them; staff and patient records refuse a site nobody added, saying how to add it (a bulk import
of patients still creates the sites its file names, as it always has)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from followup.errors import FollowupError
from followup.services import audit
from followup.services.context import Context
from followup.store.engine import read_session, write_session
from followup.store.fields import CLINIC_ID
from followup.store.models import Site

MAX_SITE_NAME = 200


@dataclass(frozen=True)
class SiteView:
    """A site as lists show it."""

    id: str
    name: str

    def as_json(self) -> dict[str, str]:
        """The site as a JSON object for ``followup site list --format json``."""
        return {"id": self.id, "name": self.name}


def unknown_site(site_id: str) -> FollowupError:
    """The refusal of a site nobody added, with the command that adds it."""
    return FollowupError(
        f"there is no site {site_id!r}; an admin adds it with: "
        f"followup site add {site_id} --name 'SITE NAME'"
    )


def require_site(session: Session, site_id: str) -> None:
    """Refuse ``site_id`` unless the site exists (read in the caller's transaction)."""
    if session.get(Site, site_id) is None:
        raise unknown_site(site_id)


def check_site_id(site_id: str) -> None:
    """A site ID as the clinic types it into files and commands, by the one ID rule."""
    try:
        CLINIC_ID.check(site_id)
    except ValueError as exc:
        raise FollowupError(f"site ID: {exc}") from None
    if not site_id.isprintable():
        raise FollowupError("a site ID must be one line of printable characters")


def add_site(ctx: Context, site_id: str, name: str | None, actor: str) -> SiteView:
    """Add a site (its name defaults to its ID); an ID already in use is refused."""
    check_site_id(site_id)
    name = (name or "").strip() or site_id
    if len(name) > MAX_SITE_NAME or not name.isprintable():
        raise FollowupError(f"the site name must be one line of at most {MAX_SITE_NAME} characters")
    with write_session(ctx.engine) as session:
        if session.get(Site, site_id) is not None:
            raise FollowupError(f"a site {site_id!r} already exists")
        session.add(Site(id=site_id, name=name))
        audit.record(
            session,
            at=ctx.now(),
            actor=actor,
            action="create",
            entity="site",
            entity_id=site_id,
            new={"id": site_id, "name": name},
        )
    return SiteView(site_id, name)


def list_sites(ctx: Context) -> list[SiteView]:
    """Every site, by ID."""
    with read_session(ctx.engine) as session:
        return [SiteView(s.id, s.name) for s in session.exec(select(Site).order_by(Site.id))]

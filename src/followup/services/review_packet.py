"""The weekly review packet for one meeting: which flags it shows, and the record that it was made.

A packet covers what the meeting must decide, not the cohort. A flag is *pending* for this
packet when it is open and either was first raised or changed (its row's ``created_at`` or
``updated_at``) after the previous packet was made (the first packet ever: in the
``FIRST_PACKET_DAYS`` before now), or an earlier packet showed it and it is still undecided.

- Sections, each with the knee's chart: pending urgent and action flags, urgent first, then
  action, oldest raised first, at most ``max_sections`` (the ``packet_max_flags`` setting).
- The watch table, without charts: pending watch flags in the same order, at most
  ``WATCH_ROWS_MAX``.
- Left out: every other open flag, counted by level and kind, with the command that lists them.
  Pending urgent and action flags beyond the cap are recorded as deferred, so the next packet
  carries them: a flag the meeting had no room for is never dropped unseen.

The cohort is evaluated first, so the packet never shows stale findings; then the database
sorts, limits and counts (``ORDER BY ... LIMIT``, ``COUNT ... GROUP BY``), so the packet reads
its own rows and a few counts, whatever the size of the cohort. A packet is recorded
(``record_packet``) only once it has been written out: the next one covers what changed since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from followup.domain.flags import KIND_LEVELS
from followup.domain.records import LEVELS
from followup.errors import FollowupError
from followup.services import audit
from followup.services.context import Context
from followup.services.evaluate_flags import evaluate_cohort
from followup.services.review_queue import FlagView, flag_views
from followup.services.trajectory import KneeTrajectory, knee_trajectories
from followup.store.bulk import as_stored, bulk_insert, chunks, driver_rows, marks
from followup.store.engine import read_session, write_session
from followup.store.models import Flag, ReviewPacketFlag, ReviewPacketRecord

# With no packet before it, a packet treats the flags raised or changed in this many days
# before it was made as new: one week, the meeting's rhythm.
FIRST_PACKET_DAYS = 7
# Watch flags are listed one row each, without a chart, for the meeting to scan rather than
# discuss: 200 rows print on about ten A4 pages, as many as a meeting can read through; the
# rest are counted, with the command that lists them.
WATCH_ROWS_MAX = 200
SECTION_LEVELS = ("urgent", "action")
WATCH_LEVELS = ("watch",)
# Why a flag is in the packet: first raised, or changed, since the packet covers; or shown by an
# earlier packet and still undecided.
NEW, CHANGED, UNDECIDED = "new", "changed", "undecided"
# Open flags this packet should show: raised or changed since it covers, or shown by an earlier
# packet and still undecided (a decision closes the flag).
PENDING_SQL = (
    "f.status = 'open' AND f.level IN ({levels}) AND (f.created_at > ? OR f.updated_at > ? "
    "OR EXISTS (SELECT 1 FROM review_packet_flag r WHERE r.flag_id = f.id))"
)


@dataclass(frozen=True)
class FlaggedKnee:
    """One section of the packet: a knee with its flags (most urgent first) and chart."""

    patient_id: str
    patient_name: str
    knee: str
    flags: tuple[FlagView, ...]
    trajectory: KneeTrajectory | None

    @property
    def level(self) -> str:
        """The level of the knee's most urgent flag."""
        return self.flags[0].level

    @property
    def lead(self) -> FlagView:
        """The most urgent flag, whose treatment the section's heading describes."""
        return self.flags[0]


@dataclass(frozen=True)
class KindCount:
    """Open flags of one kind: how many this packet shows, and how many it leaves out."""

    level: str
    kind: str
    count: int
    left_out: int = 0


@dataclass(frozen=True)
class ReviewPacket:
    """Plain read model of one packet; renderers need nothing else."""

    as_of: date
    made_at: datetime  # when the flags were selected: the next packet covers changes after it
    covers_from: datetime  # flags raised or changed after this are new to this packet
    previous_made_at: datetime | None  # None: the first packet ever
    rule_set_version: str
    max_sections: int
    flags: tuple[FlagView, ...]  # with a section: urgent -> action, then oldest first
    knees: tuple[FlaggedKnee, ...]  # in the order of each knee's most urgent flag
    watch: tuple[FlagView, ...]  # watch table rows, in the same order
    reasons: dict[int, str] = field(hash=False)  # flag id -> NEW, CHANGED or UNDECIDED
    deferred: tuple[int, ...] = ()  # pending urgent and action flags beyond the cap
    counts: tuple[KindCount, ...] = ()  # every kind, zeros included, by level

    @property
    def shown(self) -> tuple[FlagView, ...]:
        """Every flag in the packet: the sections' flags, then the watch table's."""
        return self.flags + self.watch

    @property
    def patient_count(self) -> int:
        """Patients with a flag in the packet."""
        return len({f.patient_id for f in self.shown})

    @property
    def left_out_total(self) -> int:
        """Open flags this packet does not show."""
        return sum(c.left_out for c in self.counts)

    @property
    def open_total(self) -> int:
        """Every open flag as of the packet's day, shown or not."""
        return sum(c.count + c.left_out for c in self.counts)

    def level_count(self, level: str) -> int:
        """Flags of a level shown in the packet."""
        return sum(c.count for c in self.counts if c.level == level)

    def months_since_treatment(self, flag: FlagView) -> int:
        """Whole months from the flag's treatment to the packet's day."""
        return flag.months_since_treatment(self.as_of)

    def list_command(self, kind: str | None = None, level: str | None = None) -> str:
        """The command listing the open flags of a kind (or level), left out ones included."""
        words = ["followup flags"]
        if kind is not None:
            words.append(f"--kind {kind}")
        if level is not None:
            words.append(f"--level {level}")
        if self.as_of != self.made_at.astimezone().date():
            words.append(f"--as-of {self.as_of.isoformat()}")
        return " ".join(words)


def prepare_packet(
    ctx: Context,
    as_of: date | None = None,
    *,
    max_sections: int | None = None,
    with_charts: bool = True,
) -> ReviewPacket:
    """Evaluate the cohort as of ``as_of`` (default today), then select the packet: at most
    ``max_sections`` (default: the ``packet_max_flags`` setting) urgent and action flags with a
    section, and the watch table; the knees' trajectories only ``with_charts``."""
    as_of = as_of or ctx.today()
    limit = ctx.settings.packet_max_flags if max_sections is None else max_sections
    if limit < 0:
        raise FollowupError("the number of flags with a section must be 0 or more")
    evaluate_cohort(ctx, as_of)
    made_at = ctx.now()  # after the evaluation: its changes belong to this packet
    previous, covers_from, since = _coverage(ctx, made_at)
    flags = _pending(ctx, SECTION_LEVELS, since, limit)
    watch = _pending(ctx, WATCH_LEVELS, since, WATCH_ROWS_MAX)
    deferred = _pending_ids(ctx, SECTION_LEVELS, since, skip={f.id for f in flags})
    trajectories: dict[tuple[str, str], KneeTrajectory] = {}
    if with_charts:
        for patient_id in dict.fromkeys(f.patient_id for f in flags):
            for trajectory in knee_trajectories(ctx, patient_id, as_of):
                trajectories[(patient_id, trajectory.knee)] = trajectory
    return ReviewPacket(
        as_of=as_of,
        made_at=made_at,
        covers_from=covers_from,
        previous_made_at=previous,
        rule_set_version=ctx.rules.version,
        max_sections=limit,
        flags=tuple(flags),
        knees=_group_by_knee(flags, trajectories),
        watch=tuple(watch),
        reasons=_reasons(ctx, [f.id for f in flags + watch], since),
        counts=_counts([*flags, *watch], _open_counts(ctx)),
        deferred=tuple(deferred),
    )


def _coverage(ctx: Context, made_at: datetime) -> tuple[datetime | None, datetime, Any]:
    """When the previous packet was made (None: there was none), the time this packet covers
    from, and that time as the flag table stores times (text in SQLite), for comparing in SQL."""
    with read_session(ctx.engine) as session:
        previous = session.exec(
            select(ReviewPacketRecord.made_at)
            .order_by(col(ReviewPacketRecord.made_at).desc(), col(ReviewPacketRecord.id).desc())
            .limit(1)
        ).first()
        covers_from = previous or made_at - timedelta(days=FIRST_PACKET_DAYS)
        table = Flag.__table__  # type: ignore[attr-defined]
        since = as_stored(session.connection(), table, "updated_at", covers_from)
    return previous, covers_from, since


def _pending(ctx: Context, levels: Sequence[str], since: Any, limit: int) -> list[FlagView]:
    if limit == 0:
        return []
    where = PENDING_SQL.format(levels=marks(len(levels)))
    return flag_views(ctx, where, [*levels, since, since], limit=limit)


def _pending_ids(ctx: Context, levels: Sequence[str], since: Any, skip: set[int]) -> list[int]:
    """The IDs of every pending flag of these levels not in ``skip`` (the ones shown)."""
    where = PENDING_SQL.format(levels=marks(len(levels)))
    sql = f"SELECT f.id FROM flag f WHERE {where} ORDER BY f.id"
    with read_session(ctx.engine) as session:
        rows = driver_rows(session.connection(), sql, [*levels, since, since])
        return [r[0] for r in rows if r[0] not in skip]


def _reasons(ctx: Context, flag_ids: Sequence[int], since: Any) -> dict[int, str]:
    """Why each flag is in the packet (NEW, CHANGED or UNDECIDED)."""
    found: dict[int, str] = {}
    sql = (
        f"SELECT id, CASE WHEN created_at > ? THEN '{NEW}' WHEN updated_at > ? THEN '{CHANGED}' "
        f"ELSE '{UNDECIDED}' END FROM flag WHERE id IN "
    )
    with read_session(ctx.engine) as session:
        conn = session.connection()
        for ids in chunks(flag_ids):
            found.update(driver_rows(conn, f"{sql}({marks(len(ids))})", [since, since, *ids]))
    return found


def _open_counts(ctx: Context) -> Counter[tuple[str, str]]:
    """Every open flag, counted by level and kind."""
    sql = "SELECT level, kind, count(*) FROM flag WHERE status = 'open' GROUP BY level, kind"
    with read_session(ctx.engine) as session:
        return Counter({(lv, k): n for lv, k, n in driver_rows(session.connection(), sql)})


def _counts(
    shown: Iterable[FlagView], open_counts: Counter[tuple[str, str]]
) -> tuple[KindCount, ...]:
    """Per level and kind (every known kind, zeros included): shown, and left out of the open."""
    in_packet = Counter((f.level, f.kind) for f in shown)
    keys = [(level, kind) for kind, level in KIND_LEVELS.items()]
    keys += [k for k in open_counts if k not in keys]  # kinds of an older rule set
    order = {level: i for i, level in enumerate(LEVELS)}
    # A flag raised between the selection and the count could make "left out" negative.
    rows = [KindCount(*k, in_packet[k], max(0, open_counts[k] - in_packet[k])) for k in keys]
    return tuple(sorted(rows, key=lambda c: order.get(c.level, len(order))))


def _group_by_knee(
    flags: list[FlagView], trajectories: dict[tuple[str, str], KneeTrajectory]
) -> tuple[FlaggedKnee, ...]:
    grouped: dict[tuple[str, str], list[FlagView]] = {}
    for flag in flags:  # already in review order, so each group is too
        grouped.setdefault((flag.patient_id, flag.knee), []).append(flag)
    return tuple(
        FlaggedKnee(pid, group[0].patient_name, knee, tuple(group), trajectories.get((pid, knee)))
        for (pid, knee), group in grouped.items()
    )


def record_packet(ctx: Context, packet: ReviewPacket, actor: str) -> int:
    """Record that ``packet`` was written out (call it after writing): when it was made, by
    whom, and which flags it showed, so the next packet covers what changed since and carries
    the undecided ones. One short transaction, with its audit event. Returns the packet's ID."""
    with write_session(ctx.engine) as session:
        record = ReviewPacketRecord(
            made_at=packet.made_at,
            as_of=packet.as_of,
            made_by=actor,
            covers_from=packet.covers_from,
            flag_count=len(packet.shown),
        )
        session.add(record)
        session.flush()
        packet_id = record.id or 0
        # Tens of thousands of deferred flags at a large clinic: inserted as plain rows.
        carried = [
            [packet_id, f.id, section]
            for section, flags in (("full", packet.flags), ("table", packet.watch))
            for f in flags
        ]
        carried.extend([packet_id, flag_id, "deferred"] for flag_id in packet.deferred)
        bulk_insert(session.connection(), ReviewPacketFlag.__table__,  # type: ignore[attr-defined]
                    ["packet_id", "flag_id", "section"], carried, convert=False)  # fmt: skip
        audit.record(
            session,
            at=ctx.now(),
            actor=actor,
            action="review_packet",
            entity="review_packet",
            entity_id=packet_id,
            new={
                "as_of": packet.as_of,
                "made_at": packet.made_at,
                "covers_from": packet.covers_from,
                "deferred": len(packet.deferred),
                "sections": len(packet.flags),
                "table": len(packet.watch),
                "left_out": packet.left_out_total,
            },
        )
    return packet_id

"""A write that must wait for another writer on SQLite says so (``when_a_write_waits``), once
it has waited a moment, and then goes ahead when the other writer is done."""

from __future__ import annotations

import threading
import time

import pytest

from followup.services.context import Context
from followup.services.sites import add_site
from followup.store.engine import WAIT_NOTICE_MS, when_a_write_waits


def _heard(
    ctx: Context, holder=None, hold_for: float = 0.0
) -> tuple[list[tuple[bool, float]], float]:
    heard: list[tuple[bool, float]] = []
    start = time.perf_counter()
    if holder is not None:
        holder.hold()
        threading.Timer(hold_for, holder.release).start()
    with when_a_write_waits(lambda waiting: heard.append((waiting, time.perf_counter() - start))):
        add_site(ctx, "NORTH", "North clinic", "admin")
    return heard, time.perf_counter() - start


def test_a_write_that_does_not_wait_says_nothing(ctx: Context) -> None:
    heard, _ = _heard(ctx)
    assert heard == []


def test_a_write_that_waits_says_so_then_goes_ahead(ctx: Context, write_lock_holder) -> None:
    heard, took = _heard(ctx, write_lock_holder(ctx), hold_for=1.2)
    assert [waiting for waiting, _ in heard] == [True, False]
    (_, started), (_, ended) = heard
    assert WAIT_NOTICE_MS / 1000 - 0.05 <= started < ended  # told after the notice delay
    assert ended >= 1.1 and took >= 1.1  # and only done once the other writer was
    from followup.services.sites import list_sites

    assert "NORTH" in [site.id for site in list_sites(ctx)]


def test_a_short_wait_says_nothing(ctx: Context, write_lock_holder) -> None:
    heard, _ = _heard(ctx, write_lock_holder(ctx), hold_for=WAIT_NOTICE_MS / 1000 / 4)
    assert heard == []


def test_the_listener_is_gone_after_the_block(ctx: Context, write_lock_holder) -> None:
    heard: list[bool] = []
    with when_a_write_waits(heard.append):
        pass
    holder = write_lock_holder(ctx).hold()
    threading.Timer(0.8, holder.release).start()
    add_site(ctx, "SOUTH", "South clinic", "admin")
    assert heard == []


def test_a_write_that_gives_up_still_ends_the_wait(
    ctx: Context, write_lock_holder, monkeypatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from followup.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 600)
    write_lock_holder(ctx).hold()
    heard: list[bool] = []
    with when_a_write_waits(heard.append), pytest.raises(OperationalError):
        add_site(ctx, "EAST", "East clinic", "admin")
    assert heard == [True, False]

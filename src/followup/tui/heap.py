"""Garbage-collector settings for the process that runs the UI.

A full collection walks every object alive, and Textual's caches alone make that ~100 ms; with a
100,000-patient worklist in memory, ~250 ms. During one the UI does not move, so a keystroke
that happens to trigger it feels stalled. Most garbage here is freed by reference counting; the
collector is only needed for cycles, which are rare.
"""

from __future__ import annotations

import gc

_heap_managed = False  # set by tune_garbage_collector, in the process that runs the UI


def settle_heap() -> None:
    """Call once a cohort-sized read model (the worklist, the flag list) is shown: the screen
    pauses while it runs, better just after the list is drawn than before it.

    Collect once, then move everything alive into the permanent generation, so the garbage
    collector's full passes stop walking it. Without this a full pass over a 100,000-patient
    worklist takes ~250 ms, felt as a stalled keystroke. Unfreezing first lets that collection
    reclaim whatever was frozen last time and has become garbage since. Does nothing unless
    tune_garbage_collector was called (the tests' process shares nothing of this)."""
    if not _heap_managed:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def tune_garbage_collector() -> None:
    """For the process running the UI. A full garbage-collector pass stalls the UI for ~100 ms
    (Textual's caches alone) and with the default thresholds one runs every few seconds of
    typing: run them ten times less often (most garbage is freed by reference counting anyway),
    and keep what lives as long as the process (modules, styles) out of them altogether."""
    global _heap_managed
    _heap_managed = True
    threshold0, threshold1, _ = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, 100)
    settle_heap()

"""The reports' Jinja2 templates and style sheets, in ``templates/`` beside this module: every
HTML report (review packet, call sheet, outcomes) is rendered with autoescape on and an unknown
name an error, and inlines its style sheet so the file stays self-contained."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment(
    filters: Mapping[str, Callable[..., Any]], globals: Mapping[str, Any] | None = None
) -> Environment:
    """A template environment with a report's own ``filters`` and ``globals``."""
    env = Environment(
        loader=PackageLoader("followup.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters)
    env.globals.update(globals or {})
    return env


@cache
def style_sheet(name: str) -> str:
    """A report's style sheet (``packet.css``), read once, to inline into every report."""
    loader = PackageLoader("followup.reports", "templates")
    return loader.get_source(Environment(), name)[0]

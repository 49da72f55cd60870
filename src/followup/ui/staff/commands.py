"""Command palette providers: every key binding of the current screen as a command (so every
action is reachable by name), and "find patient" by ID or name."""

from __future__ import annotations

from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.worker import WorkerCancelled, WorkerFailed

from followup.services.find_patient import search_patients
from followup.ui.staff.messages import PatientRequested
from followup.ui.staff.session import StaffSession

PALETTE_HITS = 10


def _key_label(key: str) -> str:
    return key.split(",")[0].replace("ctrl+", "Ctrl+").replace("shift+", "Shift+")


class ScreenCommands(Provider):
    """The bindings active where the palette was opened: app-wide ones and the screen's own.
    Only bindings with an id are ours; a disabled one is left out."""

    def _commands(self) -> list[tuple[str, str, partial[object]]]:
        app = cast(StaffSession, self.app)
        if app.staff is None or app.locked:
            return []
        found = []
        seen = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.id or not binding.description or not active.enabled:
                continue
            if binding.id in seen:
                continue
            seen.add(binding.id)
            title = binding.description
            help_text = f"{binding.tooltip or title} · key {_key_label(binding.key)}"
            found.append(
                (title, help_text, partial(self.app.run_action, binding.action, active.node))
            )
        return found

    async def discover(self) -> Hits:
        """The current screen's commands, listed when the palette opens empty."""
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """The current screen's commands matching what was typed."""
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)


class PatientSearchCommands(Provider):
    """Patients by ID prefix or name, looked up in a thread worker as the query changes."""

    async def search(self, query: str) -> Hits:
        """Patients whose ID or name matches what was typed (signed in and unlocked only)."""
        app = cast(StaffSession, self.app)
        text = query.strip()
        if app.staff is None or app.locked or not text:
            return
        worker = self.app.run_worker(
            partial(search_patients, app.ctx, text, limit=PALETTE_HITS, site_id=app.staff.site_id),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="palette-search",
            description="Finding patients",
        )
        try:
            hits = await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            return
        matcher = self.matcher(text)
        for rank, hit in enumerate(hits or []):
            title = f"{hit.name} · {hit.id}"
            # Keep the database's order (ID matches first) above the commands' fuzzy scores.
            score = 1.0 - rank / 100
            yield Hit(
                score,
                matcher.highlight(title),
                partial(self.app.post_message, PatientRequested(hit.id)),
                text=title,
                help=f"Open patient · born {hit.birth_date.isoformat()}",
            )

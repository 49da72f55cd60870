"""Errors services raise for the interfaces to show. Messages never contain patient data beyond
identifiers the user already typed or the file positions of problems."""

from __future__ import annotations

from dataclasses import dataclass


class FollowupError(Exception):
    """A user-facing failure: bad input, missing record, refused action."""


class NotFound(FollowupError):
    """A patient, flag, treatment or account that the request names does not exist."""

    pass


class PermissionDenied(FollowupError):
    """The signed-in member's role or site does not allow this action."""

    pass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where (file, line, column) and what."""

    file: str
    line: int  # 0: the file as a whole (it cannot be opened)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InvalidInput(FollowupError):
    """Input was refused; ``problems`` lists every problem found (capped), nothing was written."""

    MAX_SHOWN = 50

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems[: self.MAX_SHOWN]
        self.total = total if total is not None else len(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"... and {self.total - len(self.problems)} more problems")
        return "\n".join(lines)

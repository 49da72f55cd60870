"""A data table whose text cells are text: every staff table shows values from the database
(patient and treatment IDs, names, notes, sites), and Textual's DataTable reads a ``str`` cell as
markup, so an ID such as ``P[/b]1`` raised a markup error and stopped the whole app for everyone
who opened the worklist. Here every ``str`` (cells, row labels, column labels) becomes a
``rich.text.Text``, shown letter for letter; ``Text`` and other renderables pass unchanged, so a
screen can still style a cell on purpose."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey


def plain(value: Any) -> Any:
    """``value`` as a cell that is never read as markup: a ``str`` becomes ``Text``, made as
    DataTable makes one from a ``str`` of a one-line row (no wrapping, no line end), so columns
    measure their contents as before."""
    return Text(value, end="", no_wrap=True) if isinstance(value, str) else value


class PlainTable(DataTable[Any]):
    """A DataTable that never parses markup in what it is given to show."""

    def add_column(
        self,
        label: Any,
        *,
        width: int | None = None,
        key: str | None = None,
        default: CellType | None = None,
    ) -> ColumnKey:
        """Add a column whose label is shown as given."""
        return super().add_column(plain(label), width=width, key=key, default=plain(default))

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        """Add a row whose cells and label are shown as given."""
        return super().add_row(
            *(plain(cell) for cell in cells), height=height, key=key, label=plain(label)
        )

    def add_rows(self, rows: Iterable[Iterable[Any]]) -> list[RowKey]:
        """Add rows whose cells are shown as given."""
        return super().add_rows([plain(cell) for cell in row] for row in rows)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        """Replace a cell (by keys) with a value shown as given."""
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)

    def update_cell_at(
        self, coordinate: Coordinate, value: Any, *, update_width: bool = False
    ) -> None:
        """Replace a cell (by position) with a value shown as given."""
        super().update_cell_at(coordinate, plain(value), update_width=update_width)

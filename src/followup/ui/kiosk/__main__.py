"""``python -m followup.ui.kiosk [--db URL]``: the self-report app on its own, the command
``followup serve`` gives textual-serve to run once per browser visitor."""

from __future__ import annotations

import argparse
import sys

from followup.settings import Settings
from followup.ui.kiosk.app import run


def main(argv: list[str] | None = None) -> int:
    """Run the self-report kiosk on the database given by ``--db`` or the environment."""
    parser = argparse.ArgumentParser(prog="python -m followup.ui.kiosk")
    parser.add_argument("--db", help="SQLite file path or SQLAlchemy URL")
    args = parser.parse_args(argv)
    return run(Settings.from_environment(args.db))


if __name__ == "__main__":
    sys.exit(main())

"""Allow ``python -m followup``."""

from followup.cli import main

raise SystemExit(main())

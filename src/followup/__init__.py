"""followup: outcome follow-up tracker for regenerative knee osteoarthritis treatments.

Layers point one way: ``tui`` -> ``services`` -> ``domain`` and ``services`` -> ``store``.
Nothing here opens a database or a network connection at import time; the only files read are
the package's own, to check that the compiled rules core matches its sources (``native``).
"""

from followup.native import choose_build

__version__ = "0.1.0"

choose_build()

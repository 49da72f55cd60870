"""followup: outcome follow-up tracker for regenerative knee osteoarthritis treatments.

Layers point one way: ``tui`` -> ``services`` -> ``domain`` and ``services`` -> ``store``.
Nothing here opens a database, a file or a network connection at import time.
"""

__version__ = "0.1.0"

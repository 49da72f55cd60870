"""followup: outcome follow-up tracker for regenerative knee osteoarthritis treatments.

Layers point one way: ``ui`` and ``cli`` -> ``reports`` and ``services``; ``reports`` ->
``services`` -> ``store`` and ``domain``; the domain imports none of them (the contracts in
pyproject.toml, checked by tests/test_house.py).
Nothing here opens a database, a file or a network connection at import time.
"""

__version__ = "0.1.0"

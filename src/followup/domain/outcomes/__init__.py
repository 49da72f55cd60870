"""Outcome analysis (DESIGN.md 4, ``followup outcomes``): how often treatments work and how long
their relief lasts, with honest uncertainty. Pure arithmetic on plain records, no I/O.

``survival`` (Kaplan-Meier, Greenwood, log-log limits, the median and its interval),
``logrank`` (the log-rank test between groups and the chi-square tail), ``proportions`` (the
Wilson interval of a responder rate), ``episodes`` (what one episode contributes on a day, its
clinical definitions taken from the flag rules).
"""

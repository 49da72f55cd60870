"""Pure clinical rules: instrument, scoring, schedule, flags. No textual, no sqlmodel, no I/O beyond
reading the packaged rule and wording files."""

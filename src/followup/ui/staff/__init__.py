"""The staff terminal UI: sign-in, worklist, patients, phone entry, review queue."""

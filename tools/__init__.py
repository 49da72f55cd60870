"""Developer tools kept out of the followup package: the synthetic clinic generator and the
scripts that write the demo data and benchmark cohorts with it."""

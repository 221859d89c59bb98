"""Rules: the data (regions, thresholds, findings, checklists, sources) and the pure assessment."""

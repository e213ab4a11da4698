"""Installation check: filled in by the diagnostics."""

"""Rule engine: normalization (N), Excel damage (X) and the table rules of rules.md. Never imports Qt."""

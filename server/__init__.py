"""The review server (FastAPI) — built in a later issue; it reuses app.models and app.validation."""

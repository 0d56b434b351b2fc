"""HTTP client for the review server (login, upload, review status). Plain Python, never Qt."""

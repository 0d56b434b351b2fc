"""Alembic migrations of the review server's database (SQLite and PostgreSQL alike)."""

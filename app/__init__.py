"""资助通 — the school-side client for student-aid data (在学状态表, 学生资助表)."""

__version__ = "0.1.0"

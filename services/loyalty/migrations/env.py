"""Alembic environment of the loyalty owner; the shared runner does the work."""

from shared.migrations import run_env

run_env()

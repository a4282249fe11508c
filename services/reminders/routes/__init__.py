"""Routers of the reminders service."""

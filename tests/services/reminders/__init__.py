"""Tests of the reminders service."""

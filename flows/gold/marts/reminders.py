"""Marts the reminders service serves."""

from __future__ import annotations

from flows.gold.build import Mart

MARTS: tuple[Mart, ...] = ()

"""Demo rows for the reminders schema (`ecom db seed`), so every screen has data out of the box.

Deterministic and idempotent: the rows depend only on the reference data and fixed constants
(never on the clock), rows with a natural key are inserted with ON CONFLICT DO NOTHING, and the
keyless event log is seeded only while it holds no seeded event. Rows edited through the API
afterwards are left alone. Runs as the reminders role, in one transaction.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, exists, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.generator.customers import customer_id
from flows.generator.reference import Csr, Product, load_reference_data
from services.reminders.tables import (
    analytics_event_log,
    csr_metadata,
    notification_outbox,
    reminder_preferences,
)
from shared.database import create_engine

SEED_ACTOR = "ecom-seed"
# A fixed clock: rows built from "now" would differ from one run to the next.
SEED_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
RANDOM_SEED = 6
SEED_LOCK_KEY = 0x72656D73  # "rems": two concurrent seeds queue instead of racing
PREFERENCE_IDS = uuid.UUID("4f7a3b52-3c1e-4d55-8d0b-5d1f0e7a9c61")

SEEDED_CUSTOMERS = 250
# One preference per RFM segment of the loyalty marts (what the reminder candidates match on),
# with a cadence that suits it: close follow-up for customers worth keeping, patience for the lost.
SEGMENT_CADENCES: dict[str, int] = {
    "champions": 14,
    "loyal": 21,
    "potential_loyalist": 21,
    "new": 30,
    "at_risk": 14,
    "cannot_lose": 7,
    "hibernating": 45,
    "lost": 60,
}
SEGMENTS = tuple(SEGMENT_CADENCES)
OUTBOX_MESSAGES = 36
EVENTS = 48

CHANNELS = ("email", "sms", "push")
CADENCES = (7, 14, 21, 30, 45, 60)
CUSTOMER_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
)
# Languages a CSR covers besides English, by the time zone they work in.
_LANGUAGES_BY_ZONE = {
    "America/Chicago": ["en", "es"],
    "America/Los_Angeles": ["en", "es"],
    "Europe/London": ["en", "fr"],
}
EVENT_TYPES = (
    "reminder.sent",
    "reminder.opened",
    "reminder.clicked",
    "reminder.snoozed",
    "preference.updated",
)


@dataclass(frozen=True)
class SeedCounts:
    """Rows each table gained in one run (all zero when the seed ran before)."""

    csr_metadata: int
    reminder_preferences: int
    notification_outbox: int
    analytics_event_log: int

    def __str__(self) -> str:
        return ", ".join(f"{name} +{count}" for name, count in vars(self).items())


def preference_id(target: str, channel: str) -> str:
    """The stable id of the seeded preference of `target` on `channel`."""
    return str(uuid.uuid5(PREFERENCE_IDS, f"{target}/{channel}"))


def csr_rows(csrs: Sequence[Csr]) -> list[dict[str, Any]]:
    """CSR metadata from the generator's reference CSRs; badges follow their skill."""
    rows = []
    for csr in csrs:
        badges = ["customer_favourite"] if csr.skill >= 0.8 else []
        if csr.skill >= 0.9:
            badges.append("rapid_responder")
        rows.append(
            {
                "csr_id": csr.csr_id,
                "name": csr.name,
                "team": csr.team,
                "timezone": csr.timezone,
                "languages": _LANGUAGES_BY_ZONE.get(csr.timezone, ["en"]),
                "badges": badges,
                "notes": None,
                "active": True,
            }
        )
    return rows


def preference_rows() -> list[dict[str, Any]]:
    """One or two channels for each of the first customers, and one per segment."""
    rng = random.Random(RANDOM_SEED)  # noqa: S311 - demo data, not secrets
    rows = []
    for number in range(1, SEEDED_CUSTOMERS + 1):
        customer = customer_id(number)
        channels = rng.sample(CHANNELS, k=2 if rng.random() < 0.4 else 1)
        for channel in channels:
            quiet = rng.random() < 0.6
            rows.append(
                {
                    "preference_id": preference_id(customer, channel),
                    "scope": "customer",
                    "customer_id": customer,
                    "segment": None,
                    "channel": channel,
                    "cadence_days": rng.choice(CADENCES),
                    "quiet_hours_start": time(rng.choice((21, 22, 23))) if quiet else None,
                    "quiet_hours_end": time(rng.choice((6, 7, 8))) if quiet else None,
                    "timezone": rng.choice(CUSTOMER_ZONES),
                    "enabled": rng.random() < 0.9,
                }
            )
    for segment, cadence in SEGMENT_CADENCES.items():
        rows.append(
            {
                "preference_id": preference_id(f"segment:{segment}", "email"),
                "scope": "segment",
                "customer_id": None,
                "segment": segment,
                "channel": "email",
                "cadence_days": cadence,
                "quiet_hours_start": time(21),
                "quiet_hours_end": time(8),
                "timezone": "UTC",
                "enabled": True,
            }
        )
    return rows


def outbox_rows(products: Sequence[Product]) -> list[dict[str, Any]]:
    """Replenishment reminders: most pending or sent, a few failed or suppressed."""
    rng = random.Random(RANDOM_SEED + 1)  # noqa: S311 - demo data, not secrets
    statuses = ("pending", "sent", "sent", "pending", "failed", "sent", "suppressed")
    rows = []
    for index in range(OUTBOX_MESSAGES):
        product = rng.choice(products)
        created = SEED_EPOCH + timedelta(hours=7 * index)
        status = statuses[index % len(statuses)]
        window = created.date() - timedelta(days=created.weekday())
        rows.append(
            {
                "customer_id": customer_id(index + 1),
                "product_id": product.product_id,
                "channel": rng.choice(CHANNELS),
                "cadence_window": f"{window.isoformat()}/14d",
                "status": status,
                "attempts": {"pending": 0, "sent": 1, "failed": 3, "suppressed": 0}[status],
                "payload": {"template": "replenish", "product_name": product.name},
                "created_at": created,
                "sent_at": created + timedelta(minutes=5) if status == "sent" else None,
            }
        )
    return rows


def event_rows() -> list[dict[str, Any]]:
    """What customers did with their reminders, spread over the seed's first days."""
    rng = random.Random(RANDOM_SEED + 2)  # noqa: S311 - demo data, not secrets
    rows = []
    for index in range(EVENTS):
        occurred = SEED_EPOCH + timedelta(hours=5 * index, minutes=rng.randrange(60))
        rows.append(
            {
                "event_type": rng.choice(EVENT_TYPES),
                "customer_id": customer_id(rng.randrange(1, OUTBOX_MESSAGES + 1)),
                "actor_sub": SEED_ACTOR,
                "actor_role": "system",
                "payload": {"channel": rng.choice(CHANNELS), "source": "seed"},
                "occurred_at": occurred,
                "received_at": occurred,
            }
        )
    return rows


async def _insert_new(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose keys (any unique constraint) are not taken; count the new ones."""
    if not rows:
        return 0
    statement = insert(table).values(rows).on_conflict_do_nothing().returning(table.c[0])
    return len((await connection.execute(statement)).all())


async def seed_reminders(url: str, reference_dir: Path | None = None) -> SeedCounts:
    """Fill the reminders tables with the demo rows they lack; `url` logs in as the owner."""
    reference = load_reference_data(reference_dir)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY}
            )
            csrs = await _insert_new(connection, csr_metadata, csr_rows(reference.csrs))
            preferences = await _insert_new(connection, reminder_preferences, preference_rows())
            outbox = await _insert_new(
                connection, notification_outbox, outbox_rows(reference.products)
            )
            seeded_before = await connection.scalar(
                select(exists().where(analytics_event_log.c.actor_sub == SEED_ACTOR))
            )
            events = (
                0
                if seeded_before
                else await _insert_new(connection, analytics_event_log, event_rows())
            )
    finally:
        await engine.dispose()
    return SeedCounts(csrs, preferences, outbox, events)

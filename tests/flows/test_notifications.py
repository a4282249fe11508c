"""The notification hook and the dispatcher on a real database and a real webhook receiver.

Enqueue: one reminder per customer and cadence window. Dispatch: log and webhook delivery,
retries with backoff until failed, quiet hours in the customer's zone, suppression at send time,
and exactly-once marking under concurrent dispatchers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from pydantic import ValidationError

from flows.notifications import (
    DeliveryError,
    DispatchSummary,
    LogAdapter,
    NotificationAdapter,
    OutboundMessage,
    WebhookAdapter,
    adapter_from_settings,
    dispatch_notifications,
    enqueue_notifications,
    quiet_hours_end,
    retry_delay,
)
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase, free_port
from tests.flows.gold.silver_rows import SilverWriter, build
from tests.flows.gold.test_reminder_candidates import (
    add_mart_row,
    add_preference,
    ensure_loyalty_marts,
)

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def superuser(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection, with the loyalty marts in place (stand-ins until merged)."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await ensure_loyalty_marts(connection)
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def pipeline(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the pipeline role, which enqueues and dispatches."""
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        yield connection
    finally:
        await connection.close()


async def queue(
    connection: asyncpg.Connection,
    customer_id: str,
    *,
    channel: str = "email",
    segment: str = "consumer",
    due: datetime = T0,
    product_id: str = "P-1",
    window: str = "2026-11-24/7d",
) -> int:
    """Put one pending message in the outbox, due at `due`; its id."""
    message_id: int = await connection.fetchval(
        """
        INSERT INTO reminders.notification_outbox
            (customer_id, product_id, channel, cadence_window, payload, next_attempt_at)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id
        """,
        customer_id,
        product_id,
        channel,
        window,
        json.dumps({"segment": segment, "reason": "replenish"}),
        due,
    )
    return message_id


async def outbox(connection: asyncpg.Connection, message_id: int) -> asyncpg.Record:
    """The outbox row `message_id`."""
    row: asyncpg.Record = await connection.fetchrow(
        "SELECT * FROM reminders.notification_outbox WHERE id = $1", message_id
    )
    return row


@dataclass
class RecordingAdapter(NotificationAdapter):
    """Delivers into a list (and yields to the event loop, so dispatchers interleave)."""

    delivered: list[OutboundMessage] = field(default_factory=list)

    async def deliver(self, message: OutboundMessage) -> None:
        await asyncio.sleep(0.002)
        self.delivered.append(message)


# --- enqueue ---------------------------------------------------------------------------------


async def test_enqueue_queues_one_reminder_per_customer_and_window(
    database: TestDatabase, superuser: asyncpg.Connection, pipeline: asyncpg.Connection
) -> None:
    silver = SilverWriter(superuser)
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    await silver.add("products", product_id="P-1", name="House Espresso 1kg")
    await silver.add("products", product_id="P-2", name="Filter Roast 250g")
    await silver.add("products", product_id="P-3", name="Decaf 250g")
    # The consumer segment is reminded every 7 days; the newest order (C-Z) sets the data date.
    await add_preference(superuser, "seg-consumer", "email", 7, segment="consumer")
    last_orders = {"C-1": 10, "C-2": 1, "C-3": 19, "C-4": 5}
    for customer, day in last_orders.items():
        ordered = datetime(2026, 11, day, 9, tzinfo=UTC)
        await silver.add("orders", order_id=f"O-{customer}", customer_id=customer,
                         order_ts=ordered, total_amount=Decimal(10))  # fmt: skip
        await add_mart_row(superuser, "loyalty.mart_customer_summary", customer_id=customer,
                           segment="consumer", last_order_at=ordered)  # fmt: skip
    newest = datetime(2026, 11, 20, 10, tzinfo=UTC)
    await silver.add("orders", order_id="O-Z1", customer_id="C-Z", order_ts=newest,
                     total_amount=Decimal(10))  # fmt: skip
    for customer, product, rank in (("C-1", "P-2", 1), ("C-1", "P-1", 2), ("C-1", "P-3", 3),
                                    ("C-3", "P-1", 1), ("C-4", "P-1", 1)):  # fmt: skip
        await add_mart_row(
            superuser, "loyalty.mart_loyalty_recommendations", customer_id=customer,
            product_id=product, rank=rank, score=Decimal("0.90") / rank, reason="bought_together",
            segment="consumer", discount_tier="silver", discount_percent=Decimal(10),
            reminder_cadence_days=7, channel="email", next_best_action="remind_replenish",
            status="new",
        )  # fmt: skip
    # C-4's reminder for its current window (11-12 + 7 = 11-19) already went out.
    await queue(superuser, "C-4", product_id="P-9", window="2026-11-19/7d")
    await superuser.execute("UPDATE reminders.notification_outbox SET status = 'sent'")
    await build(dsn, "reminder_candidates")

    # As of 11-20: C-1 due 11-17 (window 11-17); C-2 due 11-08 (window 11-15) but nothing to
    # recommend; C-3 due 11-26; C-4 already reminded in its window.
    assert await enqueue_notifications(pipeline) == 1
    assert await enqueue_notifications(pipeline) == 0
    query = (
        "SELECT customer_id, product_id, channel, cadence_window, status FROM"
        " reminders.notification_outbox WHERE customer_id = 'C-1' ORDER BY id"
    )
    assert await database.rows(query) == [("C-1", "P-2", "email", "2026-11-17/7d", "pending")]
    [payload] = await database.fetch(
        "SELECT payload FROM reminders.notification_outbox WHERE customer_id = 'C-1'"
    )
    assert json.loads(payload["payload"]) == {
        "template": "replenish", "product_name": "Filter Roast 250g", "rank": 1, "score": 0.9,
        "reason": "bought_together", "discount_tier": "silver", "discount_percent": 10,
        "next_best_action": "remind_replenish", "segment": "consumer", "due_date": "2026-11-17",
        "cadence_days": 7, "cadence_source": "segment_preference",
    }  # fmt: skip

    # That reminder failed for good: the window gets the next product, once.
    await superuser.execute(
        "UPDATE reminders.notification_outbox SET status = 'failed' WHERE customer_id = 'C-1'"
    )
    assert await enqueue_notifications(pipeline) == 1
    assert await enqueue_notifications(pipeline) == 0

    # Data up to 11-24: C-1 is 7 days overdue, in its next window, and hears about P-2 again.
    # C-4 is 12 days overdue: still the 11-19 window.
    newest = datetime(2026, 11, 24, 10, tzinfo=UTC)
    await silver.add("orders", order_id="O-Z2", customer_id="C-Z", order_ts=newest,
                     total_amount=Decimal(10))  # fmt: skip
    await build(dsn, "reminder_candidates")
    assert await enqueue_notifications(pipeline) == 1
    assert await enqueue_notifications(pipeline) == 0
    assert await database.rows(query) == [
        ("C-1", "P-2", "email", "2026-11-17/7d", "failed"),
        ("C-1", "P-1", "email", "2026-11-17/7d", "pending"),
        ("C-1", "P-2", "email", "2026-11-24/7d", "pending"),
    ]
    assert await database.rows(
        "SELECT count(*) FROM reminders.notification_outbox WHERE customer_id <> 'C-1'"
    ) == [(1,)]


# --- dispatch: delivery and outcomes -----------------------------------------------------------


async def test_the_log_adapter_delivers_each_due_message_once(
    superuser: asyncpg.Connection,
    pipeline: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    due = [await queue(superuser, f"C-{n}") for n in range(3)]
    later = await queue(superuser, "C-later", due=T0 + timedelta(hours=1))

    with caplog.at_level(logging.INFO, logger="flows.notifications.adapters"):
        async with LogAdapter() as adapter:
            summary = await dispatch_notifications(
                pipeline, adapter, now=T0, batch_size=2, max_attempts=3
            )
            again = await dispatch_notifications(
                pipeline, adapter, now=T0, batch_size=2, max_attempts=3
            )

    assert summary == DispatchSummary(sent=3)
    assert again == DispatchSummary()
    assert summary.describe() == (
        "notifications: 3 sent, 0 deferred for quiet hours, 0 to retry, 0 failed, 0 suppressed"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "flows.notifications.adapters"]
    assert sorted(lines) == sorted(
        f"reminder outbox-{message_id} to C-{n} by email: product P-1, window 2026-11-24/7d,"
        " attempt 1"
        for n, message_id in enumerate(due)
    )
    for message_id in due:
        row = await outbox(superuser, message_id)
        assert (row["status"], row["sent_at"], row["attempts"]) == ("sent", T0, 1)
    row = await outbox(superuser, later)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("pending", 0, None)


@dataclass
class Webhook:
    """A real HTTP receiver on 127.0.0.1: answers with `statuses` in turn (the last repeats)."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    delay_seconds: float = 0.0
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    """An aiohttp server recording every POST to /hook."""
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/hook")

    async def receive(request: web.Request) -> web.Response:
        hook.received.append((dict(request.headers), await request.json()))
        if hook.delay_seconds:
            await asyncio.sleep(hook.delay_seconds)
        status = hook.answer()
        return web.json_response({"accepted": status < 300}, status=status)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield hook
    finally:
        await runner.cleanup()


async def test_the_webhook_receives_json_with_an_idempotency_key(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection, webhook: Webhook
) -> None:
    message_id = await queue(superuser, "C-1", channel="sms")

    async with WebhookAdapter(webhook.url, timeout_seconds=5) as adapter:
        summary = await dispatch_notifications(
            pipeline, adapter, now=T0, batch_size=10, max_attempts=3
        )

    assert summary == DispatchSummary(sent=1)
    [(headers, body)] = webhook.received
    assert headers["Idempotency-Key"] == f"outbox-{message_id}"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "id": message_id, "customer_id": "C-1", "product_id": "P-1", "channel": "sms",
        "cadence_window": "2026-11-24/7d", "attempt": 1,
        "payload": {"segment": "consumer", "reason": "replenish"},
    }  # fmt: skip
    row = await outbox(superuser, message_id)
    assert (row["status"], row["sent_at"], row["attempts"], row["last_error"]) == (
        "sent", T0, 1, None,
    )  # fmt: skip


async def test_webhook_failures_back_off_then_fail_after_max_attempts(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection, webhook: Webhook
) -> None:
    webhook.statuses = [503]
    message_id = await queue(superuser, "C-1")

    async def dispatch(now: datetime) -> DispatchSummary:
        async with WebhookAdapter(webhook.url, timeout_seconds=5) as adapter:
            return await dispatch_notifications(
                pipeline, adapter, now=now, batch_size=10, max_attempts=3
            )

    assert await dispatch(T0) == DispatchSummary(retried=1)
    row = await outbox(superuser, message_id)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", 1, T0 + MINUTE)
    assert row["last_error"].startswith("DeliveryError: webhook answered 503")
    # Not due again before its backoff ends.
    assert await dispatch(T0 + 59 * timedelta(seconds=1)) == DispatchSummary()
    # Second failure: 5 minutes more.
    assert await dispatch(T0 + MINUTE) == DispatchSummary(retried=1)
    row = await outbox(superuser, message_id)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == (
        "pending", 2, T0 + 6 * MINUTE,
    )  # fmt: skip
    # Third failure is the last allowed attempt: failed, never picked up again.
    assert await dispatch(T0 + 6 * MINUTE) == DispatchSummary(failed=1)
    assert await dispatch(T0 + timedelta(days=1)) == DispatchSummary()
    row = await outbox(superuser, message_id)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("failed", 3, None)
    assert [(h["Idempotency-Key"], b["attempt"]) for h, b in webhook.received] == [
        (f"outbox-{message_id}", 1), (f"outbox-{message_id}", 2), (f"outbox-{message_id}", 3),
    ]  # fmt: skip


async def test_a_retried_message_is_sent_when_the_webhook_recovers(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection, webhook: Webhook
) -> None:
    webhook.statuses = [500, 204]
    message_id = await queue(superuser, "C-1")

    async with WebhookAdapter(webhook.url, timeout_seconds=5) as adapter:
        first = await dispatch_notifications(
            pipeline, adapter, now=T0, batch_size=10, max_attempts=3
        )
        second = await dispatch_notifications(
            pipeline, adapter, now=T0 + MINUTE, batch_size=10, max_attempts=3
        )

    assert (first, second) == (DispatchSummary(retried=1), DispatchSummary(sent=1))
    row = await outbox(superuser, message_id)
    assert (row["status"], row["attempts"], row["sent_at"], row["last_error"]) == (
        "sent", 2, T0 + MINUTE, None,
    )  # fmt: skip


async def test_a_webhook_that_answers_too_late_is_a_failed_attempt(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection, webhook: Webhook
) -> None:
    webhook.delay_seconds = 1.0
    message_id = await queue(superuser, "C-1")

    async with WebhookAdapter(webhook.url, timeout_seconds=0.2) as adapter:
        summary = await dispatch_notifications(
            pipeline, adapter, now=T0, batch_size=10, max_attempts=3
        )

    assert summary == DispatchSummary(retried=1)
    row = await outbox(superuser, message_id)
    assert row["last_error"].startswith("DeliveryError: webhook timed out after 0.2s")
    assert (row["status"], row["next_attempt_at"]) == ("pending", T0 + MINUTE)


async def test_an_unreachable_webhook_is_a_failed_attempt(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection
) -> None:
    message_id = await queue(superuser, "C-1")

    async with WebhookAdapter(f"http://127.0.0.1:{free_port()}/hook") as adapter:
        summary = await dispatch_notifications(
            pipeline, adapter, now=T0, batch_size=10, max_attempts=1
        )

    assert summary == DispatchSummary(failed=1)
    row = await outbox(superuser, message_id)
    assert row["last_error"].startswith("DeliveryError: webhook unreachable: ConnectError")


def test_backoff_grows_fivefold_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=25), timedelta(minutes=125),
    ]  # fmt: skip
    assert retry_delay(9) == timedelta(hours=6)


# --- dispatch: quiet hours and opt-outs ---------------------------------------------------------


async def test_messages_due_in_quiet_hours_wait_for_their_end_in_the_customers_zone(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection
) -> None:
    # 2026-01-15 04:00 UTC, far from any DST change: 23:00 in New York (EST, UTC-5), 05:00 in
    # Berlin (CET, UTC+1), 13:00 in Tokyo (JST, UTC+9, no DST).
    now = datetime(2026, 1, 15, 4, tzinfo=UTC)
    overnight = {"quiet_hours_start": time(22), "quiet_hours_end": time(7)}
    await add_preference(superuser, "ny", "email", 7, customer_id="C-NY",
                         timezone="America/New_York", **overnight)  # fmt: skip
    await add_preference(superuser, "berlin", "email", 7, customer_id="C-BER",
                         timezone="Europe/Berlin", **overnight)  # fmt: skip
    await add_preference(superuser, "tokyo-night", "email", 7, customer_id="C-TYO",
                         timezone="Asia/Tokyo", **overnight)  # fmt: skip
    # The business segment's quiet lunch hours in Tokyo apply to its customers without their own.
    await add_preference(superuser, "business-lunch", "email", 7, segment="business",
                         timezone="Asia/Tokyo", quiet_hours_start=time(12),
                         quiet_hours_end=time(14))  # fmt: skip
    new_york = await queue(superuser, "C-NY", due=now)
    berlin = await queue(superuser, "C-BER", due=now)
    tokyo = await queue(superuser, "C-TYO", due=now)
    business = await queue(superuser, "C-BIZ", segment="business", due=now)
    anytime = await queue(superuser, "C-ANY", due=now)

    adapter = RecordingAdapter()
    summary = await dispatch_notifications(
        pipeline, adapter, now=now, batch_size=10, max_attempts=3
    )

    assert summary == DispatchSummary(sent=2, deferred_quiet_hours=3)
    assert sorted(m.id for m in adapter.delivered) == sorted([tokyo, anytime])
    expected_release = {
        new_york: datetime(2026, 1, 15, 12, tzinfo=UTC),  # 07:00 EST, after midnight local
        berlin: datetime(2026, 1, 15, 6, tzinfo=UTC),  # 07:00 CET, the same local night
        business: datetime(2026, 1, 15, 5, tzinfo=UTC),  # 14:00 JST
    }
    for message_id, release in expected_release.items():
        row = await outbox(superuser, message_id)
        assert (row["status"], row["next_attempt_at"], row["attempts"]) == ("pending", release, 0)

    # A minute early nothing goes; at 07:00 in New York its message does.
    early = await dispatch_notifications(
        pipeline, adapter, now=datetime(2026, 1, 15, 11, 59, tzinfo=UTC), batch_size=10,
        max_attempts=3,
    )  # fmt: skip
    assert early == DispatchSummary(sent=2)  # Berlin and the business customer
    released = await dispatch_notifications(
        pipeline, adapter, now=datetime(2026, 1, 15, 12, tzinfo=UTC), batch_size=10,
        max_attempts=3,
    )  # fmt: skip
    assert released == DispatchSummary(sent=1)
    assert (await outbox(superuser, new_york))["sent_at"] == datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local_now", "start", "end", "release"),
    [
        # Across midnight, before and after it; the end itself is outside the window.
        (datetime(2026, 3, 1, 22, 30), time(22), time(7), datetime(2026, 3, 2, 7)),
        (datetime(2026, 3, 2, 6, 59), time(22), time(7), datetime(2026, 3, 2, 7)),
        (datetime(2026, 3, 2, 7, 0), time(22), time(7), None),
        (datetime(2026, 3, 2, 21, 59), time(22), time(7), None),
        # Within a day.
        (datetime(2026, 3, 2, 12, 0), time(12), time(14), datetime(2026, 3, 2, 14)),
        (datetime(2026, 3, 2, 14, 0), time(12), time(14), None),
        # Equal times: no quiet hours at all.
        (datetime(2026, 3, 2, 9, 0), time(9), time(9), None),
    ],
)
def test_quiet_hours_end_in_local_time(
    local_now: datetime, start: time, end: time, release: datetime | None
) -> None:
    # Asia/Kolkata (UTC+05:30) has no DST.
    kolkata = timedelta(hours=5, minutes=30)
    moment = (local_now - kolkata).replace(tzinfo=UTC)
    expected = None if release is None else (release - kolkata).replace(tzinfo=UTC)
    assert quiet_hours_end(moment, start, end, "Asia/Kolkata") == expected


async def test_messages_are_suppressed_when_reminders_were_switched_off_after_queueing(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection
) -> None:
    own = await queue(superuser, "C-OWN")
    segment = await queue(superuser, "C-SEG", channel="sms", segment="business")
    opted_out = await queue(superuser, "C-OPT")
    other_channel = await queue(superuser, "C-ALL", channel="push")
    still_on = await queue(superuser, "C-ON", channel="sms", segment="business")
    # After queueing: C-OWN disables its email reminders (keeping push); the business segment
    # its sms ones; C-OPT opts out of marketing; C-ALL disables its only (email) preference; C-ON
    # keeps its sms preference though the business segment switched sms off (its own wins).
    await add_preference(superuser, "own", "email", 7, customer_id="C-OWN", enabled=False)
    await add_preference(superuser, "own-push", "push", 7, customer_id="C-OWN")
    await add_preference(superuser, "biz", "sms", 7, segment="business", enabled=False)
    await SilverWriter(superuser).add("customers", customer_id="C-OPT", marketing_opt_in=False)
    await add_preference(superuser, "all", "email", 7, customer_id="C-ALL", enabled=False)
    await add_preference(superuser, "on", "sms", 7, customer_id="C-ON")

    adapter = RecordingAdapter()
    summary = await dispatch_notifications(pipeline, adapter, now=T0, batch_size=10, max_attempts=3)

    assert summary == DispatchSummary(sent=1, suppressed=4)
    assert [m.id for m in adapter.delivered] == [still_on]
    reasons = {
        message_id: ((row := await outbox(superuser, message_id))["status"], row["last_error"])
        for message_id in (own, segment, opted_out, other_channel)
    }
    assert reasons == {
        own: ("suppressed", "email reminders disabled"),
        segment: ("suppressed", "sms reminders disabled"),
        opted_out: ("suppressed", "customer opted out of marketing"),
        other_channel: ("suppressed", "customer disabled every reminder preference"),
    }


# --- dispatch: concurrency ---------------------------------------------------------------------


async def test_two_concurrent_dispatchers_deliver_and_mark_each_message_once(
    database: TestDatabase, superuser: asyncpg.Connection
) -> None:
    ids = [await queue(superuser, f"C-{n:02d}") for n in range(40)]
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    clocks = {"first": T0, "second": T0 + timedelta(seconds=1)}
    adapters = {"first": RecordingAdapter(), "second": RecordingAdapter()}
    try:
        summaries = await asyncio.gather(
            dispatch_notifications(first, adapters["first"], now=clocks["first"], batch_size=3,
                                   max_attempts=3),
            dispatch_notifications(second, adapters["second"], now=clocks["second"],
                                   batch_size=3, max_attempts=3),
        )  # fmt: skip
    finally:
        await first.close()
        await second.close()

    delivered = {name: [m.id for m in adapter.delivered] for name, adapter in adapters.items()}
    assert sorted(delivered["first"] + delivered["second"]) == ids  # each exactly once
    assert delivered["first"], "both dispatchers really worked"
    assert delivered["second"], "both dispatchers really worked"
    assert [s.sent for s in summaries] == [len(delivered["first"]), len(delivered["second"])]
    rows = await superuser.fetch(
        "SELECT id, status, attempts, sent_at FROM reminders.notification_outbox"
    )
    sent_by = {i: clocks[name] for name, sent in delivered.items() for i in sent}
    # Each row was marked by the dispatcher that delivered it, once: its clock, one attempt.
    assert {row["id"]: (row["status"], row["attempts"], row["sent_at"]) for row in rows} == {
        i: ("sent", 1, sent_by[i]) for i in ids
    }


async def test_a_message_whose_lease_ran_out_is_marked_sent_once(
    database: TestDatabase, superuser: asyncpg.Connection
) -> None:
    message_id = await queue(superuser, "C-1")
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    slow_connection, fast_connection = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    started, release = asyncio.Event(), asyncio.Event()

    class StuckAdapter(NotificationAdapter):
        """Delivers only once the test lets it: long after its lease ran out."""

        async def deliver(self, message: OutboundMessage) -> None:
            started.set()
            await release.wait()

    fast = RecordingAdapter()
    try:
        slow_run = asyncio.create_task(
            dispatch_notifications(slow_connection, StuckAdapter(), now=T0, batch_size=5,
                                   max_attempts=3, lease_seconds=60)
        )  # fmt: skip
        await started.wait()
        # Within the lease nobody else touches it; after it, another dispatcher does.
        within = await dispatch_notifications(
            fast_connection, fast, now=T0 + timedelta(seconds=59), batch_size=5, max_attempts=3
        )
        after = await dispatch_notifications(
            fast_connection, fast, now=T0 + 2 * MINUTE, batch_size=5, max_attempts=3
        )
        release.set()
        slow = await slow_run
    finally:
        await slow_connection.close()
        await fast_connection.close()

    assert (within, after) == (DispatchSummary(), DispatchSummary(sent=1))
    assert slow == DispatchSummary(superseded=1)
    assert slow.describe().endswith(", 1 settled by another dispatcher")
    row = await outbox(superuser, message_id)
    assert (row["status"], row["sent_at"], row["attempts"]) == ("sent", T0 + 2 * MINUTE, 1)


async def test_a_failing_adapter_never_leaves_a_message_claimed(
    superuser: asyncpg.Connection, pipeline: asyncpg.Connection
) -> None:
    class BrokenAdapter(NotificationAdapter):
        async def deliver(self, message: OutboundMessage) -> None:
            raise DeliveryError("provider said no")

    message_id = await queue(superuser, "C-1")

    summary = await dispatch_notifications(
        pipeline, BrokenAdapter(), now=T0, batch_size=1, max_attempts=5
    )

    assert summary == DispatchSummary(retried=1)
    row = await outbox(superuser, message_id)
    assert (row["status"], row["last_error"]) == ("pending", "DeliveryError: provider said no")


# --- settings -----------------------------------------------------------------------------------


def test_the_adapter_is_the_webhook_when_its_url_is_set(tmp_path: Path) -> None:
    webhook = FlowSettings(
        _env_file=None, data_dir=tmp_path,
        notification_webhook_url="http://127.0.0.1:9/reminders",
        notification_webhook_timeout_seconds=3,
    )  # fmt: skip
    adapter = adapter_from_settings(webhook)
    assert isinstance(adapter, WebhookAdapter)
    assert (adapter.url, adapter.timeout_seconds) == ("http://127.0.0.1:9/reminders", 3)
    assert isinstance(adapter_from_settings(FlowSettings(_env_file=None, data_dir=tmp_path)),
                      LogAdapter)  # fmt: skip


def test_a_lease_shorter_than_a_webhook_batch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must exceed batch size x webhook timeout"):
        FlowSettings(
            _env_file=None, data_dir=tmp_path, notification_webhook_url="http://hooks.local/r",
            notification_batch_size=40, notification_webhook_timeout_seconds=10,
            notification_lease_seconds=300,
        )  # fmt: skip

"""The notification runners: the loyalty flow's hook that queues due reminders, and the
dispatch of queued notifications through the configured adapter."""

from __future__ import annotations

import asyncpg

from flows.lineage import LineageEmitter
from flows.notifications import (
    DispatchSummary,
    adapter_from_settings,
    dispatch_notifications,
    enqueue_notifications,
)
from flows.runs import flows_dsn
from flows.settings import FlowSettings


async def queue_notifications(connection: asyncpg.Connection) -> str:
    """The loyalty flow's notification hook: queue the due reminders."""
    return f"{await enqueue_notifications(connection)} notification(s) queued"


async def run_notification_dispatch(settings: FlowSettings) -> DispatchSummary:
    """Deliver the due notifications through the configured adapter (log, or the webhook).

    Needs no pipeline lock: claims skip rows another dispatcher holds, and each message is
    marked sent once. The run is traced in OpenLineage like the others."""
    emitter = LineageEmitter.from_settings(settings)
    table = ("reminders.notification_outbox",)
    connection = await asyncpg.connect(flows_dsn(settings))
    try:
        async with (
            emitter.run("dispatch_notifications", inputs=table, outputs=table),
            adapter_from_settings(settings) as adapter,
        ):
            return await dispatch_notifications(
                connection,
                adapter,
                batch_size=settings.notification_batch_size,
                max_attempts=settings.notification_max_attempts,
                lease_seconds=settings.notification_lease_seconds,
            )
    finally:
        await connection.close()
        emitter.close()

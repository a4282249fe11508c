"""Reminder notifications: queued from the reminder candidates, delivered through an adapter.

`enqueue_notifications` turns due reminder candidates into outbox rows (at most one per customer
and cadence window); `dispatch_notifications` claims due outbox rows, honours quiet hours and
opt-outs, delivers through a `NotificationAdapter` (log or webhook) and retries with backoff.
"""

from flows.notifications.adapters import (
    DeliveryError,
    LogAdapter,
    NotificationAdapter,
    OutboundMessage,
    WebhookAdapter,
    adapter_from_settings,
)
from flows.notifications.dispatch import DispatchSummary, dispatch_notifications, retry_delay
from flows.notifications.enqueue import enqueue_notifications
from flows.notifications.quiet_hours import quiet_hours_end

__all__ = [
    "DeliveryError",
    "DispatchSummary",
    "LogAdapter",
    "NotificationAdapter",
    "OutboundMessage",
    "WebhookAdapter",
    "adapter_from_settings",
    "dispatch_notifications",
    "enqueue_notifications",
    "quiet_hours_end",
    "retry_delay",
]

"""Where reminders go: an adapter delivers one outbox message or raises `DeliveryError`.

`LogAdapter` (the default) writes one log line per message; `WebhookAdapter` POSTs the message
as JSON to a URL with an `Idempotency-Key` header, so a receiver can drop the rare duplicate (a
dispatcher that crashed after delivering, before recording it, leaves the message to be sent
again once its lease runs out). Adapters are async context managers: the webhook's HTTP client
lives between `__aenter__` and `__aexit__`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

if TYPE_CHECKING:
    from flows.settings import FlowSettings

logger = logging.getLogger(__name__)

# How much of a failing webhook's answer is kept in the outbox's last_error.
ERROR_BODY_CHARS = 200


class DeliveryError(RuntimeError):
    """The adapter could not deliver the message; the dispatcher retries it later."""


@dataclass(frozen=True)
class OutboundMessage:
    """One outbox message on its way out."""

    id: int
    customer_id: str
    product_id: str
    channel: str
    cadence_window: str
    attempt: int  # 1 on the first delivery attempt
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt at this message: `outbox-<id>`."""
        return f"outbox-{self.id}"

    def as_json(self) -> dict[str, Any]:
        """The message as the webhook receives it."""
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "product_id": self.product_id,
            "channel": self.channel,
            "cadence_window": self.cadence_window,
            "attempt": self.attempt,
            "payload": self.payload,
        }


class NotificationAdapter:
    """Delivers messages; use as `async with adapter:` so its resources are released."""

    async def deliver(self, message: OutboundMessage) -> None:
        """Deliver `message` or raise `DeliveryError`."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class LogAdapter(NotificationAdapter):
    """Delivers by logging one line per message (local runs and demos)."""

    async def deliver(self, message: OutboundMessage) -> None:
        """Log the message."""
        logger.info(
            "reminder %s to %s by %s: product %s, window %s, attempt %d",
            message.idempotency_key,
            message.customer_id,
            message.channel,
            message.product_id,
            message.cadence_window,
            message.attempt,
        )


class WebhookAdapter(NotificationAdapter):
    """POSTs each message as JSON to `url`; any answer but 2xx, or no answer in time, fails."""

    def __init__(self, url: str, *, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout_seconds), follow_redirects=False
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def deliver(self, message: OutboundMessage) -> None:
        """POST the message; raise `DeliveryError` on a timeout, a transport error or non-2xx."""
        if self._client is None:
            raise RuntimeError("open the WebhookAdapter with `async with` before delivering")
        try:
            response = await self._client.post(
                self.url,
                json=message.as_json(),
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except httpx.TimeoutException as error:
            raise DeliveryError(
                f"webhook timed out after {self.timeout_seconds:g}s ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryError(
                f"webhook answered {response.status_code}: {response.text[:ERROR_BODY_CHARS]}"
            )


def adapter_from_settings(settings: FlowSettings) -> NotificationAdapter:
    """The webhook adapter when ECOM_NOTIFICATION_WEBHOOK_URL is set, else the log adapter."""
    if settings.notification_webhook_url:
        return WebhookAdapter(
            str(settings.notification_webhook_url),
            timeout_seconds=settings.notification_webhook_timeout_seconds,
        )
    return LogAdapter()

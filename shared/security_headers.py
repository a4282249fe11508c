"""Headers every response carries, whichever layer produced it (pure ASGI)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http_settings import HttpFrontSettings


def security_headers(settings: HttpFrontSettings) -> list[tuple[bytes, bytes]]:
    """The headers added to every response under `settings`."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if settings.hsts_max_age_s > 0:
        value = f"max-age={settings.hsts_max_age_s}; includeSubDomains".encode()
        headers.append((b"strict-transport-security", value))
    return headers


class SecurityHeaders:
    """Sets the security headers on every response, replacing copies an inner layer (or a
    proxied service) already set, so none is ever sent twice."""

    def __init__(self, app: ASGIApp, settings: HttpFrontSettings) -> None:
        self.app = app
        self.headers = security_headers(settings)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in self.names
                ]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

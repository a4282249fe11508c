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


CSP = b"content-security-policy"
# API answers (JSON, problem documents, files) are never documents to render: nothing may load.
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
# The docs pages (Swagger UI, ReDoc): their scripts, styles, icon and web workers, served by
# the gateway itself, or from the CDN FastAPI's default pages of a service use; an inline script
# starts Swagger UI, and the pages fetch the OpenAPI document from their own origin.
DOCS_POLICY = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net;"
    b" style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com;"
    b" img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly;"
    b" font-src 'self' data: https://fonts.gstatic.com; connect-src 'self';"
    b" worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def content_security_policy(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The policy a response with `headers` needs, or None when it sets its own (a page such as
    the web console knows what it loads; its policy is never replaced)."""
    html = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == CSP:
            return None
        if lowered == b"content-type":
            html = value.lower().startswith(b"text/html")
    return DOCS_POLICY if html else API_POLICY


class SecurityHeaderSet:
    """The security headers of `settings`, and how they are set on a response."""

    def __init__(self, settings: HttpFrontSettings) -> None:
        self.headers = security_headers(settings)
        self.names = {name for name, _ in self.headers}

    def secured(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """A response's `headers` with the security headers (and a policy) set once."""
        kept = [(name, value) for name, value in headers if name.lower() not in self.names]
        policy = content_security_policy(headers)
        if policy is not None:
            kept.append((CSP, policy))
        return kept + self.headers


class SecurityHeaders(SecurityHeaderSet):
    """Sets the security headers on every response, replacing copies an inner layer (or a
    proxied service) already set, so none is ever sent twice; adds a Content-Security-Policy
    unless the response carries one."""

    def __init__(self, app: ASGIApp, settings: HttpFrontSettings) -> None:
        super().__init__(settings)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.secured(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

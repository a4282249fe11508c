"""Running a declared deployable: the only code that imports a deployable's settings and app.

deploy/deployables.py names each HTTP deployable's settings class and app factory by dotted path;
`ecom serve <name>` resolves them here, so adding a deployable is one declaration.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from deploy.deployables import Deployable, Kind, by_name, of_kind


def load(dotted: str) -> Any:
    """The object a "module:attribute" path names."""
    module, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module), attribute)


def servable() -> tuple[str, ...]:
    """What `ecom serve` can run: every HTTP deployable, by name."""
    return tuple(deployable.name for deployable in of_kind(Kind.HTTP))


def serve_http(name: str) -> None:
    """Run one HTTP deployable under uvicorn, in the foreground, with its own settings."""
    import uvicorn

    from shared.http_server import server_options

    deployable: Deployable = by_name()[name]
    if deployable.kind is not Kind.HTTP or deployable.app_factory is None:
        raise ValueError(f"{name} is not an HTTP deployable")
    settings = load(deployable.settings)()
    create_app: Callable[[Any], Any] = load(deployable.app_factory)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=getattr(settings, str(deployable.port_setting)),
        log_level=settings.log_level.lower(),  # ECOM_LOG_LEVEL
        log_config=None,  # our handlers (ECOM_LOG_FORMAT) on uvicorn's loggers too
        access_log=False,  # the gateway's access log has each request, with its id
        **server_options(settings),
    )

"""Every operation of every service, fuzzed in-process by schemathesis with its default checks.

Each operation gets a fresh database and app; hypothesis draws valid and invalid requests from
the OpenAPI document and schemathesis checks every response (no 5xx, documented status codes,
content types, headers and bodies, invalid data rejected, valid data accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from services.admin.app import create_app as create_admin
from services.admin.settings import AdminSettings
from services.loyalty.app import create_app as create_loyalty
from services.loyalty.settings import LoyaltySettings
from services.reminders.app import create_app as create_reminders
from services.reminders.settings import ReminderSettings
from services.transparency.app import create_app as create_transparency
from services.transparency.settings import TransparencySettings
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.services.conftest import identity_headers, settings_for_service

EXAMPLES_PER_OPERATION = 60
# Schemathesis' defaults, plus 412 and 428: like 404 and 409 they depend on stored state (an
# If-Match that no longer matches or names a missing row; a PUT replacing an existing row
# without one), not on the request's shape.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": [
                    "2xx",
                    "3xx",
                    "401",
                    "403",
                    "404",
                    "409",
                    "412",
                    "428",
                    "429",
                    "5xx",
                ]
            }
        }
    }
)
AppFactory = Callable[[TestDatabase, Path], FastAPI]


def admin_app(database: TestDatabase, data_dir: Path) -> FastAPI:
    return create_admin(settings_for_service(AdminSettings, database, data_dir))


def loyalty_app(database: TestDatabase, data_dir: Path) -> FastAPI:
    return create_loyalty(settings_for_service(LoyaltySettings, database, data_dir))


def reminders_app(database: TestDatabase, data_dir: Path) -> FastAPI:
    return create_reminders(settings_for_service(ReminderSettings, database, data_dir))


def transparency_app(database: TestDatabase, data_dir: Path) -> FastAPI:
    return create_transparency(settings_for_service(TransparencySettings, database, data_dir))


SERVICES: dict[str, AppFactory] = {
    "admin": admin_app,
    "loyalty": loyalty_app,
    "reminders": reminders_app,
    "transparency": transparency_app,
}


def operation_labels(factory: AppFactory) -> list[str]:
    """`GET /api/...` labels of an app's operations (its OpenAPI needs no database)."""
    spec = factory(TestDatabase("postgresql://unused@127.0.0.1/unused", "unused"), Path("."))
    schema = schemathesis.openapi.from_dict(spec.openapi())
    return [result.ok().label for result in schema.get_all_operations()]  # type: ignore[union-attr]


CASES = [
    pytest.param(service, label, id=f"{service} {label}")
    for service, factory in SERVICES.items()
    for label in operation_labels(factory)
]


def fuzz(operation: Any, examples: int, **call: Any) -> None:
    """Send `examples` valid and invalid requests to `operation`, checking every response."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,  # the same examples on every run: CI is reproducible
    )
    def check(case: Case) -> None:  # type: ignore[type-arg]
        case.call_and_validate(**call)

    check()


@pytest.mark.parametrize(("service", "label"), CASES)
def test_operation_passes_schemathesis_default_checks(
    service: str, label: str, database: TestDatabase, tmp_path: Path
) -> None:
    app = SERVICES[service](database, tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    fuzz(operation, EXAMPLES_PER_OPERATION, headers=identity_headers(Role.ADMIN))

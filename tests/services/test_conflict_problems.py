"""A write the database refuses is a problem document in the API's words: field names, never
SQL, table, constraint or driver text; 409 for duplicates and still-referenced deletes, 422 for
values a rule refuses."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.admin.app import create_app as create_admin_app
from services.admin.entities import customers, orders, products
from services.reminders.app import create_app as create_reminders_app
from services.reminders.entities import csr, events, preferences
from shared.crud import Resource
from shared.database import create_engine
from shared.identity import Role
from shared.integrity import ConstraintMap, ConstraintRule, integrity_problem
from tests.conftest import TestDatabase
from tests.services.admin.back_office import CUSTOMERS, PRODUCTS, create
from tests.services.admin.back_office import as_role as admin_as
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for
from tests.services.reminders.callers import (
    CONFIGURATIONS,
    as_role,
    assert_problem,
    create_configuration,
    customer_preference,
    item,
    segment_preference,
)
from tests.services.reminders.conftest import reminder_settings

# What a leaked PostgreSQL message looks like: its key/detail phrasing, SQL words, our table and
# constraint names, the driver's class names.
LEAKS = re.compile(
    r"Key \(|COALESCE|violates|constraint|relation|_pkey|_check|_key\b|reminder_preferences"
    r"|admin\.|reminders\.|asyncpg|sqlalchemy|IntegrityError|SQLSTATE|DETAIL:",
    re.IGNORECASE,
)
API_RESOURCES: tuple[Resource, ...] = (
    products.RESOURCE,
    customers.RESOURCE,
    orders.RESOURCE,
    preferences.RESOURCE,
    csr.RESOURCE,
    events.RESOURCE,
)


@pytest.fixture
async def reminders_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The reminders service on this test's database."""
    async for http in client_for(create_reminders_app(reminder_settings(database, tmp_path))):
        yield http


@pytest.fixture
async def admin_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The admin service on this test's database."""
    async for http in client_for(create_admin_app(admin_settings(database, tmp_path))):
        yield http


def assert_no_internals(problem: dict[str, Any]) -> None:
    """No part of the problem document carries database text."""
    rendered = repr([problem.get("title"), problem.get("detail"), problem.get("errors")])
    assert not LEAKS.search(rendered), rendered


async def test_a_duplicate_reminder_configuration_says_what_conflicts_in_api_words(
    reminders_client: AsyncClient,
) -> None:
    await create_configuration(reminders_client, customer_preference())

    again = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(cadence_days=30), headers=as_role(Role.CSR)
    )

    problem = assert_problem(again, 409)
    assert_no_internals(problem)
    assert "this customer or segment on this channel" in problem["detail"]
    fields = {tuple(error["loc"]) for error in problem["errors"]}
    assert {("body", "channel"), ("body", "customer_id")} <= fields


async def test_patching_a_configuration_onto_a_taken_channel_leaks_nothing(
    reminders_client: AsyncClient,
) -> None:
    await create_configuration(reminders_client, segment_preference(channel="sms"))
    push = await create_configuration(reminders_client, segment_preference(channel="push"))

    moved = await reminders_client.patch(
        item(push["preference_id"]),
        json={"channel": "sms"},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert_no_internals(assert_problem(moved, 409))


async def test_a_duplicate_sku_and_email_name_the_field_not_the_constraint(
    admin_client: AsyncClient,
) -> None:
    await create(admin_client, PRODUCTS, "P-1", sku="TEE-M")
    await create(admin_client, CUSTOMERS, "C1", email="ada@example.com")

    sku = await admin_client.post(
        PRODUCTS.url, json=PRODUCTS.payload("P-2", sku="TEE-M"), headers=admin_as(Role.EDITOR)
    )
    email = await admin_client.post(
        CUSTOMERS.url,
        json=CUSTOMERS.payload("C2", email="ADA@example.com"),
        headers=admin_as(Role.EDITOR),
    )
    same_key = await admin_client.post(
        PRODUCTS.url, json=PRODUCTS.payload("P-1"), headers=admin_as(Role.EDITOR)
    )

    for response, field in ((sku, "sku"), (email, "email"), (same_key, "product_id")):
        assert response.status_code == 409, response.text
        problem = response.json()
        assert_no_internals(problem)
        assert f"`{field}`" in problem["detail"]
        assert problem["errors"] == [
            {"loc": ["body", field], "msg": problem["detail"], "type": "conflict"}
        ]


@pytest.fixture
async def engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    """A SQLAlchemy engine (asyncpg) on this test's database, as the services use."""
    created = create_engine(database.url)
    try:
        yield created
    finally:
        await created.dispose()


async def _refusal(engine: AsyncEngine, *statements: str) -> IntegrityError:
    """The IntegrityError the last statement raises (the ones before it arrange rows)."""
    async with engine.connect() as connection:
        for statement in statements[:-1]:
            await connection.execute(text(statement))
        with pytest.raises(IntegrityError) as raised:
            await connection.execute(text(statements[-1]))
        await connection.rollback()
    return raised.value


async def test_check_and_not_null_refusals_are_422s_naming_fields(engine: AsyncEngine) -> None:
    negative = await _refusal(
        engine,
        "INSERT INTO admin.orders (order_id, customer_id, order_date, status, channel, region,"
        " currency, total_amount) VALUES ('O1', 'C1', now(), 'paid', 'web', 'n', 'USD', -1)",
    )
    missing = await _refusal(
        engine, "INSERT INTO admin.orders (order_id, customer_id) VALUES ('O2', 'C1')"
    )

    check = integrity_problem(
        negative,
        "order",
        orders.RESOURCE.constraints,
        fields=frozenset(orders.RESOURCE.table.c.keys()),
    )
    not_null = integrity_problem(
        missing,
        "order",
        orders.RESOURCE.constraints,
        fields=frozenset(orders.RESOURCE.table.c.keys()),
    )

    assert (check.status, check.detail) == (422, "`total_amount` must not be negative.")
    assert check.errors == [{"loc": ["body", "total_amount"], "msg": check.detail, "type": "rule"}]
    assert (not_null.status, not_null.detail) == (422, "`order_date` must have a value.")


async def test_deleting_a_referenced_row_is_a_409_and_a_missing_reference_a_422(
    engine: AsyncEngine,
) -> None:
    setup = (
        "CREATE TABLE public.parent (id int PRIMARY KEY)",
        "CREATE TABLE public.child (id int PRIMARY KEY,"
        " parent_id int CONSTRAINT child_parent REFERENCES public.parent)",
        "INSERT INTO public.parent VALUES (1)",
        "INSERT INTO public.child VALUES (1, 1)",
    )
    still_used = await _refusal(engine, *setup, "DELETE FROM public.parent WHERE id = 1")
    dangling = await _refusal(engine, *setup, "INSERT INTO public.child VALUES (2, 99)")
    words: ConstraintMap = {
        "child_parent": ConstraintRule(("parent_id",), "`parent_id` names no parent.")
    }

    on_delete = integrity_problem(still_used, "parent", {}, deleting=True)
    on_insert = integrity_problem(dangling, "child", words)
    unknown = integrity_problem(dangling, "child", {})

    assert (on_delete.status, on_delete.detail) == (
        409,
        "Other records still refer to this parent.",
    )
    assert (on_insert.status, on_insert.detail) == (422, "`parent_id` names no parent.")
    assert (unknown.status, unknown.errors) == (422, None)
    for problem in (on_delete, on_insert, unknown):
        assert not LEAKS.search(f"{problem.detail} {problem.errors}")


async def test_every_constraint_of_a_written_table_is_explained(database: TestDatabase) -> None:
    for resource in API_RESOURCES:
        table = resource.table
        named = await database.fetch(
            "SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass"
            " UNION SELECT indexrelid::regclass::text FROM pg_index"
            " WHERE indrelid = $1::regclass AND indisunique AND NOT indisprimary",
            f"{table.schema}.{table.name}",
        )
        names = {str(row["name"]).rsplit(".", 1)[-1] for row in named}
        assert names, table.name
        assert names <= set(resource.constraints), (table.name, names - set(resource.constraints))

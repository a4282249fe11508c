"""Customers keep history (SCD Type 2); orders arriving before their customer infer one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import customer_row, land_rows
from tests.flows.orders_csv import order_row

NOV_1 = "2026-11-01 09:00:00+00"
VERSIONS = (
    "SELECT phone, region, valid_from::text, valid_to::text, is_current, is_inferred"
    " FROM silver.customers WHERE customer_id = $1 ORDER BY valid_from, version_id"
)


async def test_tracked_change_opens_a_version_and_untracked_change_overwrites(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_rows(lake, "customers", "1", [customer_row("C1")])
    await run_data_pipeline(flow_settings)
    land_rows(
        lake,
        "customers",
        "2",
        [customer_row("C1", phone="+1-555-0199", updated_at="2026-11-02T09:00:00Z")],
    )
    [second] = (await run_data_pipeline(flow_settings)).loaded
    land_rows(
        lake,
        "customers",
        "3",
        [
            customer_row(
                "C1", phone="+1-555-0199", region="us-west", updated_at="2026-11-03T09:00:00Z"
            )
        ],
    )
    [third] = (await run_data_pipeline(flow_settings)).loaded
    land_rows(
        lake,
        "customers",
        "4",
        [customer_row("C1", region="canada", updated_at="2026-11-02T12:00:00Z")],
    )
    [late] = (await run_data_pipeline(flow_settings)).loaded

    assert (second.updated, third.updated, late.stale) == (1, 1, 1)
    assert await database.rows(VERSIONS, "C1") == [
        ("+1-555-0199", "us-east", NOV_1, "2026-11-03 09:00:00+00", False, False),
        ("+1-555-0199", "us-west", "2026-11-03 09:00:00+00", "infinity", True, False),
    ]


async def test_tracked_columns_are_a_setting(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    settings = flow_settings.model_copy(update={"history_columns": {"customers": ["phone"]}})
    land_rows(lake, "customers", "1", [customer_row("C1")])
    await run_data_pipeline(settings)
    land_rows(
        lake,
        "customers",
        "2",
        [customer_row("C1", phone="+1-555-0199", updated_at="2026-11-02T09:00:00Z")],
    )
    await run_data_pipeline(settings)

    assert [(v[0], v[4]) for v in await database.rows(VERSIONS, "C1")] == [
        ("+1-555-0100", False),
        ("+1-555-0199", True),
    ]


async def test_an_orphan_order_infers_its_customer_until_the_real_row_completes_it(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_rows(lake, "orders", "1", [order_row("o-1", customer_id="C9")])
    [orders] = (await run_data_pipeline(flow_settings)).loaded

    assert (orders.inserted, orders.parents_inferred) == (1, 1)
    assert await database.rows(VERSIONS, "C9") == [
        (None, None, "-infinity", "infinity", True, True),
    ]

    land_rows(lake, "customers", "2", [customer_row("C9", updated_at="2026-11-19T11:00:00Z")])
    [customers] = (await run_data_pipeline(flow_settings)).loaded

    assert (customers.updated, customers.inserted) == (1, 0)
    assert await database.rows(VERSIONS, "C9") == [
        ("+1-555-0100", "us-east", "2026-11-19 11:00:00+00", "infinity", True, False),
    ]


def test_tracked_columns_must_name_a_history_table_and_its_columns() -> None:
    with pytest.raises(ValidationError, match="'orders' keeps no history"):
        FlowSettings(_env_file=None, history_columns={"orders": ["status"]})
    with pytest.raises(ValidationError, match=r"silver\.customers has no column\(s\) shoe_size"):
        FlowSettings(_env_file=None, history_columns={"customers": ["shoe_size", "email"]})

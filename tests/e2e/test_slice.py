"""The thin slice end to end: generator -> pipeline -> admin service -> gateway, over sockets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx

from flows.generator import GenerateRequest, generate
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.identity import Role, issue_token
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.e2e.conftest import JWT_SECRET

URL = "/api/admin/kpis/daily-revenue"


async def test_generated_orders_are_served_through_the_gateway(
    database: TestDatabase, tmp_path: Path, gateway_url: str
) -> None:
    settings = FlowSettings(
        _env_file=None, data_dir=tmp_path, database_url=database.role_url(Owner.FLOWS)
    )
    [batch] = generate(settings, GenerateRequest(orders=30, seed=3, clean=True))
    [orders_file] = [f for f in batch.files if f.entity == "orders"]
    orders_csv = ObjectStore.from_settings(settings).read_bytes(orders_file.key).decode()
    # Every order reaches the mart, foreign-currency ones converted at the day's FX rate.
    currencies = [row["currency"] for row in csv.DictReader(io.StringIO(orders_csv))]
    await run_data_pipeline(settings)
    token = issue_token(JWT_SECRET, Role.ADMIN, "e2e-admin")

    async with httpx.AsyncClient(base_url=gateway_url) as client:
        served = await client.get(URL, headers={"Authorization": f"Bearer {token}"})
        anonymous = await client.get(URL)
        forged = await client.get(URL, headers={"x-admin-role": "admin"})
        customer_forging_admin = await client.get(
            URL,
            headers={
                "Authorization": f"Bearer {issue_token(JWT_SECRET, Role.CUSTOMER, 'C1')}",
                "x-admin-role": "admin",
            },
        )

    assert served.status_code == 200
    body = served.json()
    assert body["data"], "the mart should have rows for the generated batch"
    assert sum(r["orders"] + r["cancelled_orders"] for r in body["data"]) == len(currencies) == 30
    assert set(currencies) - {"USD"}, "the batch should hold foreign-currency orders"
    assert {r["currency"] for r in body["data"]} == {"USD"}
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert forged.status_code == 401
    assert customer_forging_admin.status_code == 403

"""/api/trust/metrics and its CSV export: every metric exactly, the data date, an empty mart, and
an export that opens as CSV, follows the export guidance and holds no live formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from httpx import AsyncClient

from shared.exports import FORMULA_TRIGGERS
from shared.identity import Role
from tests.services.mart_rows import MartWriter
from tests.services.responses import as_role, viewer
from tests.services.transparency.marts import METRICS, METRICS_EXPORT

ON_TIME_DESCRIPTION = "Shipments delivered by their promised date / shipments due"
HOSTILE_DESCRIPTION = '=HYPERLINK("http://evil.example","open me")'


@pytest.fixture
async def metrics(marts: MartWriter) -> None:
    """Five metrics: missed, unjudged, met, negative, unmeasured and one with hostile text."""
    await marts.add("trust_metrics", metric="on_time_delivery_rate", value=Decimal("0.8433"),
                    unit="ratio", target=Decimal("0.90"), target_direction="at_least",
                    meets_target=False, description=ON_TIME_DESCRIPTION)  # fmt: skip
    await marts.add("trust_metrics", metric="penalties_accrued", value=Decimal("414.00"),
                    unit="USD", description="Late-delivery penalties")  # fmt: skip
    await marts.add("trust_metrics", metric="stale_inventory_stockists", value=Decimal(0),
                    unit="count", time_window="latest", target=Decimal(0),
                    target_direction="at_most", meets_target=True,
                    description="Stockists with a stale snapshot")  # fmt: skip
    await marts.add("trust_metrics", metric="average_sentiment", value=Decimal("-0.12"),
                    unit="score", target=Decimal(0), target_direction="at_least",
                    meets_target=False, description="Mean sentiment")  # fmt: skip
    await marts.add("trust_metrics", metric="median_first_response_minutes", unit="minutes",
                    target=Decimal(60), target_direction="at_most",
                    description="Median minutes to the first response")  # fmt: skip
    # The pipeline writes descriptions itself; the export must still never carry a formula.
    await marts.add("trust_metrics", metric="support_cases", value=Decimal(7), unit="count",
                    description=HOSTILE_DESCRIPTION)  # fmt: skip


@pytest.mark.usefixtures("metrics")
async def test_every_metric_by_name_with_the_data_date(transparency_client: AsyncClient) -> None:
    response = await transparency_client.get(METRICS, headers=viewer())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of_date"] == "2026-11-26"
    assert [row["metric"] for row in body["data"]] == [
        "average_sentiment",
        "median_first_response_minutes",
        "on_time_delivery_rate",
        "penalties_accrued",
        "stale_inventory_stockists",
        "support_cases",
    ]
    assert body["data"][2] == {
        "metric": "on_time_delivery_rate",
        "value": "0.8433",
        "unit": "ratio",
        "time_window": "30d",
        "target": "0.9000",
        "target_direction": "at_least",
        "meets_target": False,
        "description": ON_TIME_DESCRIPTION,
        "as_of_date": "2026-11-26",
        "refreshed_at": "2026-11-27T06:00:00Z",
    }
    unmeasured, unjudged, met = body["data"][1], body["data"][3], body["data"][4]
    assert (unmeasured["value"], unmeasured["meets_target"]) == (None, None)
    assert (unjudged["target"], unjudged["target_direction"], unjudged["meets_target"]) == (
        None,
        None,
        None,
    )
    assert (met["value"], met["time_window"], met["meets_target"]) == ("0.0000", "latest", True)


async def test_before_the_first_build_there_are_no_metrics_and_no_data_date(
    transparency_client: AsyncClient,
) -> None:
    response = await transparency_client.get(METRICS, headers=viewer())

    assert response.status_code == 200
    assert response.json() == {"as_of_date": None, "data": []}


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV export, header first."""
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


@pytest.mark.usefixtures("metrics")
async def test_export_is_a_csv_attachment_as_the_export_guidance_describes(
    transparency_client: AsyncClient,
) -> None:
    response = await transparency_client.get(METRICS_EXPORT, headers=as_role(Role.EDITOR))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="trust_metrics.csv"'
    header, *rows = csv_rows(response.content)
    assert header == [
        "metric",
        "value",
        "unit",
        "time_window",
        "target",
        "target_direction",
        "meets_target",
        "description",
        "as_of_date",
        "refreshed_at",
    ]
    stamp = "2026-11-27T06:00:00.000000Z"
    assert rows == [
        ["average_sentiment", "-0.1200", "score", "30d", "0.0000", "at_least", "false",
         "Mean sentiment", "2026-11-26", stamp],
        ["median_first_response_minutes", "", "minutes", "30d", "60.0000", "at_most", "",
         "Median minutes to the first response", "2026-11-26", stamp],
        ["on_time_delivery_rate", "0.8433", "ratio", "30d", "0.9000", "at_least", "false",
         ON_TIME_DESCRIPTION, "2026-11-26", stamp],
        ["penalties_accrued", "414.0000", "USD", "30d", "", "", "", "Late-delivery penalties",
         "2026-11-26", stamp],
        ["stale_inventory_stockists", "0.0000", "count", "latest", "0.0000", "at_most", "true",
         "Stockists with a stale snapshot", "2026-11-26", stamp],
        ["support_cases", "7.0000", "count", "30d", "", "", "", "'" + HOSTILE_DESCRIPTION,
         "2026-11-26", stamp],
    ]  # fmt: skip


@pytest.mark.usefixtures("metrics")
async def test_export_holds_no_live_formula(transparency_client: AsyncClient) -> None:
    response = await transparency_client.get(METRICS_EXPORT, headers=as_role(Role.ADMIN))

    text_cells = [cell for row in csv_rows(response.content) for cell in row[2:4] + row[5:8]]
    assert HOSTILE_DESCRIPTION not in text_cells
    assert [cell for cell in text_cells if cell.startswith(FORMULA_TRIGGERS)] == []


async def test_export_of_an_empty_mart_is_the_header_alone(
    transparency_client: AsyncClient,
) -> None:
    response = await transparency_client.get(METRICS_EXPORT, headers=as_role(Role.EDITOR))

    assert response.status_code == 200
    assert csv_rows(response.content) == [
        ["metric", "value", "unit", "time_window", "target", "target_direction",
         "meets_target", "description", "as_of_date", "refreshed_at"],
    ]  # fmt: skip

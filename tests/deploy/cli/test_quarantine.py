"""`ecom pipeline quarantine`: list with reasons, retry after a fix, discard with a record."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner, Result

from deploy.cli.main import app
from flows.bronze import pending_landing_keys
from flows.pipeline import run_data_pipeline
from flows.settings import DriftPolicy, FlowSettings
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.bad_files import REFUSES_DRIFT
from tests.flows.orders_csv import order_row, render_orders_csv

NO_HEADER = render_orders_csv([order_row("o-1"), order_row("o-2")]).split(b"\n", 1)[1]
DRIFTED_BADGES = (
    b"csr_id,csr_name,team,badge,awarded_on,criteria,updated_at,mood\n"
    b"CSR-1,Ann,care,gold,2026-11-16,,2026-11-16T00:00:00Z,sunny\n"
)


@pytest.fixture
def environment(database: TestDatabase, tmp_path: Path) -> dict[str, str]:
    """The ECOM_ settings of a machine whose pipeline uses the test database and lake."""
    return {
        "ECOM_DATABASE_URL": database.role_url(Owner.FLOWS),
        "ECOM_DATA_DIR": str(tmp_path),
        "ECOM_OBJECT_STORE_URL": (tmp_path / "lake").as_uri(),
        "ECOM_LOG_LEVEL": "WARNING",
        "ECOM_MAX_REJECT_RATE": "1",
    }


def ecom(environment: dict[str, str], *args: str) -> Result:
    """Run `ecom ARGS` in this process with `environment`."""
    return CliRunner().invoke(app, list(args), env=environment)


def run_pipeline(environment: dict[str, str], **settings: object) -> None:
    """One pipeline run with the environment's settings (and `settings` on top)."""
    flow_settings = FlowSettings(
        _env_file=None,
        data_dir=Path(environment["ECOM_DATA_DIR"]),
        database_url=environment["ECOM_DATABASE_URL"],
        object_store_url=environment["ECOM_OBJECT_STORE_URL"],
    )
    asyncio.run(run_data_pipeline(flow_settings.model_copy(update=settings)))


def lake_of(environment: dict[str, str]) -> ObjectStore:
    return ObjectStore(environment["ECOM_OBJECT_STORE_URL"])


def test_quarantine_lists_files_with_reasons_and_the_next_step(
    environment: dict[str, str],
) -> None:
    assert ecom(environment, "pipeline", "quarantine").stdout == "no file is quarantined\n"
    lake_of(environment).write_atomic("landing/orders/no-header.csv", NO_HEADER)
    run_pipeline(environment)

    listed = ecom(environment, "pipeline", "quarantine")

    assert listed.exit_code == 0, listed.output
    first = "#1  quarantined  landing  orders  landing/orders/no-header.csv  (1 rows, quarantine/"
    assert first in listed.stdout
    assert "UntrustedHeaderError: the first record (o-1,C00001," in listed.stdout
    assert "names none of the declared columns of orders" in listed.stdout
    assert "next: `ecom pipeline quarantine` shows why" in listed.stdout


def test_retry_puts_a_corrected_landing_file_back_and_the_next_run_loads_it(
    environment: dict[str, str], database: TestDatabase
) -> None:
    lake = lake_of(environment)
    lake.write_atomic("landing/orders/no-header.csv", NO_HEADER)
    run_pipeline(environment)
    [(quarantine_key,)] = asyncio.run(
        database.rows("SELECT quarantine_key FROM ops.quarantined_files")
    )
    # The operator's fix: the header goes back on, in place under quarantine/.
    lake.write_atomic(str(quarantine_key), render_orders_csv([order_row("o-1"), order_row("o-2")]))

    retried = ecom(environment, "pipeline", "quarantine", "retry", "1")

    assert retried.exit_code == 0, retried.output
    assert "#1 landing/orders/no-header.csv: put back as landing/orders/no-header.csv" in (
        retried.stdout
    )
    assert pending_landing_keys(lake) == ["landing/orders/no-header.csv"]
    assert not lake.exists(str(quarantine_key))
    run_pipeline(environment)
    assert asyncio.run(database.rows("SELECT order_id FROM silver.orders ORDER BY 1")) == [
        ("o-1",),
        ("o-2",),
    ]
    assert ecom(environment, "pipeline", "quarantine").stdout == "no file is quarantined\n"
    again = ecom(environment, "pipeline", "quarantine", "retry", "1")
    assert again.exit_code == 1
    assert f"#1 was already retried by {getpass.getuser()}" in again.output


def test_retry_all_after_a_rule_change_loads_the_bronze_files_again(
    environment: dict[str, str], database: TestDatabase
) -> None:
    lake_of(environment).write_atomic(f"landing/{REFUSES_DRIFT}/drifted.csv", DRIFTED_BADGES)
    run_pipeline(environment, schema_drift_policy={REFUSES_DRIFT: DriftPolicy.FAIL})
    assert ecom(environment, "pipeline", "quarantine", "retry").exit_code != 0, "ids or --all"

    retried = ecom(environment, "pipeline", "quarantine", "retry", "--all")

    assert retried.exit_code == 0, retried.output
    assert "back in the loads of the next run" in retried.stdout
    run_pipeline(environment)  # the rule changed back: drift is appended again
    assert asyncio.run(database.rows("SELECT csr_id, extras::text FROM silver.csr_badges")) == [
        ("CSR-1", '{"mood": "sunny"}')
    ]


def test_discard_drops_the_file_and_keeps_who_and_why(
    environment: dict[str, str], database: TestDatabase
) -> None:
    lake = lake_of(environment)
    lake.write_atomic("landing/refunds/r.csv", b"refund_id,amount\nr-1,5.00\n")
    run_pipeline(environment)
    [(quarantine_key,)] = asyncio.run(
        database.rows("SELECT quarantine_key FROM ops.quarantined_files")
    )
    assert ecom(environment, "pipeline", "quarantine", "discard", "1").exit_code != 0, "a reason"

    discarded = ecom(
        environment, "pipeline", "quarantine", "discard", "1", "--reason", "test data, not ours"
    )

    assert discarded.exit_code == 0, discarded.output
    assert not lake.exists(str(quarantine_key))
    assert pending_landing_keys(lake) == []
    assert asyncio.run(
        database.rows(
            "SELECT status, resolved_by, resolution_note, sha256 IS NOT NULL, rows"
            " FROM ops.quarantined_files"
        )
    ) == [("discarded", getpass.getuser(), "test data, not ours", True, 1)]
    assert ecom(environment, "pipeline", "quarantine").stdout == "no file is quarantined\n"
    history = ecom(environment, "pipeline", "quarantine", "--history")
    assert "#1  discarded  landing  refunds  landing/refunds/r.csv" in history.stdout
    assert f"discarded by {getpass.getuser()}: test data, not ours" in history.stdout
    assert ecom(environment, "pipeline", "quarantine", "discard", "7", "--reason", "x").exit_code


@pytest.mark.slow
def test_pipeline_run_names_quarantined_files_and_warns_without_failing(
    environment: dict[str, str],
) -> None:
    lake_of(environment).write_atomic("landing/orders/no-header.csv", NO_HEADER)

    with prefect_test_harness(server_startup_timeout=120):
        ran = ecom(environment, "pipeline", "run")

    assert ran.exit_code == 0, ran.output
    assert "#1 landing/orders/no-header.csv (landing: UntrustedHeaderError)" in ran.stdout
    assert "`ecom pipeline quarantine retry ID`" in ran.stdout
    assert "warning: files were quarantined" in ran.output

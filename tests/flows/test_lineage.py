"""OpenLineage run events: what a flow run writes to the file transport, posts to a real HTTP
backend on 127.0.0.1 or logs to the console, and that a broken transport never fails the run."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from flows.lineage import PRODUCER, LineageEmitter
from flows.settings import FlowSettings
from shared.owners import Owner
from tests.conftest import TestDatabase, free_port

DB_URL = "postgresql://ecom_flows:secret@db.internal:5433/datamart"
RUN_STATES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}


def settings_for(tmp_path: Path, **overrides: Any) -> FlowSettings:
    """Flow settings with their data directory (and so the file transport) under tmp_path."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": DB_URL,
        "object_store_url": "s3://ecom-lake/dev",
    }
    values.update(overrides)
    return FlowSettings(_env_file=None, **values)


def written_events(settings: FlowSettings) -> list[dict[str, Any]]:
    """The JSON lines the file transport wrote, in order."""
    path = settings.data_path / "lineage" / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def datasets(event: dict[str, Any], side: str) -> list[tuple[str, str]]:
    """(namespace, name) of an event's inputs or outputs."""
    return [(d["namespace"], d["name"]) for d in event[side]]


def assert_valid_openlineage(event: dict[str, Any]) -> None:
    """The fields the OpenLineage RunEvent schema requires, with their formats."""
    assert datetime.fromisoformat(event["eventTime"]).utcoffset() is not None
    assert urlsplit(event["producer"]).scheme
    assert event["schemaURL"].startswith("https://openlineage.io/spec/")
    assert event["schemaURL"].endswith("#/$defs/RunEvent")
    assert event["eventType"] in RUN_STATES
    uuid.UUID(event["run"]["runId"])
    assert event["job"]["namespace"]
    assert event["job"]["name"]
    for dataset in event["inputs"] + event["outputs"]:
        assert dataset["namespace"]
        assert dataset["name"]
    for facet in [*event["run"]["facets"].values(), *event["job"]["facets"].values()]:
        assert urlsplit(facet["_producer"]).scheme
        assert facet["_schemaURL"].startswith("https://openlineage.io/spec/")


async def test_a_run_writes_start_then_complete_with_its_tables(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    emitter = LineageEmitter.from_settings(settings)
    run_id = uuid.uuid4()

    async with emitter.run(
        "data_pipeline",
        inputs=["bronze/orders", "silver.fx_rates"],
        outputs=["silver.orders"],
        run_id=run_id,
        description="Landing to marts.",
    ) as run:
        run.add_outputs("admin.mart_daily_revenue", "silver.orders")  # the repeat is dropped

    start, complete = written_events(settings)
    for event in (start, complete):
        assert_valid_openlineage(event)
        assert event["run"]["runId"] == str(run_id)
        assert event["job"]["namespace"] == "ecom"
        assert event["job"]["name"] == "data_pipeline"
        assert event["producer"] == PRODUCER
        assert event["job"]["facets"]["documentation"]["description"] == "Landing to marts."
        assert event["job"]["facets"]["jobType"]["processingType"] == "BATCH"
        assert datasets(event, "inputs") == [
            ("s3://ecom-lake", "dev/bronze/orders"),
            ("postgres://db.internal:5433", "datamart.silver.fx_rates"),
        ]
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert datasets(start, "outputs") == [("postgres://db.internal:5433", "datamart.silver.orders")]
    assert datasets(complete, "outputs") == [
        ("postgres://db.internal:5433", "datamart.silver.orders"),
        ("postgres://db.internal:5433", "datamart.admin.mart_daily_revenue"),
    ]
    assert start["eventTime"] <= complete["eventTime"]
    assert "errorMessage" not in complete["run"]["facets"]


async def test_a_failing_run_writes_fail_with_the_error_and_reraises(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    emitter = LineageEmitter.from_settings(settings)

    with pytest.raises(ZeroDivisionError):
        async with emitter.run("loyalty_recommendations", inputs=["silver.orders"], outputs=[]):
            _ = 1 / 0

    start, fail = written_events(settings)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert_valid_openlineage(fail)
    assert fail["run"]["runId"] == start["run"]["runId"]
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "ZeroDivisionError: division by zero"
    assert error["programmingLanguage"] == "python"
    assert "_ = 1 / 0" in error["stackTrace"]
    assert datasets(fail, "inputs") == [("postgres://db.internal:5433", "datamart.silver.orders")]


async def test_a_cancelled_run_writes_abort(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    emitter = LineageEmitter.from_settings(settings)
    started = asyncio.Event()

    async def flow() -> None:
        async with emitter.run("trust_transparency", inputs=[], outputs=[]):
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(flow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [event["eventType"] for event in written_events(settings)] == ["START", "ABORT"]


async def test_a_nested_run_names_its_parent(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    emitter = LineageEmitter.from_settings(settings)

    async with (
        emitter.run("data_pipeline", inputs=[], outputs=[]) as pipeline,
        emitter.run("gold", inputs=[], outputs=[], parent=pipeline) as gold,
        emitter.run("gold.mart_daily_revenue", inputs=["silver.orders"], outputs=[], parent=gold),
    ):
        pass

    events = written_events(settings)
    assert "parent" not in events[0]["run"]["facets"]
    mart_start = events[2]
    assert mart_start["job"]["name"] == "gold.mart_daily_revenue"
    parent = mart_start["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("ecom", "gold")
    assert parent["run"]["runId"] == str(gold.run_id)
    assert (parent["root"]["job"]["name"], parent["root"]["run"]["runId"]) == (
        "data_pipeline",
        str(pipeline.run_id),
    )


async def test_lake_and_table_names_follow_the_openlineage_naming_spec(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    settings = settings_for(
        tmp_path,
        object_store_url=lake.as_uri(),
        database_url="postgresql://u:p@[::1]/analytics",
        openlineage_namespace="ecom-staging",
    )
    emitter = LineageEmitter.from_settings(settings)

    async with emitter.run(
        "replay",
        inputs=["bronze/orders/", "s3://other-bucket/landing/orders"],
        outputs=["ops.pipeline_runs"],
    ):
        pass

    start = written_events(settings)[0]
    assert start["job"]["namespace"] == "ecom-staging"
    assert datasets(start, "inputs") == [
        ("file", f"{lake}/bronze/orders"),
        ("s3://other-bucket", "landing/orders"),
    ]
    assert datasets(start, "outputs") == [("postgres://[::1]:5432", "analytics.ops.pipeline_runs")]


async def test_the_dataset_namespace_setting_replaces_the_database_host(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, openlineage_dataset_namespace="postgres://warehouse.prod:5432"
    )
    emitter = LineageEmitter.from_settings(settings)

    async with emitter.run("data_pipeline", inputs=["silver.orders"], outputs=[]):
        pass

    assert datasets(written_events(settings)[0], "inputs") == [
        ("postgres://warehouse.prod:5432", "datamart.silver.orders")
    ]


async def test_tables_are_named_after_the_database_the_flows_connect_to(
    database: TestDatabase, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, database_url=database.role_url(Owner.FLOWS))
    emitter = LineageEmitter.from_settings(settings)

    async with emitter.run("data_pipeline", inputs=["silver.orders"], outputs=[]) as run:
        run.add_outputs("admin.mart_daily_revenue")

    complete = written_events(settings)[1]
    server = urlsplit(database.url)
    named = datasets(complete, "inputs") + datasets(complete, "outputs")
    assert named == [
        (f"postgres://{server.hostname}:{server.port}", f"{database.name}.silver.orders"),
        (
            f"postgres://{server.hostname}:{server.port}",
            f"{database.name}.admin.mart_daily_revenue",
        ),
    ]
    for _, name in named:  # each name leads to a table of the migrated database
        _, schema, table = name.split(".")
        assert await database.rows("SELECT to_regclass($1)::text", f"{schema}.{table}") == [
            (f"{schema}.{table}",)
        ]


def test_local_mode_names_the_embedded_server(tmp_path: Path) -> None:
    settings = FlowSettings(
        _env_file=None, data_dir=tmp_path, embedded_pg_port=54444, database_name="shop"
    )
    namer = LineageEmitter.from_settings(settings).namer

    dataset = namer.dataset("silver.customers")

    assert (dataset.namespace, dataset.name) == (
        "postgres://127.0.0.1:54444",
        "shop.silver.customers",
    )
    lake = namer.dataset("bronze/customers")
    assert (lake.namespace, lake.name) == ("file", f"{tmp_path.resolve()}/lake/bronze/customers")


@pytest.mark.parametrize("name", ["orders", "a.b.c", ".orders", "silver.", "ftp://host/x"])
def test_a_name_that_is_neither_a_table_nor_a_lake_path_is_refused(
    tmp_path: Path, name: str
) -> None:
    namer = LineageEmitter.from_settings(settings_for(tmp_path)).namer

    with pytest.raises(ValueError, match="lineage dataset"):
        namer.dataset(name)


async def test_no_transport_writes_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, openlineage_transport="none")
    emitter = LineageEmitter.from_settings(settings)

    async with emitter.run("data_pipeline", inputs=["silver.orders"], outputs=[]):
        pass

    assert not emitter.enabled
    assert not (tmp_path / "lineage").exists()


async def test_console_transport_logs_each_event(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, openlineage_transport="console")
    emitter = LineageEmitter.from_settings(settings)

    with caplog.at_level(logging.INFO, logger="openlineage.client.transport.console"):
        async with emitter.run("data_pipeline", inputs=[], outputs=["silver.orders"]):
            pass

    logged = [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "openlineage.client.transport.console"
    ]
    assert [event["eventType"] for event in logged] == ["START", "COMPLETE"]
    assert not (tmp_path / "lineage").exists()


async def test_an_unwritable_lineage_folder_warns_and_the_run_completes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "lineage").write_text("a file where the folder should be")
    emitter = LineageEmitter.from_settings(settings_for(tmp_path))
    finished = False

    with caplog.at_level(logging.WARNING, logger="flows.lineage"):
        async with emitter.run("data_pipeline", inputs=[], outputs=[]):
            finished = True

    assert finished
    warnings = [r for r in caplog.records if r.name == "flows.lineage"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    assert "START event of data_pipeline" in warnings[0].getMessage()
    assert "COMPLETE event of data_pipeline" in warnings[1].getMessage()


# --- HTTP transport against a real server on 127.0.0.1 ---------------------------------------


@dataclass
class LineageBackend:
    """A tiny HTTP server that records what it was sent and answers with `status`."""

    url: str
    status: int = 201
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Bodies of the POSTs received, in order."""
        return [body for _, _, body in self.requests]


@pytest.fixture
def backend() -> Iterator[LineageBackend]:
    """A running LineageBackend; stopped after the test."""
    state = LineageBackend(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((self.path, dict(self.headers), json.loads(body)))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # the test log stays quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def test_http_transport_posts_each_event_with_the_api_key(
    tmp_path: Path, backend: LineageBackend
) -> None:
    settings = settings_for(
        tmp_path, openlineage_url=backend.url, openlineage_api_key="lineage-token"
    )
    assert settings.openlineage_transport == "http"  # implied by the URL
    emitter = LineageEmitter.from_settings(settings)

    async def failing_flow() -> None:
        async with emitter.run("data_pipeline", inputs=["bronze/orders"], outputs=[]) as run:
            run.add_outputs("silver.orders")
            raise RuntimeError("contract broken")

    with pytest.raises(RuntimeError, match="contract broken"):
        await failing_flow()
    emitter.close()

    assert [path for path, _, _ in backend.requests] == ["/api/v1/lineage"] * 2
    assert all(h["Authorization"] == "Bearer lineage-token" for _, h, _ in backend.requests)
    start, fail = backend.events
    for event in (start, fail):
        assert_valid_openlineage(event)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert fail["run"]["facets"]["errorMessage"]["message"] == "RuntimeError: contract broken"
    assert datasets(fail, "outputs") == [("postgres://db.internal:5433", "datamart.silver.orders")]
    assert not (tmp_path / "lineage").exists()  # http replaces the file transport


async def test_a_failing_backend_warns_and_the_run_completes(
    tmp_path: Path, backend: LineageBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.status = 500
    emitter = LineageEmitter.from_settings(settings_for(tmp_path, openlineage_url=backend.url))

    with caplog.at_level(logging.WARNING, logger="flows.lineage"):
        async with emitter.run("data_pipeline", inputs=[], outputs=[]) as run:
            run.add_outputs("silver.orders")

    warnings = [r.getMessage() for r in caplog.records if r.name == "flows.lineage"]
    assert len(warnings) == 2
    assert all("(http transport)" in message for message in warnings)
    # The backend saw the START and the COMPLETE, each tried again a bounded number of times.
    assert {event["eventType"] for event in backend.events} == {"START", "COMPLETE"}
    assert len(backend.events) <= 6


async def test_an_unreachable_backend_warns_and_the_run_completes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emitter = LineageEmitter.from_settings(
        settings_for(tmp_path, openlineage_url=f"http://127.0.0.1:{free_port()}")
    )
    finished = False

    with caplog.at_level(logging.WARNING, logger="flows.lineage"):
        async with emitter.run("data_pipeline", inputs=[], outputs=[]):
            finished = True

    assert finished
    assert len([r for r in caplog.records if r.name == "flows.lineage"]) == 2


async def test_a_malformed_backend_url_turns_lineage_off_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, openlineage_url="marquez:5000")  # no scheme

    with caplog.at_level(logging.WARNING, logger="flows.lineage"):
        emitter = LineageEmitter.from_settings(settings)
        async with emitter.run("data_pipeline", inputs=[], outputs=[]) as run:
            run.add_outputs("silver.orders")

    assert not emitter.enabled
    [warning] = [r.getMessage() for r in caplog.records if r.name == "flows.lineage"]
    assert "http transport unavailable" in warning


def test_an_explicit_transport_wins_over_the_url(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, openlineage_url="http://marquez:5000", openlineage_transport="file"
    )

    assert settings.openlineage_transport == "file"


def test_http_transport_without_a_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ECOM_OPENLINEAGE_URL"):
        settings_for(tmp_path, openlineage_transport="http")


def test_transport_and_url_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOM_OPENLINEAGE_URL", "http://marquez:5000")
    monkeypatch.setenv("ECOM_OPENLINEAGE_NAMESPACE", "ecom-prod")

    settings = FlowSettings(_env_file=None, data_dir=tmp_path)

    assert settings.openlineage_transport == "http"
    assert settings.openlineage_namespace == "ecom-prod"
    monkeypatch.setenv("ECOM_OPENLINEAGE_TRANSPORT", "console")
    assert FlowSettings(_env_file=None, data_dir=tmp_path).openlineage_transport == "console"

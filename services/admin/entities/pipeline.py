"""The pipeline as the admin service sees it: the `ops.api_*` views the flows' migrations grant
it (flows/migrations/versions/0008), their public shapes and filters.

The admin role reads no `ops` or `silver` table; these views are all it may read there.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.crud import Resource
from shared.openapi_components import publish_enum

views = MetaData(schema="ops")


def _counts() -> list[Column[Any]]:
    return [
        Column(name, BigInteger, nullable=False)
        for name in (
            "rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_stale",
            "rows_rejected", "parents_inferred",
        )
    ]  # fmt: skip


pipeline_runs = Table(
    "api_pipeline_runs",
    views,
    Column("run_id", Uuid, primary_key=True),
    Column("flow_run_id", Text),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("files", Integer, nullable=False),
    *_counts(),
    Column("files_quarantined", Integer, nullable=False),
    Column("anomalies", JSONB, nullable=False),
    Column("quarantined", JSONB, nullable=False),
    Column("message", Text),
    Column("back_office_synced", Integer, nullable=False),
    Column("back_office_removed", Integer, nullable=False),
    Column("back_office_skipped", Integer, nullable=False),
)

run_files = Table(
    "api_run_files",
    views,
    Column("run_id", Uuid, primary_key=True),
    Column("bronze_file_id", BigInteger, primary_key=True),
    Column("entity", Text),
    Column("original_name", Text, nullable=False),
    Column("bronze_path", Text, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("landed_at", DateTime(timezone=True), nullable=False),
    *_counts(),
    Column("orphans", BigInteger, nullable=False),
    Column("replayed_rejects", Boolean, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

rejects = Table(
    "api_rejects",
    views,
    Column("reject_id", BigInteger, primary_key=True),
    Column("entity", Text, nullable=False),
    Column("bronze_file_id", BigInteger, nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("raw_row", JSONB, nullable=False),
    Column("rule", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("run_id", Uuid),
    Column("rejected_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_run_id", Uuid),
)

quarantined_files = Table(
    "api_quarantined_files",
    views,
    Column("quarantine_id", BigInteger, primary_key=True),
    Column("entity", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("source_key", Text, nullable=False),
    Column("quarantine_key", Text),
    Column("bronze_file_id", BigInteger),
    Column("sha256", CHAR(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("error_class", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("run_id", Uuid),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    Column("resolution_note", Text),
)

contract_results = Table(
    "api_contract_results",
    views,
    Column("result_id", BigInteger, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("mart", Text, nullable=False),
    Column("check_name", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("failing_rows", BigInteger, nullable=False),
    Column("sample", JSONB, nullable=False),
    Column("detail", Text, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

mart_builds = Table(
    "api_mart_builds",
    views,
    Column("mart", Text, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("mode", Text, nullable=False),
    Column("as_of", DateTime(timezone=False)),
    Column("rows", BigInteger, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
    Column("age_seconds", BigInteger),
)

kpi_snapshots = Table(
    "api_kpi_snapshots",
    views,
    Column("run_id", Uuid, primary_key=True),
    Column("as_of", DateTime(timezone=False)),
    Column("orders", BigInteger, nullable=False),
    Column("customers", BigInteger, nullable=False),
    Column("net_revenue", Numeric(18, 2), nullable=False),
    Column("average_order_value", Numeric(16, 2)),
    Column("orders_last_30_days", BigInteger, nullable=False),
    Column("revenue_last_30_days", Numeric(18, 2), nullable=False),
    Column("active_customers_90d", BigInteger, nullable=False),
    Column("repeat_customer_rate", Numeric(6, 4)),
    Column("cancellation_rate", Numeric(6, 4)),
    Column("currency", CHAR(3), nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
)

RunStatus = Literal["running", "succeeded", "quarantined", "failed"]
RunKind = Literal[
    "incremental", "replay", "replay_rejects", "loyalty_recommendations", "trust_transparency",
    "rebuild",
]  # fmt: skip
QuarantineStatus = Literal["quarantined", "retried", "discarded"]
ContractStatus = Literal["pass", "warn", "error"]
publish_enum("PipelineRunStatus", RunStatus)
publish_enum("PipelineRunKind", RunKind)
publish_enum("QuarantineStatus", QuarantineStatus)
publish_enum("ContractStatus", ContractStatus)

# Filter values are free text bounded in length: names of entities, rules and marts.
Name = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")

RUNS = Resource(
    table=pipeline_runs,
    entity="pipeline run",
    key="run_id",
    sort_keys=("started_at", "finished_at", "status", "kind", "rows_rejected"),
    default_sort="-started_at",
)
REJECTS = Resource(
    table=rejects,
    entity="reject",
    key="reject_id",
    sort_keys=("reject_id", "rejected_at", "entity", "rule"),
    default_sort="-reject_id",
    derived_filters={
        "resolved": lambda resolved: (
            rejects.c.resolved_at.is_not(None) if resolved else rejects.c.resolved_at.is_(None)
        ),
    },
)
QUARANTINE = Resource(
    table=quarantined_files,
    entity="quarantined file",
    key="quarantine_id",
    sort_keys=("quarantine_id", "quarantined_at", "entity", "status"),
    default_sort="-quarantine_id",
)
CONTRACTS = Resource(
    table=contract_results,
    entity="contract result",
    key="result_id",
    sort_keys=("result_id", "checked_at", "mart", "status"),
    default_sort="-result_id",
)


class RunPublic(BaseModel):
    """One recorded pipeline run: what it was, how it ended, its totals and what looked odd."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "run_id": "0b6f3a57-1f0e-4d1e-9a55-6c7f0e1c2d3b",
                "flow_run_id": None,
                "kind": "incremental",
                "status": "succeeded",
                "started_at": "2026-12-06T02:00:00Z",
                "finished_at": "2026-12-06T02:00:12Z",
                "files": 3,
                "rows_read": 1200,
                "rows_inserted": 1100,
                "rows_updated": 80,
                "rows_unchanged": 10,
                "rows_stale": 2,
                "rows_rejected": 8,
                "parents_inferred": 0,
                "files_quarantined": 0,
                "anomalies": [],
                "quarantined": [],
                "message": "landed 3 file(s), loaded 3: ...",
                "back_office_synced": 1180,
                "back_office_removed": 0,
                "back_office_skipped": 0,
            }
        }
    )

    run_id: uuid.UUID
    flow_run_id: str | None
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    files: int
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_stale: int
    rows_rejected: int
    parents_inferred: int
    files_quarantined: int
    anomalies: list[Any]
    quarantined: list[Any]
    message: str | None
    back_office_synced: int
    back_office_removed: int
    back_office_skipped: int


class RunFilePublic(BaseModel):
    """One file a run loaded (or replayed rejects of): its ledger row."""

    bronze_file_id: int
    entity: str | None
    original_name: str
    bronze_path: str
    sha256: str
    bytes: int
    landed_at: datetime
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_stale: int
    rows_rejected: int
    parents_inferred: int
    orphans: int
    replayed_rejects: bool
    loaded_at: datetime


class RunDetailPublic(RunPublic):
    """A run with its per-file ledger."""

    ledger: list[RunFilePublic]


class RunFilters(BaseModel):
    """Filters of the run list."""

    status: RunStatus | None = None
    kind: RunKind | None = None
    started_at_from: datetime | None = Field(default=None, description="Inclusive.")
    started_at_before: datetime | None = Field(default=None, description="Exclusive.")


class RejectPublic(BaseModel):
    """A row silver refused: the raw row as it arrived, the rule it broke and why."""

    reject_id: int
    entity: str
    bronze_file_id: int
    line_number: int
    raw_row: dict[str, Any]
    rule: str
    message: str
    run_id: uuid.UUID | None
    rejected_at: datetime
    resolved_at: datetime | None
    resolved_run_id: uuid.UUID | None


class RejectFilters(BaseModel):
    """Filters of the reject list."""

    entity: str | None = Name
    rule: str | None = Name
    run_id: uuid.UUID | None = Field(default=None, description="The run that rejected it.")
    resolved: bool | None = Field(
        default=None, description="true: resolved by a replay; false: still open."
    )


class QuarantinedFilePublic(BaseModel):
    """A file a run could not land or load, with the reason, and how it was resolved."""

    quarantine_id: int
    entity: str
    stage: str
    source_key: str
    quarantine_key: str | None
    bronze_file_id: int | None
    sha256: str
    bytes: int
    rows: int
    error_class: str
    reason: str
    run_id: uuid.UUID | None
    quarantined_at: datetime
    status: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class QuarantineFilters(BaseModel):
    """Filters of the quarantine list."""

    status: QuarantineStatus | None = None
    entity: str | None = Name


class ContractResultPublic(BaseModel):
    """One data-contract check of one mart build."""

    result_id: int
    run_id: uuid.UUID
    mart: str
    check_name: str
    severity: str
    status: str
    failing_rows: int
    sample: list[Any]
    detail: str
    checked_at: datetime


class ContractFilters(BaseModel):
    """Filters of the contract results."""

    mart: str | None = Name
    status: ContractStatus | None = None
    run_id: uuid.UUID | None = None


class MartFreshnessPublic(BaseModel):
    """A mart's last published build, how old it is and how its contract checks ended."""

    mart: str
    run_id: uuid.UUID
    mode: str
    as_of: datetime | None = Field(description="The data time the build reflects.")
    rows: int
    built_at: datetime
    age_seconds: int = Field(description="Seconds since the build was published.")
    checks_failed: int = Field(description="Checks of that build that warned or failed.")
    contract_status: str = Field(description="pass, warn or error: the worst check result.")


class ReplayRejectsRequest(BaseModel):
    """Which open rejects to check again; none given: all of them."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"entity": "orders"}]}
    )

    entity: str | None = Name
    rule: str | None = Name


class ActionStartedPublic(BaseModel):
    """A flow run the action started on the orchestrator."""

    flow_run_id: str
    deployment: str
    parameters: dict[str, Any]


class KpiTile(BaseModel):
    """One number of the dashboard and the same measure over the previous period."""

    value: Decimal | None
    previous: Decimal | None


class RevenueDay(BaseModel):
    """Net revenue and orders of one day."""

    day: date
    orders: int
    net_revenue: Decimal


class PipelineHealth(BaseModel):
    """How far the data can be trusted right now."""

    last_run_status: str | None
    last_run_finished_at: datetime | None
    open_rejects: int
    quarantined_files: int
    stalest_mart: str | None
    stalest_mart_age_seconds: int | None


class DashboardPublic(BaseModel):
    """Everything the console's dashboard draws, in one response. Days are the data's days:
    `day` is the newest day of the revenue mart unless asked for."""

    day: date | None
    currency: str | None
    revenue_today: Decimal
    orders_today: int
    revenue_7d: KpiTile = Field(description="The 7 days up to `day` vs the 7 before.")
    orders_7d: KpiTile
    average_order_value_7d: KpiTile
    revenue_trend: list[RevenueDay] = Field(description="The 14 days up to `day`.")
    kpi_snapshot: dict[str, Any] | None = Field(description="The latest pipeline KPI snapshot.")
    pipeline: PipelineHealth

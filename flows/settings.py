"""Settings of the flows deployable (pipeline, generator, Prefect deployments)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import AliasChoices, Field, HttpUrl, SecretStr, field_validator, model_validator

from flows.generator.settings import GeneratorSettings


class DriftPolicy(StrEnum):
    """What the pipeline does with a column its entity does not declare."""

    APPEND = "append"
    IGNORE = "ignore"
    FAIL = "fail"


class FlowSettings(GeneratorSettings):
    """What the flows read from the environment (the generator's settings included)."""

    data_pipeline_schedule: str = Field(
        default="*/5 * * * *",
        validation_alias=AliasChoices("ECOM_DATA_PIPELINE_SCHEDULE", "DATA_PIPELINE_SCHEDULE"),
        description="Cron schedule of the data_pipeline deployment (seed: DATA_PIPELINE_SCHEDULE).",
    )
    data_pipeline_start_offset_minutes: int = Field(
        default=0,
        ge=0,
        validation_alias=AliasChoices(
            "ECOM_DATA_PIPELINE_START_OFFSET_MINUTES", "DATA_PIPELINE_START_OFFSET_MINUTES"
        ),
        description="Minutes after the flows runner starts before the first pipeline run.",
    )
    landing_poll_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often `ecom flows serve` looks for new landing files and starts"
        " data_pipeline when some appear (0: only the schedule starts it).",
    )
    loyalty_recommendations_schedule: str = Field(
        default="*/15 * * * *",
        description="Cron schedule of the loyalty-recommendations deployment.",
    )
    trust_transparency_schedule: str = Field(
        default="*/15 * * * *", description="Cron schedule of the trust-transparency deployment."
    )
    weekly_report_schedule: str = Field(
        default="0 6 * * 1",
        description="Cron schedule (UTC) of the weekly-report deployment: the business report of"
        " the last 7 complete days under the lake's reports/ (default Mondays 06:00).",
    )
    dispatch_notifications_schedule: str = Field(
        default="* * * * *", description="Cron schedule of the dispatch-notifications deployment."
    )
    db_password_flows: SecretStr | None = Field(
        default=None,
        description="ecom_flows password: with a bootstrap (superuser) ECOM_DATABASE_URL, CLI"
        " pipeline commands log in as ecom_flows with it (local mode: the local secret).",
    )
    max_reject_rate: float = Field(
        default=0.5, ge=0, le=1, description="A run rejecting a larger share of rows fails."
    )
    max_field_bytes: int = Field(
        default=65_536,
        ge=1,
        le=64 * 1024 * 1024,  # well inside what a jsonb value (extras, raw rows) can hold
        description="The size rule: a CSV field longer than this many bytes rejects its row"
        " (FIELD_TOO_LONG).",
    )
    whole_mark_rows: int = Field(
        default=100_000,
        ge=1,
        description="A file applying at least this many rows, and at least a quarter of its"
        " silver table, is a bulk file: it marks the marts and back-office entities it feeds"
        " whole (their next build or copy takes every key) instead of writing a mark per key,"
        " and rebuilds the table's secondary indexes after writing instead of maintaining them"
        " row by row (readers of the table wait for its commit).",
    )
    schema_drift_policy: dict[str, DriftPolicy] = Field(
        default_factory=dict,
        description=(
            "Per entity, what to do with columns a file adds: append (keep them in `extras`),"
            ' ignore (drop them) or fail (refuse the file). JSON, e.g. {"orders": "fail"}.'
        ),
    )
    schema_drift_default: DriftPolicy = Field(
        default=DriftPolicy.APPEND, description="Drift policy of entities not named above."
    )
    history_columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Per SCD2 table (customers, products, distributors, stockists), the columns whose"
            " change opens a new version; others are overwritten in place. JSON."
        ),
    )
    # --- OpenLineage run events (flows/lineage.py) ---
    openlineage_transport: Literal["file", "console", "http", "none"] = Field(
        default="file",
        description=(
            "Where flow runs send their OpenLineage events: file (JSON lines under"
            " ECOM_DATA_DIR/lineage/), console (the log), http (ECOM_OPENLINEAGE_URL) or none."
            " Unset with ECOM_OPENLINEAGE_URL set means http."
        ),
    )
    openlineage_url: str | None = Field(
        default=None,
        description="Base URL of an OpenLineage backend (events POST to <url>/api/v1/lineage).",
    )
    openlineage_api_key: SecretStr | None = Field(
        default=None, description="Bearer token for ECOM_OPENLINEAGE_URL, if it asks for one."
    )
    openlineage_namespace: str = Field(
        default="ecom", min_length=1, description="OpenLineage namespace of the flows' jobs."
    )
    openlineage_dataset_namespace: str | None = Field(
        default=None,
        description=(
            "Namespace of PostgreSQL datasets; unset: postgres://<host>:<port> of the database URL."
        ),
    )

    @model_validator(mode="after")
    def _openlineage_url_implies_http(self) -> FlowSettings:
        if self.openlineage_url and "openlineage_transport" not in self.model_fields_set:
            self.openlineage_transport = "http"
        if self.openlineage_transport == "http" and not self.openlineage_url:
            raise ValueError("ECOM_OPENLINEAGE_TRANSPORT=http needs ECOM_OPENLINEAGE_URL")
        return self

    # Reminder notifications: where they go and how the dispatcher paces and retries them.
    notification_webhook_url: HttpUrl | None = Field(
        default=None,
        description="POST each reminder here as JSON (unset: reminders are only logged).",
    )
    notification_webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Seconds a webhook delivery may take."
    )
    notification_batch_size: int = Field(
        default=20, ge=1, le=1000, description="Outbox messages a dispatcher claims at a time."
    )
    notification_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Delivery attempts before a message is failed."
    )
    notification_lease_seconds: int = Field(
        default=300,
        ge=10,
        description="A claimed message not settled within this is claimed again (crashed"
        " dispatcher); must exceed batch size x webhook timeout.",
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_webhook_batch(self) -> Self:
        # A lease running out mid-batch would let a second dispatcher deliver the same message.
        slowest_batch = self.notification_batch_size * self.notification_webhook_timeout_seconds
        if self.notification_webhook_url and self.notification_lease_seconds <= slowest_batch:
            raise ValueError(
                f"ECOM_NOTIFICATION_LEASE_SECONDS ({self.notification_lease_seconds}) must exceed"
                f" batch size x webhook timeout ({slowest_batch:g}s)"
            )
        return self

    @field_validator("history_columns")
    @classmethod
    def _history_columns_exist(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from flows.silver.tables import SILVER_TABLE_BY_ENTITY  # the tables import no settings

        for name, columns in value.items():
            table = SILVER_TABLE_BY_ENTITY.get(name)
            if table is None or not table.history:
                history = [t.name for t in SILVER_TABLE_BY_ENTITY.values() if t.history]
                raise ValueError(f"{name!r} keeps no history; choose one of {', '.join(history)}")
            unknown = sorted(set(columns) - {c.name for c in table.columns})
            if unknown:
                raise ValueError(f"silver.{name} has no column(s) {', '.join(unknown)}")
        return value

    def drift_policy(self, entity: str) -> DriftPolicy:
        """The schema drift policy of `entity`."""
        return self.schema_drift_policy.get(entity, self.schema_drift_default)

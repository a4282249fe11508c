"""Settings of the flows deployable (pipeline, generator, Prefect deployments)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ObjectStoreSettings


class FlowSettings(ObjectStoreSettings):
    """What the flows read from the environment."""

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
    generate_interval_minutes: int = Field(
        default=3, ge=1, description="Interval of the generate_orders deployment."
    )
    batch_orders: int = Field(default=30, ge=1, description="Orders per generated batch.")
    max_reject_rate: float = Field(
        default=0.5, ge=0, le=1, description="A run rejecting a larger share of rows fails."
    )
    base_currency: str = Field(
        default="USD", min_length=3, max_length=3, description="Currency the marts report in."
    )

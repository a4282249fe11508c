"""Settings of the flows deployable (pipeline, generator, Prefect deployments)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from flows.generator.settings import GeneratorSettings


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
    max_reject_rate: float = Field(
        default=0.5, ge=0, le=1, description="A run rejecting a larger share of rows fails."
    )

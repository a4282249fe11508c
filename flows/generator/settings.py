"""Settings of the generator (part of the flows deployable's settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator

from flows.generator.faults import DEFAULT_RATES, FaultKind
from shared.settings import ObjectStoreSettings


class GeneratorSettings(ObjectStoreSettings):
    """What the synthetic data generator reads from the environment."""

    generator_seed: int | None = Field(
        default=None,
        description="Seed of a new lake's generator (unset: random); later batches keep it.",
    )
    generate_interval_minutes: int = Field(
        default=3, ge=1, description="Interval of the generate_orders deployment."
    )
    batch_orders: int = Field(default=30, ge=1, description="New orders per generated batch.")
    new_customer_share: float = Field(
        default=1 / 3, ge=0, le=1, description="Share of a batch's orders from new customers."
    )
    history_days: float = Field(
        default=90, gt=0, description="Days of history `ecom up` backfills into an empty lake."
    )
    history_orders_per_day: int = Field(
        default=250, ge=1, description="Average orders per day when backfilling history."
    )
    source_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ECOM_SOURCE_DIR", "DATA_PIPELINE_SOURCE_DIR"),
        description="Folder of reference CSVs (seed: DATA_PIPELINE_SOURCE_DIR); default packaged.",
    )
    faults: bool = Field(default=True, description="Inject faults on purpose (false: clean data).")
    fault_rates: dict[FaultKind, float] = Field(
        default_factory=dict,
        description='Per-kind overrides of the fault rates as JSON, e.g. {"duplicate_row": 0.01}.',
    )
    base_currency: str = Field(
        default="USD", min_length=3, max_length=3, description="Currency the marts report in."
    )

    @field_validator("fault_rates")
    @classmethod
    def _rates_are_probabilities(cls, rates: dict[FaultKind, float]) -> dict[FaultKind, float]:
        for kind, rate in rates.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"fault rate of {kind.value} must be between 0 and 1, got {rate}")
        return rates

    def effective_fault_rates(self, *, clean: bool = False) -> dict[FaultKind, float]:
        """The rate of every fault kind; all zero in clean mode."""
        if clean or not self.faults:
            return {}
        return {**DEFAULT_RATES, **self.fault_rates}

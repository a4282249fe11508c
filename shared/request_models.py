"""Bases of request bodies: unknown fields are refused, PATCH bodies change only what they name."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class RequestModel(BaseModel):
    """A request body: unknown fields are a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatchModel(RequestModel):
    """A partial update: only the fields sent change; `null` only where a column allows it."""

    # Fields a client may set to null; every other field may be omitted but not nulled.
    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_empty_and_null(self) -> PatchModel:
        if not self.model_fields_set:
            raise ValueError("Send at least one field to change.")
        nulled = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.nullable_fields
        )
        if nulled:
            raise ValueError(f"These fields may not be null: {', '.join(nulled)}.")
        return self

    def changes(self) -> dict[str, Any]:
        """The columns to write: exactly the fields the client sent."""
        return self.model_dump(exclude_unset=True)

"""Bases of request bodies: unknown fields are refused, PATCH bodies change only what they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.openapi_schema import without_null


class RequestModel(BaseModel):
    """A request body: unknown fields are a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


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

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema says what the validator says: at least one field, null only if allowed."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["minProperties"] = 1
        for name, field in schema.get("properties", {}).items():
            if name not in cls.nullable_fields:
                schema["properties"][name] = without_null(field)
        return schema

    def check_result(self, row: Mapping[str, Any]) -> None:
        """Raise ValueError when `row` (the row after this change) breaks a cross-field rule.

        Such rules live here rather than in the body's schema: a PATCH body is one model whose
        fields are all optional, and whether a change is whole depends on the stored row.
        """

    def changes(self) -> dict[str, Any]:
        """The columns to write: exactly the fields the client sent."""
        return self.model_dump(exclude_unset=True)

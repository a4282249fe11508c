"""Who owns which PostgreSQL schema: one role and one Alembic history per owner."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Owner(StrEnum):
    """A deployable that owns schemas and connects as its own PostgreSQL role."""

    FLOWS = "flows"
    LOYALTY = "loyalty"
    TRANSPARENCY = "transparency"
    REMINDERS = "reminders"
    ADMIN = "admin"


@dataclass(frozen=True)
class Ownership:
    """The schemas an owner holds and where its migrations live."""

    owner: Owner
    schemas: tuple[str, ...]
    migrations: str  # Alembic script location as "package:folder"

    @property
    def role(self) -> str:
        """The PostgreSQL role this owner connects as."""
        return f"ecom_{self.owner.value}"

    @property
    def version_schema(self) -> str:
        """The schema that holds this owner's `alembic_version` table."""
        return self.schemas[0]


OWNERSHIP: dict[Owner, Ownership] = {
    Owner.FLOWS: Ownership(Owner.FLOWS, ("ops", "silver"), "flows:migrations"),
    Owner.LOYALTY: Ownership(Owner.LOYALTY, ("loyalty",), "services.loyalty:migrations"),
    Owner.TRANSPARENCY: Ownership(
        Owner.TRANSPARENCY, ("transparency",), "services.transparency:migrations"
    ),
    Owner.REMINDERS: Ownership(Owner.REMINDERS, ("reminders",), "services.reminders:migrations"),
    Owner.ADMIN: Ownership(Owner.ADMIN, ("admin",), "services.admin:migrations"),
}

PIPELINE_ROLE = OWNERSHIP[Owner.FLOWS].role

"""What the CRUD kit knows about one resource: its models, who may do what, where writes are
recorded, and the names its routes take (`<service>_<verb>_<noun>` operation ids, the key path).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Path, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crud import ChangeLog, Repository, Resource
from shared.identity import Principal, Role
from shared.list_query import rows_owner
from shared.problems import problem_responses
from shared.request_models import PatchModel, RequestModel
from shared.service import require_role


@dataclass(frozen=True)
class CrudModels:
    """The separate shapes of one resource: create and update bodies, the public row, filters."""

    create: type[RequestModel]
    update: type[PatchModel]
    public: type[BaseModel]
    filters: type[BaseModel]


@dataclass(frozen=True)
class CrudRoles:
    """The least role for each kind of operation (DESIGN.md's identity table).

    `owner` is a role (customer) that may do every operation but export on its own rows only:
    those whose `Resource.owner_column` holds its subject. Other rows are 404 to it.
    """

    read: Role = Role.VIEWER
    write: Role = Role.EDITOR
    export: Role = Role.EDITOR
    delete: Role = Role.ADMIN
    owner: Role | None = None


@dataclass(frozen=True)
class CrudApi:
    """Everything a CRUD router needs to know about one resource."""

    service: str
    noun: str
    plural: str
    resource: Resource
    models: CrudModels
    # Where writes are recorded; None for resources without an audit trail.
    changes: ChangeLog | None = None
    # The largest export for a request; None for a resource without export routes.
    export_row_cap: Callable[[Request], int] | None = None
    roles: CrudRoles = field(default_factory=CrudRoles)

    def operation_id(self, verb: str, noun: str) -> str:
        """The operation id `<service>_<verb>_<noun>`."""
        return f"{self.service}_{verb}_{noun}"

    def documented(self, verb: str, noun: str, summary: str, *errors: int) -> dict[str, Any]:
        """A route's OpenAPI keywords: operation id, summary and the problem statuses it
        declares (in the order given)."""
        return {
            "operation_id": self.operation_id(verb, noun),
            "summary": summary,
            "responses": problem_responses(*errors),
        }

    @property
    def item_path(self) -> str:
        """The path of one row below the router's prefix: `/{<key>}`."""
        return f"/{{{self.resource.key}}}"

    def key_parameter(self) -> Any:
        """The `Path` of a row's key, named after the resource's key column."""
        return Path(alias=self.resource.key, min_length=1, max_length=64, description="The key.")

    def admitting(self, role: Role) -> Any:
        """`Depends` admitting callers from `role` up and those holding the owner role."""
        owners = (self.roles.owner,) if self.roles.owner is not None else ()
        return Depends(require_role(role, *owners))

    def repository(self, session: AsyncSession, caller: Principal) -> Repository:
        """The resource's repository for `caller`: limited to its own rows for an owner."""
        owner = rows_owner(caller, self.roles.owner)
        return Repository(session, self.resource, self.changes, owner=owner)

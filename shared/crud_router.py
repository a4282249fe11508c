"""One router per resource, built from its `CrudApi`: list, get, create, PATCH, delete and
(optionally) CSV/XLSX exports, with roles, ETags, problem documents and operation ids.

Each operation has its own builder (`shared/crud_routes.py`, `shared/export_routes.py`); this
module only puts them together, in the order their routes are matched and documented.
"""

from __future__ import annotations

from fastapi import APIRouter

from shared.crud_api import CrudApi
from shared.crud_routes import (
    add_create_operation,
    add_delete_operation,
    add_get_operation,
    add_list_operation,
    add_update_operation,
)
from shared.export_routes import CSV, XLSX, add_export_operation
from shared.list_query import list_query


def crud_router(api: CrudApi, *, prefix: str, tag: str) -> APIRouter:
    """The router of one resource under `prefix`, its operations named `<service>_<verb>_<noun>`.

    Exports exist only for a resource with an `export_row_cap`. `/export/...` is added before
    `/{key}` so that a key never shadows it.
    """
    if api.roles.owner is not None and api.resource.owner_column is None:
        raise ValueError(f"{api.plural}: an owner role needs Resource.owner_column")
    router = APIRouter(prefix=prefix, tags=[tag])
    reader = list_query(api.resource, api.models.filters)
    add_list_operation(router, api, reader)
    if api.export_row_cap is not None:
        for file in (CSV, XLSX):
            add_export_operation(router, api, reader, api.export_row_cap, file)
    add_get_operation(router, api)
    add_create_operation(router, api, prefix)
    add_update_operation(router, api)
    add_delete_operation(router, api)
    return router

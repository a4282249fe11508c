"""Admin: the products, customers and orders grids (server-side sort, filter, search, paging),
inline edit with If-Match, delete with a confirmation step, CSV and XLSX exports of the
filtered list, and the audit log.

Everything goes through `/api/admin/...` as the signed-in user; the grid's state (search,
filters, sort, page) is the API's own query parameters, passed through. Viewers (and CSRs) see
read-only grids, editors edit and export, admins also delete and read the audit log; the API
enforces the same rules.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response, StreamingResponse

from console.api import ApiError, Caller
from console.pages import paging, render, require
from console.screens import Screen
from console.screens._admin_grids import (
    GRIDS,
    PAGE_SIZES,
    Grid,
    GridState,
    cell_text,
    changes,
    edit_values,
    headers,
)
from console.session import checked_form
from shared.identity import Role

router = APIRouter()
# Nav order: dashboard 10, reminders 30, admin 40, loyalty 50, trust 60, pipeline 70.
SCREEN = Screen(path="/admin", label="Admin", order=40, role=Role.VIEWER)
ViewerDep = Annotated[Caller, Depends(require(Role.VIEWER))]
EditorDep = Annotated[Caller, Depends(require(Role.EDITOR))]
AdminDep = Annotated[Caller, Depends(require(Role.ADMIN))]
AUDIT_API = "/api/admin/audit"
AUDIT_PAGE_SIZE = 25
# Bookkeeping columns an audit entry's change list leaves out.
_AUDIT_META = frozenset({"version", "created_at", "updated_at"})
EXPORT_FORMATS = {"csv", "xlsx"}


def _grid(plural: str) -> Grid:
    grid = GRIDS.get(plural)
    if grid is None:
        raise HTTPException(404, f"There is no admin list called {plural!r}.")
    return grid


def _item_path(grid: Grid, key: str) -> str:
    return f"{grid.api}/{quote(key, safe='')}"


def _tabs(request: Request, caller: Caller) -> list[dict[str, Any]]:
    tabs = [{"path": grid.path, "label": grid.title} for grid in GRIDS.values()]
    if caller.principal.has_at_least(Role.ADMIN):
        tabs.append({"path": "/admin/audit", "label": "Audit log"})
    return [{**tab, "current": request.url.path == tab["path"]} for tab in tabs]


async def _row(caller: Caller, grid: Grid, key: str) -> dict[str, Any] | None:
    try:
        row: dict[str, Any] = await caller.api.get(_item_path(grid, key))
    except ApiError as error:
        if error.status == 404:
            return None
        raise
    return row


async def _grid_page(
    request: Request,
    caller: Caller,
    grid: Grid,
    state: GridState,
    *,
    editing: str | None = None,
    typed: dict[str, str] | None = None,
    deleting: str | None = None,
    problem: str | None = None,
    reload: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """The grid page: one page of rows for `state`, with an edit row, a delete confirmation, a
    problem or a notice when asked. A list the API refuses (a bad filter) shows its message."""
    rows: list[dict[str, Any]] = []
    page = {"count": 0, "limit": 0, "offset": 0}
    try:
        page = await caller.api.get(grid.api, **state.api_params(grid))
        rows = page["data"]
    except ApiError as error:
        if error.status == 401:
            raise
        problem = problem or f"The list could not be read: {error.message}"
        status = status if status != 200 else error.status
    may_edit = caller.principal.has_at_least(Role.EDITOR)
    may_delete = caller.principal.has_at_least(Role.ADMIN)
    edit_row = None
    if editing and may_edit:
        edit_row = next((r for r in rows if r[grid.key] == editing), None)
        if edit_row is None and (edit_row := await _row(caller, grid, editing)) is not None:
            rows = [edit_row, *rows]  # not on this page (sorted away): shown first
    delete_row = None
    if deleting and may_delete:
        delete_row = next((r for r in rows if r[grid.key] == deleting), None)
        delete_row = delete_row or await _row(caller, grid, deleting)
    values = typed if typed is not None else (edit_values(grid, edit_row) if edit_row else {})
    context = {
        "grid": grid,
        "state": state,
        "rows": rows,
        "headers": headers(grid, state),
        "paging": paging(int(page["count"]), int(page["limit"]), int(page["offset"])),
        "page_sizes": PAGE_SIZES,
        "tabs": _tabs(request, caller),
        "cell": cell_text,
        "may_edit": may_edit,
        "may_delete": may_delete,
        "may_export": may_edit,
        "edit_row": edit_row,
        "edit_values": values,
        "delete_row": delete_row,
        "problem": problem,
        "reload": reload,
        "notice": notice,
        "return_query": state.query(),
    }
    return render(request, "admin/grid.html", context, status=status)


def _notice(grid: Grid, request: Request) -> str | None:
    saved, deleted = request.query_params.get("saved"), request.query_params.get("deleted")
    if saved:
        return f"Saved {grid.noun} {saved}."
    if deleted:
        return f"Deleted {grid.noun} {deleted}."
    return None


def _back(grid: Grid, form: dict[str, str], **notice: str) -> RedirectResponse:
    """To the grid the form came from (its state kept), with a notice."""
    state = GridState.of(grid, dict(parse_qsl(form.get("return_query", ""))))
    query = "&".join(part for part in (state.query(), urlencode(notice)) if part)
    return RedirectResponse(f"{grid.path}?{query}", status_code=303)


async def _stale(
    request: Request, caller: Caller, grid: Grid, state: GridState, key: str
) -> Response:
    """The grid after a 412: the change was not saved; a link reloads the row's edit form
    with the current values and version (the typed ones would undo the other change)."""
    problem = (
        f"{grid.noun.capitalize()} {key} was changed by someone else after you opened it, "
        "so your change was not saved. Reload it to see the current values, then make your "
        "change again."
    )
    reload = f"{grid.path}?{state.query(edit=key)}"
    return await _grid_page(
        request, caller, grid, state, problem=problem, reload=reload, status=412
    )


@router.get("/admin")
async def admin(caller: ViewerDep) -> Response:
    """The first grid."""
    return RedirectResponse(GRIDS["products"].path, status_code=303)


@router.get("/admin/audit")
async def audit(
    request: Request,
    caller: AdminDep,
    entity: Annotated[str | None, Query(max_length=20)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Who changed what and when, newest first, a page at a time."""
    filters = {"entity": entity, "entity_id": entity_id, "actor": actor, "action": action}
    problem = None
    page: dict[str, Any] = {"data": [], "count": 0, "limit": AUDIT_PAGE_SIZE, "offset": offset}
    try:
        page = await caller.api.get(AUDIT_API, limit=AUDIT_PAGE_SIZE, offset=offset, **filters)
    except ApiError as error:
        if error.status == 401:
            raise
        problem = f"The audit log could not be read: {error.message}"
    entries = [{**entry, "changes": _audit_changes(entry)} for entry in page["data"]]
    kept = {name: value for name, value in filters.items() if value}
    context = {
        "entries": entries,
        "filters": filters,
        "paging": paging(int(page["count"]), AUDIT_PAGE_SIZE, offset),
        "base_query": urlencode(kept),
        "tabs": _tabs(request, caller),
        "problem": problem,
    }
    return render(request, "admin/audit.html", context, status=400 if problem else 200)


def _audit_changes(entry: dict[str, Any]) -> list[str]:
    """An entry's change, one line a field: `price: 19.99 → 21.00` (or what was created or
    deleted)."""
    before, after = entry.get("before") or {}, entry.get("after") or {}
    names = [name for name in {**before, **after} if name not in _AUDIT_META]
    if entry.get("action") == "update":
        return [
            f"{name}: {cell_text(before.get(name))} → {cell_text(after.get(name))}"
            for name in names
            if before.get(name) != after.get(name)
        ]
    row = after or before
    return [f"{name}: {cell_text(row.get(name))}" for name in names]


@router.get("/admin/{plural}")
async def grid_page(request: Request, plural: str, caller: ViewerDep) -> Response:
    """A grid: `?q=&sort=&limit=&offset=` and the list's filters, as the API takes them;
    `edit=<key>` opens a row's edit form, `delete=<key>` asks to confirm a delete."""
    grid = _grid(plural)
    query = request.query_params
    return await _grid_page(
        request,
        caller,
        grid,
        GridState.of(grid, query),
        editing=query.get("edit"),
        deleting=query.get("delete"),
        notice=_notice(grid, request),
    )


@router.get("/admin/{plural}/export.{fmt}")
async def export(request: Request, plural: str, fmt: str, caller: EditorDep) -> Response:
    """The filtered list as the API exports it (CSV or XLSX), streamed through as it comes."""
    grid = _grid(plural)
    if fmt not in EXPORT_FORMATS:
        raise HTTPException(404, f"There is no {fmt!r} export; use csv or xlsx.")
    state = GridState.of(grid, request.query_params)
    download = await caller.api.stream(
        f"{grid.api}/export/{fmt}", **state.api_params(grid, paged=False)
    )
    passed: dict[str, str] = {
        name: download.headers[name]
        for name in ("content-disposition", "content-length")
        if name in download.headers
    }
    return StreamingResponse(
        download.chunks,
        status_code=download.status,
        media_type=download.headers.get("content-type"),
        headers=passed,
    )


@router.post("/admin/{plural}/{key}")
async def save(request: Request, plural: str, key: str, caller: EditorDep) -> Response:
    """Save a row's edit form: PATCH with the changed fields and If-Match of the version the
    form was opened at; a stale version or a refused value is shown on the grid."""
    grid = _grid(plural)
    form = await checked_form(request)
    state = GridState.of(grid, dict(parse_qsl(form.get("return_query", ""))))
    typed = {column.name: form.get(column.name, "") for column in grid.editable}
    current = await _row(caller, grid, key)
    if current is None:
        problem = f"{grid.noun.capitalize()} {key} no longer exists."
        return await _grid_page(request, caller, grid, state, problem=problem, status=404)
    body = changes(grid, form, current)
    if not body:
        if str(current["version"]) != form.get("version"):
            return await _stale(request, caller, grid, state, key)
        return _back(grid, form, saved=key)
    try:
        await caller.api.request(
            "PATCH",
            _item_path(grid, key),
            json=body,
            headers={"If-Match": f'"{form.get("version", "")}"'},
        )
    except ApiError as error:
        if error.status == 401:
            raise
        if error.status == 412:
            return await _stale(request, caller, grid, state, key)
        problem = f"The {grid.noun} was not saved: {error.message}"
        return await _grid_page(
            request,
            caller,
            grid,
            state,
            editing=key,
            typed=typed,
            problem=problem,
            status=error.status,
        )
    return _back(grid, form, saved=key)


@router.post("/admin/{plural}/{key}/delete")
async def delete(request: Request, plural: str, key: str, caller: AdminDep) -> Response:
    """Delete a row after its confirmation, with If-Match of the version that was confirmed."""
    grid = _grid(plural)
    form = await checked_form(request)
    state = GridState.of(grid, dict(parse_qsl(form.get("return_query", ""))))
    try:
        await caller.api.request(
            "DELETE", _item_path(grid, key), headers={"If-Match": f'"{form.get("version", "")}"'}
        )
    except ApiError as error:
        if error.status == 401:
            raise
        problem = (
            f"{grid.noun.capitalize()} {key} was changed by someone else after you asked to "
            "delete it, so it was kept. Reload it, check it, then delete it again."
            if error.status == 412
            else f"The {grid.noun} was not deleted: {error.message}"
        )
        reload = f"{grid.path}?{state.query(delete=key)}" if error.status == 412 else None
        return await _grid_page(
            request, caller, grid, state, problem=problem, reload=reload, status=error.status
        )
    return _back(grid, form, deleted=key)

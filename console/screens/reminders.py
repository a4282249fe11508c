"""Reminders: configurations (list, create, edit, delete), the outbox with its status filters,
and CSR metadata (list, create, edit). Everything goes through /api/reminders/... as the
signed-in user: viewers read, csr and above write (the API decides; the screen hides what a
role may not do). Writes send If-Match with the version the form was rendered from, so a
change made meanwhile is a clear "stale" message with a reload link, never a silent overwrite.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from console.api import ApiError, Caller
from console.pages import CallerDep, render, require
from console.screens import Screen
from console.screens import _reminder_forms as forms
from console.session import checked_form
from shared.identity import Role

router = APIRouter()
SCREEN = Screen(path="/reminders", label="Reminders", order=30, role=Role.VIEWER)
WriterDep = Annotated[Caller, Depends(require(Role.CSR))]
API = "/api/reminders"
PAGE_SIZE = 50
# Outcomes a redirect may announce (a code in the URL, never text from it).
NOTICES = {
    "created": "The configuration was created.",
    "saved": "The configuration was saved.",
    "deleted": "The configuration was deleted.",
    "gone": "The configuration had already been deleted.",
    "csr-created": "The CSR was added.",
    "csr-saved": "The CSR was saved.",
}
# What a new configuration's and a new CSR's forms start with.
NEW_CONFIGURATION = {"scope": "customer", "channel": "email", "timezone": "UTC", "enabled": "on"}
NEW_CSR = {"timezone": "UTC", "active": "on"}
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Filter = Annotated[str | None, Query(max_length=64)]


def _notice(done: str | None) -> str | None:
    return NOTICES.get(done or "")


def _page_links(path: str, params: dict[str, Any], offset: int, count: int) -> dict[str, Any]:
    """Previous and next links of a paged list, keeping its filters."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}

    def link(at: int) -> str:
        return f"{path}?{urlencode({**kept, 'offset': at})}" if at else f"{path}?{urlencode(kept)}"

    return {
        "first": offset + 1 if count else 0,
        "last": min(offset + PAGE_SIZE, count),
        "count": count,
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < count else None,
    }


def _rethrow_401(error: ApiError) -> None:
    if error.status == 401:  # the credential expired: back to sign-in
        raise error


def _form_problem(error: ApiError, labels: dict[str, str], noun: str) -> forms.FormProblem:
    """The API's refusal of a form; a stale version (412) said in the user's words."""
    problem = forms.form_problem(error, labels)
    if error.status == 412:
        problem.summary = (
            f"Someone changed this {noun} after you opened it, so your changes were not saved."
        )
    return problem


def _vocabulary() -> dict[str, Any]:
    return {
        "scopes": forms.SCOPES,
        "channels": forms.CHANNELS,
        "statuses": forms.OUTBOX_STATUSES,
        "time_zones": forms.time_zones(),
    }


# Configurations


async def _configurations_page(
    request: Request,
    caller: Caller,
    filters: dict[str, Any],
    offset: int,
    *,
    values: dict[str, str] | None = None,
    problem: forms.FormProblem | None = None,
    notice: str | None = None,
) -> Response:
    page = await caller.api.get(
        f"{API}/configurations", limit=PAGE_SIZE, offset=offset, sort="-created_at", **filters
    )
    context = {
        **_vocabulary(),
        "section": "configurations",
        "rows": page["data"],
        "paging": _page_links("/reminders", filters, offset, int(page["count"])),
        "filters": filters,
        "values": values or NEW_CONFIGURATION,
        "labels": forms.CONFIGURATION_LABELS,
        "problem": problem,
        "notice": notice,
    }
    return render(request, "reminders/index.html", context, problem.status if problem else 200)


@router.get("/reminders")
async def configurations(
    request: Request,
    caller: CallerDep,
    scope: Filter = None,
    channel: Filter = None,
    enabled: Annotated[str | None, Query(pattern="^(true|false)?$")] = None,
    customer_id: Filter = None,
    offset: Offset = 0,
    done: Filter = None,
) -> Response:
    """The configurations (filtered on the server) and, for csr and above, a form for a new one."""
    filters = {"scope": scope, "channel": channel, "enabled": enabled, "customer_id": customer_id}
    kept = {key: value for key, value in filters.items() if value}
    return await _configurations_page(request, caller, kept, offset, notice=_notice(done))


@router.post("/reminders/configurations")
async def create_configuration(request: Request, caller: WriterDep) -> Response:
    """Create a configuration; the API's refusal is shown next to the form's fields."""
    form = await checked_form(request)
    try:
        created = await caller.api.post(
            f"{API}/configurations", json=forms.configuration_create_body(form)
        )
    except ApiError as error:
        _rethrow_401(error)
        problem = _form_problem(error, forms.CONFIGURATION_LABELS, "configuration")
        return await _configurations_page(request, caller, {}, 0, values=form, problem=problem)
    location = f"/reminders/configurations/{quote(created['preference_id'])}?done=created"
    return RedirectResponse(location, status_code=303)


async def _configuration_page(
    request: Request,
    caller: Caller,
    preference_id: str,
    *,
    values: dict[str, str] | None = None,
    problem: forms.FormProblem | None = None,
    notice: str | None = None,
) -> Response:
    row = await caller.api.get(f"{API}/configurations/{quote(preference_id, safe='')}")
    context = {
        **_vocabulary(),
        "section": "configurations",
        "row": row,
        "current": forms.configuration_values(row),
        "values": values,
        "labels": forms.CONFIGURATION_LABELS,
        "problem": problem,
        "stale": problem is not None and problem.status == 412,
        "notice": notice,
    }
    return render(
        request, "reminders/configuration.html", context, problem.status if problem else 200
    )


@router.get("/reminders/configurations/{preference_id}")
async def configuration(
    request: Request, caller: CallerDep, preference_id: str, done: Filter = None
) -> Response:
    """One configuration: its values, and for csr and above the edit and delete forms."""
    return await _configuration_page(request, caller, preference_id, notice=_notice(done))


@router.post("/reminders/configurations/{preference_id}")
async def update_configuration(request: Request, caller: WriterDep, preference_id: str) -> Response:
    """Save an edit (If-Match: the version the form showed); a stale version is said plainly."""
    form = await checked_form(request)
    path = f"{API}/configurations/{quote(preference_id, safe='')}"
    try:
        await caller.api.request(
            "PATCH", path, json=forms.configuration_update_body(form), headers=forms.if_match(form)
        )
    except ApiError as error:
        _rethrow_401(error)
        problem = _form_problem(error, forms.CONFIGURATION_LABELS, "configuration")
        return await _configuration_page(
            request, caller, preference_id, values=form, problem=problem
        )
    location = f"/reminders/configurations/{quote(preference_id)}?done=saved"
    return RedirectResponse(location, status_code=303)


@router.post("/reminders/configurations/{preference_id}/delete")
async def delete_configuration(request: Request, caller: WriterDep, preference_id: str) -> Response:
    """Delete a configuration (after the browser asked to confirm), at the version shown."""
    form = await checked_form(request)
    path = f"{API}/configurations/{quote(preference_id, safe='')}"
    try:
        await caller.api.request("DELETE", path, headers=forms.if_match(form))
    except ApiError as error:
        _rethrow_401(error)
        problem = _form_problem(error, forms.CONFIGURATION_LABELS, "configuration")
        if error.status == 404:  # someone else deleted it meanwhile
            return RedirectResponse("/reminders?done=gone", status_code=303)
        return await _configuration_page(request, caller, preference_id, problem=problem)
    return RedirectResponse("/reminders?done=deleted", status_code=303)


# Outbox


@router.get("/reminders/outbox")
async def outbox(
    request: Request,
    caller: CallerDep,
    status: Filter = None,
    channel: Filter = None,
    customer_id: Filter = None,
    offset: Offset = 0,
) -> Response:
    """The outbox, newest first, filtered by the API (status, channel, customer)."""
    filters = {"status": status, "channel": channel, "customer_id": customer_id}
    kept = {key: value for key, value in filters.items() if value}
    page = await caller.api.get(
        f"{API}/outbox", limit=PAGE_SIZE, offset=offset, sort="-created_at", **kept
    )
    context = {
        **_vocabulary(),
        "section": "outbox",
        "rows": page["data"],
        "paging": _page_links("/reminders/outbox", kept, offset, int(page["count"])),
        "filters": kept,
    }
    return render(request, "reminders/outbox.html", context)


# CSR metadata


async def _csrs_page(
    request: Request,
    caller: Caller,
    search: dict[str, Any],
    offset: int,
    *,
    values: dict[str, str] | None = None,
    problem: forms.FormProblem | None = None,
) -> Response:
    page = await caller.api.get(
        f"{API}/csr", limit=PAGE_SIZE, offset=offset, sort="csr_id", **search
    )
    context = {
        **_vocabulary(),
        "section": "csrs",
        "rows": page["data"],
        "paging": _page_links("/reminders/csrs", search, offset, int(page["count"])),
        "filters": search,
        "values": values or NEW_CSR,
        "labels": forms.CSR_LABELS,
        "problem": problem,
    }
    return render(request, "reminders/csrs.html", context, problem.status if problem else 200)


@router.get("/reminders/csrs")
async def csrs(
    request: Request,
    caller: CallerDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    active: Annotated[str | None, Query(pattern="^(true|false)?$")] = None,
    offset: Offset = 0,
) -> Response:
    """CSR metadata (searched and filtered by the API) and, for csr and above, a form to add one."""
    search = {
        key: value for key, value in {"q": q, "team": team, "active": active}.items() if value
    }
    return await _csrs_page(request, caller, search, offset)


@router.post("/reminders/csrs")
async def create_csr(request: Request, caller: WriterDep) -> Response:
    """Add a CSR: a PUT without If-Match, which creates (an existing id is said plainly)."""
    form = await checked_form(request)
    csr_id = form.get("csr_id", "").strip()
    if not csr_id:  # the id is the API's path, so the console asks for it itself
        problem = forms.FormProblem(422, "The CSR was not added.", {"csr_id": ["Give an id."]})
        return await _csrs_page(request, caller, {}, 0, values=form, problem=problem)
    try:
        await caller.api.request(
            "PUT", f"{API}/csr/{quote(csr_id, safe='')}", json=forms.csr_body(form)
        )
    except ApiError as error:
        _rethrow_401(error)
        problem = _form_problem(error, forms.CSR_LABELS, "CSR")
        if error.status == 428:  # a replace without If-Match: the id is taken
            problem = forms.FormProblem(
                409,
                f"A CSR with id {csr_id} exists already; open it to change it.",
                {"csr_id": ["This id is taken."]},
            )
        return await _csrs_page(request, caller, {}, 0, values=form, problem=problem)
    return RedirectResponse(f"/reminders/csrs/{quote(csr_id)}?done=csr-created", status_code=303)


async def _csr_page(
    request: Request,
    caller: Caller,
    csr_id: str,
    *,
    values: dict[str, str] | None = None,
    problem: forms.FormProblem | None = None,
    notice: str | None = None,
) -> Response:
    row = await caller.api.get(f"{API}/csr/{quote(csr_id, safe='')}")
    context = {
        **_vocabulary(),
        "section": "csrs",
        "row": row,
        "current": forms.csr_values(row),
        "values": values,
        "labels": forms.CSR_LABELS,
        "problem": problem,
        "stale": problem is not None and problem.status == 412,
        "notice": notice,
    }
    return render(request, "reminders/csr.html", context, problem.status if problem else 200)


@router.get("/reminders/csrs/{csr_id}")
async def csr(request: Request, caller: CallerDep, csr_id: str, done: Filter = None) -> Response:
    """One CSR's metadata and, for csr and above, its edit form."""
    return await _csr_page(request, caller, csr_id, notice=_notice(done))


@router.post("/reminders/csrs/{csr_id}")
async def update_csr(request: Request, caller: WriterDep, csr_id: str) -> Response:
    """Replace a CSR's metadata at the version the form showed."""
    form = await checked_form(request)
    path = f"{API}/csr/{quote(csr_id, safe='')}"
    try:
        await caller.api.request(
            "PUT", path, json=forms.csr_body(form), headers=forms.if_match(form)
        )
    except ApiError as error:
        _rethrow_401(error)
        problem = _form_problem(error, forms.CSR_LABELS, "CSR")
        return await _csr_page(request, caller, csr_id, values=form, problem=problem)
    return RedirectResponse(f"/reminders/csrs/{quote(csr_id)}?done=csr-saved", status_code=303)

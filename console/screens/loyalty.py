"""Loyalty: the RFM segments with their rules and averages, a segment's customers, and one
customer's RFM scores, tier and ranked recommendations with the reason for each.

Sources (as the signed-in user): GET /api/loyalty/segments, GET /api/loyalty/customers (a
segment's customers, a page at a time) and GET /api/loyalty/customers/{id}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from console import format as fmt
from console.api import ApiError
from console.pages import CallerDep, paging, render
from console.screens import Screen
from shared.headers import bounded_decimal
from shared.identity import Role
from shared.vocabularies.loyalty import TIERS

router = APIRouter()
SCREEN = Screen(path="/loyalty", label="Loyalty", order=50, role=Role.VIEWER)
API = "/api/loyalty"


def customer_path(customer_id: str) -> str:
    """The console page of one customer (the id escaped as one path segment)."""
    return f"/loyalty/customers/{quote(customer_id, safe='')}"


# How the segment page may order its customers: the API's sort, and what the choice says.
SEGMENT_SORTS: dict[str, str] = {
    "-monetary": "Monetary, highest first",
    "recency_days": "Most recent order first",
    "-frequency": "Most orders first",
    "customer_id": "Customer id",
}
SEGMENT_PAGE_SIZE = 50


def _page_offset(text: str) -> int:
    """The page's offset from the URL: up to eight ASCII digits, else the first page."""
    number = bounded_decimal(text)
    return number if number is not None and number < 10**8 else 0


@dataclass(frozen=True)
class SegmentQuery:
    """The segment page's own query: a tier, an order and a page, each checked against what it
    may be (anything else falls back to the default, so a hand-edited URL still shows a page)."""

    tier: str = ""
    sort: str = "-monetary"
    offset: int = 0

    @classmethod
    def of(cls, tier: str, sort: str, offset: str) -> SegmentQuery:
        """The query from the URL's text values."""
        return cls(
            tier=tier if tier in TIERS else "",
            sort=sort if sort in SEGMENT_SORTS else "-monetary",
            offset=_page_offset(offset),
        )

    def api_params(self) -> dict[str, Any]:
        """The customer list's parameters for this page."""
        params: dict[str, Any] = {
            "sort": self.sort,
            "limit": SEGMENT_PAGE_SIZE,
            "offset": self.offset,
        }
        if self.tier:
            params["tier"] = self.tier
        return params

    def link(self, offset: int) -> str:
        """The query string of another page of the same list."""
        return urlencode({"tier": self.tier, "sort": self.sort, "offset": offset})


def _lookup_error(error: ApiError) -> str:
    """The API's refusal of a customer id, as one line for the page."""
    if error.status == 401:
        raise error
    return error.message


@router.get("/loyalty")
async def loyalty(request: Request, caller: CallerDep) -> Response:
    """Every segment: its rules, size, share and averages; a customer lookup."""
    segments = await caller.api.get(f"{API}/segments")
    return render(request, "loyalty/index.html", {"segments": segments, "fmt": fmt})


@router.get("/loyalty/customer")
async def find_customer(request: Request, caller: CallerDep, customer_id: str = "") -> Response:
    """The lookup form's target: on to the customer's page, or back with a message."""
    wanted = customer_id.strip()
    if not wanted:
        segments = await caller.api.get(f"{API}/segments")
        context = {"segments": segments, "fmt": fmt, "lookup_error": "Enter a customer id."}
        return render(request, "loyalty/index.html", context, status=422)
    return RedirectResponse(customer_path(wanted), status_code=303)


@router.get("/loyalty/segments/{segment}")
async def segment(
    request: Request,
    caller: CallerDep,
    segment: str,
    tier: str = "",
    sort: str = "",
    offset: str = "",
) -> Response:
    """One segment's rules and averages, and a page of its customers with their RFM and tier."""
    segments = await caller.api.get(f"{API}/segments")
    found = next((row for row in segments["data"] if row["segment"] == segment), None)
    if found is None:
        known = ", ".join(row["segment"] for row in segments["data"])
        context = {"status": 404, "title": "Not Found",
                   "message": f"No segment '{segment}'. The segments are: {known}."}  # fmt: skip
        return render(request, "error.html", context, status=404)
    query = SegmentQuery.of(tier, sort, offset)
    page = await caller.api.get(f"{API}/customers", segment=segment, **query.api_params())
    context = {
        "segment": found,
        "currency": segments["currency"],
        "as_of_date": segments["as_of_date"],
        "customers": [{**row, "path": customer_path(row["customer_id"])} for row in page["data"]],
        "paging": paging(int(page["count"]), SEGMENT_PAGE_SIZE, query.offset),
        "query": query,
        "sorts": SEGMENT_SORTS,
        "tiers": TIERS,
        "fmt": fmt,
    }
    return render(request, "loyalty/segment.html", context)


@router.get("/loyalty/customers/{customer_id}")
async def customer(request: Request, caller: CallerDep, customer_id: str) -> Response:
    """A customer's RFM scores, segment, tier and recommendations by rank, with reasons."""
    try:
        summary = await caller.api.get(f"{API}/customers/{quote(customer_id, safe='')}")
    except ApiError as error:
        context: dict[str, Any] = {"customer_id": customer_id, "lookup_error": _lookup_error(error)}
        return render(request, "loyalty/customer.html", context, status=error.status)
    context = {
        "customer_id": customer_id,
        "summary": summary,
        "recommendations": sorted(summary["recommendations"], key=lambda row: int(row["rank"])),
        "segment_path": f"/loyalty/segments/{quote(summary['segment'], safe='')}",
        "fmt": fmt,
    }
    return render(request, "loyalty/customer.html", context)

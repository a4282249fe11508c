"""Loyalty: the RFM segments with their rules and averages, a segment's customers, and one
customer's RFM scores, tier and ranked recommendations with the reason for each.

Sources (as the signed-in user): GET /api/loyalty/segments, GET /api/loyalty/recommendations
(a segment's customers: those with recommendations) and GET /api/loyalty/customers/{id}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from console import format as fmt
from console.api import ApiError
from console.pages import CallerDep, render
from console.screens import Screen
from shared.identity import Role

router = APIRouter()
SCREEN = Screen(path="/loyalty", label="Loyalty", order=50, role=Role.VIEWER)
API = "/api/loyalty"


def customer_path(customer_id: str) -> str:
    """The console page of one customer (the id escaped as one path segment)."""
    return f"/loyalty/customers/{quote(customer_id, safe='')}"


@dataclass(frozen=True)
class SegmentCustomer:
    """A customer of a segment with its best recommendation (rank 1) and how many it has."""

    customer_id: str
    recommendations: int
    top_product: str
    top_score: str
    next_best_action: str

    @property
    def path(self) -> str:
        """Its customer page."""
        return customer_path(self.customer_id)


def segment_customers(rows: list[dict[str, Any]]) -> list[SegmentCustomer]:
    """One entry per customer of recommendation rows sorted by customer then rank."""
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_customer.setdefault(row["customer_id"], []).append(row)
    customers = []
    for customer_id, ranked in by_customer.items():
        best = min(ranked, key=lambda row: int(row["rank"]))
        customers.append(
            SegmentCustomer(
                customer_id=customer_id,
                recommendations=len(ranked),
                top_product=f"{best['product_name']} ({best['product_id']})",
                top_score=fmt.percent(best["score"]),
                next_best_action=best["next_best_action"],
            )
        )
    return customers


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
async def segment(request: Request, caller: CallerDep, segment: str) -> Response:
    """One segment's rules and averages, and its customers that have recommendations."""
    segments = await caller.api.get(f"{API}/segments")
    found = next((row for row in segments["data"] if row["segment"] == segment), None)
    if found is None:
        known = ", ".join(row["segment"] for row in segments["data"])
        context = {"status": 404, "title": "Not Found",
                   "message": f"No segment '{segment}'. The segments are: {known}."}  # fmt: skip
        return render(request, "error.html", context, status=404)
    rows = await caller.api.get_all(
        f"{API}/recommendations", segment=segment, sort="customer_id,rank"
    )
    context = {
        "segment": found,
        "currency": segments["currency"],
        "as_of_date": segments["as_of_date"],
        "customers": segment_customers(rows),
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

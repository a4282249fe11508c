"""GET /api/admin/reports/latest and /latest/pdf: the newest business report the lake names.

The lake is the admin service's own (`data_dir/lake` here), written the way `ecom report`
records a report (shared/latest_report.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from httpx import AsyncClient

from shared.exports import FILE_CHUNK_BYTES
from shared.identity import Role
from shared.latest_report import (
    LATEST_REPORT_KEY,
    LatestReport,
    ReportSpan,
    record_latest_report,
    report_folder,
)
from shared.objectstore import ObjectStore
from tests.services.admin.back_office import as_role

LATEST = "/api/admin/reports/latest"
PDF = "/api/admin/reports/latest/pdf"
STAFF = (Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN)


@pytest.fixture
def lake(tmp_path: Path) -> ObjectStore:
    """The lake the admin service of `admin_client` reads (its settings' default)."""
    return ObjectStore((tmp_path / "lake").as_uri())


def _store_report(lake: ObjectStore, first: date, last: date, pdf: bytes) -> LatestReport:
    folder = report_folder(first, last)
    lake.write_atomic(f"{folder}/report.pdf", pdf)
    lake.write_atomic(f"{folder}/report.md", b"# Business report\n")
    latest = LatestReport(
        period=ReportSpan(first=first, last=last),
        generated_at=datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
        pdf=f"{folder}/report.pdf",
        markdown=f"{folder}/report.md",
    )
    record_latest_report(lake, latest)
    return latest


def _pdf_bytes(size: int) -> bytes:
    """A PDF-looking body spanning several stream chunks, every byte position distinct enough
    that a lost or repeated chunk changes it."""
    body = bytes((n * 7 + n // 251) % 256 for n in range(size))
    return b"%PDF-1.7\n" + body + b"\n%%EOF\n"


async def test_no_report_yet_is_a_problem_404_for_both_routes(admin_client: AsyncClient) -> None:
    for path in (LATEST, PDF):
        response = await admin_client.get(path, headers=as_role(Role.VIEWER))
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "ecom report" in response.json()["detail"]


async def test_latest_report_names_the_period_and_serves_its_pdf_bytes(
    admin_client: AsyncClient, lake: ObjectStore
) -> None:
    _store_report(lake, date(2026, 11, 6), date(2026, 11, 12), b"%PDF-1.7 older\n")
    pdf = _pdf_bytes(3 * FILE_CHUNK_BYTES + 123)
    _store_report(lake, date(2026, 11, 13), date(2026, 11, 19), pdf)

    for role in STAFF:
        meta = await admin_client.get(LATEST, headers=as_role(role))
        assert meta.status_code == 200, (role, meta.text)
        assert meta.json() == {
            "period_from": "2026-11-13",
            "period_to": "2026-11-19",
            "generated_at": "2026-11-20T07:00:00Z",
            "pdf_key": "reports/2026-11-13_2026-11-19/report.pdf",
            "pdf_url": PDF,
            "filename": "report_2026-11-13_2026-11-19.pdf",
        }
        download = await admin_client.get(PDF, headers=as_role(role))
        assert download.status_code == 200, (role, download.text)
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"] == (
            'inline; filename="report_2026-11-13_2026-11-19.pdf"'
        )
        assert download.content == pdf


async def test_a_client_asking_for_octet_stream_gets_the_same_bytes(
    admin_client: AsyncClient, lake: ObjectStore
) -> None:
    pdf = _pdf_bytes(1000)
    _store_report(lake, date(2026, 11, 13), date(2026, 11, 19), pdf)
    headers = as_role(Role.VIEWER, accept="application/octet-stream")
    response = await admin_client.get(PDF, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == pdf


async def test_customers_and_anonymous_callers_are_refused(
    admin_client: AsyncClient, lake: ObjectStore
) -> None:
    _store_report(lake, date(2026, 11, 13), date(2026, 11, 19), _pdf_bytes(100))
    for path in (LATEST, PDF):
        anonymous = await admin_client.get(path)
        customer = await admin_client.get(path, headers=as_role(Role.CUSTOMER))
        assert anonymous.status_code == 401
        assert customer.status_code == 403
        for refused in (anonymous, customer):
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert b"%PDF" not in refused.content


async def test_a_record_whose_pdf_is_gone_is_a_404_naming_it(
    admin_client: AsyncClient, lake: ObjectStore
) -> None:
    latest = _store_report(lake, date(2026, 11, 13), date(2026, 11, 19), _pdf_bytes(100))
    await asyncio.to_thread(Path(lake.root, latest.pdf).unlink)
    for path in (LATEST, PDF):
        response = await admin_client.get(path, headers=as_role(Role.VIEWER))
        assert response.status_code == 404
        assert latest.pdf in response.json()["detail"]


async def test_an_unreadable_record_is_a_problem_503_not_a_500(
    admin_client: AsyncClient, lake: ObjectStore
) -> None:
    lake.write_atomic(LATEST_REPORT_KEY, b'{"period": "last week"}')
    for path in (LATEST, PDF):
        response = await admin_client.get(path, headers=as_role(Role.VIEWER))
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert LATEST_REPORT_KEY in response.json()["detail"]

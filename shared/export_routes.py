"""The export builder of the CRUD kit: the rows a list would select, as one streamed file (a
CSV, or an XLSX workbook), refused with a problem document when there are more than the row cap.

Exports are staff-only (`roles.export` up): an owner role is never admitted. HEAD answers the
headers of the file the same GET would send (after the same row cap check).

No `from __future__ import annotations` here on purpose: FastAPI reads the endpoint signature
at runtime, and each resource's query reader is named in it when it is defined.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.crud_api import CrudApi
from shared.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    binary_media_type,
    csv_export,
    file_responses,
    xlsx_export,
)
from shared.http_methods import is_head_request
from shared.identity import Principal
from shared.list_query import ListQuery, ListQueryReader
from shared.problems import problem_responses
from shared.service import EngineDep, require_role

RowCap = Callable[[Request], int]


@dataclass(frozen=True)
class ExportedRows:
    """One export's rows and where they go: the statement, its columns, the request, the cap."""

    engine: AsyncEngine
    statement: Select[Any]
    columns: list[str]
    request: Request
    row_cap: int


@dataclass(frozen=True)
class ExportFormat:
    """A file format of exports: its path suffix, media type, summary words and writer."""

    suffix: str
    media_type: str
    described_as: str
    send: Callable[[CrudApi, ExportedRows], Awaitable[Response]]


async def send_csv(api: CrudApi, rows: ExportedRows) -> Response:
    """The rows as a streamed CSV named `<plural>.csv` (header row first)."""
    return await csv_export(
        rows.engine,
        rows.statement,
        filename=f"{api.plural}.csv",
        row_cap=rows.row_cap,
        head=is_head_request(rows.request.scope),
    )


async def send_xlsx(api: CrudApi, rows: ExportedRows) -> Response:
    """The rows as a workbook named `<plural>.xlsx` with one sheet titled `<plural>`; sent as
    octet-stream to a client that accepts only that (generated clients)."""
    return await xlsx_export(
        rows.engine,
        rows.statement,
        rows.columns,
        filename=f"{api.plural}.xlsx",
        sheet_title=api.plural,
        row_cap=rows.row_cap,
        media_type=binary_media_type(rows.request.headers.get("accept"), XLSX_MEDIA_TYPE),
        head=is_head_request(rows.request.scope),
    )


CSV = ExportFormat("csv", CSV_MEDIA_TYPE, "as CSV (streamed)", send_csv)
XLSX = ExportFormat("xlsx", XLSX_MEDIA_TYPE, "as an XLSX workbook", send_xlsx)


def add_export_operation(
    router: APIRouter, api: CrudApi, reader: ListQueryReader, row_cap: RowCap, file: ExportFormat
) -> None:
    """`GET /export/<suffix>`: every row `reader` selects, as one `file`, with the public
    model's columns in order; at most `row_cap(request)` rows."""
    columns = list(api.models.public.model_fields)

    async def export_rows(
        engine: EngineDep,
        request: Request,
        _caller: Annotated[Principal, Depends(require_role(api.roles.export))],
        query: Annotated[ListQuery, Depends(reader)],
    ) -> Response:
        statement = api.resource.query(query.filters, query.search, query.sort, columns)
        return await file.send(
            api, ExportedRows(engine, statement, columns, request, row_cap(request))
        )

    router.get(
        f"/export/{file.suffix}",
        operation_id=api.operation_id("export", f"{api.plural}_{file.suffix}"),
        summary=f"Export the matching {api.plural} {file.described_as}",
        response_class=Response,
        responses={**file_responses(file.media_type), **problem_responses(401, 403, 422)},
    )(export_rows)

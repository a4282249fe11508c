"""CSV and XLSX exports streamed in chunks from PostgreSQL, with flat memory and a row cap.

CSV streams `COPY (query) TO STDOUT` as PostgreSQL sends it; XLSX reads a server-side cursor
(`stream` + `partitions`) into openpyxl's write-only workbook. Either way memory follows the
chunk, not the export. Every text cell a spreadsheet would read as a formula (it starts with
= + - @ tab CR or LF) gets a single quote in front (OWASP "CSV injection"): in SQL for CSV, in
Python for XLSX. CSV cells follow shared/export_formats.py (true/false, ISO 8601 with Z). An
export larger than the cap is refused with a problem document before any byte is sent.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import StreamingResponse

from shared.export_formats import CSV_SESSION_SETTINGS, csv_select
from shared.export_formats import FORMULA_TRIGGERS as FORMULA_TRIGGERS
from shared.problems import ProblemError

CHUNK_ROWS = 2_000
FILE_CHUNK_BYTES = 256 * 1024
COPY_QUEUE_CHUNKS = 16
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


OCTET_STREAM = "application/octet-stream"


def file_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry of a 200 that sends a file of `media_type`, typed as client
    generators read it: text as a string, binary as bytes, also offered as octet-stream (which
    the route sends to a client that asks for it: generators know no spreadsheet types)."""
    if media_type.startswith("text/"):
        return {
            200: {
                "description": "The file.",
                "content": {media_type: {"schema": {"type": "string"}}},
            }
        }
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"description": "The file.", "content": {media_type: binary, OCTET_STREAM: binary}}
    }


def binary_media_type(accept: str | None, media_type: str) -> str:
    """`media_type`, or octet-stream for a client whose Accept names only that (generated ones)."""
    accepted = {part.split(";")[0].strip().lower() for part in (accept or "").split(",")}
    return OCTET_STREAM if OCTET_STREAM in accepted and media_type not in accepted else media_type


def neutralise(text: str) -> str:
    """`text` made inert for spreadsheets: a leading formula trigger gets a quote before it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        # Control characters are not allowed in XML; openpyxl would refuse the whole row.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: cells hold UTC wall-clock time.
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def count_within_cap(engine: AsyncEngine, statement: Select[Any], row_cap: int) -> int:
    """The number of rows `statement` returns, or a 422 problem when it exceeds `row_cap`."""
    async with engine.connect() as connection:
        # Counting at most cap + 1 rows keeps a refused export cheap however large it is.
        probe = statement.order_by(None).limit(row_cap + 1).subquery()
        total = int(await connection.scalar(select(func.count()).select_from(probe)) or 0)
    if total > row_cap:
        raise ProblemError(
            422,
            f"The export would exceed {row_cap} rows; add filters (or `q`) to narrow it down.",
            title="Export too large",
        )
    return total


async def _stream_rows(
    engine: AsyncEngine, statement: Select[Any], row_cap: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    # A server-side cursor lives only inside a transaction; a read-only one is enough.
    # The limit holds the cap even if rows arrive between the count and the stream.
    async with engine.connect() as connection, connection.begin():
        await connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        result = await connection.stream(statement.limit(row_cap))
        async for chunk in result.partitions(CHUNK_ROWS):
            yield chunk


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def _copy_csv(engine: AsyncEngine, statement: Select[Any]) -> AsyncIterator[bytes]:
    """`COPY (statement) TO STDOUT` as CSV with a header, chunk by chunk as PostgreSQL sends it.

    COPY moves rows about ten times faster than fetching them into Python; a small queue between
    the COPY and the response keeps memory flat when the client reads slowly.
    """
    # Expanding IN parameters are rendered now: COPY is sent as one finished statement.
    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    bound = compiled.construct_params()
    arguments = [bound[name] for name in compiled.positiontup or ()]
    chunks: asyncio.Queue[bytes | Exception | None] = asyncio.Queue(maxsize=COPY_QUEUE_CHUNKS)

    async def keep(data: bytes | bytearray) -> None:
        # asyncpg hands over its receive buffer; keep a copy of our own.
        await chunks.put(bytes(data))

    async def copy() -> None:
        try:
            async with engine.connect() as connection:
                driver: Any = (await connection.get_raw_connection()).driver_connection
                async with driver.transaction(readonly=True):
                    # The formats of shared/export_formats.py, whatever the server's defaults.
                    for setting in CSV_SESSION_SETTINGS:
                        await driver.execute(setting)
                    await driver.copy_from_query(
                        compiled.string, *arguments, output=keep, format="csv", header=True
                    )
        except Exception as error:  # handed to the response, which is still waiting
            await chunks.put(error)
            return
        await chunks.put(None)

    producer = asyncio.create_task(copy())
    try:
        while (chunk := await chunks.get()) is not None:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk
    finally:
        # The client may go away mid-stream: stop the COPY and give the connection back.
        producer.cancel()
        with suppress(asyncio.CancelledError):
            await producer


_NOTHING: tuple[bytes, ...] = ()


async def _no_body() -> AsyncIterator[bytes]:
    for chunk in _NOTHING:  # an async generator that yields nothing
        yield chunk


def _headers_only(media_type: str, filename: str) -> StreamingResponse:
    """The answer to HEAD on an export: what GET would send, without building the file (its
    length is not known without building it, so none is claimed)."""
    return StreamingResponse(_no_body(), media_type=media_type, headers=_attachment(filename))


async def csv_export(
    engine: AsyncEngine,
    statement: Select[Any],
    *,
    filename: str,
    row_cap: int,
    head: bool = False,
) -> StreamingResponse:
    """A streamed CSV (header row first) of `statement`, refused before streaming if too large;
    for `head`, only the headers (after the same refusal)."""
    await count_within_cap(engine, statement, row_cap)
    if head:
        return _headers_only(CSV_MEDIA_TYPE, filename)
    body = _copy_csv(engine, csv_select(statement.limit(row_cap)))
    return StreamingResponse(body, media_type=CSV_MEDIA_TYPE, headers=_attachment(filename))


def _append_rows(append: Callable[[list[Any]], None], chunk: Sequence[Row[Any]]) -> None:
    for row in chunk:
        append([_xlsx_cell(value) for value in row])


async def _write_workbook(
    engine: AsyncEngine,
    statement: Select[Any],
    columns: Sequence[str],
    sheet_title: str,
    row_cap: int,
    target: IO[bytes],
) -> None:
    # Write-only: each appended row goes straight to a temporary XML file, not into memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    sheet.append(list(columns))
    async for chunk in _stream_rows(engine, statement, row_cap):
        # openpyxl is CPU-bound and synchronous: keep the event loop serving other requests.
        await asyncio.to_thread(_append_rows, sheet.append, chunk)
    await asyncio.to_thread(workbook.save, target)


async def xlsx_export(
    engine: AsyncEngine,
    statement: Select[Any],
    columns: Sequence[str],
    *,
    filename: str,
    sheet_title: str,
    row_cap: int,
    media_type: str = XLSX_MEDIA_TYPE,
    head: bool = False,
) -> StreamingResponse:
    """An XLSX of `statement`, built row chunk by row chunk on disk, then streamed from there.

    A zip archive ends with its directory, so the file is complete before the first byte goes
    out; that also lets an error during the build still answer with a problem document.
    """
    await count_within_cap(engine, statement, row_cap)
    if head:
        return _headers_only(media_type, filename)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the body generator below
    try:
        await _write_workbook(engine, statement, columns, sheet_title, row_cap, spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(spool.read, FILE_CHUNK_BYTES):
                yield chunk
        finally:
            spool.close()

    headers = {**_attachment(filename), "Content-Length": str(size)}
    return StreamingResponse(body(), media_type=media_type, headers=headers)

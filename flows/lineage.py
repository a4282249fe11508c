"""OpenLineage run events for flow runs: START, then COMPLETE, FAIL or ABORT, naming the
tables and lake prefixes each run reads and writes.

Datasets follow the OpenLineage naming spec: a PostgreSQL table is `<database>.<schema>.<table>`
in namespace `postgres://<host>:<port>`; a lake prefix such as `bronze/orders` is its path in
namespace `s3://<bucket>` (S3, MinIO) or `file` (local disk). Events go to JSON lines under
`ECOM_DATA_DIR/lineage/` by default, to the log (console) or to an HTTP backend.

Lineage is an observer: a transport that fails is logged as a warning and never fails the flow.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    JobFacet,
    RunFacet,
    documentation_job,
    error_message_run,
    job_type_job,
    parent_run,
    processing_engine_run,
)
from openlineage.client.naming.dataset import S3, LocalFileSystem
from openlineage.client.transport import Transport
from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

from flows.settings import FlowSettings

logger = logging.getLogger(__name__)

LINEAGE_DIR = "lineage"
EVENTS_FILE = "events.jsonl"
POSTGRES_DEFAULT_PORT = 5432
# A backend that is down costs each event a few seconds, not the client's default retries.
HTTP_TIMEOUT_S = 5.0
HTTP_RETRY = {"total": 2, "connect": 2, "read": 2, "backoff_factor": 0.2}


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


ECOM_VERSION = _package_version("ecom-platform")
# The producer is this module of the platform: a URI naming who wrote the event.
PRODUCER = f"urn:ecom-platform:flows.lineage:{ECOM_VERSION}"


@dataclass(frozen=True)
class DatasetName:
    """An OpenLineage dataset identity."""

    namespace: str
    name: str


@dataclass(frozen=True)
class DatasetNamer:
    """Turns the names flows use ('schema.table', 'bronze/orders') into OpenLineage datasets."""

    postgres_namespace: str
    database: str
    lake_url: str

    @classmethod
    def from_settings(cls, settings: FlowSettings) -> DatasetNamer:
        """Namespaces from the database URL (or ECOM_OPENLINEAGE_DATASET_NAMESPACE) and lake."""
        if settings.database_url is not None:
            parts = urlsplit(settings.database_url.get_secret_value())
            host = parts.hostname or "localhost"
            port = parts.port or POSTGRES_DEFAULT_PORT
            database = parts.path.lstrip("/") or settings.database_name
        else:  # local mode: the embedded server of the data directory
            host, port, database = "127.0.0.1", settings.embedded_pg_port, settings.database_name
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        namespace = settings.openlineage_dataset_namespace or f"postgres://{authority}"
        return cls(namespace.rstrip("/"), database, settings.lake_url)

    def dataset(self, name: str) -> DatasetName:
        """The dataset of a 'schema.table', a lake key ('bronze/orders') or a full lake URL."""
        if "://" in name:
            return self._object(name)
        if "/" in name:
            return self._object(f"{self.lake_url.rstrip('/')}/{name.strip('/')}")
        schema, dot, table = name.partition(".")
        if not (dot and schema and table) or "." in table:
            raise ValueError(
                f"lineage dataset {name!r} is neither 'schema.table' nor a lake path"
                " such as 'bronze/orders'"
            )
        return DatasetName(self.postgres_namespace, f"{self.database}.{schema}.{table}")

    @staticmethod
    def _object(url: str) -> DatasetName:
        parts = urlsplit(url)
        path = parts.path.rstrip("/")
        if parts.scheme == "file":
            local = LocalFileSystem(path=path)
            return DatasetName(local.get_namespace(), local.get_name())
        if parts.scheme in {"s3", "s3a"} and parts.netloc and path.strip("/"):
            s3 = S3(bucket_name=parts.netloc, object_key=path.lstrip("/"))
            return DatasetName(s3.get_namespace(), s3.get_name())
        raise ValueError(f"lineage dataset {url!r}: only file:// and s3:// lake paths are named")


@dataclass
class LineageRun:
    """One run of a job: its id and the datasets it reads and writes, growing as it learns."""

    job: str
    run_id: uuid.UUID
    namer: DatasetNamer = field(repr=False)
    parent: LineageRun | None = field(default=None, repr=False)
    inputs: list[DatasetName] = field(default_factory=list)
    outputs: list[DatasetName] = field(default_factory=list)

    @property
    def root(self) -> LineageRun:
        """The outermost run this one was started from (itself if none)."""
        return self if self.parent is None else self.parent.root

    def add_inputs(self, *tables: str) -> None:
        """Record more datasets the run reads ('schema.table' or lake paths)."""
        _extend_unique(self.inputs, [self.namer.dataset(table) for table in tables])

    def add_outputs(self, *tables: str) -> None:
        """Record more datasets the run writes (outputs known only at the end)."""
        _extend_unique(self.outputs, [self.namer.dataset(table) for table in tables])


def _extend_unique(target: list[DatasetName], new: Sequence[DatasetName]) -> None:
    for dataset in new:
        if dataset not in target:
            target.append(dataset)


def _transport(settings: FlowSettings) -> Transport | None:
    """The transport the settings choose; None emits nothing."""
    kind = settings.openlineage_transport
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleTransport(ConsoleConfig())
    if kind == "http":
        if not settings.openlineage_url:
            raise ValueError("ECOM_OPENLINEAGE_TRANSPORT=http needs ECOM_OPENLINEAGE_URL")
        config = HttpConfig(url=settings.openlineage_url, timeout=HTTP_TIMEOUT_S, retry=HTTP_RETRY)
        if settings.openlineage_api_key is not None:
            config.auth = ApiKeyTokenProvider(
                {"apiKey": settings.openlineage_api_key.get_secret_value()}
            )
        return HttpTransport(config)
    path = settings.data_path / LINEAGE_DIR / EVENTS_FILE
    return FileTransport(FileConfig(log_file_path=str(path), append=True))


class LineageEmitter:
    """Emits a job's run events through one OpenLineage client; create one per process."""

    def __init__(
        self, transport: Transport | None, namer: DatasetNamer, job_namespace: str
    ) -> None:
        self.namer = namer
        self.job_namespace = job_namespace
        self._client = OpenLineageClient(transport=transport) if transport is not None else None
        self._events_dir = (
            Path(transport.config.log_file_path).parent
            if isinstance(transport, FileTransport)
            else None
        )

    @classmethod
    def from_settings(cls, settings: FlowSettings) -> LineageEmitter:
        """The emitter the flow settings describe (transport, namespaces).

        A transport that cannot be built (a malformed URL, a broken `openlineage.yml`) turns
        lineage off with a warning rather than stopping the flow."""
        namer = DatasetNamer.from_settings(settings)
        try:
            return cls(_transport(settings), namer, settings.openlineage_namespace)
        except Exception as error:
            logger.warning(
                "OpenLineage %s transport unavailable, no lineage events will be sent: %s",
                settings.openlineage_transport,
                error,
            )
            return cls(None, namer, settings.openlineage_namespace)

    @property
    def enabled(self) -> bool:
        """Whether events are sent anywhere (ECOM_OPENLINEAGE_TRANSPORT is not 'none')."""
        return self._client is not None

    def close(self) -> None:
        """Release the transport (the HTTP session); emitting afterwards reopens it."""
        if self._client is not None:
            self._client.close()

    @asynccontextmanager
    async def run(
        self,
        job: str,
        *,
        inputs: Sequence[str],
        outputs: Sequence[str],
        run_id: uuid.UUID | None = None,
        description: str = "",
        parent: LineageRun | None = None,
    ) -> AsyncIterator[LineageRun]:
        """START on enter; COMPLETE on normal exit, FAIL (with the error message) on exception
        (re-raised), ABORT on cancellation. `inputs`/`outputs` are 'schema.table' names or lake
        paths such as 'bronze/orders'; `parent` is the run that started this one."""
        current = LineageRun(
            job=job, run_id=run_id or generate_new_uuid(), namer=self.namer, parent=parent
        )
        current.add_inputs(*inputs)
        current.add_outputs(*outputs)
        job_facets = self._job_facets(description)
        run_facets = self._run_facets(current)
        await self._emit(self._event(RunState.START, current, job_facets, run_facets))
        try:
            yield current
        except Exception as error:
            failed = {**run_facets, "errorMessage": _error_facet(error)}
            await self._emit(self._event(RunState.FAIL, current, job_facets, failed))
            raise
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            # The event is written by a worker thread even if this task is cancelled again
            # while it waits for it.
            await self._emit(self._event(RunState.ABORT, current, job_facets, run_facets))
            raise
        await self._emit(self._event(RunState.COMPLETE, current, job_facets, run_facets))

    def _job_facets(self, description: str) -> dict[str, JobFacet]:
        facets: dict[str, JobFacet] = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="PREFECT", jobType="FLOW", producer=PRODUCER
            )
        }
        if description:
            facets["documentation"] = documentation_job.DocumentationJobFacet(
                description=description, producer=PRODUCER
            )
        return facets

    def _run_facets(self, current: LineageRun) -> dict[str, RunFacet]:
        facets: dict[str, RunFacet] = {
            "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                version=_package_version("prefect"),
                name="prefect",
                openlineageAdapterVersion=ECOM_VERSION,
                producer=PRODUCER,
            )
        }
        if (parent := current.parent) is not None:
            root = parent.root
            facets["parent"] = parent_run.ParentRunFacet(
                run=parent_run.Run(runId=str(parent.run_id)),
                job=parent_run.Job(namespace=self.job_namespace, name=parent.job),
                root=parent_run.Root(
                    run=parent_run.RootRun(runId=str(root.run_id)),
                    job=parent_run.RootJob(namespace=self.job_namespace, name=root.job),
                ),
                producer=PRODUCER,
            )
        return facets

    def _event(
        self,
        state: RunState,
        current: LineageRun,
        job_facets: dict[str, JobFacet],
        run_facets: dict[str, RunFacet],
    ) -> RunEvent:
        return RunEvent(
            eventType=state,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=str(current.run_id), facets=dict(run_facets)),
            job=Job(namespace=self.job_namespace, name=current.job, facets=dict(job_facets)),
            inputs=[InputDataset(namespace=d.namespace, name=d.name) for d in current.inputs],
            outputs=[OutputDataset(namespace=d.namespace, name=d.name) for d in current.outputs],
            producer=PRODUCER,
        )

    async def _emit(self, event: RunEvent) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._emit_or_warn, event)

    def _emit_or_warn(self, event: RunEvent) -> None:
        """Send one event; lineage never fails the flow, so any error becomes a warning."""
        assert self._client is not None
        try:
            if self._events_dir is not None:
                self._events_dir.mkdir(parents=True, exist_ok=True)
            self._client.emit(event)
        except Exception as error:
            logger.warning(
                "OpenLineage %s event of %s run %s was not sent (%s transport): %s",
                event.eventType.value if event.eventType else "?",
                event.job.name,
                event.run.runId,
                self._client.transport.kind,
                error,
            )


def _error_facet(error: BaseException) -> error_message_run.ErrorMessageRunFacet:
    return error_message_run.ErrorMessageRunFacet(
        message=f"{type(error).__name__}: {error}",
        programmingLanguage="python",
        stackTrace="".join(traceback.format_exception(error)),
        producer=PRODUCER,
    )

"""Fixtures for pipeline tests: flow settings pointing at the test database and a local lake."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase


@pytest.fixture
def flow_settings(database: TestDatabase, tmp_path: Path) -> FlowSettings:
    """Flow settings connecting as the pipeline role, with the lake under tmp_path."""
    return FlowSettings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=database.role_url(Owner.FLOWS),
        object_store_url=(tmp_path / "lake").as_uri(),
    )


@pytest.fixture
def lake(flow_settings: FlowSettings) -> ObjectStore:
    """The object store the pipeline reads."""
    return ObjectStore.from_settings(flow_settings)

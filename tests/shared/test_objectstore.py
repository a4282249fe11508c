"""The object store on local disk and on a real S3 API server (moto) on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.objectstore import ObjectStore


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """The same tests run against local disk and against S3."""
    if request.param == "file":
        return ObjectStore((tmp_path / "lake").as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return ObjectStore(
        request.getfixturevalue("s3_lake_url"),
        {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        },
    )


def test_written_object_reads_back_and_lists(store: ObjectStore) -> None:
    store.write_atomic("landing/orders/a.csv", b"id\n1\n")
    store.write_atomic("landing/orders/b.csv", b"id\n2\n")
    assert store.read_bytes("landing/orders/a.csv") == b"id\n1\n"
    assert store.list("landing") == ["landing/orders/a.csv", "landing/orders/b.csv"]
    assert store.list("nothing-here") == []


def test_create_new_never_overwrites(store: ObjectStore) -> None:
    assert store.create_new("bronze/orders/x.csv", b"first") is True
    assert store.create_new("bronze/orders/x.csv", b"second") is False
    assert store.read_bytes("bronze/orders/x.csv") == b"first"


def test_delete_removes_and_tolerates_missing(store: ObjectStore) -> None:
    store.write_atomic("landing/orders/a.csv", b"x")
    store.delete("landing/orders/a.csv")
    store.delete("landing/orders/a.csv")
    assert not store.exists("landing/orders/a.csv")


def test_local_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = ObjectStore((tmp_path / "lake").as_uri())
    store.write_atomic("landing/orders/a.csv", b"one")
    store.write_atomic("landing/orders/a.csv", b"two")
    assert store.read_bytes("landing/orders/a.csv") == b"two"
    assert [p.name for p in (tmp_path / "lake/landing/orders").iterdir()] == ["a.csv"]


def test_unsupported_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="use file:// or s3://"):
        ObjectStore("ftp://example/lake")

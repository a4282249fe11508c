"""What every service's table models share: the base of one schema's tables, the row metadata of
editable rows, and the Core table behind a model.

A service declares each of its tables once, as a SQLModel table model on a base made with
`schema_tables` (one `MetaData` per schema owner, the one its Alembic comparison test checks),
and reads and writes rows through Core statements on `core_table(Model)`: the generic
repository works on whole rows with INSERT/UPDATE ... RETURNING and needs no identity map.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Table, func, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


def schema_registry(schema: str) -> registry:
    """The registry (and so the one `MetaData`) of every table model in `schema`; pass it as
    `class ...(SQLModel, registry=schema_registry("admin"))` to make the schema's base."""
    return registry(metadata=MetaData(schema=schema))


def core_table(model: type[SQLModel]) -> Table:
    """The Core table of a table model (SQLModel does not declare `__table__` to type checkers)."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def defaulted(sql: str, **column: Any) -> Any:
    """A column with the server default `sql`, written as the migration writes it."""
    return Field(sa_column_kwargs={"server_default": text(sql)}, **column)


def timestamptz(**column: Any) -> Any:
    """A `timestamptz` column (SQLModel would map `datetime` to a naive-aware decorator type)."""
    return Field(sa_type=DateTime(timezone=True), **column)


def created_now() -> Any:
    """A `timestamptz NOT NULL DEFAULT now()` column."""
    return timestamptz(sa_column_kwargs={"server_default": func.now()})


class RowMetadata(SQLModel):
    """Columns of every editable row: the version (its ETag, raised by each update) and when the
    row was created and last updated, as the migrations declare them."""

    version: int = defaulted("1", sa_type=Integer)
    created_at: datetime = created_now()
    updated_at: datetime = created_now()

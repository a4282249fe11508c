"""A mart's declared inputs are what its SQL reads, and they alone decide what silver marks dirty:
no silver module names a mart."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from flows.gold.build import SQL_DIR, Mart
from flows.gold.inputs import Dirties, DirtyMark, Input, Scope, keyed, next_data_day, whole
from flows.gold.marts import MARTS, dirty_marks
from flows.gold.marts.admin import MART_DAILY_REVENUE
from flows.gold.marts.transparency import MART_LOGISTICS_SLA
from flows.silver.tables import SILVER_TABLE_BY_ENTITY, SILVER_TABLES

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ("silver", "loyalty", "transparency", "reminders", "admin", "ops")
TABLE_REFERENCE = re.compile(rf"\b((?:{'|'.join(SCHEMAS)})\.[a-z_][a-z0-9_]*)\b")


def tables_read_by(sql: str) -> set[str]:
    """Every `schema.table` the SQL names outside its `--` comments."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(TABLE_REFERENCE.findall(code))


def test_the_parser_ignores_comments_and_aliases() -> None:
    sql = (
        "-- reads silver.customers for nothing\n"
        "SELECT o.order_id FROM silver.orders o JOIN loyalty.mart_customer_summary s"
        " ON s.customer_id = o.customer_id -- and silver.products\n"
    )
    assert tables_read_by(sql) == {"silver.orders", "loyalty.mart_customer_summary"}


@pytest.mark.parametrize("mart", MARTS, ids=lambda mart: mart.name)
def test_a_marts_declared_inputs_are_the_tables_its_sql_reads(mart: Mart) -> None:
    declared = set(mart.reads)
    read = set().union(
        *(tables_read_by((SQL_DIR / f"{sql}.sql").read_text()) for sql in mart.sql_files)
    ) - set(mart.work_tables)  # filled by the build itself
    routes = [(item.table, item.column, item.via) for item in mart.inputs]
    assert len(routes) == len(set(routes)), f"{mart.table} declares an input twice"
    assert declared == read, (
        f"{mart.table}: declared but not read {sorted(declared - read)};"
        f" read but not declared {sorted(read - declared)}"
    )


@pytest.mark.parametrize("mart", MARTS, ids=lambda mart: mart.name)
def test_keyed_inputs_name_a_column_of_the_changed_row_or_its_order(mart: Mart) -> None:
    for item in mart.inputs:
        if item.dirties is Dirties.KEYS:
            assert item.silver_table is not None
            assert item.column is not None
            source = item.via or item.silver_table
            assert item.column in SILVER_TABLE_BY_ENTITY[source].value_columns


def test_silver_marks_what_the_marts_declare() -> None:
    day, customer = Scope.DAYS, Scope.CUSTOMERS
    groups = ("channel", "region")  # the revenue mart's days split by channel and region
    marks = {table.name: dirty_marks(table.name) for table in SILVER_TABLES}
    assert {name: found for name, found in marks.items() if found} == {
        "orders": (
            DirtyMark(day, "order_ts", ("mart_daily_revenue",), groups=groups),
            DirtyMark(customer, "customer_id", ("mart_customer_summary",)),
        ),
        "order_items": (
            DirtyMark(day, "order_ts", ("mart_daily_revenue",), via="orders", groups=groups),
            DirtyMark(customer, "customer_id", ("mart_customer_summary",), via="orders"),
        ),
        "shipments": (
            DirtyMark(day, "promised_date", ("mart_trust_scores",)),
            DirtyMark(day, "opened_at", ("mart_trust_scores",), via="support_interactions"),
        ),
        "support_interactions": (DirtyMark(day, "opened_at", ("mart_trust_scores",)),),
    }


def test_no_silver_module_names_a_mart() -> None:
    names = [mart.name for mart in MARTS] + [mart.table for mart in MARTS]
    for module in sorted((ROOT / "flows" / "silver").glob("*.py")):
        text = module.read_text()
        named = [name for name in names if name in text]
        assert named == [], f"{module.relative_to(ROOT)} names {named}"


def test_a_mart_rebuilt_whole_cannot_take_keyed_inputs() -> None:
    with pytest.raises(ValueError, match="full mart cannot have a keys input"):
        replace(MART_LOGISTICS_SLA, inputs=(keyed("silver.orders", "order_ts"),))


def test_a_scoped_mart_waits_for_a_new_data_day_only_if_it_gets_one() -> None:
    assert not MART_DAILY_REVENUE.rebuild_on_new_day
    with pytest.raises(ValueError, match="never gets"):
        replace(MART_DAILY_REVENUE, inputs=(next_data_day("silver.products"),))
    with pytest.raises(ValueError, match="days mart cannot have a whole input"):
        replace(MART_DAILY_REVENUE, inputs=whole("silver.products"))
    accepted = replace(
        MART_DAILY_REVENUE, rebuild_on_new_day=True, inputs=(next_data_day("silver.products"),)
    )
    assert accepted.reads == ("silver.products",)


def test_only_silver_inputs_are_keyed_and_keyed_inputs_name_their_column() -> None:
    with pytest.raises(ValueError, match="only silver loads"):
        keyed("loyalty.mart_customer_summary", "customer_id")
    with pytest.raises(ValueError, match="exactly for keyed inputs"):
        Input("silver.orders", Dirties.WHOLE, "order_ts")

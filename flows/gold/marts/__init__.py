"""Every mart, declared by the domain whose service serves it, in build order.

A mart built from another mart comes after it (customer summary before recommendations before
reminder candidates). The silver loads ask `dirty_marks` which marts a change to their table
dirties: the answer comes from the marts' declared inputs, so silver names no mart.
"""

from __future__ import annotations

from functools import cache

from flows.gold.build import GoldFlow, Mart
from flows.gold.inputs import DirtyMark, Scope
from flows.gold.marts import admin, loyalty, reminders, transparency

MARTS: tuple[Mart, ...] = (
    *admin.MARTS,
    *loyalty.MARTS,
    *reminders.MARTS,
    *transparency.MARTS,
)
MART_BY_NAME = {mart.name: mart for mart in MARTS}
MART_BY_TABLE = {mart.table: mart for mart in MARTS}


def marts_for(flow: GoldFlow) -> tuple[Mart, ...]:
    """The marts `flow` builds, in build order."""
    return tuple(mart for mart in MARTS if mart.flow is flow)


@cache
def dirty_marks(silver_table: str) -> tuple[DirtyMark, ...]:
    """What a silver load of `silver_table` marks dirty: one mark per scope, key column and
    route (the row, its order or the cases about its order) and day groups, naming every mart
    keyed on it, in build order."""
    marts_by_mark: dict[tuple[Scope, str, str | None, tuple[str, ...]], list[str]] = {}
    for mart in MARTS:
        for item in mart.inputs:
            # Only keyed inputs name a column (Input checks it).
            if item.column is not None and item.silver_table == silver_table:
                route = (mart.scope, item.column, item.via, mart.day_groups)
                marts_by_mark.setdefault(route, []).append(mart.name)
    return tuple(
        DirtyMark(scope, column, tuple(marts), via, groups)
        for (scope, column, via, groups), marts in marts_by_mark.items()
    )

"""Every mart, declared by the domain whose service serves it, in build order.

A mart built from another mart comes after it (customer summary before recommendations before
reminder candidates).
"""

from __future__ import annotations

from flows.gold.build import GoldFlow, Mart
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

"""Marts the admin service serves: revenue per day, channel and region."""

from __future__ import annotations

from datetime import timedelta

from flows.generator.orders import SALES_CHANNELS
from flows.gold.build import GoldFlow, Mart
from flows.gold.contracts import (
    AcceptedValues,
    Expression,
    Freshness,
    NotNull,
    Range,
    RowCountChange,
    Unique,
)
from flows.gold.inputs import Scope, keyed

MART_DAILY_REVENUE = Mart(
    table="admin.mart_daily_revenue",
    sql="mart_daily_revenue",
    key=("order_date", "channel", "region"),
    flow=GoldFlow.DATA_PIPELINE,
    scope=Scope.DAYS,
    scope_column="order_date",
    all_keys="SELECT DISTINCT (order_ts AT TIME ZONE 'UTC')::date FROM silver.orders",
    # A row's numbers come from its own group's orders, so a batch rebuilds its groups of a
    # day, not the day. (Whether a customer is new reads their first order ever, elsewhere: an
    # order placed before a customer's first, or the delete of a first order, moves where they
    # are new without marking that group; as with whole days, the next full build settles it.)
    day_groups=("channel", "region"),
    contract=(
        Unique(("order_date", "channel", "region")),
        NotNull(("order_date", "channel", "region", "net_revenue", "currency")),
        AcceptedValues("channel", SALES_CHANNELS),
        Range("orders", min=0),
        Range("units", min=0),
        Range("gross_revenue", min=0),
        Range("discounts", min=0),
        Range("net_revenue", min=0),
        Expression("discounts within gross", "discounts <= gross_revenue"),
        Expression(
            "customers counted once",
            "new_customers + returning_customers <= orders + cancelled_orders + returned_orders",
        ),
        RowCountChange(max_change=0.5),
        Freshness("silver.orders", "loaded_at", timedelta(hours=1), timedelta(days=7)),
    ),
    inputs=(
        keyed("silver.orders", "order_ts"),
        keyed("silver.order_items", "order_ts", via="orders"),
    ),
)

MARTS = (MART_DAILY_REVENUE,)

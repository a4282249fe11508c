"""loyalty.mart_loyalty_recommendations on a hand-checked segment: co-purchase affinity decides
the ranking, bought, inactive and delisted products never appear, popularity fills the gaps, and
channel, discount, cadence, next best action and outbox status follow their rules."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import asyncpg
import pytest

from flows.gold import GoldBuildError, Mart, MartBuild, build_marts, ranking
from flows.gold import build as gold_build
from flows.gold.contracts import CheckContext, CheckResult, Expression, Severity, run_contract
from flows.gold.marts import MART_BY_NAME
from shared.database import asyncpg_dsn
from shared.owners import PIPELINE_ROLE
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

MARTS = ("mart_customer_summary", "mart_loyalty_recommendations")
FALLBACK = "Popular with {}: bought by {}% of them (fallback: no co-purchase signal)"
NEW_FALLBACK = FALLBACK.format("new customers", 25)
PRODUCTS = {
    "P-A": "Kenya AA beans",
    "P-B": "Burr grinder",
    "P-C": "Paper filters",
    "P-D": "Espresso cups",
    "P-E": "Descaler",  # inactive
    "P-F": "Old blend",  # delisted: no current version
    "P-G": "Gooseneck kettle",
}


def at(month: int, day: int) -> datetime:
    """A 2026 UTC timestamp at midnight."""
    return datetime(2026, month, day, tzinfo=UTC)


@pytest.fixture
async def preferences_readable(database: TestDatabase) -> None:
    """STAND-IN for reminders migration 0003 (another branch), which grants the pipeline role
    SELECT on reminders.reminder_preferences; granted here only while that migration is absent."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        granted = await connection.fetchval(
            "SELECT has_table_privilege($1, 'reminders.reminder_preferences', 'SELECT')",
            PIPELINE_ROLE,
        )
        if not granted:
            await connection.execute(
                f"GRANT SELECT ON reminders.reminder_preferences TO {PIPELINE_ROLE}"
            )
    finally:
        await connection.close()


class Shop:
    """Writes customers, their orders and the catalogue into silver."""

    def __init__(self, silver: SilverWriter) -> None:
        self.silver = silver
        self.orders = 0

    async def catalogue(self) -> None:
        """The products of `PRODUCTS`: P-E inactive, P-F delisted (its only version closed)."""
        for product_id, name in PRODUCTS.items():
            columns: dict[str, Any] = {"active": product_id != "P-E"}
            if product_id == "P-F":
                columns.update(valid_to=at(11, 1), is_current=False)
            await self.silver.add("products", product_id=product_id, name=name, **columns)

    async def customer(
        self, customer_id: str, *orders: tuple[datetime, tuple[str, ...]], **columns: Any
    ) -> None:
        """A customer and their kept orders (of 20.00 each), given as (time, products)."""
        await self.silver.add("customers", customer_id=customer_id, **columns)
        for order_ts, products in orders:
            self.orders += 1
            order_id = f"O-{self.orders}"
            await self.silver.add("orders", order_id=order_id, customer_id=customer_id,
                                  order_ts=order_ts, total_amount=Decimal("20.00"))  # fmt: skip
            for line, product_id in enumerate(products, start=1):
                await self.silver.add("order_items", order_item_id=f"{order_id}-{line}",
                                      order_id=order_id, product_id=product_id)  # fmt: skip


async def write_new_customers(shop: Shop) -> None:
    """Eight customers with one recent order each: all in segment 'new' (R5, F1, M1).

    Buyers in the segment: A 6 (U1 U2 U3 U4 T1 T2), B 6 (U1 U2 U4 U5 U6 T2), C 3 (U1 U3 U4),
    D 2 (U3 U5), E 4 (U1-U4), F 2 (U1 U2), G 2 (U5 U6).
    Confidence from A: B 4/6 (U1 U2 U4 T2) = 0.6667, C 3/6 = 0.5000, D 1/6 (under the two
    co-buyers a pair needs), E 4/6 and F 2/6 (not recommendable).
    From B: A 4/6, C 2/6 (U1 U4) = 0.3333, D 1/6 (too few), G 2/6 (U5 U6) = 0.3333.
    Popularity (of 8): A, B 0.75, C 0.375, D and G 0.25 (D first by product_id).
    """
    await shop.catalogue()
    baskets = {
        "U1": ("P-A", "P-B", "P-C", "P-E", "P-F"),
        "U2": ("P-A", "P-B", "P-E", "P-F"),
        "U3": ("P-A", "P-C", "P-D", "P-E"),
        "U4": ("P-A", "P-B", "P-C", "P-E"),
        "U5": ("P-B", "P-D", "P-G"),
        "U6": ("P-B", "P-G"),
        "T1": ("P-A",),
        "T2": ("P-A", "P-B"),
    }
    for customer_id, products in baskets.items():
        # U6's is the newest order in silver: as_of_date is 20 Nov.
        await shop.customer(customer_id, (at(11, 20 if customer_id == "U6" else 18), products))
    # A cancelled order is no purchase: T1 did not buy P-C, and nobody bought it "with" P-A.
    await shop.silver.add("orders", order_id="O-T1-cancelled", customer_id="T1",
                          order_ts=at(11, 19), status="cancelled",
                          total_amount=Decimal("5.00"))  # fmt: skip
    await shop.silver.add("order_items", order_item_id="O-T1-cancelled-1",
                          order_id="O-T1-cancelled", product_id="P-C")  # fmt: skip


RANKED = ("rank", "product_id", "score", "basis", "anchor_product_id", "reason")
# The build's work tables (`Mart.work_tables`) left behind in ops.
WORK_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname = 'ops' AND tablename LIKE 'gold%'"


async def recommendations(
    database: TestDatabase, customer_id: str, columns: tuple[str, ...] = RANKED
) -> list[tuple[object, ...]]:
    """A customer's recommendations, best first, as tuples of `columns`."""
    listed = ", ".join(columns)
    return await database.rows(
        f"SELECT {listed} FROM loyalty.mart_loyalty_recommendations WHERE customer_id = $1"
        " ORDER BY rank",
        customer_id,
    )


@pytest.mark.usefixtures("preferences_readable")
async def test_co_purchase_affinity_within_the_segment_ranks_what_a_customer_has_not_bought(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_new_customers(Shop(silver))

    summary, recommended = await build(pipeline_dsn, *MARTS)

    by_kenya = "Bought by {}% of new customers who bought Kenya AA beans"
    # T1 bought A: B and C by affinity from A (P-E, as likely as P-B, is inactive; P-F is
    # delisted; P-D has one co-buyer only), then the most popular product left, D.
    assert await recommendations(database, "T1") == [
        (1, "P-B", Decimal("0.6667"), "co_purchase", "P-A", by_kenya.format(67)),
        (2, "P-C", Decimal("0.5000"), "co_purchase", "P-A", by_kenya.format(50)),
        (3, "P-D", Decimal("0.2500"), "segment_popularity", None, NEW_FALLBACK),
    ]  # fmt: skip
    # T2 bought A and B: C scores its best anchor (A: 0.5000, not B: 0.3333); G ties C's
    # B-score but is ranked on its own best, 0.3333 from B.
    assert await recommendations(database, "T2") == [
        (1, "P-C", Decimal("0.5000"), "co_purchase", "P-A", by_kenya.format(50)),
        (2, "P-G", Decimal("0.3333"), "co_purchase", "P-B",
         "Bought by 33% of new customers who bought Burr grinder"),
        (3, "P-D", Decimal("0.2500"), "segment_popularity", None, NEW_FALLBACK),
    ]  # fmt: skip
    bought_inactive_or_delisted = await database.rows(
        """
        SELECT r.customer_id, r.product_id FROM loyalty.mart_loyalty_recommendations r
        WHERE r.product_id IN ('P-E', 'P-F') OR EXISTS (
            SELECT 1 FROM silver.orders o JOIN silver.order_items i USING (order_id)
            WHERE o.customer_id = r.customer_id AND i.product_id = r.product_id
              AND o.status NOT IN ('cancelled', 'returned'))
        """
    )
    assert bought_inactive_or_delisted == []
    # Each customer gets min(3, recommendable products not bought): five are recommendable (A,
    # B, C, D, G), so U1, U3, U4 and U5 (three bought) get two and the others three.
    assert (summary.rows, recommended.rows) == (8, 20)
    checks = await database.rows(
        "SELECT mart, status FROM ops.quality_results WHERE status <> 'pass'"
    )
    assert checks == []
    assert len(recommended.results) == len(MART_BY_NAME["mart_loyalty_recommendations"].contract)


@pytest.mark.usefixtures("preferences_readable")
async def test_channel_offer_cadence_action_and_status_follow_the_customer(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    shop = Shop(silver)
    await write_new_customers(shop)
    # Loyal (R >= 3, F = 3): L1 every 10 days, last 12 days ago -> cadence 10, due: replenish.
    # L2 every 3 days (cadence clamped up to 7), last 5 days ago -> not due: cross_sell.
    await shop.customer("L1", (at(10, 19), ("P-A",)), (at(10, 29), ("P-A",)),
                        (at(11, 8), ("P-A",)), preferred_channel="sms")  # fmt: skip
    await shop.customer("L2", (at(11, 9), ("P-B",)), (at(11, 12), ("P-B",)),
                        (at(11, 15), ("P-B",)), preferred_channel="fax")  # fmt: skip
    # Hibernating (one order 61-120 days back): win back, with the standard discount.
    await shop.customer("H1", (at(8, 1), ("P-A",)), preferred_channel="push")
    await shop.customer("H2", (at(8, 1), ("P-B",)))
    await silver.connection.execute(
        "UPDATE silver.customers SET preferred_channel = 'sms' WHERE customer_id = 'T1'"
    )
    preferences = [
        # T1: email and sms enabled, sms is T1's preferred channel; push is disabled.
        ("customer", "T1", None, "email", True),
        ("customer", "T1", None, "sms", True),
        ("customer", "T1", None, "push", False),
        # U6: push and sms enabled, no preferred channel: sms comes before push.
        ("customer", "U6", None, "push", True),
        ("customer", "U6", None, "sms", True),
        # U5's only customer preference is disabled: the segment's applies.
        ("customer", "U5", None, "sms", False),
        ("segment", None, "new", "push", True),
        ("segment", None, "loyal", "sms", False),
    ]
    await silver.connection.executemany(
        """
        INSERT INTO reminders.reminder_preferences
            (scope, customer_id, segment, channel, cadence_days, enabled)
        VALUES ($1, $2, $3, $4, 14, $5)
        """,
        preferences,
    )
    outbox = [
        ("T1", "P-B", "2026-11-01+30d", "pending"),  # queued
        ("T1", "P-C", "2026-10-01+30d", "sent"),  # notified
        ("T1", "P-D", "2026-10-01+30d", "failed"),  # new
        ("T2", "P-C", "2026-10-01+30d", "sent"),  # sent before, pending now: queued
        ("T2", "P-C", "2026-11-01+30d", "pending"),
        ("T2", "P-A", "2026-11-01+30d", "pending"),  # not recommended: no effect
    ]
    await silver.connection.executemany(
        "INSERT INTO reminders.notification_outbox (customer_id, product_id, channel,"
        " cadence_window, status) VALUES ($1, $2, 'email', $3, $4)",
        outbox,
    )

    await build(pipeline_dsn, *MARTS)

    columns = (
        "product_id", "segment", "channel", "discount_tier", "discount_percent",
        "reminder_cadence_days", "next_best_action", "status",
    )  # fmt: skip
    new = ("new", "push", "none", 0, 30, "welcome_series")
    assert await recommendations(database, "T1", columns) == [
        ("P-B", "new", "sms", "none", 0, 30, "welcome_series", "queued"),
        ("P-C", "new", "sms", "none", 0, 30, "welcome_series", "notified"),
        ("P-D", "new", "sms", "none", 0, 30, "welcome_series", "new"),
    ]
    assert await recommendations(database, "T2", columns) == [
        ("P-C", *new, "queued"),
        ("P-G", *new, "new"),
        ("P-D", *new, "new"),
    ]
    assert {row[2] for row in await recommendations(database, "U5", columns)} == {"push"}
    assert {row[2] for row in await recommendations(database, "U6", columns)} == {"sms"}
    # L1 and L2: the loyal segment's preference is disabled; L1's own channel is valid, L2's
    # 'fax' is not. Loyal buyers: A (L1) and B (L2), so each gets the other by popularity.
    assert await recommendations(database, "L1", columns) == [
        ("P-B", "loyal", "sms", "loyal_10", 10, 10, "replenish_reminder", "new"),
    ]
    assert await recommendations(database, "L2", columns) == [
        ("P-A", "loyal", "email", "loyal_10", 10, 7, "cross_sell", "new"),
    ]
    assert await recommendations(database, "H1", columns) == [
        ("P-B", "hibernating", "push", "standard_5", 5, 30, "winback_offer", "new"),
    ]
    assert await recommendations(database, "H2", ("reason",)) == [
        (FALLBACK.format("hibernating customers", 50),),
    ]


@pytest.mark.usefixtures("preferences_readable")
async def test_building_twice_gives_identical_recommendations(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_new_customers(Shop(silver))
    query = "SELECT * FROM loyalty.mart_loyalty_recommendations ORDER BY customer_id, rank"

    await build(pipeline_dsn, *MARTS)
    first = await database.fetch(query)
    await build(pipeline_dsn, *MARTS)
    second = await database.fetch(query)
    [(left,)] = await database.rows(WORK_TABLES)

    def comparable(rows: list[asyncpg.Record]) -> list[dict[str, object]]:
        return [{k: v for k, v in row.items() if k != "refreshed_at"} for row in rows]

    assert len(first) == 20
    assert comparable(second) == comparable(first)
    assert left == 0  # dropped with the candidate
    assert {row["refreshed_at"] for row in second}.isdisjoint(
        {row["refreshed_at"] for row in first}
    )


@pytest.mark.usefixtures("preferences_readable")
async def test_a_product_missing_from_the_catalogue_is_neither_anchor_nor_candidate(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    # P-X was sold but its every catalogue row was rejected: silver.products has none. All five
    # customers bought it; two each also bought P-A or P-B.
    shop = Shop(silver)
    await shop.catalogue()
    baskets = {
        "V1": ("P-A", "P-X"), "V2": ("P-A", "P-X"), "V3": ("P-B", "P-X"), "V4": ("P-B", "P-X"),
        "V5": ("P-X",),
    }  # fmt: skip
    for customer_id, products in baskets.items():
        await shop.customer(customer_id, (at(11, 18), products))

    await build(pipeline_dsn, *MARTS)

    # As an anchor P-X would give V5 co-purchase rows (P-X -> P-A: 2 of 5 buyers, two
    # co-buyers); unknown, it leaves V5 an empty basket and the popularity fallback (2 of 5).
    fallback = FALLBACK.format("new customers", 40)
    assert await recommendations(database, "V5") == [
        (1, "P-A", Decimal("0.4000"), "segment_popularity", None, fallback),
        (2, "P-B", Decimal("0.4000"), "segment_popularity", None, fallback),
    ]
    mentions = await database.rows(
        "SELECT count(*) FROM loyalty.mart_loyalty_recommendations"
        " WHERE 'P-X' IN (product_id, anchor_product_id)"
    )
    assert mentions == [(0,)]
    # The summary still lists what was bought.
    assert await database.rows(
        "SELECT products_bought FROM loyalty.mart_customer_summary WHERE customer_id = 'V5'"
    ) == [(["P-X"],)]


@pytest.mark.usefixtures("preferences_readable")
async def test_customers_sharing_a_basket_each_count_and_get_the_same_recommendations(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    shop = Shop(silver)
    await write_new_customers(shop)
    # Two more new customers with T2's basket: the ranking is computed once for the three, but
    # every one of them counts as a buyer. New buyers: A 8, B 8 of 10 customers; A and B
    # together 6 (U1 U2 U4 T2 W1 W2), A and C 3 (U1 U3 U4), B and C 2, B and G 2.
    for customer_id in ("W1", "W2"):
        await shop.customer(customer_id, (at(11, 18), ("P-A", "P-B")))

    await build(pipeline_dsn, *MARTS)

    by_kenya = "Bought by {}% of new customers who bought Kenya AA beans"
    fallback = FALLBACK.format("new customers", 20)
    assert await recommendations(database, "T1") == [
        (1, "P-B", Decimal("0.7500"), "co_purchase", "P-A", by_kenya.format(75)),
        (2, "P-C", Decimal("0.3750"), "co_purchase", "P-A", by_kenya.format(38)),
        (3, "P-D", Decimal("0.2000"), "segment_popularity", None, fallback),
    ]  # fmt: skip
    shared = [
        (1, "P-C", Decimal("0.3750"), "co_purchase", "P-A", by_kenya.format(38)),
        (2, "P-G", Decimal("0.2500"), "co_purchase", "P-B",
         "Bought by 25% of new customers who bought Burr grinder"),
        (3, "P-D", Decimal("0.2000"), "segment_popularity", None, fallback),
    ]  # fmt: skip
    for customer_id in ("T2", "W1", "W2"):
        assert await recommendations(database, customer_id) == shared


@pytest.mark.usefixtures("preferences_readable")
async def test_the_order_a_basket_lists_its_products_in_changes_nothing(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    query = (
        "SELECT customer_id, product_id, rank, score, basis, anchor_product_id, reason"
        " FROM loyalty.mart_loyalty_recommendations ORDER BY customer_id, rank"
    )
    before = await database.rows(query)
    # Pairs are counted once per basket whichever of the two products it lists first: with
    # some baskets reversed, P-A/P-B and P-A/P-C are listed both ways across the segment.
    await database.fetch(
        "UPDATE loyalty.mart_customer_summary SET products_bought = ARRAY("
        " SELECT products_bought[i] FROM generate_subscripts(products_bought, 1) AS i"
        " ORDER BY i DESC) WHERE customer_id IN ('U1', 'U3', 'U5')"
    )

    await build(pipeline_dsn, "mart_loyalty_recommendations")

    assert await database.rows(
        "SELECT products_bought FROM loyalty.mart_customer_summary WHERE customer_id = 'U5'"
    ) == [(["P-G", "P-D", "P-B"],)]
    assert len(before) == 20
    assert await database.rows(query) == before


@pytest.mark.usefixtures("preferences_readable")
async def test_a_ranking_that_fails_leaves_the_old_mart_and_a_usable_connection(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    query = "SELECT customer_id, product_id, rank FROM loyalty.mart_loyalty_recommendations"
    published = sorted(await database.rows(query))

    def broken(*_: object) -> list[list[ranking.Ranked]]:
        raise RuntimeError("ranking broke")

    # The per-customer SQL runs beside the ranking: the ranking's own error reaches the caller
    # once that SQL is done, the build rolls back, and the connection takes the next statement.
    monkeypatch.setattr(ranking, "rank_profiles", broken)
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        with pytest.raises(RuntimeError, match="ranking broke"):
            await build_marts(
                connection, (MART_BY_NAME["mart_loyalty_recommendations"],), uuid.uuid4(), "USD"
            )
        assert await connection.fetchval("SELECT count(*) FROM gold_params") == 1
        assert await connection.fetchval(WORK_TABLES) == 0  # the rollback took them away
        monkeypatch.undo()
        # And the next build on the connection creates them afresh.
        await build_marts(
            connection, (MART_BY_NAME["mart_loyalty_recommendations"],), uuid.uuid4(), "USD"
        )
    finally:
        await connection.close()

    assert sorted(await database.rows(query)) == published


@pytest.mark.usefixtures("preferences_readable")
async def test_a_parallel_build_publishes_what_an_inserting_one_does(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    """The parallel build writes its candidate by CREATE TABLE AS, each column cast to the
    mart's type: the same rows, of the same types, as the candidate an insert fills."""
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, "mart_customer_summary")
    parallel = MART_BY_NAME["mart_loyalty_recommendations"]
    inserting = replace(parallel, parallel=False)
    query = (
        "SELECT *, pg_typeof(score)::text AS score_type, scale(score) AS score_scale"
        " FROM loyalty.mart_loyalty_recommendations ORDER BY customer_id, rank"
    )
    published = []
    for mart in (parallel, inserting):
        connection = await asyncpg.connect(pipeline_dsn)
        try:
            [built] = await build_marts(connection, (mart,), uuid.uuid4(), "USD", full=True)
        finally:
            await connection.close()
        rows = await database.fetch(query)
        published.append([{k: v for k, v in row.items() if k != "refreshed_at"} for row in rows])
        assert built.rows == len(rows) == 20
    assert published[0] == published[1]
    assert {(row["score_type"], row["score_scale"]) for row in published[0]} == {("numeric", 4)}


RECOMMENDATIONS = MART_BY_NAME["mart_loyalty_recommendations"]
PUBLISHED = (
    "SELECT customer_id, product_id, rank, segment, product_name, score, basis, anchor_product_id,"
    " reason, discount_tier, discount_percent, reminder_cadence_days, channel, next_best_action,"
    " status, as_of_date FROM loyalty.mart_loyalty_recommendations ORDER BY customer_id, rank"
)
CANDIDATES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'ops'"
    " AND tablename LIKE 'gold\\_candidate\\_%' ORDER BY 1"
)


async def _build_recommendations(
    dsn: str, *, alongside: bool, mart: Mart = RECOMMENDATIONS
) -> MartBuild:
    """A full build of `mart`, checked alongside its publish on a second connection or, without
    one, before it."""
    connection = await asyncpg.connect(dsn)
    try:
        [built] = await build_marts(
            connection,
            (mart,),
            uuid.uuid4(),
            "USD",
            full=True,
            connect=partial(asyncpg.connect, dsn) if alongside else None,
        )
    finally:
        await connection.close()
    return built


@pytest.mark.usefixtures("preferences_readable")
async def test_checked_alongside_the_publish_the_mart_is_what_checking_first_publishes(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, "mart_customer_summary")
    sessions: dict[str, set[int]] = {"filled": set(), "checked": set()}
    fill = gold_build._fill_candidate

    async def filled(connection: asyncpg.Connection, *args: Any, **kwargs: Any) -> int:
        sessions["filled"].add(connection.get_server_pid())
        return await fill(connection, *args, **kwargs)

    async def checked(connection: asyncpg.Connection, *args: Any) -> list[CheckResult]:
        sessions["checked"].add(connection.get_server_pid())
        return await run_contract(connection, *args)

    monkeypatch.setattr(gold_build, "_fill_candidate", filled)
    monkeypatch.setattr(gold_build, "run_contract", checked)
    published, results, apart = [], [], []
    # Alongside first: the mart has no build recorded yet, so the build counts its rows before
    # the publish takes it (the checker could not read it then).
    for alongside in (True, False):
        built = await _build_recommendations(pipeline_dsn, alongside=alongside)
        published.append(await database.rows(PUBLISHED))
        results.append([(result.check_name, result.status) for result in built.results])
        apart.append(sessions["filled"].isdisjoint(sessions["checked"]))
        sessions["filled"].clear()
        sessions["checked"].clear()

    assert apart == [True, False]  # checked on a second connection, then on the build's own
    assert published[0] == published[1]
    assert len(published[0]) == 20
    assert results[0] == results[1]
    assert {status for _, status in results[0]} == {"pass"}
    assert await database.rows(CANDIDATES) == []


@pytest.mark.usefixtures("preferences_readable")
async def test_a_check_failing_alongside_the_publish_leaves_the_old_mart_and_no_candidate(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    published = await database.rows(PUBLISHED)
    failing = replace(
        RECOMMENDATIONS,
        contract=(*RECOMMENDATIONS.contract, Expression("not U1", "customer_id <> 'U1'")),
    )

    with pytest.raises(GoldBuildError, match=r"expression\(not U1\)"):
        await _build_recommendations(pipeline_dsn, alongside=True, mart=failing)

    assert await database.rows(PUBLISHED) == published
    assert await database.rows(CANDIDATES) == []
    assert await database.rows(
        "SELECT status, failing_rows FROM ops.quality_results"
        " WHERE check_name = 'expression(not U1)'"
    ) == [("error", sum(row[0] == "U1" for row in published))]


@pytest.mark.usefixtures("preferences_readable")
async def test_a_key_the_index_refuses_alongside_the_publish_is_reported_by_its_check(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """unique(customer_id, product_id) is trusted to the primary key; when the key refuses a
    row, the check runs after all and names the duplicates, as when checking first."""
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    published = await database.rows(PUBLISHED)
    original = gold_build.load_sql

    def doubled(name: str) -> str:
        sql = original(name)
        if name != RECOMMENDATIONS.sql:
            return sql
        return f"SELECT * FROM ({sql}) AS b UNION ALL (SELECT * FROM ({sql}) AS d LIMIT 1)"  # nosec B608 # test SQL

    monkeypatch.setattr(gold_build, "load_sql", doubled)
    with pytest.raises(GoldBuildError) as raised:
        await _build_recommendations(pipeline_dsn, alongside=True)

    assert "unique(customer_id, product_id)" in str(raised.value)
    assert "unique(customer_id, rank)" in str(raised.value)
    assert await database.rows(PUBLISHED) == published
    assert await database.rows(CANDIDATES) == []


@pytest.mark.usefixtures("preferences_readable")
async def test_a_candidate_left_by_a_killed_build_goes_with_the_next_build(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A build killed between its candidate's commit and its publish leaves the candidate; the
    next build drops it, and leaves the one of a build still running in another session."""
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    killed, running = [await asyncpg.connect(pipeline_dsn) for _ in range(2)]
    try:
        prefix = "gold_candidate_mart_loyalty_recommendations_"
        names = [f"{prefix}{session.get_server_pid()}" for session in (killed, running)]
        for session, name in zip((killed, running), names, strict=True):
            await session.execute(f"CREATE UNLOGGED TABLE ops.{name} (customer_id text)")
        [(terminated,)] = await database.rows(
            "SELECT pg_terminate_backend($1, 10000)", killed.get_server_pid()
        )
        assert terminated

        built = await _build_recommendations(pipeline_dsn, alongside=True)

        assert await database.rows(CANDIDATES) == [(names[1],)]
    finally:
        await running.execute(f"DROP TABLE IF EXISTS ops.{names[1]}")
        await running.close()
        killed.terminate()
    assert built.rows == 20
    assert f"dropping ops.{names[0]}, left by a build that did not finish" in caplog.text


@dataclass(frozen=True)
class _ReadsTheMart:
    """A check that reads the mart itself once the publish has emptied it."""

    severity: Severity = "error"
    name: str = "reads_the_mart"

    async def run(self, connection: asyncpg.Connection, context: CheckContext) -> CheckResult:
        await connection.execute("SELECT pg_sleep(0.5)")  # the publish holds the mart by now
        await connection.fetchval(f"SELECT count(*) FROM {context.mart}")  # nosec B608 # test SQL
        return CheckResult(self.name, self.severity, "pass")


@pytest.mark.usefixtures("preferences_readable")
async def test_a_check_alongside_that_reads_the_mart_fails_clearly_instead_of_waiting(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The publish holds the mart until the checks are done: a check reading it would wait for
    ever, so the checking connection gives up after CHECKER_LOCK_WAIT and says why."""
    monkeypatch.setattr(gold_build, "CHECKER_LOCK_WAIT", "200ms")
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)
    published = await database.rows(PUBLISHED)
    reading = replace(RECOMMENDATIONS, contract=(*RECOMMENDATIONS.contract, _ReadsTheMart()))

    with pytest.raises(RuntimeError, match="must not read the mart itself"):
        await asyncio.wait_for(
            _build_recommendations(pipeline_dsn, alongside=True, mart=reading), timeout=30
        )

    assert await database.rows(PUBLISHED) == published
    assert await database.rows(CANDIDATES) == []

"""Every landing entity in silver: SCD2 dimensions, FX rates, drift log, rejects replay.

Silver is derived from bronze, so this revision drops the orders-only silver of 0001 and marks
every bronze file unloaded: the next pipeline run rebuilds silver from bronze.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MONEY = "numeric(14, 2)"
RATE = "numeric(18, 6)"
# Frozen here on purpose: a migration must not change when the code's declarations do.
# Value columns are nullable where an inferred placeholder row exists before its real row.
TABLES: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "distributors": (
        ("distributor_id",),
        [
            "distributor_id text NOT NULL", "name text", "region text", "country text",
            "currency text", "sla_days integer", f"penalty_per_late_day {MONEY}",
            f"penalty_cap {MONEY}", "contract_start date",
        ],
    ),
    "stockists": (
        ("stockist_id",),
        [
            "stockist_id text NOT NULL", "name text", "distributor_id text", "region text",
            "country text", "city text", "currency text", "sla_days integer",
            f"penalty_per_late_day {MONEY}", f"penalty_cap {MONEY}",
        ],
    ),
    "products": (
        ("product_id",),
        [
            "product_id text NOT NULL", "sku text", "name text", "category text",
            "brew_method text", f"price {MONEY}", f"cost {MONEY}", "currency text",
            "sustainability_score integer", "weight_grams integer", "active boolean",
        ],
    ),
    "customers": (
        ("customer_id",),
        [
            "customer_id text NOT NULL", "first_name text", "last_name text", "email text",
            "phone text", "address_line text", "city text", "postal_code text", "country text",
            "region text", "timezone text", "customer_type text", "preferred_channel text",
            "marketing_opt_in boolean", "created_at timestamptz",
        ],
    ),
    "fx_rates": (
        ("rate_date", "currency"),
        [
            "rate_date date NOT NULL", "currency text NOT NULL",
            "base_currency text NOT NULL", f"rate {RATE} NOT NULL",
        ],
    ),
    "orders": (
        ("order_id",),
        [
            "order_id text NOT NULL", "customer_id text NOT NULL", "order_ts timestamptz NOT NULL",
            "status text NOT NULL", "channel text NOT NULL", "region text NOT NULL",
            "currency text NOT NULL", f"subtotal_amount {MONEY}", f"discount_amount {MONEY}",
            f"shipping_amount {MONEY}", f"tax_amount {MONEY}", f"total_amount {MONEY} NOT NULL",
            "stockist_id text", f"fx_rate {RATE} NOT NULL", f"subtotal_amount_base {MONEY}",
            f"discount_amount_base {MONEY}", f"shipping_amount_base {MONEY}",
            f"tax_amount_base {MONEY}", f"total_amount_base {MONEY} NOT NULL",
        ],
    ),
    "order_items": (
        ("order_item_id",),
        [
            "order_item_id text NOT NULL", "order_id text NOT NULL", "line_number integer",
            "product_id text NOT NULL", "quantity integer NOT NULL",
            f"unit_price {MONEY} NOT NULL", f"discount_amount {MONEY}", f"line_total {MONEY}",
            "currency text",
        ],
    ),
    "payments": (
        ("payment_id",),
        [
            "payment_id text NOT NULL", "order_id text NOT NULL", "method text NOT NULL",
            "status text NOT NULL", f"amount {MONEY} NOT NULL", "currency text NOT NULL",
            "authorized_at timestamptz", "captured_at timestamptz", "refunded_at timestamptz",
            f"fx_rate {RATE} NOT NULL", f"amount_base {MONEY} NOT NULL",
        ],
    ),
    "shipments": (
        ("shipment_id",),
        [
            "shipment_id text NOT NULL", "order_id text NOT NULL", "carrier text NOT NULL",
            "distributor_id text", "stockist_id text", "promised_date date NOT NULL",
            "shipped_at timestamptz", "delivered_at timestamptz", "status text NOT NULL",
        ],
    ),
    "support_interactions": (
        ("interaction_id",),
        [
            "interaction_id text NOT NULL", "order_id text", "customer_id text NOT NULL",
            "csr_id text NOT NULL", "channel text NOT NULL", "topic text",
            "opened_at timestamptz NOT NULL", "first_response_minutes integer",
            "resolution_minutes integer", "sentiment numeric(6, 2)", "csat integer", "notes text",
        ],
    ),
    "inventory_snapshots": (
        ("snapshot_date", "stockist_id", "product_id"),
        [
            "snapshot_date date NOT NULL", "stockist_id text NOT NULL", "product_id text NOT NULL",
            "on_hand_units integer NOT NULL", "units_sold integer", "units_received integer",
            "reorder_point integer",
        ],
    ),
    "csr_badges": (
        ("csr_id", "badge", "awarded_on"),
        [
            "csr_id text NOT NULL", "csr_name text", "team text", "badge text NOT NULL",
            "awarded_on date NOT NULL", "criteria text",
        ],
    ),
}  # fmt: skip
HISTORY = ("distributors", "stockists", "products", "customers")
PROVENANCE = [
    "updated_at timestamptz NOT NULL",
    "extras jsonb NOT NULL DEFAULT '{}'::jsonb",
    "bronze_file_id bigint NOT NULL REFERENCES ops.bronze_files",
    "source_line integer NOT NULL",
    "loaded_at timestamptz NOT NULL DEFAULT now()",
]
SCD2 = [
    "valid_from timestamptz NOT NULL",
    "valid_to timestamptz NOT NULL DEFAULT 'infinity'",
    "is_current boolean NOT NULL DEFAULT true",
    "is_inferred boolean NOT NULL DEFAULT false",
]
# ISO 4217 active codes: a currency outside this list is rejected as UNKNOWN_CURRENCY.
ISO_4217_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""


def upgrade() -> None:
    op.execute("DROP TABLE silver.orders, silver.stage_orders_template")
    op.execute("DELETE FROM silver.rejects")
    op.execute("DELETE FROM ops.file_ledger")
    op.execute("UPDATE ops.bronze_files SET loaded_at = NULL")
    op.execute("DELETE FROM ops.dirty_days")

    op.execute("CREATE TABLE silver.currencies (code text PRIMARY KEY)")
    op.execute(
        "INSERT INTO silver.currencies (code) VALUES "  # nosec B608 # ISO 4217 codes are a constant in this file
        + ", ".join(f"('{code}')" for code in ISO_4217_CODES.split())
    )
    for name, (key, columns) in TABLES.items():
        if name in HISTORY:
            body = [
                "version_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                *columns,
                *PROVENANCE,
                *SCD2,
            ]
        else:
            body = [*columns, *PROVENANCE, f"PRIMARY KEY ({', '.join(key)})"]
        op.execute(f"CREATE TABLE silver.{name} (\n    " + ",\n    ".join(body) + "\n)")
        if name in HISTORY:
            keys = ", ".join(key)
            op.execute(
                f"CREATE UNIQUE INDEX {name}_current ON silver.{name} ({keys}) WHERE is_current"
            )
            op.execute(f"CREATE INDEX {name}_history ON silver.{name} ({keys}, valid_from)")
    op.execute("CREATE INDEX orders_order_day ON silver.orders ((order_ts AT TIME ZONE 'UTC'))")
    op.execute("CREATE INDEX orders_customer ON silver.orders (customer_id)")
    op.execute("CREATE INDEX order_items_order ON silver.order_items (order_id)")
    op.execute("CREATE INDEX shipments_order ON silver.shipments (order_id)")
    op.execute(
        "CREATE INDEX fx_rates_lookup ON silver.fx_rates (currency, base_currency, rate_date)"
    )

    op.execute(
        """
        CREATE FUNCTION silver.try_date(value text) RETURNS date
        LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        BEGIN
            IF value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
                RETURN NULL;
            END IF;
            RETURN value::date;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END
        $$
        """
    )

    # Rejects: who rejected them, and whether a replay has since resolved them.
    op.execute(
        """
        ALTER TABLE silver.rejects
            ADD COLUMN run_id uuid,
            ADD COLUMN resolved_at timestamptz,
            ADD COLUMN resolved_run_id uuid
        """
    )
    op.execute(
        "CREATE INDEX rejects_open ON silver.rejects (entity, rule) WHERE resolved_at IS NULL"
    )

    # A file can be loaded again (replay): one ledger row per file and run.
    op.execute("ALTER TABLE ops.file_ledger DROP CONSTRAINT file_ledger_pkey")
    op.execute("ALTER TABLE ops.file_ledger ADD PRIMARY KEY (bronze_file_id, run_id)")
    op.execute(
        """
        ALTER TABLE ops.file_ledger
            ADD COLUMN entity text,
            ADD COLUMN parents_inferred bigint NOT NULL DEFAULT 0,
            ADD COLUMN replayed_rejects boolean NOT NULL DEFAULT false
        """
    )
    op.execute(
        """
        ALTER TABLE ops.pipeline_runs
            ADD COLUMN kind text NOT NULL DEFAULT 'incremental'
                CHECK (kind IN ('incremental', 'replay', 'replay_rejects')),
            ADD COLUMN parents_inferred bigint NOT NULL DEFAULT 0,
            ADD COLUMN anomalies jsonb NOT NULL DEFAULT '[]'::jsonb
        """
    )
    op.execute(
        """
        CREATE TABLE ops.schema_drift (
            bronze_file_id bigint NOT NULL REFERENCES ops.bronze_files,
            entity         text NOT NULL,
            column_name    text NOT NULL,
            change         text NOT NULL CHECK (change IN ('added', 'missing')),
            policy         text NOT NULL CHECK (policy IN ('append', 'ignore', 'fail')),
            detected_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (bronze_file_id, column_name)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.schema_drift IS 'Columns a bronze file added to or lacked from its"
        " entity, and what the drift policy did with them'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE ops.schema_drift")
    op.execute(
        "ALTER TABLE ops.pipeline_runs DROP COLUMN kind, DROP COLUMN parents_inferred,"
        " DROP COLUMN anomalies"
    )
    op.execute("DELETE FROM ops.file_ledger")
    op.execute(
        "ALTER TABLE ops.file_ledger DROP COLUMN entity, DROP COLUMN parents_inferred,"
        " DROP COLUMN replayed_rejects"
    )
    op.execute("ALTER TABLE ops.file_ledger DROP CONSTRAINT file_ledger_pkey")
    op.execute("ALTER TABLE ops.file_ledger ADD PRIMARY KEY (bronze_file_id)")
    op.execute("DELETE FROM silver.rejects")
    op.execute(
        "ALTER TABLE silver.rejects DROP COLUMN run_id, DROP COLUMN resolved_at,"
        " DROP COLUMN resolved_run_id"
    )
    op.execute("DROP FUNCTION silver.try_date(text)")
    op.execute("DROP TABLE " + ", ".join(f"silver.{name}" for name in TABLES))
    op.execute("DROP TABLE silver.currencies")
    op.execute("UPDATE ops.bronze_files SET loaded_at = NULL")
    op.execute(
        """
        CREATE TABLE silver.orders (
            order_id text PRIMARY KEY, customer_id text NOT NULL, order_ts timestamptz NOT NULL,
            status text NOT NULL, channel text NOT NULL, region text NOT NULL,
            currency text NOT NULL, total_amount numeric(14, 2) NOT NULL,
            updated_at timestamptz NOT NULL, extras jsonb NOT NULL DEFAULT '{}'::jsonb,
            bronze_file_id bigint NOT NULL REFERENCES ops.bronze_files,
            source_line integer NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE UNLOGGED TABLE silver.stage_orders_template (
            line_number bigint NOT NULL, order_id text, customer_id text, order_date text,
            status text, channel text, region text, currency text, total_amount text,
            updated_at text, extras jsonb NOT NULL, raw jsonb NOT NULL
        )
        """
    )

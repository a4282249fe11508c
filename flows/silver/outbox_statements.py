"""The SQL that turns a staged change-outbox file into rows for the silver tables it edits.

Works on the transaction's temporary tables: `stage_raw` (the outbox file, then in turn each
target table's CSV shape), `stage_outbox` (each event's fields, its payload parsed and the first
envelope rule it breaks) and `stage_deletes` (each delete of one table classified). Identifiers
and literals come from the declarations only.
"""

from __future__ import annotations

from flows.silver.checks import literal, quote
from flows.silver.rules import BAD_TIMESTAMP, MISSING_REQUIRED
from flows.silver.statements import mark_dirty, previous_marked_columns
from flows.silver.tables import CUSTOMERS, ORDERS, PRODUCTS, SilverTable

# The tables admin edits reach, by the entity name the admin service's outbox gives them.
OUTBOX_TARGETS: dict[str, SilverTable] = {
    "product": PRODUCTS,
    "customer": CUSTOMERS,
    "order": ORDERS,
}
OPERATIONS = ("create", "update", "delete")
# The event fields every event must carry (`id` and `created_at` are informational).
REQUIRED_FIELDS = ("entity", "entity_id", "operation", "payload", "updated_at")

# Rules only an outbox event can break (besides MISSING_REQUIRED and BAD_TIMESTAMP).
UNKNOWN_ENTITY = "UNKNOWN_ENTITY"
UNKNOWN_OPERATION = "UNKNOWN_OPERATION"
BAD_PAYLOAD = "BAD_PAYLOAD"

for _table in OUTBOX_TARGETS.values():
    if len(_table.key) != 1 or not (_table.history or _table.soft_delete):
        raise AssertionError(f"{_table.qualified}: outbox targets need one key and a delete rule")


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(literal(value) for value in values) + ")"


def staged_events(header: list[str]) -> str:
    """CREATE `stage_outbox` from the outbox file in `stage_raw`: typed event fields, the raw row
    for rejects and the first envelope rule each event breaks. Parameter: $1 the header."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)

    def field(name: str) -> str:
        if name not in positions:
            return "NULL::text"
        return f"nullif(btrim(c{positions[name]}), '')"

    key_names = " ".join(
        f"WHEN {literal(entity)} THEN {literal(table.key[0])}"
        for entity, table in OUTBOX_TARGETS.items()
    )
    checks: list[tuple[str, str, str]] = [
        (f"e.{name} IS NULL", MISSING_REQUIRED, f"'{name} is empty'") for name in REQUIRED_FIELDS
    ]
    checks += [
        (
            f"e.entity NOT IN {_in_list(list(OUTBOX_TARGETS))}",
            UNKNOWN_ENTITY,
            f"'entity ' || quote_literal(e.entity) || ' is not one of {', '.join(OUTBOX_TARGETS)}'",
        ),
        (
            f"e.operation NOT IN {_in_list(OPERATIONS)}",
            UNKNOWN_OPERATION,
            f"'operation ' || quote_literal(e.operation) || ' is not one of "
            f"{', '.join(OPERATIONS)}'",
        ),
        (
            "jsonb_typeof(e.payload_json) IS DISTINCT FROM 'object'",
            BAD_PAYLOAD,
            "'payload is not a JSON object'",
        ),
        (
            "e.payload_json ? e.key_name"
            " AND e.payload_json ->> e.key_name IS DISTINCT FROM e.entity_id",
            BAD_PAYLOAD,
            "'payload ' || e.key_name || ' ' || coalesce(quote_literal(e.payload_json ->> "
            "e.key_name), 'null') || ' differs from entity_id ' || quote_literal(e.entity_id)",
        ),
        (
            "e.updated_at_ts IS NULL",
            BAD_TIMESTAMP,
            "'updated_at ' || quote_literal(e.updated_at) || ' is not a timestamp'",
        ),
    ]
    rules = " ".join(f"WHEN {condition} THEN '{rule}'" for condition, rule, _ in checks)
    messages = " ".join(f"WHEN {condition} THEN {message}" for condition, _, message in checks)
    raw_values = ", ".join(f"c{index}" for index in range(len(header)))
    return f"""
        CREATE TEMP TABLE stage_outbox ON COMMIT DROP AS
        SELECT e.*, CASE {rules} END AS rule, CASE {messages} END AS message
        FROM (
            SELECT source_line, {field("entity")} AS entity, {field("entity_id")} AS entity_id,
                {field("operation")} AS operation, {field("payload")} AS payload,
                {field("updated_at")} AS updated_at,
                silver.try_jsonb({field("payload")}) AS payload_json,
                silver.try_timestamptz({field("updated_at")}) AS updated_at_ts,
                CASE {field("entity")} {key_names} END AS key_name,
                jsonb_object($1::text[], ARRAY[{raw_values}]::text[]) AS raw_row
            FROM stage_raw
            OFFSET 0
        ) e
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def record_event_rejects(source: str) -> str:
    """Keep each rejected event (a row of `source` with a rule: `stage_outbox` or
    `stage_checked`) with its rule, message and the outbox row as it was landed. Parameters:
    $1 bronze file id, $2 run id, $3 the entity of the rejects."""
    return f"""
        INSERT INTO silver.rejects AS r
            (entity, bronze_file_id, line_number, raw_row, rule, message, run_id)
        SELECT $3, $1, c.source_line, o.raw_row, c.rule, c.message, $2
        FROM {source} c
        JOIN stage_outbox o USING (source_line)
        WHERE c.rule IS NOT NULL
        ON CONFLICT (bronze_file_id, line_number) DO UPDATE SET
            raw_row = EXCLUDED.raw_row, rule = EXCLUDED.rule, message = EXCLUDED.message,
            run_id = EXCLUDED.run_id, rejected_at = now(), resolved_at = NULL,
            resolved_run_id = NULL
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def target_header(table: SilverTable) -> list[str]:
    """The CSV header of `table`: what its outbox rows are staged as."""
    return [column.source_name for column in table.columns]


def _current_join(table: SilverTable, alias: str, key_value: str) -> str:
    current = f" AND {alias}.is_current" if table.history else ""
    return f"{table.qualified} {alias} ON {alias}.{quote(table.key[0])} = {key_value}{current}"


def staged_upserts(table: SilverTable) -> str:
    """Fill `stage_raw` (in `table`'s CSV shape) with the valid creates and updates of its
    entity: each column from the payload when the payload names it, else its current silver
    value; the key and updated_at from the event itself. Parameter: $1 the outbox entity."""
    values: list[str] = []
    for column in table.columns:
        if column.name == table.key[0]:
            values.append("o.entity_id")
        elif column.name == "updated_at":
            values.append("o.updated_at")
        else:
            source = literal(column.source_name)
            values.append(
                f"CASE WHEN o.payload_json ? {source} THEN o.payload_json ->> {source}"
                f" ELSE cur.{quote(column.name)}::text END"
            )
    columns = ", ".join(f"c{index}" for index in range(len(table.columns)))
    return f"""
        INSERT INTO stage_raw (source_line, {columns})
        SELECT o.source_line, {", ".join(values)}
        FROM stage_outbox o
        LEFT JOIN {_current_join(table, "cur", "o.entity_id")}
        WHERE o.rule IS NULL AND o.entity = $1 AND o.operation <> 'delete'
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def kept_extras(table: SilverTable) -> str:
    """Admin rows carry no unknown columns: keep the extras silver holds for the key."""
    return f"""
        UPDATE stage_checked c SET extras = cur.extras
        FROM {table.qualified} cur
        WHERE cur.{quote(table.key[0])} = c.{quote(table.key[0])}
            {"AND cur.is_current" if table.history else ""}
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def classified_deletes(table: SilverTable) -> str:
    """CREATE `stage_deletes`: each valid delete of `table`'s entity classified against silver.
    A delete older than the current row is stale, as is one beaten by a later delete of the
    key in the same file; deleting what is already gone (or never arrived) changes nothing.
    Parameter: $1 the outbox entity."""
    key = quote(table.key[0])
    gone = "WHEN cur.deleted_at IS NOT NULL THEN 'unchanged'" if table.soft_delete else ""
    return f"""
        CREATE TEMP TABLE stage_deletes ON COMMIT DROP AS
        WITH ranked AS (
            SELECT o.source_line, o.entity_id, o.updated_at_ts AS updated_at,
                row_number() OVER (
                    PARTITION BY o.entity_id ORDER BY o.updated_at_ts DESC, o.source_line DESC
                ) AS rank_in_file
            FROM stage_outbox o
            WHERE o.rule IS NULL AND o.entity = $1 AND o.operation = 'delete'
        )
        SELECT r.*,
            CASE
                WHEN r.rank_in_file > 1 THEN 'stale'
                WHEN cur.{key} IS NULL THEN 'unchanged'
                WHEN r.updated_at < cur.updated_at THEN 'stale'
                {gone}
                ELSE 'deleted'
            END AS outcome
        FROM ranked r
        LEFT JOIN {_current_join(table, "cur", "r.entity_id")}
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def applied_deletes(table: SilverTable) -> list[tuple[str, bool]]:
    """The statements applying the winning deletes, each with whether it binds $1 (the bronze
    file id, recorded as the provenance of a deleted row). History tables close the current
    version at the time of the delete (which `statements.deleted_at` reads back); other tables
    mark the row. Then the days and customers of deleted rows are marked dirty for their marts."""
    key = quote(table.key[0])
    if table.history:
        apply = f"""
            UPDATE {table.qualified} t SET valid_to = d.updated_at, is_current = false,
                loaded_at = now()
            FROM stage_deletes d
            WHERE t.{key} = d.entity_id AND t.is_current AND d.outcome = 'deleted'
        """  # nosec B608 # table/column names from SILVER_TABLES declarations
        statements = [(apply, False)]
    else:
        # updated_at moves to the delete, so that older rows arriving later are stale.
        apply = f"""
            UPDATE {table.qualified} t SET deleted_at = d.updated_at, updated_at = d.updated_at,
                bronze_file_id = $1, source_line = d.source_line, loaded_at = now()
            FROM stage_deletes d
            WHERE t.{key} = d.entity_id AND d.outcome = 'deleted'
        """  # nosec B608 # table/column names from SILVER_TABLES declarations
        statements = [(apply, True)]
    # The deleted rows, with their marked columns as their own "previous" values.
    previous = previous_marked_columns(table, "t")
    deleted = (
        f"(SELECT t.*{previous} FROM {table.qualified} t JOIN stage_deletes d"  # nosec B608 # table/column names from SILVER_TABLES declarations
        f" ON t.{key} = d.entity_id AND d.outcome = 'deleted') AS s"
    )
    return statements + [(statement, False) for statement in mark_dirty(table, deleted)]


def delete_counts() -> str:
    """Deletes per outcome; an applied delete counts as an update."""
    return """
        SELECT
            count(*) FILTER (WHERE outcome = 'deleted') AS updated,
            count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
            count(*) FILTER (WHERE outcome = 'stale') AS stale
        FROM stage_deletes
    """

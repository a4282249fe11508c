-- Keep every rejected row of the file with the rule it broke; a replay refreshes the reason.
INSERT INTO silver.rejects (entity, bronze_file_id, line_number, raw_row, rule, message)
SELECT 'orders', $1, line_number, raw, rule, message
FROM checked_orders
WHERE rule IS NOT NULL
ON CONFLICT (bronze_file_id, line_number) DO UPDATE
    SET rule = EXCLUDED.rule, message = EXCLUDED.message, rejected_at = now()

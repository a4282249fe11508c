"""The rules a silver row can break: one name each, as `silver.rejects.rule` records it.

Staging refuses what cannot be staged as text (`flows.silver.staging`); `flows.silver.checks`
generates the SQL of the others. README.md ("Rejects") documents each rule.
"""

from __future__ import annotations

# Records refused while staging: the wrong number of fields; bytes that are not UTF-8, or NUL.
MALFORMED_RECORD = "MALFORMED_RECORD"
BAD_ENCODING = "BAD_ENCODING"
# Rules a row can break, in the order they are checked: the whole record first, then each
# column's presence, type, range, literal form and domain, then money conversion.
FIELD_TOO_LONG = "FIELD_TOO_LONG"
CONTROL_CHARACTER = "CONTROL_CHARACTER"
MISSING_REQUIRED = "MISSING_REQUIRED"
BAD_NUMBER = "BAD_NUMBER"
NUMBER_OUT_OF_RANGE = "NUMBER_OUT_OF_RANGE"
BAD_TIMESTAMP = "BAD_TIMESTAMP"
SPECIAL_TIMESTAMP = "SPECIAL_TIMESTAMP"
BAD_DATE = "BAD_DATE"
BAD_BOOLEAN = "BAD_BOOLEAN"
UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
OUT_OF_DOMAIN = "OUT_OF_DOMAIN"
NO_FX_RATE = "NO_FX_RATE"

# Rejects whose raw row is not the record as it was (its fields without the header; bytes
# shown as \xNN escapes; a value cut to size): checking the raw row again would judge other
# text, so a rejects replay leaves them. A corrected file, or a replay of the bronze file after
# a rule change (ECOM_MAX_FIELD_BYTES), resolves them.
RULES_NOT_REPLAYABLE = (MALFORMED_RECORD, BAD_ENCODING, FIELD_TOO_LONG)

# C0 controls but tab, line feed and carriage return (which CSV text legitimately holds), DEL
# and the C1 controls: never part of a business value, often a sign of binary or mis-decoded
# text, and some (escape sequences) harmful where the value is shown. NUL never gets here:
# PostgreSQL text cannot hold it, so staging rejects it as BAD_ENCODING.
CONTROL_CHARACTERS = "[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
# The words PostgreSQL's timestamp input accepts besides literals: `infinity` is no instant and
# breaks the marts' date arithmetic, `now`/`today`/... change meaning with the day they are read
# (a replay would differ), `epoch` is a literal in disguise; `allballs` (a time) is refused by
# the cast already, and listed for completeness.
SPECIAL_TIMESTAMP_WORDS = "(infinity|epoch|now|today|tomorrow|yesterday|allballs)"

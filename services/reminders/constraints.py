"""The reminders schema's constraints in the API's words (see shared/integrity.py).

A test compares these names with the constraints and unique indexes of the tables the API
writes, so that a new constraint cannot reach clients unexplained.
"""

from __future__ import annotations

from shared.integrity import ConstraintMap, ConstraintRule

CONFIGURATION_CONSTRAINTS: ConstraintMap = {
    "reminder_preferences_pkey": ConstraintRule(
        ("preference_id",), "A configuration with this id already exists."
    ),
    "reminder_preferences_target_channel": ConstraintRule(
        ("scope", "customer_id", "segment", "channel"),
        "A configuration for this customer or segment on this channel already exists;"
        " change that one instead.",
    ),
    "reminder_preferences_scope_check": ConstraintRule(
        ("scope",), "`scope` must be customer or segment."
    ),
    "reminder_preferences_channel_check": ConstraintRule(
        ("channel",), "`channel` must be email, sms or push."
    ),
    "reminder_preferences_cadence_days_check": ConstraintRule(
        ("cadence_days",), "`cadence_days` must be between 1 and 365."
    ),
    "reminder_preferences_one_target": ConstraintRule(
        ("scope", "customer_id", "segment"),
        "A customer-scope configuration names `customer_id` and no `segment`;"
        " a segment-scope one names `segment` and no `customer_id`.",
    ),
    "reminder_preferences_quiet_hours_pair": ConstraintRule(
        ("quiet_hours_start", "quiet_hours_end"),
        "`quiet_hours_start` and `quiet_hours_end` are set together or not at all.",
    ),
    "reminder_preferences_version_check": ConstraintRule(("version",), "`version` starts at 1."),
}

CSR_CONSTRAINTS: ConstraintMap = {
    "csr_metadata_pkey": ConstraintRule(("csr_id",), "A CSR with this id already exists."),
    "csr_metadata_version_check": ConstraintRule(("version",), "`version` starts at 1."),
}

EVENT_CONSTRAINTS: ConstraintMap = {
    "analytics_event_log_pkey": ConstraintRule(("id",), "An event with this id already exists."),
    "analytics_event_log_event_type_check": ConstraintRule(
        ("event_type",), "`event_type` must be a dotted lower-case name, e.g. reminder.opened."
    ),
}

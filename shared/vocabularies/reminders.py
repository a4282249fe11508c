"""Values of the reminders schema that the marts write and the API exposes."""

from __future__ import annotations

from typing import Literal, get_args

# The channels a reminder can go out on (the generator's preferred channels, minus phone calls):
# reminders.reminder_preferences.channel, and the channel of every candidate and recommendation.
ReminderChannel = Literal["email", "sms", "push"]
# Where a candidate's cadence came from (reminders.reminder_candidates.cadence_source).
CadenceSource = Literal[
    "customer_preference", "segment_preference", "repurchase_interval", "default"
]

REMINDER_CHANNELS: tuple[str, ...] = get_args(ReminderChannel)
CADENCE_SOURCES: tuple[str, ...] = get_args(CadenceSource)

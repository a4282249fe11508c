"""Field types the reminders models share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.fields import text_field, whole_number
from shared.openapi_components import publish_enum
from shared.vocabularies.reminders import ReminderChannel

# The channels a reminder can go out on (declared by this schema in shared/vocabularies).
Channel = ReminderChannel

Scope = Literal["customer", "segment"]
OutboxStatus = Literal["pending", "sending", "sent", "failed", "suppressed"]
# One component each in the OpenAPI document, however many fields use them.
publish_enum("ReminderChannel", Channel)
publish_enum("ReminderScope", Scope)
publish_enum("OutboxStatus", OutboxStatus)

# Customer ids as the generator writes them (`C0000042`) and as other sources key them.
CustomerId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"),
    Field(description="The customer's id, e.g. C0000042."),
]
# A named group of customers, as the marts name them (`consumer`, `business`, ...).
SegmentName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$"),
    Field(description="A customer segment, e.g. consumer or business."),
]
CsrId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"),
    Field(description="The CSR's id, e.g. CSR001."),
]
ShortText = text_field(200)
CadenceDays = whole_number(1, 365, "Days between two reminders (1 to 365).")

"""Field types the back-office request models share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from shared.fields import decimal_amount, text_field, whole_number

# Natural keys from the source systems: UUIDs, "C00042", "SKU-1"; never free text.
EntityKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
CurrencyCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code.")
]
ShortText = text_field(200)
Money = decimal_amount(12)
Amount = decimal_amount(14)
Score = whole_number(0, 100)
# The shape of an address, not proof it exists; delivery is what proves that.
Email = Annotated[
    str,
    # \x85 spelled out: JSON Schema (ECMA) regexes do not count it as whitespace, ours do.
    StringConstraints(
        pattern=r"^[^@\s\x00\x85]+@[^@\s\x00\x85]+\.[^@\s\x00\x85]+$", max_length=254
    ),
]

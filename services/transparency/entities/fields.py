"""Field types the transparency models share: the marts' vocabularies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.openapi_components import publish_enum

# Who a customer trusts with a delivery (docs/trust_metrics.md, "Subjects").
SubjectType = Literal["distributor", "stockist", "carrier"]
# The subjects with a contract: the logistics SLA view has no carrier rows.
ContractSubjectType = Literal["distributor", "stockist"]
Badge = Literal["trusted", "reliable", "watch", "at_risk", "unrated"]
# One component each in the OpenAPI document, however many fields use them.
publish_enum("SubjectType", SubjectType)
publish_enum("ContractSubjectType", ContractSubjectType)
publish_enum("Badge", Badge)

# Ids as the marts hold them: distributor and stockist ids, carrier names, regions.
SubjectId = Annotated[
    str, Field(max_length=64, description="Distributor id, stockist id or carrier name.")
]
DistributorId = Annotated[str, Field(max_length=64, description="A distributor id, e.g. D001.")]
Region = Annotated[str, Field(max_length=64, description="A region, e.g. north.")]

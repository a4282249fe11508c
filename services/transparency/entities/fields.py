"""Field types the transparency models share: the marts' vocabularies, declared once in
shared/vocabularies/transparency.py (the marts' data contracts check the same lists)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.openapi_components import publish_enum
from shared.vocabularies.transparency import Badge, ContractSubjectType, SubjectType

__all__ = ["Badge", "ContractSubjectType", "DistributorId", "Region", "SubjectId", "SubjectType"]
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

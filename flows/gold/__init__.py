"""Gold: marts built from silver, checked by data contracts and published atomically.

`build` holds the mechanism, `contracts` the checks, `marts/` the declarations (one module per
serving service) and `sql/` one SELECT per mart.
"""

from flows.gold.build import (
    ContractViolationError,
    GoldBuildError,
    GoldFlow,
    GoldParams,
    Mart,
    MartBuild,
    build_mart,
    build_marts,
    load_sql,
)
from flows.gold.inputs import Scope

__all__ = [
    "ContractViolationError",
    "GoldBuildError",
    "GoldFlow",
    "GoldParams",
    "Mart",
    "MartBuild",
    "Scope",
    "build_mart",
    "build_marts",
    "load_sql",
]

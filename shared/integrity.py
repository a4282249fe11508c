"""Constraint violations as problem documents in the API's own words.

PostgreSQL's message for a refused write names the constraint, the table and the offending key
(`Key (scope, COALESCE(customer_id, segment), channel)=(...) already exists.`): internals a
client must never see. Each service declares, per constraint name, which request fields the rule
is about and how to say it (`ConstraintRule`); `integrity_problem` turns an IntegrityError into a
409 (a duplicate, or a delete of a row still referred to) or a 422 (a value the rules refuse),
naming fields only. A constraint nobody described still gets a problem without internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from shared.problems import ProblemError

UNIQUE_VIOLATION = "23505"
EXCLUSION_VIOLATION = "23P01"
FOREIGN_KEY_VIOLATION = "23503"
CHECK_VIOLATION = "23514"
NOT_NULL_VIOLATION = "23502"
_CONFLICTS = frozenset({UNIQUE_VIOLATION, EXCLUSION_VIOLATION})


@dataclass(frozen=True)
class ConstraintRule:
    """What one database constraint means to an API client: the fields it is about and the
    sentence that explains a violation (no SQL, table or constraint names)."""

    fields: tuple[str, ...]
    message: str


ConstraintMap = Mapping[str, ConstraintRule]


def _driver_error(error: IntegrityError) -> Any:
    """asyncpg's exception behind SQLAlchemy's adapter (it carries sqlstate and names)."""
    original = error.orig
    cause = getattr(original, "__cause__", None)
    return cause if cause is not None and hasattr(cause, "sqlstate") else original


def _sqlstate(error: IntegrityError) -> str | None:
    driver = _driver_error(error)
    state = getattr(driver, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return str(state) if state is not None else None


def _field_errors(fields: tuple[str, ...], message: str, kind: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", name], "msg": message, "type": kind} for name in fields]


def integrity_problem(
    error: IntegrityError,
    entity: str,
    constraints: ConstraintMap,
    *,
    fields: frozenset[str] = frozenset(),
    deleting: bool = False,
) -> ProblemError:
    """The problem document for a write of `entity` the database refused.

    409 for a duplicate (unique or exclusion constraint) and for a delete that other rows still
    refer to; 422 for a value a check, a not-null or a foreign key refuses. `fields` are the
    column names the API also uses (a not-null violation may name one of them).
    """
    state = _sqlstate(error)
    driver = _driver_error(error)
    name = getattr(driver, "constraint_name", None)
    rule = constraints.get(name) if isinstance(name, str) else None
    if state in _CONFLICTS:
        message = rule.message if rule else f"This {entity} conflicts with an existing {entity}."
        return _problem(409, message, rule, "conflict")
    if state == FOREIGN_KEY_VIOLATION and deleting:
        message = rule.message if rule else f"Other records still refer to this {entity}."
        return _problem(409, message, rule, "still_referenced")
    if state == NOT_NULL_VIOLATION:
        column = getattr(driver, "column_name", None)
        if isinstance(column, str) and column in fields:
            missing = ConstraintRule((column,), f"`{column}` must have a value.")
            return _problem(422, missing.message, missing, "missing")
        return _problem(422, f"A required field of the {entity} has no value.", None, "missing")
    if state == FOREIGN_KEY_VIOLATION:
        message = rule.message if rule else f"The {entity} refers to something that does not exist."
        return _problem(422, message, rule, "unknown_reference")
    message = rule.message if rule else f"The {entity} breaks a rule of the stored data."
    return _problem(422, message, rule, "rule")


def _problem(status: int, message: str, rule: ConstraintRule | None, kind: str) -> ProblemError:
    errors = _field_errors(rule.fields, message, kind) if rule and rule.fields else None
    return ProblemError(status, message, errors=errors)

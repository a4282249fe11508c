"""What the reminders screen's forms share: the values the API accepts, a form's fields as the
JSON body the API expects, and the API's validation errors placed next to the fields they name.

The console only reshapes what was typed (numbers as numbers, empty as absent or null); every
rule is the API's, so its 422 and 409 answers are what the user reads. The accepted values
below mirror the reminders service's published OpenAPI enums (a test compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from console.api import ApiError

SCOPES = ("customer", "segment")  # OpenAPI component ReminderScope
CHANNELS = ("email", "sms", "push")  # ReminderChannel
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "suppressed")  # OutboxStatus

# Form field -> the label the user sees, to name a field in an error summary.
CONFIGURATION_LABELS = {
    "scope": "Scope",
    "customer_id": "Customer id",
    "segment": "Segment",
    "channel": "Channel",
    "cadence_days": "Cadence (days)",
    "quiet_hours_start": "Quiet hours from",
    "quiet_hours_end": "Quiet hours until",
    "timezone": "Time zone",
    "enabled": "Enabled",
}
CSR_LABELS = {
    "csr_id": "CSR id",
    "name": "Name",
    "team": "Team",
    "timezone": "Time zone",
    "languages": "Languages",
    "badges": "Badges",
    "notes": "Notes",
    "active": "Active",
}
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,9}")
_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names the API accepts (the same database it checks against)."""
    return tuple(sorted(available_timezones()))


@dataclass
class FormProblem:
    """Why the API refused a form: a summary line, and messages per form field."""

    status: int
    summary: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)  # errors that name no field of the form

    def for_field(self, name: str) -> list[str]:
        """The messages about field `name` (empty when it is fine)."""
        return self.fields.get(name, [])


def _readable(message: str) -> str:
    return _PYDANTIC_PREFIX.sub("", message).strip()


def form_problem(error: ApiError, labels: dict[str, str]) -> FormProblem:
    """The API's refusal of a form, each field error under the form field it names."""
    problem = FormProblem(error.status, error.detail)
    for item in error.errors:
        if not isinstance(item, dict):
            continue
        loc = [str(part) for part in item.get("loc", []) if part not in ("body", "path")]
        message = _readable(str(item.get("msg", "")))
        if loc and loc[0] in labels:
            where = f" (item {int(loc[1]) + 1})" if len(loc) > 1 and loc[1].isdigit() else ""
            problem.fields.setdefault(loc[0], []).append(message + where)
        elif message:
            problem.other.append(message)
    return problem


def _text(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def _whole_number(text: str) -> int | str:
    """A typed whole number as a number; anything else as typed, for the API to refuse."""
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else text


def _quiet_hours(form: dict[str, str]) -> dict[str, str | None]:
    return {name: _text(form, name) or None for name in ("quiet_hours_start", "quiet_hours_end")}


def configuration_create_body(form: dict[str, str]) -> dict[str, Any]:
    """The POST body of a new configuration: what was filled in, as the API's types."""
    body: dict[str, Any] = {"scope": _text(form, "scope"), "channel": _text(form, "channel")}
    for name in ("customer_id", "segment"):
        if _text(form, name):
            body[name] = _text(form, name)
    if _text(form, "cadence_days"):
        body["cadence_days"] = _whole_number(_text(form, "cadence_days"))
    body.update({k: v for k, v in _quiet_hours(form).items() if v is not None})
    if _text(form, "timezone"):
        body["timezone"] = _text(form, "timezone")
    body["enabled"] = form.get("enabled") == "on"
    return body


def configuration_update_body(form: dict[str, str]) -> dict[str, Any]:
    """The PATCH body of an edit: every editable field (empty quiet hours clear them)."""
    body: dict[str, Any] = {
        "channel": _text(form, "channel"),
        "cadence_days": _whole_number(_text(form, "cadence_days")),
        **_quiet_hours(form),
        "timezone": _text(form, "timezone"),
        "enabled": form.get("enabled") == "on",
    }
    return body


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", text) if word]


def csr_body(form: dict[str, str]) -> dict[str, Any]:
    """The PUT body of a CSR's metadata (lists are typed comma- or space-separated)."""
    return {
        "name": _text(form, "name"),
        "team": _text(form, "team"),
        "timezone": _text(form, "timezone"),
        "languages": _words(form.get("languages", "")),
        "badges": _words(form.get("badges", "")),
        "notes": _text(form, "notes") or None,
        "active": form.get("active") == "on",
    }


def _checked(flag: Any) -> str:
    return "on" if flag else ""


def configuration_values(row: dict[str, Any]) -> dict[str, str]:
    """A configuration as its edit form's values (times as HH:MM, flags as a checkbox's)."""
    return {
        "version": str(row["version"]),
        "channel": row["channel"],
        "cadence_days": str(row["cadence_days"]),
        "quiet_hours_start": (row["quiet_hours_start"] or "")[:5],
        "quiet_hours_end": (row["quiet_hours_end"] or "")[:5],
        "timezone": row["timezone"],
        "enabled": _checked(row["enabled"]),
    }


def csr_values(row: dict[str, Any]) -> dict[str, str]:
    """A CSR's metadata as its edit form's values (lists comma-separated)."""
    return {
        "version": str(row["version"]),
        "name": row["name"],
        "team": row["team"],
        "timezone": row["timezone"],
        "languages": ", ".join(row["languages"]),
        "badges": ", ".join(row["badges"]),
        "notes": row["notes"] or "",
        "active": _checked(row["active"]),
    }


def if_match(form: dict[str, str]) -> dict[str, str]:
    """The If-Match header of a write: the version the form was rendered from."""
    version = _text(form, "version")
    return {"If-Match": f'"{version}"'} if version.isdigit() else {}

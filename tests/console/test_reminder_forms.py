"""The reminders screen's form helpers: what was typed becomes the API's body (and nothing is
validated twice), the API's errors land under the fields they name, and the values the forms
offer are the ones the reminders API publishes."""

from __future__ import annotations

from typing import Any

import pytest

from console.api import ApiError
from console.screens import _reminder_forms as forms
from services.reminders.app import create_app
from services.reminders.settings import ReminderSettings


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    """The reminders service's OpenAPI components."""
    schemas: dict[str, Any] = create_app(ReminderSettings(_env_file=None)).openapi()["components"][
        "schemas"
    ]
    return schemas


@pytest.mark.parametrize(
    ("component", "offered"),
    [
        ("ReminderScope", forms.SCOPES),
        ("ReminderChannel", forms.CHANNELS),
        ("OutboxStatus", forms.OUTBOX_STATUSES),
    ],
)
def test_the_forms_offer_the_values_the_api_publishes(
    published: dict[str, Any], component: str, offered: tuple[str, ...]
) -> None:
    assert tuple(published[component]["enum"]) == offered


def test_the_time_zone_list_is_the_apis(published: dict[str, Any]) -> None:
    assert list(forms.time_zones()) == published["TimeZone"]["enum"]


def test_a_new_configuration_sends_what_was_filled_in_as_the_apis_types() -> None:
    form = {
        "scope": "customer",
        "customer_id": " C0000042 ",
        "segment": "",
        "channel": "sms",
        "cadence_days": "14",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "",
        "timezone": "",
    }

    assert forms.configuration_create_body(form) == {
        "scope": "customer",
        "customer_id": "C0000042",
        "channel": "sms",
        "cadence_days": 14,
        "quiet_hours_start": "22:00",
        "enabled": False,
    }


def test_text_in_a_number_field_is_sent_as_typed_for_the_api_to_refuse() -> None:
    body = forms.configuration_update_body({"cadence_days": "12abc", "enabled": "on"})

    assert body["cadence_days"] == "12abc"
    assert body["enabled"] is True
    # Empty quiet hours clear them (null), rather than being left out.
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == (None, None)


def test_a_csr_form_splits_its_lists_and_sends_empty_notes_as_null() -> None:
    body = forms.csr_body({"name": "Ada", "languages": "en, pt-BR  fr", "badges": "", "notes": " "})

    assert body["languages"] == ["en", "pt-BR", "fr"]
    assert body["badges"] == []
    assert body["notes"] is None
    assert body["active"] is False


def test_if_match_is_the_forms_version_and_absent_without_one() -> None:
    assert forms.if_match({"version": "3"}) == {"If-Match": '"3"'}
    assert forms.if_match({"version": "3; drop"}) == {}
    assert forms.if_match({}) == {}


def test_the_apis_errors_land_under_the_fields_they_name() -> None:
    error = ApiError(
        422,
        "Unprocessable Content",
        "The request is not valid; see `errors`.",
        [
            {"loc": ["body", "cadence_days"], "msg": "Input should be greater than or equal to 1"},
            {"loc": ["body", "languages", 1], "msg": "String should match pattern"},
            {"loc": ["body"], "msg": "Value error, a segment-scope configuration names segment"},
            {"loc": ["path", "csr_id"], "msg": "String should have at most 32 characters"},
            "not a dict",
        ],
    )

    problem = forms.form_problem(error, {**forms.CONFIGURATION_LABELS, **forms.CSR_LABELS})

    assert problem.status == 422
    assert problem.for_field("cadence_days") == ["Input should be greater than or equal to 1"]
    assert problem.for_field("languages") == ["String should match pattern (item 2)"]
    assert problem.for_field("csr_id") == ["String should have at most 32 characters"]
    assert problem.for_field("timezone") == []
    assert problem.other == ["a segment-scope configuration names segment"]

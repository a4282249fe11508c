"""/api/reminders/configurations: every operation's success and failure paths."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.reminders.callers import (
    ALICE,
    BOB,
    CONFIGURATIONS,
    as_role,
    assert_problem,
    create_configuration,
    customer_preference,
    item,
    segment_preference,
)


async def test_create_answers_201_with_location_etag_and_the_stored_configuration(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(), headers=as_role(Role.CSR)
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == item(body["preference_id"])
    assert response.headers["etag"] == '"1"'
    assert body["customer_id"] == ALICE
    assert body["segment"] is None
    assert body["quiet_hours_start"] == "21:30:00"
    assert body["quiet_hours_end"] == "07:00:00"
    assert body["enabled"] is True
    fetched = await reminders_client.get(response.headers["location"], headers=as_role(Role.VIEWER))
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json() == body


async def test_a_segment_configuration_defaults_to_utc_and_no_quiet_hours(
    reminders_client: AsyncClient,
) -> None:
    body = await create_configuration(reminders_client, segment_preference())

    assert body["segment"] == "business"
    assert body["customer_id"] is None
    assert body["timezone"] == "UTC"
    assert body["quiet_hours_start"] is None


@pytest.mark.parametrize(
    "body",
    [customer_preference(), segment_preference()],
    ids=["customer", "segment"],
)
async def test_a_second_configuration_for_the_same_target_and_channel_is_a_409(
    reminders_client: AsyncClient, body: dict[str, Any]
) -> None:
    await create_configuration(reminders_client, body)

    again = await reminders_client.post(
        CONFIGURATIONS, json={**body, "cadence_days": 30}, headers=as_role(Role.CSR)
    )

    assert "already exists" in assert_problem(again, 409)["detail"]
    other_channel = await reminders_client.post(
        CONFIGURATIONS, json={**body, "channel": "push"}, headers=as_role(Role.CSR)
    )
    assert other_channel.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": "phone"}, "channel"),
        ({"cadence_days": 0}, "cadence_days"),
        ({"cadence_days": 366}, "cadence_days"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown IANA time zone"),
        ({"timezone": "europe/london"}, "unknown IANA time zone"),
        ({"quiet_hours_end": None}, "set together"),
        ({"quiet_hours_start": None}, "set together"),
        ({"quiet_hours_start": "25:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00+02:00"}, "without an offset"),
        ({"segment": "business"}, "no segment"),
        ({"customer_id": None}, "names customer_id"),
        ({"scope": "household"}, "scope"),
        ({"customer_id": "not an id!"}, "customer_id"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_invalid_configurations_are_422_problems_naming_the_fault(
    reminders_client: AsyncClient, overrides: dict[str, Any], fragment: str
) -> None:
    response = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(**overrides), headers=as_role(Role.CSR)
    )

    problem = assert_problem(response, 422)
    assert fragment in str(problem["errors"])


async def test_a_segment_configuration_must_not_name_a_customer(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.post(
        CONFIGURATIONS, json=segment_preference(customer_id=ALICE), headers=as_role(Role.CSR)
    )

    assert "no customer_id" in str(assert_problem(response, 422)["errors"])


async def test_quiet_hours_may_cross_midnight(reminders_client: AsyncClient) -> None:
    body = await create_configuration(
        reminders_client, customer_preference(quiet_hours_start="23:00", quiet_hours_end="06:00")
    )

    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("23:00:00", "06:00:00")


async def test_get_of_a_missing_configuration_is_a_404_problem(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.get(item("no-such-id"), headers=as_role(Role.VIEWER))

    assert "no-such-id" in assert_problem(response, 404)["detail"]


async def test_patch_changes_only_the_fields_sent_and_bumps_the_etag(
    reminders_client: AsyncClient,
) -> None:
    created = await create_configuration(reminders_client, customer_preference())

    response = await reminders_client.patch(
        item(created["preference_id"]),
        json={"cadence_days": 30, "enabled": False},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert (body["cadence_days"], body["enabled"], body["version"]) == (30, False, 2)
    assert body["channel"] == created["channel"]
    assert body["quiet_hours_start"] == created["quiet_hours_start"]
    assert body["updated_at"] >= created["updated_at"]


async def test_patch_clears_quiet_hours_when_both_are_nulled(reminders_client: AsyncClient) -> None:
    created = await create_configuration(reminders_client, customer_preference())

    response = await reminders_client.patch(
        item(created["preference_id"]),
        json={"quiet_hours_start": None, "quiet_hours_end": None},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert response.status_code == 200, response.text
    assert response.json()["quiet_hours_start"] is None
    assert response.json()["quiet_hours_end"] is None


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"timezone": "Atlantis/Capital"}, "unknown IANA time zone"),
        ({"channel": "pigeon"}, "channel"),
        ({"cadence_days": 400}, "cadence_days"),
        ({"customer_id": BOB}, "customer_id"),
        ({"scope": "segment"}, "scope"),
        ({"enabled": None}, "may not be null"),
        ({}, "at least one field"),
    ],
)
async def test_invalid_patches_are_422_and_change_nothing(
    reminders_client: AsyncClient, change: dict[str, Any], fragment: str
) -> None:
    created = await create_configuration(reminders_client, customer_preference())

    response = await reminders_client.patch(
        item(created["preference_id"]),
        json=change,
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert fragment in str(assert_problem(response, 422)["errors"])
    unchanged = await reminders_client.get(
        item(created["preference_id"]), headers=as_role(Role.CSR)
    )
    assert unchanged.json() == created


async def test_patch_moves_one_end_of_the_quiet_hours_and_keeps_the_other(
    reminders_client: AsyncClient,
) -> None:
    created = await create_configuration(reminders_client, customer_preference())

    response = await reminders_client.patch(
        item(created["preference_id"]),
        json={"quiet_hours_start": "20:00"},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("20:00:00", "07:00:00")


@pytest.mark.parametrize(
    ("stored", "change"),
    [
        ({}, {"quiet_hours_start": None}),
        ({}, {"quiet_hours_end": None}),
        ({"quiet_hours_start": None, "quiet_hours_end": None}, {"quiet_hours_start": "22:00"}),
    ],
    ids=["null-start", "null-end", "start-without-end"],
)
async def test_patch_leaving_half_a_quiet_window_is_a_409_and_changes_nothing(
    reminders_client: AsyncClient, stored: dict[str, Any], change: dict[str, Any]
) -> None:
    created = await create_configuration(reminders_client, customer_preference(**stored))

    response = await reminders_client.patch(
        item(created["preference_id"]),
        json=change,
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert "together" in assert_problem(response, 409)["detail"]
    unchanged = await reminders_client.get(
        item(created["preference_id"]), headers=as_role(Role.CSR)
    )
    assert unchanged.json() == created


async def test_patch_onto_an_existing_target_and_channel_is_a_409(
    reminders_client: AsyncClient,
) -> None:
    await create_configuration(reminders_client, customer_preference(channel="sms"))
    email = await create_configuration(reminders_client, customer_preference(channel="email"))

    response = await reminders_client.patch(
        item(email["preference_id"]),
        json={"channel": "sms"},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert_problem(response, 409)


async def test_patch_and_delete_of_a_missing_configuration_are_404(
    reminders_client: AsyncClient,
) -> None:
    headers = as_role(Role.CSR, **{"If-Match": '"1"'})
    patched = await reminders_client.patch(item("nope"), json={"enabled": False}, headers=headers)
    deleted = await reminders_client.delete(item("nope"), headers=headers)

    assert_problem(patched, 404)
    assert_problem(deleted, 404)


async def test_writes_without_if_match_are_428_and_stale_ones_412(
    reminders_client: AsyncClient,
) -> None:
    created = await create_configuration(reminders_client, customer_preference())
    url = item(created["preference_id"])

    missing = await reminders_client.patch(url, json={"enabled": False}, headers=as_role(Role.CSR))
    delete_missing = await reminders_client.delete(url, headers=as_role(Role.CSR))
    first = await reminders_client.patch(
        url, json={"cadence_days": 7}, headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )
    stale = await reminders_client.patch(
        url, json={"cadence_days": 21}, headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )
    stale_delete = await reminders_client.delete(
        url, headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )

    assert "If-Match" in assert_problem(missing, 428)["detail"]
    assert_problem(delete_missing, 428)
    assert first.status_code == 200
    assert_problem(stale, 412)
    assert stale.headers["etag"] == '"2"'
    assert_problem(stale_delete, 412)
    current = await reminders_client.get(url, headers=as_role(Role.VIEWER))
    assert current.json()["cadence_days"] == 7


async def test_delete_removes_the_configuration(reminders_client: AsyncClient) -> None:
    created = await create_configuration(reminders_client, customer_preference())
    url = item(created["preference_id"])

    deleted = await reminders_client.delete(url, headers=as_role(Role.CSR, **{"If-Match": '"1"'}))

    assert deleted.status_code == 204
    assert_problem(await reminders_client.get(url, headers=as_role(Role.VIEWER)), 404)


async def test_list_filters_sorts_and_pages(reminders_client: AsyncClient) -> None:
    for customer in ("C0000003", "C0000001", "C0000002"):
        await create_configuration(reminders_client, customer_preference(customer))
    await create_configuration(reminders_client, customer_preference("C0000001", channel="sms"))
    await create_configuration(reminders_client, segment_preference(enabled=False))
    viewer = as_role(Role.VIEWER)

    async def listing(**params: Any) -> dict[str, Any]:
        response = await reminders_client.get(CONFIGURATIONS, params=params, headers=viewer)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    everything = await listing()
    customers = await listing(scope="customer", sort="-customer_id,channel", limit=2, offset=1)
    alice = await listing(customer_id="C0000001")
    sms = await listing(channel="sms")
    disabled = await listing(enabled="false")
    business = await listing(segment="business")

    assert everything["count"] == 5
    assert customers["count"] == 4
    assert [(r["customer_id"], r["channel"]) for r in customers["data"]] == [
        ("C0000002", "email"),
        ("C0000001", "email"),
    ]
    assert (customers["limit"], customers["offset"]) == (2, 1)
    assert {r["channel"] for r in alice["data"]} == {"email", "sms"}
    assert sms["count"] == 2
    assert [r["scope"] for r in disabled["data"]] == ["segment"]
    assert business["count"] == 1


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"sort": "timezone"}, "not valid"),
        ({"channel": "fax"}, "not valid"),
        ({"scope": "everyone"}, "not valid"),
        ({"limit": 501}, "not valid"),
        ({"offset": -1}, "not valid"),
    ],
)
async def test_bad_list_queries_are_422_problems(
    reminders_client: AsyncClient, params: dict[str, Any], fragment: str
) -> None:
    response = await reminders_client.get(
        CONFIGURATIONS, params=params, headers=as_role(Role.VIEWER)
    )

    assert fragment in assert_problem(response, 422)["detail"]


async def test_configurations_have_no_export_routes(reminders_client: AsyncClient) -> None:
    response = await reminders_client.get(
        f"{CONFIGURATIONS}/export/csv", headers=as_role(Role.ADMIN)
    )

    # The path reads as a configuration id, and there is no such configuration.
    assert_problem(response, 404)

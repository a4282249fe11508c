"""/api/reminders/csr: list, get and create-or-replace of CSR metadata."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.reminders.callers import CSR, as_role, assert_problem, csr_body


async def test_put_creates_absent_metadata_with_201_location_and_etag(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.put(
        f"{CSR}/CSR003", json=csr_body(), headers=as_role(Role.CSR)
    )

    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{CSR}/CSR003"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["csr_id"] == "CSR003"
    assert body["languages"] == ["en", "fr"]
    assert body["badges"] == ["customer_favourite"]
    fetched = await reminders_client.get(f"{CSR}/CSR003", headers=as_role(Role.VIEWER))
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json() == body


async def test_put_replaces_every_field_of_the_version_it_matches(
    reminders_client: AsyncClient,
) -> None:
    await reminders_client.put(f"{CSR}/CSR003", json=csr_body(), headers=as_role(Role.CSR))

    replaced = await reminders_client.put(
        f"{CSR}/CSR003",
        json={"name": "Lily Allen", "team": "tier2", "timezone": "Europe/Paris"},
        headers=as_role(Role.CSR, **{"If-Match": '"1"'}),
    )

    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"'
    body = replaced.json()
    assert (body["team"], body["timezone"], body["version"]) == ("tier2", "Europe/Paris", 2)
    # Fields left out of a PUT take their defaults: it replaces, it does not merge.
    assert (body["languages"], body["badges"], body["notes"]) == ([], [], None)


async def test_replacing_needs_if_match_and_refuses_a_stale_one(
    reminders_client: AsyncClient,
) -> None:
    url = f"{CSR}/CSR003"
    await reminders_client.put(url, json=csr_body(), headers=as_role(Role.CSR))

    missing = await reminders_client.put(url, json=csr_body(team="x"), headers=as_role(Role.CSR))
    first = await reminders_client.put(
        url, json=csr_body(team="tier2"), headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )
    stale = await reminders_client.put(
        url, json=csr_body(team="tier3"), headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )

    assert "If-Match" in assert_problem(missing, 428)["detail"]
    assert first.status_code == 200
    assert_problem(stale, 412)
    assert stale.headers["etag"] == '"2"'
    current = await reminders_client.get(url, headers=as_role(Role.VIEWER))
    assert current.json()["team"] == "tier2"


async def test_if_match_on_absent_metadata_is_412_and_creates_nothing(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.put(
        f"{CSR}/CSR009", json=csr_body(), headers=as_role(Role.CSR, **{"If-Match": '"1"'})
    )

    assert_problem(response, 412)
    assert_problem(await reminders_client.get(f"{CSR}/CSR009", headers=as_role(Role.VIEWER)), 404)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (csr_body(timezone="Nowhere/Land"), "unknown IANA time zone"),
        (csr_body(languages=["English"]), "languages"),
        (csr_body(badges=["Best Ever!"]), "badges"),
        (csr_body(name=""), "name"),
        (csr_body(csr_id="CSR003"), "csr_id"),
        ({"name": "No team"}, "team"),
    ],
)
async def test_invalid_metadata_is_a_422_problem(
    reminders_client: AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    response = await reminders_client.put(f"{CSR}/CSR003", json=body, headers=as_role(Role.CSR))

    assert fragment in str(assert_problem(response, 422)["errors"])


async def test_a_malformed_csr_id_is_422_and_a_missing_one_404(
    reminders_client: AsyncClient,
) -> None:
    malformed = await reminders_client.get(f"{CSR}/not%20an%20id", headers=as_role(Role.VIEWER))
    missing = await reminders_client.get(f"{CSR}/CSR404", headers=as_role(Role.VIEWER))

    assert_problem(malformed, 422)
    assert "CSR404" in assert_problem(missing, 404)["detail"]


async def test_list_filters_searches_and_sorts(reminders_client: AsyncClient) -> None:
    for csr_id, name, team, is_active in (
        ("CSR001", "Liam King", "tier1", True),
        ("CSR002", "Leah Sato", "tier2", True),
        ("CSR003", "Lily Allen", "tier1", False),
    ):
        body = csr_body(name=name, team=team, active=is_active)
        await reminders_client.put(f"{CSR}/{csr_id}", json=body, headers=as_role(Role.CSR))
    viewer = as_role(Role.VIEWER)

    everyone = await reminders_client.get(CSR, headers=viewer)
    tier1 = await reminders_client.get(
        CSR, params={"team": "tier1", "sort": "-name"}, headers=viewer
    )
    active = await reminders_client.get(CSR, params={"active": "true"}, headers=viewer)
    searched = await reminders_client.get(CSR, params={"q": "sato"}, headers=viewer)
    bad_sort = await reminders_client.get(CSR, params={"sort": "notes"}, headers=viewer)

    assert [row["csr_id"] for row in everyone.json()["data"]] == ["CSR001", "CSR002", "CSR003"]
    assert [row["name"] for row in tier1.json()["data"]] == ["Lily Allen", "Liam King"]
    assert active.json()["count"] == 2
    assert [row["csr_id"] for row in searched.json()["data"]] == ["CSR002"]
    assert_problem(bad_sort, 422)

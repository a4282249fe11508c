"""OIDC tokens (RS256, ES256) through the gateway, checked against a JWKS served on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from gateway.app import create_app
from gateway.oidc import OidcVerifier, _usable_keys
from shared.identity import IdentityError, Principal, Role, issue_token
from shared.identity_settings import OidcSettings
from shared.problems import PROBLEM_MEDIA_TYPE
from tests.gateway.identity_fixtures import (
    AUDIENCE,
    ISSUER,
    JWT_SECRET,
    Issuer,
    SigningKey,
    ec_key,
    hand_made_token,
    identity_gateway_settings,
    rsa_key,
    whoami_upstream,
)
from tests.servers import ThreadedServers, bound_socket


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "role": "editor",
        "iat": now,
        "exp": now + 300,
        **overrides,
    }


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {"rsa": rsa_key("rsa-1"), "ec": ec_key("ec-1"), "rsa-next": rsa_key("rsa-2")}


@pytest.fixture(scope="module")
def servers() -> Iterator[ThreadedServers]:
    running = ThreadedServers()
    yield running
    running.stop_all()


@pytest.fixture(scope="module")
def issuer(keys: dict[str, SigningKey]) -> Issuer:
    return Issuer(keys=[keys["rsa"], keys["ec"]])


@pytest.fixture(scope="module")
def jwks_url(servers: ThreadedServers, issuer: Issuer) -> str:
    return servers.start(issuer.app()) + "/jwks"  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def upstream_url(servers: ThreadedServers) -> str:
    return servers.start(whoami_upstream())


@pytest.fixture(scope="module")
def gateway_url(
    servers: ThreadedServers,
    jwks_url: str,
    upstream_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    settings = identity_gateway_settings(
        tmp_path_factory.mktemp("oidc-gateway"),
        upstream_url,
        oidc_jwks_url=jwks_url,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_min_refetch_s=0,
    )
    return servers.start(create_app(settings))


@pytest.fixture
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        yield http


async def whoami(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/admin/whoami", headers={"Authorization": f"Bearer {token}"})


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert "principal" not in response.text


@pytest.mark.parametrize("kind", ["rsa", "ec"])
async def test_issuer_tokens_reach_the_service_as_their_caller(
    client: httpx.AsyncClient, keys: dict[str, SigningKey], kind: str
) -> None:
    response = await whoami(client, keys[kind].sign(claims(sub=f"{kind}-user")))

    assert response.status_code == 200, response.text
    assert response.json()["principal"] == {"sub": f"{kind}-user", "role": "editor"}


async def test_the_platforms_own_hs256_tokens_still_work_beside_the_issuer(
    client: httpx.AsyncClient,
) -> None:
    response = await whoami(client, issue_token(JWT_SECRET, Role.VIEWER, "local-viewer"))

    assert response.json()["principal"] == {"sub": "local-viewer", "role": "viewer"}


@pytest.mark.parametrize(
    "wrong",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example.test/"},
        {"exp": int(time.time()) - 3600},
    ],
    ids=["audience", "issuer", "expired"],
)
async def test_tokens_for_another_audience_from_another_issuer_or_expired_are_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey], wrong: dict[str, Any]
) -> None:
    assert_refused(await whoami(client, keys["rsa"].sign(claims(**wrong))))


async def test_a_token_valid_longer_than_the_lifetime_bound_is_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey]
) -> None:
    ten_years = int(time.time()) + 10 * 365 * 86400
    assert_refused(await whoami(client, keys["ec"].sign(claims(exp=ten_years))))


async def test_algorithm_confusion_with_the_public_key_as_hmac_secret_is_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey]
) -> None:
    forged = hand_made_token(
        {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
        claims(role="admin"),
        keys["rsa"].public_pem(),
    )
    assert_refused(await whoami(client, forged))


async def test_a_token_naming_another_algorithm_than_its_keys_is_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey]
) -> None:
    # Signed RS256 but naming the EC key: the EC key admits only ES256.
    assert_refused(await whoami(client, keys["rsa"].sign(claims(), kid="ec-1")))


@pytest.mark.parametrize(
    "header",
    [{"alg": ["RS256"], "kid": "rsa-1"}, {"alg": "RS256", "kid": {"a": 1}}, {"kid": "rsa-1"}],
    ids=["alg-list", "kid-object", "no-alg"],
)
async def test_malformed_headers_are_refused_not_errors(
    client: httpx.AsyncClient, header: dict[str, Any]
) -> None:
    assert_refused(await whoami(client, hand_made_token(header, claims(), b"x")))


@pytest.mark.parametrize("alg", ["none", "None", "HS512"])
async def test_unsigned_and_symmetric_tokens_are_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey], alg: str
) -> None:
    secret = None if alg.lower() == "none" else keys["rsa"].public_pem()
    forged = hand_made_token({"alg": alg, "kid": "rsa-1"}, claims(role="admin"), secret)
    assert_refused(await whoami(client, forged))


async def test_a_rotated_key_is_picked_up_and_a_retired_one_refused(
    client: httpx.AsyncClient, keys: dict[str, SigningKey], issuer: Issuer
) -> None:
    assert (await whoami(client, keys["rsa"].sign(claims(sub="before")))).status_code == 200
    issuer.keys = [keys["rsa-next"], keys["ec"]]
    try:
        rotated = await whoami(client, keys["rsa-next"].sign(claims(sub="after")))
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["principal"] == {"sub": "after", "role": "editor"}
        # A new token from the retired key: its kid is gone from the refetched set.
        assert_refused(await whoami(client, keys["rsa"].sign(claims(sub="retired"))))
    finally:
        issuer.keys = [keys["rsa"], keys["ec"]]


async def test_an_unreachable_issuer_is_503_with_retry_after_not_a_refusal(
    servers: ThreadedServers,
    upstream_url: str,
    keys: dict[str, SigningKey],
    tmp_path: Path,
) -> None:
    closed = bound_socket()  # bound, never listening: connections are refused
    try:
        settings = identity_gateway_settings(
            tmp_path,
            upstream_url,
            oidc_jwks_url=f"http://127.0.0.1:{closed.getsockname()[1]}/jwks",
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
        )
        url = servers.start(create_app(settings))
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            response = await whoami(http, keys["rsa"].sign(claims()))
    finally:
        closed.close()

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"  # ECOM_OIDC_JWKS_MIN_REFETCH_S
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)


# --- the verifier itself, with a clock the test moves ------------------------------------------


def verifier(jwks_url: str, now: list[float], **overrides: Any) -> OidcVerifier:
    values: dict[str, Any] = {
        "_env_file": None,
        "oidc_jwks_url": jwks_url,
        "oidc_issuer": ISSUER,
        "oidc_audience": AUDIENCE,
        "oidc_jwks_cache_s": 300,
        "oidc_jwks_min_refetch_s": 30,
        **overrides,
    }
    return OidcVerifier(OidcSettings(**values), max_ttl_s=3600, clock=lambda: now[0])


async def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(
    jwks_url: str, issuer: Issuer, keys: dict[str, SigningKey]
) -> None:
    now = [time.time()]
    oidc = verifier(jwks_url, now)
    async with aiohttp.ClientSession() as session:
        await oidc.principal(keys["rsa"].sign(claims()), session)
        fetched = issuer.fetches
        for _ in range(5):
            now[0] += 1
            with pytest.raises(IdentityError, match="no signing key"):
                await oidc.principal(keys["rsa"].sign(claims(), kid="made-up"), session)
        assert issuer.fetches == fetched, "within the interval an unknown kid fetches nothing"

        now[0] += 30
        with pytest.raises(IdentityError):
            await oidc.principal(keys["rsa"].sign(claims(), kid="made-up-too"), session)
        with pytest.raises(IdentityError):
            await oidc.principal(keys["rsa"].sign(claims(), kid="and-another"), session)
        assert issuer.fetches == fetched + 1


async def test_a_burst_of_tokens_on_a_cold_cache_fetches_the_keys_once(
    jwks_url: str, issuer: Issuer, keys: dict[str, SigningKey]
) -> None:
    oidc = verifier(jwks_url, [time.time()], oidc_jwks_min_refetch_s=0)
    fetched = issuer.fetches
    async with aiohttp.ClientSession() as session:
        principals = await asyncio.gather(
            *(oidc.principal(keys["ec"].sign(claims(sub=f"u{n}")), session) for n in range(20))
        )
    assert [principal.sub for principal in principals] == [f"u{n}" for n in range(20)]
    assert issuer.fetches == fetched + 1


async def test_keys_are_fetched_again_once_the_cache_expires(
    jwks_url: str, issuer: Issuer, keys: dict[str, SigningKey]
) -> None:
    now = [time.time()]
    oidc = verifier(jwks_url, now, oidc_jwks_cache_s=60, oidc_jwks_min_refetch_s=0)
    async with aiohttp.ClientSession() as session:
        await oidc.principal(keys["rsa"].sign(claims(sub="a")), session)
        fetched = issuer.fetches
        now[0] += 59
        await oidc.principal(keys["ec"].sign(claims(sub="b")), session)
        assert issuer.fetches == fetched
        now[0] += 2
        await oidc.principal(keys["ec"].sign(claims(sub="c")), session)
        assert issuer.fetches == fetched + 1


async def test_the_verifier_itself_refuses_hmac_even_when_the_kid_is_an_rsa_key(
    jwks_url: str, keys: dict[str, SigningKey]
) -> None:
    forged = hand_made_token({"alg": "HS256", "kid": "rsa-1"}, claims(), keys["rsa"].public_pem())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(IdentityError, match="not accepted"):
            await verifier(jwks_url, [time.time()]).principal(forged, session)


def test_symmetric_and_mislabelled_keys_in_a_jwks_are_never_used(
    keys: dict[str, SigningKey],
) -> None:
    usable = _usable_keys(
        {
            "keys": [
                keys["rsa"].jwk,
                {"kty": "oct", "kid": "shared", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"},
                {**keys["rsa-next"].jwk, "alg": "HS256"},
                {**keys["ec"].jwk, "use": "enc"},
                {"kty": "RSA", "kid": "broken"},
            ]
        }
    )

    assert list(usable) == ["rsa-1"]
    assert usable["rsa-1"].algorithm_name == "RS256"


async def test_roles_are_mapped_from_a_nested_list_claim(
    jwks_url: str, keys: dict[str, SigningKey]
) -> None:
    oidc = verifier(
        jwks_url,
        [time.time()],
        oidc_role_claim="realm_access.roles",
        oidc_subject_claim="preferred_username",
        oidc_role_map={"shop-admins": "admin", "shop-support": "csr"},
    )
    mapped = claims(preferred_username="ann", realm_access={"roles": ["offline", "shop-support"]})
    unmapped = claims(preferred_username="bob", realm_access={"roles": ["offline"]})
    async with aiohttp.ClientSession() as session:
        assert await oidc.principal(keys["ec"].sign(mapped), session) == Principal(
            sub="ann", role=Role.CSR
        )
        with pytest.raises(IdentityError, match="no platform role"):
            await oidc.principal(keys["ec"].sign(unmapped), session)


def test_a_jwks_url_without_issuer_and_audience_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="ECOM_OIDC_ISSUER and ECOM_OIDC_AUDIENCE"):
        OidcSettings(_env_file=None, oidc_jwks_url="https://idp.example.test/jwks")

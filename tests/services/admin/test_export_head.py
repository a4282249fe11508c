"""HEAD on an export answers what GET would (status, type, file name) without building the file;
roles and parameters are still checked."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

import shared.exports
from shared.identity import Role
from tests.services.admin.back_office import PRODUCTS, as_role, create


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every export file build (CSV COPY or XLSX workbook) that starts."""
    started: list[str] = []
    copy_csv, write_workbook = shared.exports._copy_csv, shared.exports._write_workbook

    def spy_copy(*args: Any) -> Any:
        started.append("csv")
        return copy_csv(*args)

    async def spy_workbook(*args: Any) -> None:
        started.append("xlsx")
        await write_workbook(*args)

    monkeypatch.setattr(shared.exports, "_copy_csv", spy_copy)
    monkeypatch.setattr(shared.exports, "_write_workbook", spy_workbook)
    return started


@pytest.mark.parametrize(("kind", "media_type"), [("csv", "text/csv"), ("xlsx", "application/")])
async def test_head_on_an_export_sends_its_headers_without_building_it(
    admin_client: AsyncClient, builds: list[str], kind: str, media_type: str
) -> None:
    await create(admin_client, PRODUCTS, "P-HEAD-1")
    url = f"{PRODUCTS.url}/export/{kind}"
    head = await admin_client.head(url, headers=as_role(Role.EDITOR))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith(media_type)
    assert head.headers["content-disposition"] == f'attachment; filename="products.{kind}"'
    assert "content-length" not in head.headers  # unknown until the file is built
    assert builds == []
    get = await admin_client.get(url, headers=as_role(Role.EDITOR))
    assert get.status_code == 200
    assert get.headers["content-type"] == head.headers["content-type"]
    assert get.headers["content-disposition"] == head.headers["content-disposition"]
    assert b"P-HEAD-1" in get.content or kind == "xlsx"
    assert builds == [kind]


async def test_head_on_an_export_still_checks_the_role_and_the_parameters(
    admin_client: AsyncClient, builds: list[str]
) -> None:
    url = f"{PRODUCTS.url}/export/csv"
    assert (await admin_client.head(url, headers=as_role(Role.VIEWER))).status_code == 403
    assert (await admin_client.head(url)).status_code == 401
    refused = await admin_client.head(url, params={"sort": "secret"}, headers=as_role(Role.EDITOR))
    assert refused.status_code == 422
    assert builds == []

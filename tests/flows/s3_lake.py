"""Flow settings with the lake moved into the session's moto S3 server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from flows.settings import FlowSettings


def on_s3(settings: FlowSettings, request: pytest.FixtureRequest) -> FlowSettings:
    """The same settings with the lake in the moto S3 server."""
    return settings.model_copy(
        update={
            "object_store_url": request.getfixturevalue("s3_lake_url"),
            "s3_endpoint_url": request.getfixturevalue("s3_endpoint"),
            "s3_access_key_id": SecretStr("testing"),
            "s3_secret_access_key": SecretStr("testing"),
        }
    )

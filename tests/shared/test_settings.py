"""Settings: local mode invents and keeps secrets; other modes demand them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError

from deploy.cli.settings import PlatformSettings
from flows.settings import FlowSettings
from gateway.settings import GatewaySettings
from services.admin.settings import AdminSettings
from services.loyalty.settings import LoyaltySettings
from services.reminders.settings import ReminderSettings
from services.transparency.settings import TransparencySettings
from shared.database import resolve_database_url
from shared.owners import Owner
from shared.settings import EcomSettings, RuntimeMode, SettingsError

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_local_mode_generates_secrets_once_and_keeps_them_private(tmp_path: Path) -> None:
    first = PlatformSettings(_env_file=None, data_dir=tmp_path)
    second = PlatformSettings(_env_file=None, data_dir=tmp_path)
    assert first.secret("jwt_secret") == second.secret("jwt_secret")
    assert first.secret("jwt_secret") != first.secret("internal_secret")
    assert len(set(first.role_passwords().values())) == len(Owner)
    assert (tmp_path / "local-secrets.json").stat().st_mode & 0o077 == 0


def test_compose_mode_without_secrets_names_the_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ECOM_JWT_SECRET must be set"):
        PlatformSettings(_env_file=None, data_dir=tmp_path, mode=RuntimeMode.COMPOSE)


def test_database_url_is_required_outside_local_mode(tmp_path: Path) -> None:
    settings = FlowSettings(_env_file=None, data_dir=tmp_path, mode=RuntimeMode.AWS)
    with pytest.raises(SettingsError, match="ECOM_DATABASE_URL must be set"):
        resolve_database_url(settings, Owner.FLOWS)


def test_seed_schedule_variables_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_PIPELINE_SCHEDULE", "*/2 * * * *")
    monkeypatch.setenv("DATA_PIPELINE_START_OFFSET_MINUTES", "1")
    settings = FlowSettings(_env_file=None, data_dir=tmp_path)
    assert settings.data_pipeline_schedule == "*/2 * * * *"
    assert settings.data_pipeline_start_offset_minutes == 1


def test_local_database_url_connects_each_owner_as_its_own_role(tmp_path: Path) -> None:
    settings = FlowSettings(_env_file=None, data_dir=tmp_path, embedded_pg_port=54555)
    url = resolve_database_url(settings, Owner.FLOWS)
    assert url.startswith("postgresql://ecom_flows:")
    assert url.endswith("@127.0.0.1:54555/datamart")


@pytest.mark.parametrize(
    "settings_class",
    [
        PlatformSettings,
        FlowSettings,
        AdminSettings,
        LoyaltySettings,
        ReminderSettings,
        TransparencySettings,
        GatewaySettings,
    ],
    ids=lambda cls: cls.__name__,
)
def test_every_setting_is_documented_in_env_example(settings_class: type[EcomSettings]) -> None:
    documented = ENV_EXAMPLE.read_text()
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    missing = []
    for name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = [str(choice) for choice in alias.choices]
        else:
            names = [str(alias) if alias is not None else f"{prefix}{name}".upper()]
        if not any(candidate.upper() in documented for candidate in names):
            missing.append(names[0])
    assert missing == [], f"add these to .env.example: {missing}"

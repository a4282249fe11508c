"""`ecom apikey create|list|revoke`: API keys for machine callers, stored only as hashes."""

from __future__ import annotations

from typing import Annotated

import typer

from shared.api_keys import ApiKeyError, create_api_key, list_api_keys, revoke_api_key
from shared.identity import Role
from shared.identity_settings import ApiKeySettings

apikey_app = typer.Typer(
    help="API keys (hashed in ECOM_API_KEYS_FILE; the gateway re-reads it on change).",
    no_args_is_help=True,
)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@apikey_app.command("create")
def apikey_create(
    role: Annotated[Role, typer.Option(help="Role the key grants.")],
    name: Annotated[str | None, typer.Option(help="What the key is for, shown by `list`.")] = None,
    sub: Annotated[
        str | None, typer.Option(help="Subject (required for customer keys: the customer id).")
    ] = None,
) -> None:
    """Create a key and print it once; only its hash is kept."""
    path = ApiKeySettings().api_keys_path
    try:
        record, key = create_api_key(path, role, name=name, sub=sub)
    except ApiKeyError as error:
        _fail(str(error))
        return
    typer.echo(
        f"created API key {record.id} ({record.role.value}); it is shown only once:", err=True
    )
    typer.echo(key)


@apikey_app.command("list")
def apikey_list() -> None:
    """List the keys: id, role, subject, name, created and revoked times (never the keys)."""
    records = list_api_keys(ApiKeySettings().api_keys_path)
    if not records:
        typer.echo("no API keys")
        return
    typer.echo(f"{'ID':<12}  {'ROLE':<8}  {'STATUS':<7}  {'CREATED':<20}  {'SUBJECT':<24}  NAME")
    for record in records:
        status = "active" if record.active else "revoked"
        created = record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        typer.echo(
            f"{record.id:<12}  {record.role.value:<8}  {status:<7}  {created:<20}  "
            f"{record.sub:<24}  {record.name or ''}"
        )


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="Id from `ecom apikey list`.")],
) -> None:
    """Revoke a key: the gateway refuses it from its next request on, without a restart."""
    try:
        record = revoke_api_key(ApiKeySettings().api_keys_path, key_id)
    except ApiKeyError as error:
        _fail(str(error))
        return
    assert record.revoked_at is not None
    typer.echo(f"revoked API key {record.id} at {record.revoked_at:%Y-%m-%dT%H:%M:%SZ}")

"""Whether a role's stored password is a given one, read from its SCRAM or md5 verifier.

`ecom db init` keeps the passwords of roles that exist already: re-running it (from another
folder, or with other local secrets) must not lock out the deployables using them. It compares
the password it would set with the stored verifier and refuses a mismatch unless told to reset.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _scram_matches(verifier: str, password: str) -> bool:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 7677, PostgreSQL)."""
    try:
        _, params, keys = verifier.split("$")
        iterations, salt = params.split(":")
        stored_key, server_key = keys.split(":")
        salted = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except ValueError:
        return False
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    expected_stored = hashlib.sha256(client_key).digest()
    expected_server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hmac.compare_digest(
        base64.b64decode(stored_key), expected_stored
    ) and hmac.compare_digest(base64.b64decode(server_key), expected_server)


def password_matches(verifier: str | None, role: str, password: str) -> bool:
    """Whether `password` is the one `verifier` (pg_authid.rolpassword of `role`) stores."""
    if not verifier:
        return False
    if verifier.startswith("SCRAM-SHA-256$"):
        return _scram_matches(verifier, password)
    if verifier.startswith("md5"):
        digest = hashlib.md5((password + role).encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(verifier, "md5" + digest)
    return hmac.compare_digest(verifier, password)  # a plain-text password (very old servers)


def mismatch_message(roles: list[str]) -> str:
    """One line saying which roles disagree and what to do."""
    names = ", ".join(roles)
    settings = ", ".join(f"ECOM_DB_PASSWORD_{role.removeprefix('ecom_').upper()}" for role in roles)
    return (
        f"role(s) {names} exist with other passwords than this folder's: set {settings} to the"
        " passwords in use (or run in the folder that created them), or run"
        " `ecom db init --reset-role-passwords` to set new ones (deployables using the old"
        " ones lose access)"
    )

"""Optimistic concurrency: a row's `version` column is its ETag; writes must send If-Match."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from shared.headers import bounded_decimal
from shared.problems import ProblemError

# A strong entity tag: an optional weak marker W/ is parsed so that it can be refused.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag_for(version: int) -> str:
    """The strong ETag of a row at `version`."""
    return f'"{version}"'


@dataclass(frozen=True)
class IfMatch:
    """The versions an If-Match header accepts; `any_version` for `*`."""

    versions: frozenset[int]
    any_version: bool = False

    def accepts(self, version: int) -> bool:
        """Whether a row at `version` satisfies the precondition (strong comparison)."""
        return self.any_version or version in self.versions


def parse_if_match(header: str) -> IfMatch:
    """Parse an If-Match value; tags that are weak or not ours simply never match."""
    if header.strip() == "*":
        return IfMatch(frozenset(), any_version=True)
    versions: set[int] = set()
    position = 0
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None:
            break
        weak, opaque = match.groups()
        # RFC 9110: If-Match uses the strong comparison, so a weak tag never matches; nor does
        # one that is not a version number of ours (the write is then refused with 412).
        version = None if weak else bounded_decimal(opaque)
        if version is not None:
            versions.add(version)
        position = match.end()
    return IfMatch(frozenset(versions))


async def required_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag from a previous read, e.g. `"3"`; required on writes.',
        ),
    ] = None,
) -> IfMatch:
    """Dependency: the If-Match precondition of a write, 428 when it is missing."""
    if if_match is None or not if_match.strip():
        raise missing_if_match()
    return parse_if_match(if_match)


IfMatchDep = Annotated[IfMatch, Depends(required_if_match)]


async def optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag from a previous read, e.g. `"3"`; required to replace an '
            "existing resource, omitted to create one.",
        ),
    ] = None,
) -> IfMatch | None:
    """Dependency: the If-Match precondition of a create-or-replace (PUT), None when absent."""
    if if_match is None or not if_match.strip():
        return None
    return parse_if_match(if_match)


OptionalIfMatchDep = Annotated[IfMatch | None, Depends(optional_if_match)]


def missing_if_match() -> ProblemError:
    """The 428 problem of a write to an existing resource that sent no If-Match."""
    return ProblemError(
        428,
        "Send If-Match with the ETag of your last read of this resource, so that a "
        "concurrent change is not overwritten.",
    )


def check_precondition(if_match: IfMatch, current_version: int) -> None:
    """Raise 412 when the stored version is not the one the caller read."""
    if not if_match.accepts(current_version):
        raise ProblemError(
            412,
            f"The resource changed since you read it (now at version {current_version}); "
            "read it again and retry with its new ETag.",
            headers={"ETag": etag_for(current_version)},
        )

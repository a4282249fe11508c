"""Rules a landing file must meet as a whole, or be refused (and quarantined) before any of its
rows is guessed at: a known entity folder, and a header naming declared columns, each once."""

from __future__ import annotations

from collections import Counter

from flows.silver.tables import SILVER_TABLE_BY_ENTITY

# How much of a refused header a reason quotes.
QUOTED_HEADER_CHARS = 200


class FileRefusedError(ValueError):
    """A file the pipeline refuses whole; the message says why and what to do."""


class UnknownEntityError(FileRefusedError):
    """A landing folder that names no entity the pipeline loads."""


class UntrustedHeaderError(FileRefusedError):
    """A header the loader would have to guess at: none, no declared column, or a name twice."""


def known_entities() -> list[str]:
    """The landing folders the pipeline loads, alphabetically."""
    return sorted(SILVER_TABLE_BY_ENTITY)


def refuse_unknown_entity(entity: str) -> None:
    """Raise `UnknownEntityError` unless `entity` is a folder the pipeline loads."""
    if entity not in SILVER_TABLE_BY_ENTITY:
        raise UnknownEntityError(
            f"landing folder {entity!r} is no known entity; the known entities are "
            f"{', '.join(known_entities())}. Move the file into the right folder (or declare the "
            "entity in flows/silver/tables.py), then `ecom pipeline quarantine retry ID`"
        )


def _quoted(header: list[str]) -> str:
    text = ",".join(header)
    return text if len(text) <= QUOTED_HEADER_CHARS else text[:QUOTED_HEADER_CHARS] + "..."


def refuse_untrusted_header(entity: str, header: list[str]) -> None:
    """Raise `UntrustedHeaderError` when `header` (the file's first record) names none of the
    entity's declared columns, or names one twice (names compare trimmed and case-blind, as the
    loader reads them)."""
    table = SILVER_TABLE_BY_ENTITY[entity]
    names = [name.strip().lower() for name in header]
    if not any(names):
        raise UntrustedHeaderError(f"the {entity} file is empty or its first line is blank")
    if not table.source_columns.intersection(names):
        raise UntrustedHeaderError(
            f"the first record ({_quoted(header)}) names none of the declared columns of "
            f"{entity} ({', '.join(sorted(table.source_columns))}): the file has no header row, "
            "or is in the wrong folder. Add the header (or move the file), then "
            "`ecom pipeline quarantine retry ID`"
        )
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise UntrustedHeaderError(
            f"the header names {', '.join(map(repr, repeated))} more than once; which value "
            "would count is a guess. Fix the header, then `ecom pipeline quarantine retry ID`"
        )


def refuse_untrusted_file(entity: str, header: list[str]) -> None:
    """The landing check: a known entity with a header the loader can trust."""
    refuse_unknown_entity(entity)
    refuse_untrusted_header(entity, header)

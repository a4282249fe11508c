"""The scan COPY's bytes pass through finds exactly the control characters the CONTROL_CHARACTER
rule looks for, wherever a chunk boundary falls; a file without any skips the per-field search."""

from __future__ import annotations

import io
import re

import pytest

from flows.silver.rules import CONTROL_CHARACTERS
from flows.silver.staging import ControlCharacterScan

# Every character the rule's pattern matches (NUL apart: COPY refuses it before any rule).
RULE = re.compile(CONTROL_CHARACTERS)
CONTROLS = [chr(code) for code in range(1, 0xA0) if RULE.match(chr(code))]
# Text around them, multi-byte characters included: \xc2\xa0 (no-break space) shares the C1
# characters' first byte, \xc3\x89 their second.
PLAIN = "order_id,note\nO-1,caf\u00e9 \u00a0 \u00c9t\u00e9 \u20ac 5\n"


def _scan(data: bytes, size: int) -> bool:
    scan = ControlCharacterScan(io.BytesIO(data))
    while scan.read(size):
        pass
    return scan.found


def test_the_scan_looks_for_what_the_rule_looks_for() -> None:
    # C0 without NUL, tab, line feed and carriage return; DEL; all of C1.
    assert len(CONTROLS) == 28 + 1 + 32
    assert not {"\t", "\n", "\r"} & set(CONTROLS)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64 * 1024])
def test_a_file_without_control_characters_is_clean_at_any_chunk_size(size: int) -> None:
    assert _scan((PLAIN * 50).encode(), size) is False


@pytest.mark.parametrize("character", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("size", [1, 2, 5, 64 * 1024])
def test_every_control_character_is_found_wherever_the_chunks_split(
    character: str, size: int
) -> None:
    data = (PLAIN * 3 + f"O-2,x{character}y\n" + PLAIN).encode()
    # Every offset of the character's bytes against the chunk boundary.
    for shift in range(size if size < 8 else 1):
        assert _scan(b"#" * shift + data, size) is True, (character, size, shift)

"""One module per screen. Each defines `router` (a FastAPI APIRouter) and `SCREEN` (its nav
entry, or None for a screen outside the nav); `discover` finds them all, so adding a screen
touches no other file."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from shared.identity import Role


@dataclass(frozen=True)
class Screen:
    """A screen's entry in the navigation."""

    path: str
    label: str
    order: int  # position in the nav, smallest first
    role: Role = Role.VIEWER  # the least role that sees the entry (the API still decides)


def discover() -> list[ModuleType]:
    """Every screen module of this package, in the nav's order (screens outside it last)."""
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted(modules, key=lambda m: (m.SCREEN is None, m.SCREEN.order if m.SCREEN else 0))

"""Pinned internals: a dependency we lean on must be inside the range we tested with."""
from __future__ import annotations

from importlib.metadata import version


def require_tested(distribution: str, low: tuple[int, int], high: tuple[int, int], user: str, leaned_on: str) -> None:
    """Raise RuntimeError naming what changed if ``distribution`` is outside ``[low, high)`` (major, minor)."""
    found = version(distribution)
    major_minor = tuple(int(p) for p in found.split(".")[:2])
    if not low <= major_minor < high:
        raise RuntimeError(f"{distribution} {found} is outside the range {user} was tested with "
                           f"(>={low[0]}.{low[1]},<{high[0]}.{high[1]}): {leaned_on} may have changed")

"""Reading fields out of provider JSON tolerantly: shapes differ between pages and versions."""

from __future__ import annotations

from typing import Any


def first_str(data: Any, *keys: str) -> str | None:
    """The first of ``keys`` in ``data`` holding a non-empty scalar, as text; else None."""
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value)
    return None

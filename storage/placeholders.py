"""The repositories' SQL in PostgreSQL's parameter style (issue 14).

The repositories write parameters as sqlite3 takes them: ``?`` (positional), ``?N``
(numbered) or ``:name`` (named). PostgreSQL drivers such as asyncpg take ``$N`` only. So
each statement is rewritten once (the result is cached: the repositories use a few hundred
distinct statements) into ``$N`` form, with the order in which the caller's values must be
passed. Quoted text (``'...'`` literals, ``"..."`` identifiers) and ``::`` casts are left as
they are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A quoted literal or identifier (skipped), a cast (skipped), or a parameter.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|\?(\d+)?|(?<![:\w]):([A-Za-z_]\w*)""")


@dataclass(frozen=True)
class Dollar:
    """A statement in ``$N`` style and where each ``$N`` takes its value from: a position
    in the caller's sequence (int) or a name in the caller's mapping (str)."""

    sql: str
    sources: tuple[int | str, ...]

    def values(self, params: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        """The caller's parameters in ``$1, $2, ...`` order."""
        if isinstance(params, Mapping):
            return [params[str(source)] for source in self.sources]
        return [params[int(source)] for source in self.sources]


@functools.lru_cache(maxsize=2048)
def dollar(sql: str) -> Dollar:
    """``sql`` with ``?``, ``?N`` and ``:name`` parameters as ``$N``. A name or number used
    twice is one ``$N``; plain ``?`` and numbered or named ones are not mixed in one
    statement (sqlite3 does not allow it either)."""
    sources: list[int | str] = []
    seen: dict[int | str, int] = {}
    plain = 0
    kinds: set[str] = set()

    def number(source: int | str) -> str:
        if source not in seen:
            sources.append(source)
            seen[source] = len(sources)
        return f"${seen[source]}"

    def replace(match: re.Match[str]) -> str:
        nonlocal plain
        text = match.group(0)
        if text.startswith(("'", '"')) or text == "::":
            return text
        if text.startswith("?"):
            if match.group(1) is not None:
                kinds.add("numbered")
                return number(int(match.group(1)) - 1)
            kinds.add("plain")
            plain += 1
            sources.append(plain - 1)
            return f"${len(sources)}"
        kinds.add("named")
        return number(match.group(2))

    converted = _TOKEN.sub(replace, sql)
    if len(kinds) > 1:
        raise ValueError(f"parameters of more than one style in: {sql}")
    return Dollar(converted, tuple(sources))

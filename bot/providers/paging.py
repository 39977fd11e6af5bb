"""Reading a vendor's list to its end, however it pages: one rule for when a list is done."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

Row = dict[str, Any]
# A row's identity, to tell a new row from one a page repeats.
RowKey = Callable[[Row], str | None]
# One page, by number from 1: its rows, the total the list claims (None if it gives none) and
# the page size a full page has.
Page = tuple[list[Row], int | None, int]


class Listing:
    """``async for rows in Listing(fetch, ...)``: each page's new rows, until the list ends.

    It ends at an empty page, a page with nothing new (a server that ignores the page number
    repeats one page), as many rows as the total it gave, without a total at a short page, or
    after ``max_pages``. ``complete`` then says whether everything was read: False when cut at
    ``max_pages`` or by a repeated page. A caller that has what it wants stops early.
    """

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Page]],
        *,
        key: RowKey,
        max_pages: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._key = key
        self._max_pages = max_pages
        self.complete = False

    async def __aiter__(self) -> AsyncIterator[list[Row]]:
        seen: set[str] = set()
        page = 1
        while self._max_pages is None or page <= self._max_pages:
            rows, total, size = await self._fetch(page)
            new = []
            for row in rows:
                ref = self._key(row) or repr(sorted(row.items()))
                if ref not in seen:
                    seen.add(ref)
                    new.append(row)
            if not new:
                self.complete = not rows
                return
            yield new
            if len(seen) >= total if total is not None else len(rows) < size:
                self.complete = True
                return
            page += 1

    async def rows(self) -> list[Row]:
        """Every row the list holds (up to ``max_pages``)."""
        return [row async for rows in self for row in rows]

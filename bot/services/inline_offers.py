"""What an inline query offered, kept in memory: an inline query comes per keystroke, and
writing a row for each made every keystroke a database write (issue 10).

An offer is (user, prompt) under an id that goes into the results' ids and the card's
buttons. Ids are random in [2**40, 2**48): they do not repeat across restarts (where a
counter would start again and hand an old card's id to someone else's prompt) and stay
clear of the ids of the rows earlier releases stored in ``inline_offers``, which are still
read for old cards. The same person typing the same prompt again gets the same offer.

Losing an offer costs little: a chosen result's feedback carries its query, so the card's
draft is made from that; only a button pressed on a card whose feedback never came, after a
restart or once the offer has aged out, is refused as expired.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FIRST_ID = 2**40  # rows stored by earlier releases count up from 1 and stay below this
ID_SPAN = 2**48 - FIRST_ID  # 15 digits at most: a result id and a callback stay short


def random_offer_id() -> int:
    return FIRST_ID + secrets.randbelow(ID_SPAN)


@dataclass(frozen=True)
class Offer:
    user_id: int
    prompt: str
    at: float  # when it was last offered


class RecentOffers:
    """Offers of the last ``horizon`` seconds, at most ``cap`` (the oldest go first)."""

    def __init__(
        self, horizon: float, cap: int = 10_000, new_id: Callable[[], int] = random_offer_id
    ) -> None:
        self.horizon = horizon
        self.cap = cap
        self._new_id = new_id
        self._offers: OrderedDict[int, Offer] = OrderedDict()  # oldest offered first
        self._ids: dict[tuple[int, str], int] = {}

    def offer(self, user_id: int, prompt: str, now: float) -> int:
        """The id of the offer of ``prompt`` to ``user_id`` (the same one if made before)."""
        offer_id = self._ids.get((user_id, prompt))
        if offer_id is None:
            offer_id = self._new_id()
            while offer_id in self._offers:
                offer_id = self._new_id()
            self._ids[(user_id, prompt)] = offer_id
        self._offers[offer_id] = Offer(user_id, prompt, now)
        self._offers.move_to_end(offer_id)
        self._forget_old(now)
        return offer_id

    def get(self, offer_id: int, now: float) -> tuple[int, str] | None:
        """(user, prompt) of an offer still kept."""
        offer = self._offers.get(offer_id)
        if offer is None or offer.at <= now - self.horizon:
            return None
        return offer.user_id, offer.prompt

    def _forget_old(self, now: float) -> None:
        while self._offers:
            offer_id, oldest = next(iter(self._offers.items()))
            if oldest.at > now - self.horizon and len(self._offers) <= self.cap:
                break
            del self._offers[offer_id]
            self._ids.pop((oldest.user_id, oldest.prompt), None)

    def __len__(self) -> int:
        return len(self._offers)

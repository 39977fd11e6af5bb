"""Inline mode: ``@bot prompt`` offers the person's faces; a chosen one is posted as a card
(a placeholder with an ``inline_message_id``) with one draft behind it.

Only the requester may press a card's buttons. The card's draft may be made by either of two
updates that can arrive together, in either order: the chosen-result feedback and the first
button press; a lock per card makes them agree on one draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.actors import Actor
from bot.services.bounded import KeyedLocks
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.inline_offers import RecentOffers
from bot.services.user_text import normalize_prompt, visible_length
from bot.services.video_drafts import DraftService
from bot.services.video_options import Estimate, estimate, normalize
from bot.services.video_rules import VideoRules
from storage.chats import InlineOfferRepo
from storage.models import Face, VideoJob, VideoSettings
from storage.videos import VideoRepo

MIN_PROMPT = 3  # visible characters: fewer offer nothing (a query comes per keystroke)
PAGE = 50  # the most results one answer may carry
OFFER_KEEP_SECONDS = 48 * 3600.0  # as long as the stored offers of earlier releases


@dataclass(frozen=True)
class InlineChoice:
    face: Face
    photos: int  # its Active photos
    settings: VideoSettings  # as this face's provider would make it

    @property
    def estimate(self) -> Estimate:
        return estimate(self.settings)


@dataclass(frozen=True)
class InlineOffer:
    offer_id: int
    prompt: str
    choices: list[InlineChoice]  # this page of them
    next_offset: int | None  # where the next page starts, if there is one


class InlineVideos:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        offers: InlineOfferRepo,
        rules: VideoRules,
        drafts: DraftService,
        clock: Clock,
    ) -> None:
        self.videos = videos
        self.offers = offers  # read only: the offers earlier releases stored, for old cards
        self.recent = RecentOffers(OFFER_KEEP_SECONDS)
        self.rules = rules
        self.drafts = drafts
        self.clock = clock
        self._locks: KeyedLocks[str] = KeyedLocks()

    async def offer(self, actor: Actor, raw_query: str, offset: int) -> InlineOffer:
        """One page of the person's usable faces for this prompt. Refused with
        NO_USABLE_FACE (nothing to offer yet) or BAD_PROMPT (too short to offer)."""
        # One more than a page: whether there is a next one.
        usable = await self.drafts.usable_faces(actor.owner, limit=PAGE + 1, skip=offset)
        if not usable and offset == 0:
            raise ServiceRefused(Refusal.NO_USABLE_FACE)
        prompt = normalize_prompt(raw_query)
        if visible_length(prompt) < MIN_PROMPT:
            raise ServiceRefused(Refusal.BAD_PROMPT, str(visible_length(prompt)))
        settings = await self.drafts.settings_for(actor.owner)
        offer_id = self.recent.offer(actor.user_id, prompt, self.clock())  # no write
        choices = []
        for usable_face in usable[:PAGE]:
            face = usable_face.face
            models = self.drafts.providers.get(face.provider).capabilities.models
            choices.append(InlineChoice(face, usable_face.photos, normalize(settings, models)))
        more = len(usable) > PAGE
        return InlineOffer(offer_id, prompt, choices, offset + PAGE if more else None)

    async def draft_for(
        self,
        actor: Actor,
        offer_id: int,
        face_id: int,
        inline_message_id: str,
        *,
        query: str | None = None,
    ) -> VideoJob:
        """The draft behind a card, made now if no update made it yet. Someone else's card
        is refused (NOT_YOURS). ``query``: what the chosen-result feedback says the person
        typed (theirs: Telegram sends it to them alone), used when the offer is no longer
        kept; a button press has none, so its card's offer must still be known."""
        async with self._locks[inline_message_id]:
            made = await self.videos.by_inline_message(inline_message_id)
            if made is not None:
                # Its offer may be gone by now (offers are kept two days); a later draft on
                # the same card (Generate again) is the newest.
                if made.user_id != actor.user_id:
                    raise ServiceRefused(Refusal.NOT_YOURS)
                return made
            offer = self.recent.get(offer_id, self.clock()) or await self.offers.get(offer_id)
            if offer is None and query is not None:
                offer = actor.user_id, normalize_prompt(query)
            if offer is None:
                raise ServiceRefused(Refusal.OFFER_EXPIRED)
            user_id, prompt = offer
            if user_id != actor.user_id:
                raise ServiceRefused(Refusal.NOT_YOURS)
            card = await self.drafts.start(
                actor, prompt, face_id=face_id, inline_message_id=inline_message_id
            )
            return card.job

    async def go(self, actor: Actor, offer_id: int, face_id: int, inline_message_id: str) -> int:
        """Generate pressed on a card: the draft to confirm, if it is still a draft."""
        job = await self.draft_for(actor, offer_id, face_id, inline_message_id)
        return (await self.rules.draft(job.id, actor)).id

    async def cancel(
        self, actor: Actor, offer_id: int, face_id: int, inline_message_id: str
    ) -> VideoJob:
        job = await self.draft_for(actor, offer_id, face_id, inline_message_id)
        return await self.drafts.cancel(actor, job.id)

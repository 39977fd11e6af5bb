"""Inline cards at the service level: offers, the one draft behind a card, and its buttons
— Generate, Cancel, and after a failed or cut-off submit Retry / Generate again / Forget it
(HOLE 3) — for the requester only."""

from __future__ import annotations

import asyncio

import pytest

from bot.providers.base import ProviderUnavailable
from bot.services.actors import Actor
from bot.services.errors import Refusal
from bot.services.video_inline import MIN_PROMPT, OFFER_KEEP_SECONDS, PAGE
from bot.services.videos import VideoService
from storage.database import Database
from storage.models import JobStatus
from tests.clock import FakeClock
from tests.services.conftest import ALICE, BOB, Actors, FakeProvider
from tests.services.test_videos_drafts import ALICES, refusal_of
from tests.services.video_fakes import confirm_after_first_read, usable_face

CARD, OTHER_CARD = "AgAAA-card-1", "AgAAA-card-2"
BOB_INLINE = Actor.inline(BOB)


async def card_draft(service: VideoService, actor: Actor, card: str = CARD) -> int:
    offer = await service.inline.offer(actor, "dances in the rain", 0)
    choice = offer.choices[0]
    return (await service.inline.draft_for(actor, offer.offer_id, choice.face.id, card)).id


async def test_offers_need_a_usable_face_and_a_prompt(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    inline = video_service.inline
    assert await refusal_of(inline.offer(actors.inline, "dances", 0)) is Refusal.NO_USABLE_FACE
    await usable_face(db, ALICES)
    short = "x" * (MIN_PROMPT - 1)
    assert await refusal_of(inline.offer(actors.inline, short, 0)) is Refusal.BAD_PROMPT
    offer = await inline.offer(actors.inline, " dances ", 0)
    assert offer.prompt == "dances" and [c.face.name for c in offer.choices] == ["Anna"]
    assert offer.next_offset is None
    # The same prompt typed again reuses its offer.
    assert (await inline.offer(actors.inline, "dances", 0)).offer_id == offer.offer_id


async def test_offers_come_in_pages(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    for i in range(PAGE + 3):
        await usable_face(db, ALICES, name=f"Face {i:02d}")
    first = await video_service.inline.offer(actors.inline, "waves", 0)
    assert len(first.choices) == PAGE and first.next_offset == PAGE
    rest = await video_service.inline.offer(actors.inline, "waves", PAGE)
    assert len(rest.choices) == 3 and rest.next_offset is None


async def test_one_draft_per_card_whichever_update_comes_first(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    face, _ = await usable_face(db, ALICES)
    offer = await video_service.inline.offer(actors.inline, "dances", 0)
    made = await asyncio.gather(
        *(
            video_service.inline.draft_for(actors.inline, offer.offer_id, face.id, CARD)
            for _ in range(5)
        )
    )
    assert len({job.id for job in made}) == 1
    job = made[0]
    assert (job.user_id, job.chat_id, job.inline_message_id) == (ALICE, ALICE, CARD)


async def test_only_the_requester_presses_a_card(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
) -> None:
    face, _ = await usable_face(db, ALICES)
    offer = await video_service.inline.offer(actors.inline, "dances", 0)
    inline = video_service.inline
    # Before the card has a draft: the offer is Alice's.
    assert (
        await refusal_of(inline.go(BOB_INLINE, offer.offer_id, face.id, CARD)) is Refusal.NOT_YOURS
    )
    job_id = await inline.go(actors.inline, offer.offer_id, face.id, CARD)
    # After: the card's draft is Alice's.
    for call in (
        inline.go(BOB_INLINE, offer.offer_id, face.id, CARD),
        inline.cancel(BOB_INLINE, offer.offer_id, face.id, CARD),
        video_service.confirm(BOB_INLINE, job_id),
    ):
        assert await refusal_of(call) is Refusal.NOT_YOURS
    # Nor may she drive it from her private chat: its buttons are on the card.
    assert await refusal_of(video_service.confirm(actors.alice, job_id)) is Refusal.NOT_YOURS
    assert fake_provider.count("submit_video") == 0
    assert (await video_service.confirm(actors.inline, job_id)).status is JobStatus.QUEUED


async def test_an_expired_offer_and_a_cancelled_card(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    face, _ = await usable_face(db, ALICES)
    offer = await video_service.inline.offer(actors.inline, "dances", 0)
    job = await video_service.inline.cancel(actors.inline, offer.offer_id, face.id, CARD)
    assert job.status is JobStatus.CANCELLED
    # Pressed again, the card's draft is decided.
    refused = await refusal_of(
        video_service.inline.go(actors.inline, offer.offer_id, face.id, CARD)
    )
    assert refused is Refusal.JOB_STARTED
    clock.advance(OFFER_KEEP_SECONDS + 1)  # offers are kept in memory this long
    refused = await refusal_of(
        video_service.inline.go(actors.inline, offer.offer_id, face.id, OTHER_CARD)
    )
    assert refused is Refusal.OFFER_EXPIRED


async def test_a_cancel_on_a_card_that_loses_to_its_generate_says_so(
    video_service: VideoService, db: Database, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel and Generate tapped at once (two devices): Generate took the draft first."""
    face, _ = await usable_face(db, ALICES)
    offer = await video_service.inline.offer(actors.inline, "dances", 0)
    job_id = await video_service.inline.go(actors.inline, offer.offer_id, face.id, CARD)
    rules = video_service.rules
    confirm_after_first_read(monkeypatch, video_service, actors.inline)
    refused = await refusal_of(
        video_service.inline.cancel(actors.inline, offer.offer_id, face.id, CARD)
    )
    assert refused is Refusal.JOB_STARTED
    assert (await rules.job(job_id)).status is JobStatus.QUEUED


@pytest.mark.parametrize("decision", ["again", "forget"])
async def test_a_cut_off_submit_on_a_card_is_decided_on_that_card(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    decision: str,
) -> None:
    await usable_face(db, ALICES)
    job_id = await card_draft(video_service, actors.inline)
    fake_provider.fail = ProviderUnavailable("502", status=502)
    assert (await video_service.confirm(actors.inline, job_id)).status is JobStatus.NEEDS_DECISION
    drafts = video_service.drafts
    if decision == "again":
        for actor, card in ((BOB_INLINE, CARD), (actors.inline, OTHER_CARD)):
            refused = await refusal_of(drafts.again(actor, job_id, inline_message_id=card))
            assert refused is Refusal.NOT_YOURS
        again = await drafts.again(actors.inline, job_id, inline_message_id=CARD)
        # The new draft takes over the card: its next press confirms it.
        assert (again.job.inline_message_id, again.job.retry_of) == (CARD, job_id)
        assert again.chosen
        assert (await video_service.inline.draft_for(actors.inline, 1, 1, CARD)).id == again.job.id
        job = await video_service.confirm(actors.inline, again.job.id)
        assert job.status is JobStatus.QUEUED
    else:
        for actor, card in ((BOB_INLINE, CARD), (actors.inline, OTHER_CARD)):
            refused = await refusal_of(drafts.forget(actor, job_id, inline_message_id=card))
            assert refused is Refusal.NOT_YOURS
        job = await drafts.forget(actors.inline, job_id, inline_message_id=CARD)
        assert job.status is JobStatus.CANCELLED


async def test_an_inline_video_is_made_again_from_the_private_chat_too(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    """ "Again with these settings" under the copy in the private chat: a private draft."""
    await usable_face(db, ALICES)
    job_id = await card_draft(video_service, actors.inline)
    await video_service.confirm(actors.inline, job_id)
    again = await video_service.drafts.again(actors.alice, job_id)
    assert (again.job.chat_id, again.job.inline_message_id) == (ALICE, None)
    assert (await video_service.confirm(actors.alice, again.job.id)).status is JobStatus.QUEUED

"""Steps a person takes, written once for the end-to-end tests."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.token360 import Token360Simulator
from tests.fakes.telegram_api import BotMessage, FakeTelegram, FakeUser
from tests.harness import RunningBot, query
from tests.images import image

INVITE = re.compile(r"https://t\.me/\w+\?start=(v-[A-Za-z0-9_-]+)")


async def new_face(
    tg: FakeTelegram, user: FakeUser, name: str = "Anna", timeout: float = 30
) -> BotMessage:
    """/newface NAME; returns the verification card."""
    mark = tg.mark()
    await tg.send_text(user, f"/newface {name}")
    return await tg.next_message(
        user.id, after=mark, contains="Valid for 2 minutes", timeout=timeout
    )


async def opened_invite(
    tg: FakeTelegram, owner: FakeUser, person: FakeUser, name: str = "Bob's face"
) -> tuple[BotMessage, str, BotMessage]:
    """``owner`` makes a face and ``person`` opens its invite: the owner's card, the invite's
    payload and the person's consent screen."""
    card = await new_face(tg, owner, name)
    payload = invite_payload(card)
    await tg.send_text(person, f"/start {payload}")
    intro = await tg.next_message(person.id, contains="asked you to verify")
    return card, payload, intro


async def agreed(tg: FakeTelegram, person: FakeUser, intro: BotMessage) -> BotMessage:
    """``person`` agrees on the consent screen; returns their verification card."""
    mark = tg.mark()
    await tg.press(person, intro, text="I agree")
    return await tg.next_message(person.id, after=mark, contains="Valid for 2 minutes")


def invite_payload(card: BotMessage) -> str:
    match = INVITE.search(card.text)
    assert match, card.text
    return match.group(1)


def group_of(
    sim: Token360Simulator, card: BotMessage, button: str = "Open verification page"
) -> str:
    """The simulator group whose live link the card's button (``button``, as the reader's
    language labels it) opens."""
    url = card.button(button).url
    assert url is not None
    token = url.rstrip("/").rsplit("/", 1)[-1]
    return sim.links[token].group_id


async def verified_face(
    tg: FakeTelegram, sim: Token360Simulator, user: FakeUser, name: str = "Anna"
) -> str:
    """Create a face and have the person pass; returns the provider group id."""
    card = await new_face(tg, user, name)
    group = group_of(sim, card)
    mark = tg.mark()
    sim.pass_verification(group)
    await tg.next_message(user.id, after=mark, contains="is verified")
    return group


async def final_progress(
    tg: FakeTelegram, chat_id: int, after: int, count: int = 1, timeout: float = 30
) -> BotMessage:
    """The upload progress message once every one of its ``count`` lines is final."""

    def done() -> BotMessage | None:
        for m in tg.sent[after:]:
            if m.chat_id == chat_id and "📤" in m.text:
                finals = sum(m.text.count(icon) for icon in ("✅", "❌", "⚠️"))
                if finals >= count:
                    return m
        return None

    return await tg.wait_for(done, timeout=timeout)


TA = re.compile(r"ta_[0-9a-f]{32}")


async def face_with_photos(
    tg: FakeTelegram, sim: Token360Simulator, user: FakeUser, name: str = "Anna", photos: int = 1
) -> list[str]:
    """A verified face with ``photos`` Active photos; returns their ta_ ids."""
    await verified_face(tg, sim, user, name)
    ids = []
    for _ in range(photos):
        mark = tg.mark()
        await tg.send_photo(user, image())
        progress = await final_progress(tg, user.id, mark, timeout=15)
        ids += TA.findall(progress.text)
    return ids


async def confirm_card(tg: FakeTelegram, user: FakeUser, prompt: str) -> BotMessage:
    mark = tg.mark()
    await tg.send_text(user, f"/generate {prompt}")
    return await tg.next_message(user.id, after=mark, contains="Ready to generate")


async def video_message(
    tg: FakeTelegram, chat_id: int, after: int, timeout: float = 30
) -> BotMessage:
    return await tg.wait_for(
        lambda: next(
            (m for m in tg.sent[after:] if m.chat_id == chat_id and m.kind == "video"), None
        ),
        timeout=timeout,
    )


async def handled(tg: FakeTelegram, db_path: Path, timeout: float = 30) -> None:
    """Until the bot has finished handling every update sent to it so far: what those
    updates would make it send, it has sent. A getUpdates confirmed them, and the bot
    confirms an update only once it is handled or kept in its inbox (bot/telegram/updates.py),
    where no kept one is still open."""
    last = tg.last_update_id

    def done() -> bool:
        offsets = (int(c.params.get("offset") or 0) for c in tg.calls_to("getUpdates"))
        if max(offsets, default=0) <= last:
            return False
        rows = query(
            db_path,
            "SELECT COUNT(*) AS n FROM inbox WHERE update_id <= ? AND done_at IS NULL",
            (last,),
        )
        return rows[0]["n"] == 0

    await tg.wait_for(lambda: done() or None, timeout=timeout)


async def rounds(tg: FakeTelegram, bot: RunningBot, count: int = 3, timeout: float = 30) -> None:
    """Until the tracker has finished ``count`` more rounds: an outcome it would still send
    (a duplicate, say) has been sent by then."""
    tracker = bot.services.tracker
    target = tracker.ticks + count
    await tg.wait_for(lambda: tracker.ticks >= target or None, timeout=timeout)

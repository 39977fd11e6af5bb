"""Each person in their own language (issue 12): what they read comes from the catalog of
their Telegram language (English for a code with no catalog), an invited person reads the
consent screen in theirs while the requester reads English, /language overrides Telegram's
setting, a group speaks what its admins chose, and the command menus exist per language.

Expected texts are read from the compiled catalogs with gettext, outside the bot."""

from __future__ import annotations

import gettext
import html
import re
from pathlib import Path

import pytest

from bot.config import Settings
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, group_of, invite_payload
from tests.fakes.telegram_api import BotMessage, FakeTelegram
from tests.harness import RunningBot
from tests.images import image

LOCALE = Path(__file__).resolve().parents[2] / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{\w+\}")


def catalog(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", LOCALE, languages=[language])


def say(language: str, message: str, /, **values: object) -> str:
    """``message`` as the catalog of ``language`` has it, filled in, as a person reads it."""
    text = catalog(language).gettext(message).format(**values)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def fragments(language: str, message: str) -> list[str]:
    """The words of a translated message around its placeholders."""
    text = html.unescape(re.sub(r"<[^>]+>", "", catalog(language).gettext(message)))
    return [part.strip() for part in PLACEHOLDER.split(text) if part.strip()]


async def reads(
    tg: FakeTelegram, chat_id: int, mark: int, language: str, message: str
) -> BotMessage:
    """The message with every word of ``message`` in ``language``, sent after ``mark``."""
    words = fragments(language, message)
    found = await tg.next_message(chat_id, after=mark, contains=words[0])
    await tg.wait_for(lambda: all(w in found.text for w in words), what=f"{language}: {message}")
    return found


WELCOME = "Hi {name}! I turn a real person's face into videos with Seedance 2.0."
NO_FACE = (
    "I don't know whose photos these are yet. Create a face first with "
    "/newface <i>name</i>, then send the photos again."
)
VALID = "⏳ Valid for 2 minutes, until <b>{time}</b>."
VERIFIED = "✅ <b>“{name}”</b> is verified."
ACTIVE = "{icon} Active: <code>{asset_id}</code>"
NOTHING_CHARGED = "Nothing is charged until you tap <b>Generate</b>."


@pytest.mark.parametrize(
    ("code", "language"),
    [("zh-hans", "zh"), ("ru", "ru"), ("es-419", "es"), ("en", "en"), ("xx", "en")],
)
async def test_a_person_reads_the_bot_in_their_language(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, code: str, language: str
) -> None:
    ivan = tg.add_user("Ivan", language_code=code)
    mark = tg.mark()
    await tg.send_text(ivan, "/start")
    welcome = await reads(tg, ivan.id, mark, language, WELCOME)
    assert say(language, WELCOME, name="Ivan") in welcome.text

    mark = tg.mark()
    await tg.send_photo(ivan, image())
    refusal = await reads(tg, ivan.id, mark, language, NO_FACE)
    assert say(language, NO_FACE) in refusal.text

    mark = tg.mark()
    await tg.send_text(ivan, "/newface Anna")
    card = await reads(tg, ivan.id, mark, language, VALID)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card, say(language, "🔗 Open verification page")))
    verified = await reads(tg, ivan.id, mark, language, VERIFIED)
    assert say(language, VERIFIED, name="Anna") in verified.text

    mark = tg.mark()
    await tg.send_photo(ivan, image())
    progress = await final_progress(tg, ivan.id, mark)
    assert all(w in progress.text for w in fragments(language, ACTIVE)), progress.text

    mark = tg.mark()
    await tg.send_text(ivan, "/generate Anna waves")
    confirm = await reads(tg, ivan.id, mark, language, NOTHING_CHARGED)
    assert say(language, NOTHING_CHARGED) in confirm.text
    if language != "en":
        assert say("en", NOTHING_CHARGED) not in confirm.text


async def test_the_invited_person_reads_the_consent_screen_in_theirs(
    bot: RunningBot, tg: FakeTelegram
) -> None:
    alice = tg.add_user("Alice", language_code="en")
    li = tg.add_user("Li", language_code="zh")
    mark = tg.mark()
    await tg.send_text(alice, "/newface Li")
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
    mark = tg.mark()
    await tg.send_text(li, f"/start {invite_payload(card)}")
    intro = await tg.next_message(li.id, after=mark, contains="Seedance 2.0")
    assert say("zh", "<b>What you agree to</b>") in intro.text
    assert "What you agree to" not in intro.text
    agreed = tg.mark()
    await tg.press(li, intro, text=say("zh", "✅ I agree — I'm ready now"))
    await reads(tg, li.id, agreed, "zh", VALID)  # the person's link, in Chinese
    told = await tg.next_message(alice.id, after=agreed, contains="opened your invite")
    assert "Li" in told.text  # the requester hears it in English


async def test_language_overrides_telegrams_and_a_group_speaks_its_admins_choice(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    olga = tg.add_user("Olga", language_code="en")
    mark = tg.mark()
    await tg.send_text(olga, "/newface Anna")
    card = await reads(tg, olga.id, mark, "en", VALID)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    await reads(tg, olga.id, mark, "en", VERIFIED)  # news from the background, in English
    mark = tg.mark()
    await tg.send_text(olga, "/language")
    menu = await tg.next_message(olga.id, after=mark, contains="Which language")
    await tg.press(olga, menu, text="Русский")
    await tg.wait_for(lambda: "Русский" in menu.text, what="the choice, said in Russian")
    mark = tg.mark()
    await tg.send_text(olga, "/start")
    await reads(tg, olga.id, mark, "ru", WELCOME)
    mark = tg.mark()
    await tg.send_photo(olga, image())  # its progress comes from the background: Russian now
    progress = await final_progress(tg, olga.id, mark)
    assert all(w in progress.text for w in fragments("ru", ACTIVE)), progress.text

    ann, max_ = tg.add_user("Ann", language_code="en"), tg.add_user("Max", language_code="es")
    group = tg.add_group("Club", members=[max_], admins=[ann])
    mark = tg.mark()
    await tg.send_text(max_, "/language es", chat_id=group.id)  # a member may not
    await reads(tg, group.id, mark, "en", "Only this group's admins can do that.")
    mark = tg.mark()
    await tg.send_text(ann, "/language es", chat_id=group.id)
    await tg.next_message(group.id, after=mark, contains="Español")
    mark = tg.mark()
    await tg.send_text(max_, "/help", chat_id=group.id)  # Max's own Telegram is Spanish too
    await reads(tg, group.id, mark, "es", "<b>realface-bot in this group</b>")
    mark = tg.mark()
    await tg.send_text(ann, "/help", chat_id=group.id)  # and Ann's English: the group's wins
    await reads(tg, group.id, mark, "es", "<b>realface-bot in this group</b>")


async def test_command_menus_and_descriptions_exist_per_language(
    bot: RunningBot, tg: FakeTelegram
) -> None:
    await tg.wait_for(lambda: tg.description("zh", short=True), what="the menus, set last")
    english = [c["description"] for c in tg.commands("all_private_chats")]
    assert "language" in [c["command"] for c in tg.commands("all_private_chats")]
    for language in ("zh", "ru", "es"):
        for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators"):
            menu = tg.commands(scope, language_code=language)
            assert menu, (language, scope)
        private = tg.commands("all_private_chats", language_code=language)
        assert [c["command"] for c in private] == [
            c["command"] for c in tg.commands("all_private_chats")
        ]
        assert [c["description"] for c in private] != english
        assert tg.description(language) and tg.description(language, short=True)

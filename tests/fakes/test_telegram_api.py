"""The fake Bot API against a real python-telegram-bot 22.8 Application, over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputMediaVideo,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import (
    GET_FILE_LIMIT,
    FakeTelegram,
    FakeUser,
    HtmlParseError,
    parse_html,
)

Context = ContextTypes.DEFAULT_TYPE
# PTB strips "Bad Request: " from a description and str.capitalize()s the rest
# ("Bad Request: BUTTON_DATA_INVALID" -> "Button_data_invalid"), hence the (?i) matches below.


def png(width: int = 320, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4(width: int = 640, height: int = 360, seconds: int = 5) -> bytes:
    """Just enough of an MP4 (ftyp, moov/mvhd, trak/tkhd, mdat) for the fake's probe."""
    mvhd = _box(b"mvhd", bytes(12) + struct.pack(">II", 1000, seconds * 1000) + bytes(80))
    tkhd = _box(b"tkhd", bytes(76) + struct.pack(">II", width << 16, height << 16))
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    return _box(b"ftyp", b"isom" + bytes(4)) + moov + _box(b"mdat", bytes(256))


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta periods: without it RetryAfter.__init__ and Video.duration emit
    PTBDeprecationWarning, which filterwarnings=error turns into a crash inside the request."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.add_user("Alice", username="alice")


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


@asynccontextmanager
async def running_app(
    fake: FakeTelegram, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .get_updates_read_timeout(2)
        .get_updates_connect_timeout(2)
        .get_updates_pool_timeout(2)
        .get_updates_connection_pool_size(2)
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ------------------------------------------------------------------ handlers of the test bot

GO_ON = InlineKeyboardMarkup([[InlineKeyboardButton("Go on", callback_data="go")]])


async def cmd_start(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        "<b>Hello</b>, &lt;friend&gt;!", reply_markup=GO_ON, do_quote=True
    )


async def cb_go(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Going", show_alert=True)
    await query.edit_message_text("<i>Went</i>", parse_mode=ParseMode.HTML)


async def on_edit(update: Update, context: Context) -> None:
    assert update.edited_message is not None
    await update.edited_message.reply_text(f"edited: {update.edited_message.text}")


async def on_photo(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None
    file = await message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    context.bot_data["downloaded"] = bytes(data)
    await message.reply_text(f"got {len(data)} bytes")


# ------------------------------------------------------------------ a real Application


async def test_start_button_callback_and_edit(fake: FakeTelegram, alice: FakeUser) -> None:
    async with running_app(
        fake,
        CommandHandler("start", cmd_start, filters=filters.UpdateType.MESSAGE),
        CallbackQueryHandler(cb_go, pattern="^go$"),
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit),
    ):
        incoming = await fake.send_text(alice, "/start")
        assert incoming["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        hello = await fake.next_message(alice.private_chat_id)
        assert hello.text == "Hello, <friend>!"
        assert hello.html == "<b>Hello</b>, &lt;friend&gt;!"
        assert hello.entities == [{"type": "bold", "offset": 0, "length": 5}]
        assert hello.reply_to_message is not None
        assert hello.reply_to_message["message_id"] == incoming["message_id"]
        assert hello.message_id == incoming["message_id"] + 1
        assert hello.button("Go").callback_data == "go"

        query_id = await fake.press(alice, hello, text="Go on")
        assert await fake.wait_answer(query_id) == {"text": "Going", "show_alert": True}
        await fake.wait_for(lambda: hello.edits == 1)
        assert hello.text == "Went"
        assert hello.history == ["Hello, <friend>!"]
        assert hello.reply_markup is None  # an edit without reply_markup drops the keyboard
        with pytest.raises(AssertionError, match="no inline button"):
            await fake.press(alice, hello, text="Go on")

        mark = fake.mark()
        await fake.send_text(alice, "/start@realface_test_bot")
        again = await fake.next_message(alice.id, after=mark, contains="Hello")
        assert again.index == mark

        mark = fake.mark()
        await fake.edit_text(alice, incoming, "/start edited")
        edited = await fake.next_message(alice.id, after=mark)
        assert edited.text == "edited: /start edited"  # CommandHandler ignored the edit
        await fake.wait_idle()
    assert not fake.failed_calls()


async def test_photo_handler_downloads_the_sent_bytes(fake: FakeTelegram, alice: FakeUser) -> None:
    image = png(640, 480)
    async with running_app(fake, MessageHandler(filters.PHOTO, on_photo)) as app:
        incoming = await fake.send_photo(alice, image, caption="me")
        thumb, full = incoming["photo"]
        assert (full["width"], full["height"]) == (640, 480)
        assert max(thumb["width"], thumb["height"]) <= 90
        reply = await fake.next_message(alice.id, contains="bytes")
        assert reply.text == f"got {len(image)} bytes"
        assert app.bot_data["downloaded"] == image
    assert [call.method for call in fake.calls if call.method == "getFile"] == ["getFile"]


# ------------------------------------------------------------------ the Bot API surface


async def test_send_photo_bytes_round_trip(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    await fake.send_text(alice, "/start")
    image = png(1000, 500)
    message = await bot.send_photo(alice.id, image, caption="<b>Look</b>", parse_mode="HTML")
    assert message.caption == "Look"
    assert [(p.width, p.height) for p in message.photo][-1] == (1000, 500)
    assert max(message.photo[0].width, message.photo[0].height) <= 90
    sent = fake.sent[-1]
    assert (sent.kind, sent.text, sent.file_bytes) == ("photo", "Look", image)
    assert sent.file_id == message.photo[-1].file_id

    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_size == len(image)
    assert bytes(await file.download_as_bytearray()) == image

    again = await bot.send_photo(alice.id, message.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == message.photo[-1].file_unique_id
    assert fake.sent[-1].file_bytes == image

    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        doc = await bot.send_document(alice.id, b"%PDF-1.4", filename="a.pdf")
        await bot.send_photo(alice.id, doc.document.file_id)  # type: ignore[union-attr]


async def test_video_media_group_and_edit_media(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    await fake.send_text(alice, "/start")
    clip = mp4(640, 360, 5)
    video = await bot.send_video(alice.id, clip, supports_streaming=True, caption="clip")
    assert video.video is not None
    assert (video.video.width, video.video.height) == (640, 360)
    assert video.video.duration == dt.timedelta(seconds=5)
    stored = fake.sent[-1]
    assert stored.kind == "video" and stored.params["supports_streaming"] is True
    assert stored.file_bytes == clip

    album = await bot.send_media_group(
        alice.id, [InputMediaPhoto(png(), caption="one"), InputMediaPhoto(png(50, 60))]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert [m.text for m in fake.messages(alice.id)[-2:]] == ["one", ""]

    photo_message = fake.sent[-1]
    await bot.edit_message_media(
        InputMediaVideo(video.video.file_id, caption="now a video"),
        chat_id=alice.id,
        message_id=photo_message.message_id,
    )
    assert (photo_message.kind, photo_message.text) == ("video", "now a video")
    assert photo_message.file_bytes == clip and photo_message.edits == 1
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_media(
            InputMediaVideo(video.video.file_id, caption="now a video"),
            chat_id=alice.id,
            message_id=photo_message.message_id,
        )


async def test_bad_html_is_refused_like_telegram(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    await fake.send_text(alice, "/start")
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "br" at byte offset 1'):
        await bot.send_message(alice.id, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Can't find end tag"):
        await bot.send_message(alice.id, "<b>open", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r'(?i)Character "&" at byte offset 4'):
        await bot.send_message(alice.id, "Tom & Jerry", parse_mode=ParseMode.HTML)
    fake.strict_html = False
    relaxed = await bot.send_message(alice.id, "Tom & Jerry", parse_mode=ParseMode.HTML)
    assert relaxed.text == "Tom & Jerry"
    assert fake.failed_calls()[0].error == (
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1'
    )


@pytest.mark.parametrize(
    ("html", "plain", "types"),
    [
        ("<b>bold</b> <i>it</i>", "bold it", ["bold", "italic"]),
        ("<a href='https://t.me/x?a=1&amp;b=2'>link</a>", "link", ["text_link"]),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st", ["spoiler"] * 2),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", ["pre"]),
        ("<blockquote expandable>q</blockquote>", "q", ["expandable_blockquote"]),
        ("&lt;tag&gt; &amp; &quot;&#33;", '<tag> & "!', []),
        ("🏟 <b>🏟</b>", "🏟 🏟", ["bold"]),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.   >a</i>", "🏟 🏟<a", ["italic"]),
        ("🏟 🏟&lt;<i>🏟 🏟&lt;</>", "🏟 🏟<🏟 🏟<", ["italic"]),
        ("<pre><code>x</code></pre>", "x", ["pre", "code"]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
    ],
)
def test_parse_html_accepts(html: str, plain: str, types: list[str]) -> None:
    text, entities = parse_html(html)
    assert text == plain
    assert sorted(entity["type"] for entity in entities) == sorted(types)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        # tdlib's own test cases (td/test/message_entities.cpp)
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (
            "🏟 🏟&lt;<i    aba>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
        ),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ],
)
def test_parse_html_refuses(html: str, error: str) -> None:
    with pytest.raises(HtmlParseError, match=re.escape(error)):
        parse_html(html)


def test_parse_html_offsets_are_utf16_and_text_is_unescaped() -> None:
    text, entities = parse_html("🏟 <b>x &amp; y</b>", strict_ampersand=True)
    assert text == "🏟 x & y"
    assert entities == [{"type": "bold", "offset": 3, "length": 5}]
    assert parse_html("Tom & Jerry &laquo;", strict_ampersand=False)[0] == "Tom & Jerry &laquo;"


async def test_limits_and_keyboards(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    await fake.send_text(alice, "/start")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    tagged = await bot.send_message(alice.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(tagged.text or "") == 4096  # the limit counts text after entity parsing
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(alice.id, png(), caption="c" * 1025)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "hi", reply_markup=too_long)
    raw = {"inline_keyboard": [[{"text": "t"}]]}  # PTB itself would let this through as well
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot.send_message(alice.id, "hi", reply_markup=raw)  # type: ignore[arg-type]
    both = {"inline_keyboard": [[{"text": "t", "url": "https://x.y", "callback_data": "d"}]]}
    with pytest.raises(BadRequest, match=r"(?i)exactly one of the optional fields"):
        await bot.send_message(alice.id, "hi", reply_markup=both)  # type: ignore[arg-type]


async def test_edit_and_delete_errors(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    await fake.send_text(alice, "/start")
    sent = await bot.send_message(alice.id, "<b>Same</b>", parse_mode="HTML", reply_markup=GO_ON)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message"):
        await sent.edit_text("<b>Same</b>", parse_mode="HTML", reply_markup=GO_ON)
    edited = await sent.edit_text("<b>Same</b>", parse_mode="HTML")  # drops the keyboard
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert fake.sent[-1].edits == 1
    with pytest.raises(BadRequest, match=r"(?i)there is no caption in the message to edit"):
        await sent.edit_caption("caption")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)
    assert await sent.delete()
    assert fake.sent[-1].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await sent.delete()
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await sent.edit_text("gone")


async def test_get_file_refuses_over_20_mb(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    limit = await fake.send_document(alice, bytes(GET_FILE_LIMIT), file_name="ok.bin")
    big = await fake.send_document(alice, bytes(GET_FILE_LIMIT + 1), file_name="big.bin")
    assert (await bot.get_file(limit["document"]["file_id"])).file_size == GET_FILE_LIMIT
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["document"]["file_id"])
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_users_must_start_the_bot_and_can_block_it(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(alice.id, "hi")
    await fake.send_text(alice, "/start")
    await bot.send_message(alice.id, "hi")
    await fake.block_bot(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "hi")


async def test_fault_injection(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    await fake.send_text(alice, "/start")
    fake.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(alice.id, "hi")
    assert flood.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(alice.id, "hi")  # only once
    fake.fail_next("sendChatAction", error_code=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_chat_action(alice.id, "typing")
    assert [call.error for call in fake.failed_calls()] == [
        "Too Many Requests: retry after 3",
        "Bad Gateway",
    ]


async def test_commands_are_stored_per_scope(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("admin", "Admin tools")], scope=BotCommandScopeChat(alice.id)
    )
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    assert [c["command"] for c in fake.commands()] == ["start", "help"]
    assert fake.commands("chat", chat_id=alice.id) == [
        {"command": "admin", "description": "Admin tools"}
    ]
    assert fake.commands(language_code="ru")[0]["description"] == "Начать"
    got = await bot.get_my_commands(scope=BotCommandScopeChat(alice.id))
    assert [c.command for c in got] == ["admin"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(alice.id))
    assert fake.commands("chat", chat_id=alice.id) == []
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_descriptions_are_stored_per_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_description(description="Makes videos.")
    await bot.set_my_description(description="Делает видео.", language_code="ru")
    await bot.set_my_short_description(short_description="Videos")
    assert fake.description() == "Makes videos."
    assert fake.description("ru") == "Делает видео."
    assert fake.description(short=True) == "Videos"
    assert (await bot.get_my_description(language_code="ru")).description == "Делает видео."
    assert (await bot.get_my_short_description()).short_description == "Videos"
    await bot.set_my_description(description="", language_code="ru")  # removes it
    assert fake.description("ru") == ""
    with pytest.raises(BadRequest, match="at most 120"):
        await bot.set_my_short_description(short_description="x" * 121)


async def test_http_surface(fake: FakeTelegram, alice: FakeUser) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.base_url}wrong:token/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{fake.base_url}{fake.token}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        url = f"{fake.base_url}{fake.token}/pinChatMessage"
        async with http.post(url, json={"chat_id": alice.id, "message_id": 1}) as response:
            assert await response.json() == {"ok": True, "result": True}
        assert fake.calls[-1].params == {"chat_id": alice.id, "message_id": 1}
        url = f"{fake.base_url}{fake.token}/getMe?x=1"
        async with http.get(url) as response:
            assert (await response.json())["result"]["username"] == fake.bot_username


async def test_get_updates_long_poll(fake: FakeTelegram, alice: FakeUser) -> None:
    url = f"{fake.base_url}{fake.token}/getUpdates"
    async with aiohttp.ClientSession() as http:

        async def poll(**params: Any) -> dict[str, Any]:
            async with http.post(url, data={k: str(v) for k, v in params.items()}) as response:
                body: dict[str, Any] = await response.json()
                return body

        # A client that gives up mid-poll loses nothing.
        abandoned = asyncio.create_task(poll(timeout=5))
        await asyncio.sleep(0.1)
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned

        # A waiting poll returns as soon as an update is queued.
        started = time.monotonic()
        waiting = asyncio.create_task(poll(timeout=5))
        await asyncio.sleep(0.1)
        await fake.send_text(alice, "one")
        first = await waiting
        assert time.monotonic() - started < 2
        [update] = first["result"]
        assert update["message"]["text"] == "one"

        # Not confirmed yet: delivered again; confirmed by offset: gone.
        await fake.send_text(alice, "two")
        again = await poll(timeout=0, limit=1)
        assert [u["update_id"] for u in again["result"]] == [update["update_id"]]
        rest = await poll(offset=update["update_id"] + 1, timeout=0)
        assert [u["message"]["text"] for u in rest["result"]] == ["two"]
        assert (await poll(offset=rest["result"][0]["update_id"] + 1, timeout=0.2))["result"] == []

        # Updates the bot did not ask for are dropped.
        await fake.send_text(alice, "three")
        empty = await poll(timeout=0, allowed_updates='["callback_query"]')
        assert empty["result"] == []

        # A second poller terminates the first one, like Telegram does.
        older = asyncio.create_task(poll(timeout=3))
        await asyncio.sleep(0.1)
        newer = await poll(timeout=0.1)
        assert newer["result"] == []
        assert (await older)["error_code"] == 409


async def test_groups_privacy_and_anonymous_admins(fake: FakeTelegram, alice: FakeUser) -> None:
    bob = fake.add_user("Bob")
    stranger = fake.add_user("Eve")
    group = fake.add_group("Team", members=[bob], admins=[alice])
    seen: list[Message] = []

    async def record(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        seen.append(update.effective_message)

    async with running_app(fake, MessageHandler(filters.ALL, record)) as app:
        await fake.send_text(bob, "just chatting", chat_id=group.id)  # privacy mode hides it
        await fake.send_text(alice, "/status", chat_id=group.id, as_anonymous_admin=True)
        await fake.send_text(alice, "look", forward_from=bob)
        await fake.wait_for(lambda: len(seen) == 2)
        status, forwarded = seen
        assert status.text == "/status"
        assert status.from_user is not None and status.from_user.id == 1087968824
        assert status.sender_chat is not None and status.sender_chat.id == group.id
        assert forwarded.forward_origin is not None
        assert forwarded.forward_origin.sender_user.id == bob.id  # type: ignore[attr-defined]

        member = app.bot.get_chat_member
        assert (await member(group.id, alice.id)).status == "administrator"
        assert (await member(group.id, bob.id)).status == "member"
        assert (await member(group.id, stranger.id)).status == "left"
        admins = await app.bot.get_chat_administrators(group.id)
        assert [a.user.id for a in admins] == [alice.id]
        chat = await app.bot.get_chat(group.id)
        assert (chat.type, chat.title) == ("group", "Team")
        with pytest.raises(ValueError, match="not an admin"):
            await fake.send_text(bob, "/x", chat_id=group.id, as_anonymous_admin=True)


async def test_inline_result_edited_into_a_video(fake: FakeTelegram, alice: FakeUser) -> None:
    clip = mp4()
    waiting = InlineKeyboardMarkup([[InlineKeyboardButton("Wait", callback_data="wait")]])

    async def on_inline(update: Update, context: Context) -> None:
        assert update.inline_query is not None
        article = InlineQueryResultArticle(
            id="r1",
            title="Make a video",
            input_message_content=InputTextMessageContent("<b>Rendering…</b>", parse_mode="HTML"),
            reply_markup=waiting,
        )
        await update.inline_query.answer([article], cache_time=0, is_personal=True)

    async def on_chosen(update: Update, context: Context) -> None:
        chosen = update.chosen_inline_result
        assert chosen is not None and chosen.inline_message_id is not None
        stored = await context.bot.send_video(chosen.from_user.id, clip)
        assert stored.video is not None
        await context.bot.edit_message_media(
            InputMediaVideo(stored.video.file_id, caption="Done"),
            inline_message_id=chosen.inline_message_id,
        )

    async with running_app(
        fake, InlineQueryHandler(on_inline), ChosenInlineResultHandler(on_chosen)
    ):
        await fake.send_text(alice, "/start")
        query_id = await fake.inline_query(alice, "cat")
        answer = await fake.wait_inline_answer(query_id)
        assert [r["id"] for r in answer["results"]] == ["r1"] and answer["is_personal"]
        posted = await fake.post_inline_result(alice, query_id, "r1")
        assert (posted.text, posted.inline_message_id is not None) == ("Rendering…", True)
        await fake.wait_for(lambda: posted.kind == "video")
        assert (posted.text, posted.file_bytes, posted.history) == ("Done", clip, ["Rendering…"])
        assert posted.reply_markup is None
        await fake.wait_idle()
    assert not fake.failed_calls()


async def test_wait_for_times_out_with_a_dump(fake: FakeTelegram, alice: FakeUser) -> None:
    with pytest.raises(AssertionError, match="waiting for a message in chat"):
        await fake.next_message(alice.id, timeout=0.1)
    with pytest.raises(ValueError, match="Pillow"):
        await fake.send_photo(alice, b"not an image")


async def test_copy_forward_and_other_sends(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    image = png()
    incoming = await fake.send_photo(alice, image, caption="mine")
    copied = await bot.copy_message(
        alice.id, alice.id, incoming["message_id"], caption="<b>copy</b>", parse_mode="HTML"
    )
    copy = fake.sent[-1]
    assert (copy.message_id, copy.kind, copy.text) == (copied.message_id, "photo", "copy")
    assert copy.file_bytes == image
    forwarded = await bot.forward_message(alice.id, alice.id, incoming["message_id"])
    assert forwarded.caption == "mine"
    assert forwarded.forward_origin.sender_user.id == alice.id  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"(?i)message to forward not found"):
        await bot.forward_message(alice.id, alice.id, 999)

    await bot.send_location(alice.id, 52.5, 13.4)
    assert (fake.sent[-1].kind, fake.sent[-1].params["latitude"]) == ("location", 52.5)
    sticker = await fake.send_sticker(alice)
    again = await bot.send_sticker(alice.id, sticker["sticker"]["file_id"])
    assert again.sticker is not None and again.sticker.width == 512
    assert fake.sent[-1].file_bytes == fake.file_bytes(sticker["sticker"]["file_id"])

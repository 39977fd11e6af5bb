"""The Bot API retry layer: what each failure means, and a real ExtBot against the fake."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image
from telegram import InputFile, InputMediaPhoto
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

import bot  # noqa: F401  (sets PTB_TIMEDELTA before PTB builds a RetryAfter)
from bot.telegram.handlers.uploads import telegram_fetcher
from bot.telegram.retry import (
    UNLIMITED,
    Outcome,
    OutcomeUnknown,
    RetryingRateLimiter,
    RetryPolicy,
    TelegramRetry,
    classify,
    classify_streamed,
    repeats_after_unknown,
    unknown_outcome,
)
from sandbox.media import sample_mp4
from tests.fakes.telegram_api import FILE_DOWNLOAD, FakeTelegram, FakeUser, Fault

FAST = RetryPolicy(base_seconds=0.02, max_delay_seconds=0.1, deadline_seconds=5.0)


def caused(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


REQUEST = httpx.Request("POST", "http://127.0.0.1/bot/sendMessage")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (RetryAfter(3), Outcome.NOT_DONE),
        (NetworkError("Bad Gateway"), Outcome.NOT_DONE),
        (NetworkError("Internal Server Error: restart"), Outcome.NOT_DONE),
        (
            NetworkError("Gateway Timeout (504). Parsing the server response failed"),
            Outcome.NOT_DONE,
        ),
        (caused(TimedOut(), httpx.PoolTimeout("pool")), Outcome.NOT_DONE),
        (caused(TimedOut(), httpx.ConnectTimeout("connect")), Outcome.NOT_DONE),
        (caused(TimedOut(), httpx.WriteTimeout("write")), Outcome.NOT_DONE),
        (
            caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")),
            Outcome.NOT_DONE,
        ),
        (caused(NetworkError("httpx.WriteError"), httpx.WriteError("pipe")), Outcome.NOT_DONE),
        (caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)), Outcome.UNKNOWN),
        (caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset")), Outcome.UNKNOWN),
        (
            caused(NetworkError("x"), httpx.RemoteProtocolError("Server disconnected")),
            Outcome.UNKNOWN,
        ),
        (TimedOut(), Outcome.UNKNOWN),
        (BadRequest("Message is not modified"), None),
        (Forbidden("Forbidden: bot was blocked by the user"), None),
        (NetworkError("Request Entity Too Large"), None),
        (caused(NetworkError("x"), httpx.UnsupportedProtocol("ftp")), None),
    ],
)
def test_classify(error: Exception, outcome: Outcome | None) -> None:
    assert classify(error) is outcome


def unreadable() -> TelegramError:
    """PTB's error for a 2xx answer that is not JSON."""
    try:
        json.loads("<html>")
    except ValueError as bad:
        return caused(TelegramError("Invalid server response"), bad)
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (RetryAfter(3), Outcome.NOT_DONE),
        (
            caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")),
            Outcome.NOT_DONE,
        ),
        (caused(TimedOut(), httpx.ConnectTimeout("connect")), Outcome.NOT_DONE),
        (caused(TimedOut(), httpx.PoolTimeout("pool")), Outcome.NOT_DONE),
        (NetworkError("Bad Gateway"), Outcome.UNKNOWN),
        (
            NetworkError("Gateway Timeout (504). Parsing the server response failed"),
            Outcome.UNKNOWN,
        ),
        (unreadable(), Outcome.UNKNOWN),
        (caused(TimedOut(), httpx.WriteTimeout("write")), Outcome.UNKNOWN),
        (caused(NetworkError("httpx.WriteError"), httpx.WriteError("pipe")), Outcome.UNKNOWN),
        (caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)), Outcome.UNKNOWN),
        (TimedOut(), Outcome.UNKNOWN),
        (BadRequest("Bad Request: wrong file"), None),
        (Forbidden("Forbidden: bot was blocked by the user"), None),
        (NetworkError("Request Entity Too Large"), None),
        (TelegramError("Invalid server response"), None),  # no failed parse behind it
    ],
)
def test_classify_streamed(error: Exception, outcome: Outcome | None) -> None:
    """A streamed upload is sent again only when none of it can have been taken."""
    assert classify_streamed(error) is outcome


def test_an_unknown_outcome_is_raised_as_one() -> None:
    """Callers classify what they get: a 502 ending a streamed upload must read as unknown."""
    bad_gateway = NetworkError("Bad Gateway")
    unknown = unknown_outcome(bad_gateway)
    assert isinstance(unknown, OutcomeUnknown)
    assert classify(unknown) is Outcome.UNKNOWN and "Bad Gateway" in unknown.message
    lost = caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST))
    assert unknown_outcome(lost) is lost


def test_which_methods_are_sent_again_after_an_unknown_outcome() -> None:
    for method in ("editMessageText", "answerCallbackQuery", "sendChatAction", "getFile"):
        assert repeats_after_unknown(method) == UNLIMITED
    for method in ("sendMessage", "sendPhoto", "sendVideo", "copyMessage"):
        assert repeats_after_unknown(method) == 1
    for method in ("sendMediaGroup", "forwardMessage", "sendPoll"):
        assert repeats_after_unknown(method) == 0


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(base_seconds=1, max_delay_seconds=4)
    assert [policy.delay(n, 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 2, 2]
    assert [policy.delay(n, 0.999) for n in (1, 3)] == pytest.approx([1, 4], abs=0.01)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def alice(fake: FakeTelegram) -> FakeUser:
    user = fake.add_user("Alice")
    await fake.send_text(user, "/start")
    return user


def make_bot(fake: FakeTelegram, policy: RetryPolicy = FAST) -> ExtBot[int]:
    return ExtBot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(read_timeout=0.5, connection_pool_size=4),
        rate_limiter=RetryingRateLimiter(TelegramRetry(policy), group_max_rate=1000),
    )


@pytest.fixture
async def tbot(fake: FakeTelegram) -> AsyncIterator[ExtBot[int]]:
    async with make_bot(fake) as extbot:
        yield extbot


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text for m in fake.messages(chat_id)]


async def test_server_errors_are_retried(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    fake.inject(Fault("sendMessage", status=502, times=2), Fault("sendMessage", status=500))
    await tbot.send_message(alice.id, "hello")
    assert texts(fake, alice.id) == ["hello"]
    assert len(fake.calls_to("sendMessage")) == 4


async def test_a_flood_wait_is_honoured(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    fake.inject(Fault("sendMessage", status=429, retry_after=1))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await tbot.send_message(alice.id, "after the wait")
    assert loop.time() - started >= 1.0
    assert texts(fake, alice.id) == ["after the wait"]


async def test_a_request_that_timed_out_unprocessed_arrives_once(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    fake.inject(Fault("sendMessage", kind="timeout"), Fault("sendMessage", status=502))
    await tbot.send_message(alice.id, "card")
    assert texts(fake, alice.id) == ["card"]
    assert len(fake.calls_to("sendMessage")) == 3


async def test_a_lost_answer_sends_a_message_at_most_twice(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    fake.inject(Fault("sendMessage", kind="timeout", processed=True))
    await tbot.send_message(alice.id, "card")
    assert texts(fake, alice.id) == ["card", "card"]  # the documented duplicate
    fake.inject(Fault("sendMessage", kind="timeout", processed=True, times=2))
    with pytest.raises(TimedOut):
        await tbot.send_message(alice.id, "again")
    assert texts(fake, alice.id) == ["card", "card", "again", "again"]


async def test_what_may_not_be_repeated_is_not(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (32, 32)).save(photo, format="PNG")
    fake.inject(Fault("sendMediaGroup", kind="timeout", processed=True))
    with pytest.raises(TimedOut):
        await tbot.send_media_group(
            alice.id, [InputMediaPhoto(photo.getvalue()), InputMediaPhoto(photo.getvalue())]
        )
    assert len(fake.calls_to("sendMediaGroup")) == 1
    assert len(fake.messages(alice.id)) == 2  # one album, not two


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "video.mp4"
    path.write_bytes(sample_mp4())
    return path


def videos_in(fake: FakeTelegram, chat_id: int) -> list[bytes | None]:
    return [m.file_bytes for m in fake.messages(chat_id) if m.kind == "video"]


async def test_a_streamed_video_is_sent_whole_again_after_a_flood_wait(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int], video: Path
) -> None:
    """A 429 comes before Telegram takes the upload: the retry starts the file again."""
    fake.inject(Fault("sendVideo", status=429, retry_after=1))
    with video.open("rb") as handle:
        await tbot.send_video(alice.id, InputFile(handle, read_file_handle=False))
    assert videos_in(fake, alice.id) == [sample_mp4()]
    assert len(fake.calls_to("sendVideo")) == 2


@pytest.mark.parametrize("html", [False, True], ids=["json", "html page"])
async def test_a_streamed_video_answered_502_after_its_whole_body_is_not_sent_again(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int], video: Path, html: bool
) -> None:
    """Telegram's front may answer 502 while the upload is carried out behind it: a second
    45 MB copy is worse than a link, so the caller is told the outcome is unknown."""
    fake.inject(Fault("sendVideo", status=502, html=html))
    with video.open("rb") as handle, pytest.raises(NetworkError) as raised:
        await tbot.send_video(alice.id, InputFile(handle, read_file_handle=False))
    assert classify(raised.value) is Outcome.UNKNOWN
    (call,) = fake.calls_to("sendVideo")
    assert call.fault == "502" and call.files["video"].data == sample_mp4()
    # What is not streamed keeps its rules: bytes in memory are sent again after a 502.
    fake.inject(Fault("sendVideo", status=502))
    await tbot.send_video(alice.id, sample_mp4())
    assert videos_in(fake, alice.id) == [sample_mp4()]
    assert len(fake.calls_to("sendVideo")) == 3


async def test_a_streamed_video_whose_answer_was_lost_is_not_sent_again(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int], video: Path
) -> None:
    fake.inject(Fault("sendVideo", kind="timeout", processed=True))
    with video.open("rb") as handle, pytest.raises(TimedOut) as raised:
        await tbot.send_video(alice.id, InputFile(handle, read_file_handle=False))
    assert classify(raised.value) is Outcome.UNKNOWN
    assert len(fake.calls_to("sendVideo")) == 1
    assert videos_in(fake, alice.id) == [sample_mp4()]  # one copy, not two


async def test_a_streamed_video_whose_answer_is_unreadable_is_not_sent_again(
    alice: FakeUser, video: Path
) -> None:
    """A 200 whose body is not JSON: the upload went out whole and may have been taken."""
    bodies: list[int] = []

    async def garbled(request: web.Request) -> web.Response:
        bodies.append(len(await request.read()))
        return web.Response(status=200, text="<html>upstream hiccup</html>")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", garbled)
    async with serving(app) as base_url, bot_at(base_url) as extbot:
        with video.open("rb") as handle, pytest.raises(TelegramError) as raised:
            await extbot.send_video(alice.id, InputFile(handle, read_file_handle=False))
    assert classify(raised.value) is Outcome.UNKNOWN
    assert len(bodies) == 1 and bodies[0] > len(sample_mp4())


async def test_a_streamed_video_is_tried_again_while_the_connection_is_refused(
    alice: FakeUser, video: Path
) -> None:
    """A refused connection: nothing of the body left, so trying again is safe."""
    port = free_port()  # nothing listens on it
    attempts: list[str] = []

    class Counting(HTTPXRequest):
        async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
            attempts.append(url)
            return await super().do_request(url, method, *args, **kwargs)

    policy = RetryPolicy(base_seconds=0.02, max_delay_seconds=0.05, deadline_seconds=0.5)
    async with bot_at(f"http://127.0.0.1:{port}/bot", policy, Counting) as extbot:
        with video.open("rb") as handle, pytest.raises(NetworkError) as raised:
            await extbot.send_video(alice.id, InputFile(handle, read_file_handle=False))
    assert classify(raised.value) is Outcome.NOT_DONE
    assert len([url for url in attempts if url.endswith("/sendVideo")]) >= 3


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def bot_at(
    base_url: str, policy: RetryPolicy = FAST, request: type[HTTPXRequest] = HTTPXRequest
) -> AsyncIterator[ExtBot[int]]:
    """A bot whose calls go to ``base_url``, without the getMe of ``initialize``."""
    requests = (request(read_timeout=0.5, connection_pool_size=4), HTTPXRequest())
    extbot: ExtBot[int] = ExtBot(
        "123:abc",
        base_url=base_url,
        request=requests[0],
        get_updates_request=requests[1],
        rate_limiter=RetryingRateLimiter(TelegramRetry(policy), group_max_rate=1000),
    )
    try:
        yield extbot
    finally:
        for each in requests:
            await each.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_answer_the_lost_try_gave_counts_as_given(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    message = await tbot.send_message(alice.id, "pick")
    sent = fake.messages(alice.id)[0]
    sent.reply_markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    query_id = await fake.press(alice, sent, text="Go")
    fake.inject(Fault("answerCallbackQuery", kind="timeout", processed=True))
    assert await tbot.answer_callback_query(query_id, "done") is True
    fake.inject(Fault("editMessageText", kind="timeout", processed=True))
    assert await tbot.edit_message_text("picked", alice.id, message.message_id) is True
    assert sent.text == "picked" and sent.history == ["pick"]
    fake.inject(Fault("deleteMessage", kind="reset", processed=True))
    assert await tbot.delete_message(alice.id, message.message_id) is True
    assert sent.deleted


async def test_final_answers_are_not_retried(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await tbot.send_message(alice.id, "hi")
    with pytest.raises(BadRequest):
        await tbot.send_message(42, "nobody")
    assert len(fake.calls_to("sendMessage")) == 2


async def test_retries_end_within_the_deadline(fake: FakeTelegram, alice: FakeUser) -> None:
    fake.inject(Fault("sendMessage", status=502, times=None))
    policy = RetryPolicy(base_seconds=0.05, max_delay_seconds=0.1, deadline_seconds=0.5)
    async with make_bot(fake, policy) as extbot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await extbot.send_message(alice.id, "never")
        assert loop.time() - started < 0.6
    assert 3 <= len(fake.calls_to("sendMessage")) <= 12


async def test_photo_download_is_retried(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int]
) -> None:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 9, 9)).save(data, format="PNG")
    sent = await fake.send_photo(alice, data.getvalue())
    fake.inject(
        Fault("getFile", status=502),
        Fault(FILE_DOWNLOAD, status=502),
        Fault(FILE_DOWNLOAD, kind="reset", processed=True),
        Fault(FILE_DOWNLOAD, kind="timeout"),
    )
    assert await telegram_fetcher(tbot)(sent["photo"][-1]["file_id"]) == data.getvalue()
    assert len(fake.downloads) == 4

"""The Bot API retry layer: what each failure means, and a real ExtBot against the fake."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from telegram import InputFile, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

import bot  # noqa: F401  (sets PTB_TIMEDELTA before PTB builds a RetryAfter)
from bot.telegram.handlers.uploads import telegram_fetcher
from bot.telegram.retry import (
    UNLIMITED,
    Outcome,
    RetryingRateLimiter,
    RetryPolicy,
    TelegramRetry,
    classify,
    repeats_after_unknown,
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


async def test_a_streamed_video_is_sent_whole_again_after_a_502_never_after_a_lost_answer(
    fake: FakeTelegram, alice: FakeUser, tbot: ExtBot[int], tmp_path: Path
) -> None:
    """The upload reads its file handle as it goes: a retry starts the file again, and an
    upload that went out whole is not repeated (a second 45 MB copy is worse than a link)."""
    path = tmp_path / "video.mp4"
    path.write_bytes(sample_mp4())
    fake.inject(Fault("sendVideo", status=502))
    with path.open("rb") as video:
        await tbot.send_video(alice.id, InputFile(video, read_file_handle=False))
    (sent,) = [m for m in fake.messages(alice.id) if m.kind == "video"]
    assert sent.file_bytes == sample_mp4()
    assert len(fake.calls_to("sendVideo")) == 2
    fake.inject(Fault("sendVideo", kind="timeout", processed=True))
    with path.open("rb") as video, pytest.raises(TimedOut):
        await tbot.send_video(alice.id, InputFile(video, read_file_handle=False))
    assert len(fake.calls_to("sendVideo")) == 3
    assert [m.kind for m in fake.messages(alice.id)].count("video") == 2  # not three


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

"""Fault injection in the fake Bot API, seen through a real python-telegram-bot Bot."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import FILE_DOWNLOAD, FakeTelegram, FakeUser, Fault, flaky

READ_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # see test_telegram_api.py


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def alice(fake: FakeTelegram) -> FakeUser:
    user = fake.add_user("Alice")
    await fake.send_text(user, "/start")
    return user


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=READ_TIMEOUT, connection_pool_size=4)
    async with Bot(
        fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request
    ) as bot:
        yield bot


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text for m in fake.messages(chat_id)]


async def test_next_calls_answer_errors_then_work(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    fake.inject(Fault("send_message", status=502, times=2))
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as failed:
            await bot.send_message(alice.id, "hi")
        assert not isinstance(failed.value, BadRequest)
    await bot.send_message(alice.id, "hi")
    assert texts(fake, alice.id) == ["hi"]
    assert fake.count_faulted("sendMessage", "502") == 2
    assert [c.error for c in fake.failed_calls()] == ["Bad Gateway", "Bad Gateway"]


async def test_rate_limit_carries_retry_after(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    fake.inject(Fault("sendMessage", status=429, retry_after=7))
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(alice.id, "hi")
    assert flood.value.retry_after == dt.timedelta(seconds=7)
    assert texts(fake, alice.id) == []


async def test_an_html_error_page_like_telegrams_proxy(
    fake: FakeTelegram, alice: FakeUser, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject(Fault("sendMessage", status=504, html=True))
    with pytest.raises(NetworkError, match=r"Gateway Timeout \(504\)"):
        await bot.send_message(alice.id, "hi")


async def test_timeout_before_processing_sends_nothing(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    fake.inject(Fault("sendMessage", kind="timeout"))
    with pytest.raises(TimedOut) as timed_out:
        await bot.send_message(alice.id, "lost")
    assert isinstance(timed_out.value.__cause__, httpx.ReadTimeout)
    await bot.send_message(alice.id, "next")
    assert texts(fake, alice.id) == ["next"]
    assert fake.calls_to("sendMessage")[0].error == "injected timeout"


async def test_timeout_after_processing_sends_but_loses_the_answer(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    fake.inject(Fault("sendMessage", kind="timeout", processed=True))
    with pytest.raises(TimedOut) as timed_out:
        await bot.send_message(alice.id, "sent anyway")
    assert isinstance(timed_out.value.__cause__, httpx.ReadTimeout)
    assert texts(fake, alice.id) == ["sent anyway"]
    call = fake.calls_to("sendMessage")[0]
    assert call.error is None and call.fault == "timeout after processing"
    assert fake.count_faulted("sendMessage", "timeout after processing") == 1


@pytest.mark.parametrize("processed", [False, True])
async def test_reset_drops_the_connection(
    fake: FakeTelegram, alice: FakeUser, bot: Bot, processed: bool
) -> None:
    fake.inject(Fault("sendMessage", kind="reset", processed=processed))
    with pytest.raises(NetworkError) as failed:
        await bot.send_message(alice.id, "maybe")
    assert isinstance(failed.value.__cause__, httpx.TransportError)
    assert not isinstance(failed.value, TimedOut)
    assert texts(fake, alice.id) == (["maybe"] if processed else [])
    await bot.send_message(alice.id, "next")  # the pool recovers from the dropped connection


async def test_a_late_answer_is_still_an_answer(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    fake.inject(Fault("sendMessage", status=0, delay=0.1))
    await bot.send_message(alice.id, "late")
    assert texts(fake, alice.id) == ["late"]


async def test_any_method_means_all_but_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject(Fault(None, status=500))
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    assert fake.faulted == [("getMe", "500")]


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_file_downloads_fail_on_get_file_and_on_the_file_url(
    fake: FakeTelegram, alice: FakeUser, bot: Bot
) -> None:
    sent = await fake.send_photo(alice, png())
    file_id = sent["photo"][-1]["file_id"]
    fake.inject(Fault("getFile", status=502), Fault(FILE_DOWNLOAD, status=502))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_file(file_id)
    file = await bot.get_file(file_id)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await file.download_as_bytearray()
    assert bytes(await file.download_as_bytearray()) == png()
    assert len(fake.downloads) == 2
    assert fake.faulted == [("getFile", "502"), (FILE_DOWNLOAD, "502")]


@pytest.mark.parametrize("kind", ["timeout", "reset"])
async def test_a_download_cut_midway(
    fake: FakeTelegram, alice: FakeUser, bot: Bot, kind: str
) -> None:
    sent = await fake.send_photo(alice, png())
    file = await bot.get_file(sent["photo"][-1]["file_id"])
    fake.inject(Fault(FILE_DOWNLOAD, kind=kind, processed=True))  # type: ignore[arg-type]
    with pytest.raises(NetworkError) as failed:
        await file.download_as_bytearray()
    assert isinstance(failed.value.__cause__, httpx.TransportError)
    assert bytes(await file.download_as_bytearray()) == png()


async def pattern(seed: int, calls: int = 200) -> list[bool]:
    """Which of `calls` sequential getMe calls a flaky(0.2, seed) fake failed."""
    async with FakeTelegram() as fake, httpx.AsyncClient() as client:
        fake.flaky(0.2, seed=seed)
        failed = []
        for _ in range(calls):
            response = await client.post(f"{fake.base_url}{fake.token}/getMe")
            failed.append(response.status_code != 200)
        assert {label for _, label in fake.faulted} == {"429", "502"}
        return failed


async def test_flaky_fails_a_seeded_fraction() -> None:
    first = await pattern(seed=7)
    assert 20 <= sum(first) <= 60  # 20 % of 200, give or take
    assert await pattern(seed=7) == first
    assert await pattern(seed=8) != first


def test_flaky_spreads_the_rate_over_methods_and_kinds() -> None:
    faults = flaky(0.2, methods=("sendMessage", "getFile"), mix=(502, "timeout"))
    assert [(f.method, f.kind, f.status) for f in faults] == [
        ("sendMessage", "status", 502),
        ("sendMessage", "timeout", 502),
        ("getFile", "status", 502),
        ("getFile", "timeout", 502),
    ]
    assert [round(f.rate, 4) for f in faults[:2]] == [0.1, round(0.1 / 0.9, 4)]
    assert all(f.times is None for f in faults)


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "explode"},
        {"status": 200},
        {"retry_after": 0},
        {"times": 0},
        {"rate": 0},
        {"delay": -1},
    ],
)
def test_fault_refuses_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Fault("sendMessage", **bad)  # type: ignore[arg-type]


async def test_clear_faults_and_fail_next(fake: FakeTelegram, alice: FakeUser, bot: Bot) -> None:
    fake.inject(Fault("sendMessage", status=502, times=None))
    fake.clear_faults()
    await bot.send_message(alice.id, "fine")
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(NetworkError.__base__, match="blocked"):  # type: ignore[misc]
        await bot.send_message(alice.id, "refused")
    assert texts(fake, alice.id) == ["fine"]

"""Peak RSS of the bot process while it delivers a 45 MB video, against a 1 MB one.

Runs the real bot (``python -m bot``) against the fake Bot API and the Token360
simulator on 127.0.0.1, drives one user from /newface to the delivered MP4, and reads
the bot's VmHWM (peak resident set) from /proc. The target: the difference stays under
10 MB, because the video is streamed to a file and from it, never held in memory.

A third run has Telegram answer the 45 MB upload with a 502 after reading all of it, and
counts the bytes uploaded: a streamed upload is never sent again once it went out (the link
goes instead, bot/telegram/retry.py), so 45 MB, not 90 MB or more.
Usage: python -m benchmarks.delivery_memory
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from bot.config import ProviderKey, Settings
from sandbox.token360 import Token360Simulator, VideoOutcome
from tests.e2e.helpers import final_progress, verified_face
from tests.fakes.telegram_api import FakeTelegram, Fault
from tests.harness import BotProcess
from tests.images import image

MB = 1024 * 1024


def peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1))


async def deliver(video_bytes: int, *, bad_gateway: bool = False) -> tuple[int, int, int]:
    """(peak RSS before generating, peak RSS after delivery) in kB, and the bytes of video
    uploaded, in a fresh bot; ``bad_gateway``: Telegram answers the upload 502."""
    tg = FakeTelegram()
    await tg.start()
    sim = Token360Simulator(api_keys=("bench",), processing_seconds=0.1, video_running_seconds=0.5)
    await sim.start()
    sim.script_videos(VideoOutcome(video_bytes=video_bytes))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            telegram_token=tg.token,
            telegram_api_base_url=tg.base_url,
            telegram_file_base_url=tg.base_file_url,
            database=str(Path(tmp) / "bench.sqlite3"),
            poll_seconds=0.1,
            providers={"token360": ProviderKey("bench", sim.base_url)},
            progress_edit_seconds=1.0,
            http_host="127.0.0.1",  # /healthz on a free loopback port
            http_port=0,
        )
        bot = BotProcess(settings, Path(tmp) / "bot.log").start()
        assert bot.proc is not None
        try:
            user = tg.add_user("Bench")
            await verified_face(tg, sim, user)
            mark = tg.mark()
            await tg.send_photo(user, image())
            await final_progress(tg, user.id, mark, timeout=30)
            mark = tg.mark()
            await tg.send_text(user, "/generate a benchmark")
            card = await tg.next_message(user.id, after=mark, contains="Ready to generate")
            before = peak_rss_kb(bot.proc.pid)
            if bad_gateway:
                tg.inject(Fault("sendVideo", status=502))
            await tg.press(user, card, text="Generate")
            video = await tg.wait_for(
                lambda: (
                    next((m for m in tg.sent[mark:] if m.kind == "video"), None)
                    or (bad_gateway and "never confirmed" in card.text)
                ),
                timeout=120,
            )
            if not bad_gateway:
                assert video.file_bytes is not None and len(video.file_bytes) == video_bytes
            after = peak_rss_kb(bot.proc.pid)
            uploaded = sum(
                len(part.data) for call in tg.calls_to("sendVideo") for part in call.files.values()
            )
            await bot.terminate()
        finally:
            if bot.proc.poll() is None:
                bot.kill()
    await sim.stop()
    await tg.stop()
    return before, after, uploaded


async def run() -> None:
    small_before, small, _ = await deliver(1 * MB)
    large_before, large, _ = await deliver(45 * MB)
    _, refused, uploaded = await deliver(45 * MB, bad_gateway=True)
    print(
        f"peak RSS delivering  1 MB: {small / 1024:.1f} MB "
        f"(before generating: {small_before / 1024:.1f} MB)"
    )
    print(
        f"peak RSS delivering 45 MB: {large / 1024:.1f} MB "
        f"(before generating: {large_before / 1024:.1f} MB)"
    )
    print(f"difference: {(large - small) / 1024:.1f} MB (target: under 10 MB)")
    print(
        f"45 MB answered 502: {uploaded / MB:.1f} MB uploaded "
        f"(target: 45.0 MB, one upload), peak RSS {refused / 1024:.1f} MB"
    )


if __name__ == "__main__":
    asyncio.run(run())

"""Webhook mode: updates arrive at the bot's own server, checked against the secret."""

from __future__ import annotations

from dataclasses import replace

import httpx

from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot


async def test_webhook_takes_updates_with_the_secret_only(
    tg: FakeTelegram, settings: Settings
) -> None:
    config = replace(
        settings,
        webhook_url="https://bot.example.test/telegram",
        webhook_secret="s3cret-token",
        public_url="http://127.0.0.1:0",
        http_host="127.0.0.1",
        http_port=0,
    )
    running = await RunningBot(config).start()
    try:
        (call,) = tg.calls_to("setWebhook")
        assert call.params["url"] == "https://bot.example.test/telegram"
        assert call.params["secret_token"] == "s3cret-token"
        port = running.app.bot_data.services.media.base_url.rsplit(":", 1)[1]
        alice = tg.add_user("Alice")
        # The update as Telegram would post it (the fake also notes that Alice wrote to the
        # bot, so the reply is not refused as a conversation the bot began).
        message = await tg.send_text(alice, "/help")
        update = {"update_id": tg.last_update_id, "message": message}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).json() == {"ok": True}
            assert (await http.post("/telegram", json=update)).status_code == 403
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            assert (await http.post("/telegram", json=update, headers=wrong)).status_code == 403
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            assert (await http.post("/telegram", json=update, headers=right)).status_code == 200
        await tg.wait_for(lambda: any(c.method == "sendMessage" for c in tg.calls), timeout=10)
        (sent,) = [c for c in tg.calls if c.method == "sendMessage"]
        assert sent.params["chat_id"] in (alice.id, str(alice.id))
        assert "Photo rules" in str(sent.params["text"])
        assert not tg.calls_to("getUpdates")  # no polling in webhook mode
    finally:
        await running.stop()

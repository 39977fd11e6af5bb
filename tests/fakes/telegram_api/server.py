"""FakeTelegram: the HTTP server on 127.0.0.1 and the test's set-up API, wired together."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import struct
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import telegram
from aiohttp import web

from tests.fakes.telegram_api.common import _BODY_LIMIT, JSON, ApiError, _dumps, log
from tests.fakes.telegram_api.editing import EditingMethods
from tests.fakes.telegram_api.faults import FILE_DOWNLOAD, HOLD_SECONDS, Fault, flaky
from tests.fakes.telegram_api.methods import GeneralMethods
from tests.fakes.telegram_api.models import ApiCall, FakeChat, FakeUser, UploadedFile
from tests.fakes.telegram_api.params import _error_response, _read_params
from tests.fakes.telegram_api.sending import SendingMethods
from tests.fakes.telegram_api.updates import UserActions


def _bot_api_methods() -> dict[str, str]:
    """Lower-case name -> Bot API method name, taken from PTB's camelCase aliases."""
    names = {
        name
        for name in dir(telegram.Bot)
        if name[:1].islower() and "_" not in name and name != name.lower()
    }
    names.add("close")
    return {name.lower(): name for name in names}


_KNOWN_METHODS = _bot_api_methods()


class FakeTelegram(UserActions, GeneralMethods, SendingMethods, EditingMethods):
    """A Bot API server on 127.0.0.1 plus a Python API to act as users and inspect the bot.

    Knobs (plain attributes): ``strict_html`` (refuse a bare '&'), ``privacy_mode`` (groups),
    ``query_answer_timeout`` (seconds a callback/inline query may stay unanswered).

    Deliberate differences from the real Bot API: photos are stored as uploaded (Telegram
    re-encodes them as JPEG and adds more sizes; here a <=90 px JPEG thumbnail plus the
    original); MarkdownV2/Markdown are not parsed (stored as sent); webhooks are recorded but
    never called; URLs are fetched only from ``serve_url``; a button with more than one action
    field is refused (Telegram uses the first).
    """

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token-for-tests-only",
        bot_username: str = "realface_test_bot",
        bot_id: int = 123456789,
    ) -> None:
        super().__init__(token, bot_username, bot_id)
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[JSON, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": lambda p, f: self._send_media(p, f, "photo"),
            "sendDocument": lambda p, f: self._send_media(p, f, "document"),
            "sendVideo": lambda p, f: self._send_media(p, f, "video"),
            "sendAnimation": lambda p, f: self._send_media(p, f, "animation"),
            "sendAudio": lambda p, f: self._send_media(p, f, "audio"),
            "sendVoice": lambda p, f: self._send_media(p, f, "voice"),
            "sendVideoNote": lambda p, f: self._send_media(p, f, "video_note"),
            "sendSticker": lambda p, f: self._send_media(p, f, "sticker"),
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=_BODY_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up on a long poll cancels its handler.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self.base_file_url = f"http://127.0.0.1:{self.port}/file/bot"
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- people and chats

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        user_id: int | None = None,
        username: str | None = None,
        language_code: str = "en",
    ) -> FakeUser:
        user = FakeUser(
            id=user_id if user_id is not None else 5_000_000 + next(self._counter) * 17,
            first_name=first_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(
            id=user.id, type="private", first_name=first_name, username=username
        )
        return user

    def add_group(
        self,
        title: str,
        members: Sequence[FakeUser] = (),
        admins: Sequence[FakeUser] = (),
        *,
        creator: FakeUser | None = None,
        bot_is_admin: bool = False,
    ) -> FakeChat:
        """A basic group (negative id) with the bot in it; admins need not be in members."""
        chat = FakeChat(id=-(4_000_000_000 + next(self._counter)), type="group", title=title)
        for user in members:
            chat.statuses[user.id] = "member"
        for user in admins:
            chat.statuses[user.id] = "administrator"
        if creator is not None:
            chat.statuses[creator.id] = "creator"
        chat.statuses[self.bot_id] = "administrator" if bot_is_admin else "member"
        self.chats[chat.id] = chat
        return chat

    def set_member_status(self, chat: FakeChat, user: FakeUser | int, status: str) -> None:
        """status: "creator" | "administrator" | "member" | "restricted" | "left" | "kicked"."""
        chat.statuses[user if isinstance(user, int) else user.id] = status

    def serve_url(self, url: str, data: bytes) -> None:
        """Content Telegram finds when the bot sends a file by this HTTP URL."""
        self._url_content[url] = data

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int = 1,
        *,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error (nothing is done)."""
        self.inject(
            Fault(
                method,
                status=error_code,
                description=description,
                retry_after=retry_after,
                times=times,
            )
        )

    def inject(self, *faults: Fault) -> None:
        """Arm copies of ``faults`` after those armed already (see ``faults.Fault``); the
        caller's objects are not counted down, and each copy draws from a fresh generator."""
        for fault in faults:
            method = fault.method
            if method is not None and method != FILE_DOWNLOAD:
                method = _KNOWN_METHODS.get(method.replace("_", "").lower(), method)
            self._faults.append(dataclasses.replace(fault, method=method))

    def flaky(self, rate: float, **options: Any) -> list[Fault]:
        """Arm ``faults.flaky`` faults: a seeded ``rate`` of the calls fail (429 or 502 by
        default), for ever or until ``clear_faults``."""
        faults = flaky(rate, **options)
        self.inject(*faults)
        return faults

    def clear_faults(self) -> None:
        """Disarm every fault; answers already held by one are not released by this."""
        self._faults.clear()

    def count_faulted(self, method: str | None = None, label: str | None = None) -> int:
        """Requests a fault struck, of ``method`` (None: any) and with that ``Fault.label``."""
        return sum(
            1
            for m, what in self.faulted
            if (method is None or m == method) and (label is None or what == label)
        )

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method) and fault.strikes():
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                self.faulted.append((method, fault.label))
                return fault
        return None

    # ---------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        method = _KNOWN_METHODS.get(requested.lower())
        if method is None:
            return _error_response(ApiError(404, "Not Found"))
        try:
            params, files = await _read_params(request)
        except ApiError as error:
            return _error_response(error)
        call = ApiCall(method, params, time.monotonic(), files)
        self.calls.append(call)
        polling = method == "getUpdates"
        if not polling:
            self._last_activity = time.monotonic()
        try:
            fault = self._take_fault(method)
            if fault is None:
                return await self._answer(call)
            call.fault = fault.label
            return await self._misbehave(request, fault, call)
        finally:
            if not polling or call.result:
                self._last_activity = time.monotonic()
            self._activity.fire()

    async def _answer(self, call: ApiCall) -> web.Response:
        """Carry out the call and answer it as the Bot API does."""
        method, params = call.method, call.params
        try:
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                handler = self._handlers.get(method)
                if handler is not None:
                    result = handler(params, call.files)
                elif method.startswith("send"):
                    result = self._send_other(params, call.files, method)
                else:
                    result = self._ok(params, call.files)
        except ApiError as error:
            call.error = error.description
            return _error_response(error)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            # Malformed parameters (or a bug in the fake): answer like Telegram, log loudly.
            log.exception("FakeTelegram could not handle %s", method)
            call.error = f"Bad Request: invalid parameters: {error!r}"
            return _error_response(ApiError(400, call.error))
        call.result = result
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _misbehave(
        self, request: web.Request, fault: Fault, call: ApiCall
    ) -> web.StreamResponse:
        # ``processed``: the call is carried out (and its answer made) before the fault.
        done = await self._answer(call) if fault.processed else None
        if done is None:
            call.error = f"injected {fault.label}"
        if fault.kind == "reset":
            return _drop(request, reset=True)
        if fault.kind == "timeout":
            await self._until_client_leaves(request, fault.delay or HOLD_SECONDS)
            return _drop(request, reset=False)
        await self._sleep(fault.delay)
        if not fault.status:
            return done if done is not None else await self._answer(call)
        error = fault.error()
        if done is None:
            call.error = error.description
        if fault.html:
            return web.Response(
                status=fault.status, text=fault.html_page(), content_type="text/html"
            )
        return _error_response(error)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        self.downloads.append(path)
        self._activity.fire()
        stored = self._file_paths.get(path)
        fault = self._take_fault(FILE_DOWNLOAD)
        if stored is None:
            return _error_response(ApiError(404, "Not Found: file not found"))
        content_type = stored.mime_type or "application/octet-stream"
        if fault is None:
            return web.Response(body=stored.data, content_type=content_type)
        if fault.processed:
            # Half the file goes out, then the fault: a download cut or stalled midway.
            response = web.StreamResponse(headers={"Content-Type": content_type})
            response.content_length = len(stored.data)
            await response.prepare(request)
            await response.write(stored.data[: len(stored.data) // 2])
            if fault.kind == "timeout":
                await self._until_client_leaves(request, fault.delay or HOLD_SECONDS)
            return _drop(request, reset=fault.kind != "timeout")
        if fault.kind == "reset":
            return _drop(request, reset=True)
        if fault.kind == "timeout":
            await self._until_client_leaves(request, fault.delay or HOLD_SECONDS)
            return _drop(request, reset=False)
        await self._sleep(fault.delay)
        if not fault.status:
            return web.Response(body=stored.data, content_type=content_type)
        if fault.html:
            return web.Response(
                status=fault.status, text=fault.html_page(), content_type="text/html"
            )
        return _error_response(fault.error())

    async def _sleep(self, seconds: float) -> None:
        """Sleep, cut short when the fake stops (stop() fires the updates signal)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._closing and (left := deadline - loop.time()) > 0:
            await self._updates_signal.wait(left)

    async def _until_client_leaves(self, request: web.Request, seconds: float) -> None:
        """Hold until the client gives up on the request and disconnects (or ``seconds``).

        aiohttp cancels this handler when the client disconnects (handler_cancellation), so
        the loop mostly ends by that cancellation; polling the transport covers the rest."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while request.transport is not None and not request.transport.is_closing():
            left = deadline - loop.time()
            if left <= 0 or self._closing:
                return
            await asyncio.sleep(min(0.02, left))


def _drop(request: web.Request, *, reset: bool) -> web.StreamResponse:
    """Close the connection unanswered: with a TCP reset (RST), or a plain close."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            # Linger 0: close() sends RST at once, as a crashed proxy or NAT would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # aiohttp finds the transport gone and sends nothing of this.
    return web.Response(status=499)

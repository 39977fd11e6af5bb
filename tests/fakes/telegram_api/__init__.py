"""A fake Telegram Bot API server for tests, spoken to over real HTTP on 127.0.0.1.

An unmodified python-telegram-bot ``Application`` (in this process or in a subprocess) talks to
it through ``ApplicationBuilder().base_url(fake.base_url).base_file_url(fake.base_file_url)``.
The test drives it from Python: it acts as users (``send_text``, ``send_photo``, ``press``, ...),
which queues real Bot API updates for ``getUpdates``, and it reads what the bot did (``sent``,
``calls``, ``next_message``, ``wait_for``). The Python API only touches the in-memory state; the
bot only ever sees HTTP.

Behaviour follows the real Bot API where it catches bot bugs: HTML is parsed like tdlib does
(byte offsets and error texts included), text/caption/callback_data limits, keyboard checks,
"message is not modified", edits without ``reply_markup`` drop the keyboard, getFile refuses
files over 20 MB, a user must have started the bot before it can write to them, privacy mode
in groups. Deliberate differences are listed in the README-style notes on ``FakeTelegram``.

Layout: ``server`` (FakeTelegram: HTTP wiring and set-up) is assembled from mixins over
``state.FakeState``: ``updates`` (acting as users), ``inspection`` (reading what the bot did),
``methods``, ``sending`` and ``editing`` (Bot API handlers), ``content`` (formatting and
keyboard checks), ``files`` (file store and media). ``models`` holds the data types, ``html``
the HTML parser, ``params`` the request decoding, ``common`` the limits and ApiError,
``faults`` what a test injects (error answers, answers held past the client's timeout, cut
connections; per method or a seeded random fraction; downloads too).
"""

from tests.fakes.telegram_api.common import (
    GET_FILE_LIMIT,
    GROUP_ANONYMOUS_BOT,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    UPLOAD_FILE_LIMIT,
    UPLOAD_PHOTO_LIMIT,
    ApiError,
)
from tests.fakes.telegram_api.faults import FILE_DOWNLOAD, HOLD_SECONDS, Fault, flaky
from tests.fakes.telegram_api.html import HtmlParseError, parse_html
from tests.fakes.telegram_api.models import (
    ApiCall,
    BotMessage,
    Button,
    FakeChat,
    FakeUser,
    StoredFile,
    UploadedFile,
)
from tests.fakes.telegram_api.server import FakeTelegram

__all__ = [
    "FILE_DOWNLOAD",
    "GET_FILE_LIMIT",
    "GROUP_ANONYMOUS_BOT",
    "HOLD_SECONDS",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION",
    "MAX_TEXT",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "UPLOAD_FILE_LIMIT",
    "UPLOAD_PHOTO_LIMIT",
    "ApiCall",
    "ApiError",
    "BotMessage",
    "Button",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "HtmlParseError",
    "StoredFile",
    "UploadedFile",
    "flaky",
    "parse_html",
]

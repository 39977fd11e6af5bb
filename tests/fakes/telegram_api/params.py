"""Reading a Bot API request: its parameters (query string, form, multipart or JSON)."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.telegram_api.common import _BODY_LIMIT, JSON, ApiError, _bad, _dumps, _words
from tests.fakes.telegram_api.models import UploadedFile

# Parameters whose values are strings even when they look like JSON numbers or literals.
# PTB sends every str raw and everything else JSON-encoded, so the fake must know which is which.
_STRING_PARAMS = _words(
    "text caption parse_mode callback_query_id inline_query_id inline_message_id file_id url "
    "next_offset query title description short_description name language_code action emoji "
    "message_effect_id business_connection_id secret_token ip_address photo document video "
    "animation audio voice video_note sticker thumbnail cover custom_title payload currency "
    "provider_token start_parameter first_name last_name phone_number vcard question "
    "explanation web_app_query_id game_short_name result_id"
)
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _decode_param(name: str, value: Any) -> Any:
    """PTB sends str values raw and everything else JSON-encoded; undo that per parameter."""
    if not isinstance(value, str) or name in _STRING_PARAMS:
        return value
    stripped = value.strip()
    if (
        stripped[:1] in ("{", "[")
        or stripped in ("true", "false", "null")
        or _NUMBER_RE.fullmatch(stripped)
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.to_api(), status=error.code, dumps=_dumps)


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
    """Parameters from the query string and the body (form, multipart or JSON), decoded."""
    raw: JSON = dict(request.query)
    files: dict[str, UploadedFile] = {}
    content_type = request.content_type
    try:
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise _bad("JSON object expected")
                raw.update(data)
        elif content_type == "multipart/form-data":
            total = 0
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                chunks = bytearray()
                while chunk := await part.read_chunk():
                    total += len(chunk)
                    if total > _BODY_LIMIT:
                        raise ApiError(413, "Request Entity Too Large")
                    chunks.extend(chunk)
                data_bytes = bytes(part.decode(bytes(chunks)))
                if part.filename is not None:
                    content = part.headers.get("Content-Type")
                    files[part.name] = UploadedFile(part.name, part.filename, content, data_bytes)
                else:
                    raw[part.name] = data_bytes.decode(part.get_charset("utf-8"))
        elif content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except (ValueError, UnicodeDecodeError):
        raise _bad("can't parse request body") from None
    return {key: _decode_param(key, value) for key, value in raw.items()}, files

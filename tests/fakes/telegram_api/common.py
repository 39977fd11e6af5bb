"""What every part of the fake shares: JSON, the Bot API limits and its error answer."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

log = logging.getLogger(__package__)  # one logger for the whole fake

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
GET_FILE_LIMIT = 20 * 1024 * 1024
UPLOAD_PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_FILE_LIMIT = 50 * 1024 * 1024
_BODY_LIMIT = UPLOAD_FILE_LIMIT + 1024 * 1024

GROUP_ANONYMOUS_BOT: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]{3,64})?(?=\s|$)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")

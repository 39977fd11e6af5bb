"""Small pieces the provider simulators share: the error type, settled state, ids and times,
multipart uploads and the H5 verification page's HTML."""

from __future__ import annotations

import asyncio
import operator
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Generic, NamedTuple, NoReturn, Protocol, TypedDict, TypeVar, cast, overload

from aiohttp import BodyPartReader, web

from sandbox.media import MAX_IMAGE_BYTES, ImageInfo, ImageRejected, inspect_image
from sandbox.outcomes import VideoOutcome
from sandbox.records import Seedance

Json = dict[str, Any]
T = TypeVar("T")

_ID_CHARS = string.ascii_lowercase + string.digits
H5_MESSAGES = {
    "": "<p>Verification passed. You can go back to Telegram.</p>",
    "unknown": "<p>This link is not valid.</p>",
    "used": "<p>This link has already been used.</p>",
    "expired": "<p>This link has expired.</p>",
}


class ApiError(Exception):
    """An error answer; the simulator's :meth:`SimulatorBase.answer_error` gives it its shape."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class H5Link(NamedTuple):
    """What pressing "pass" on an H5 link meets: 200 and reason "" if it can be pressed, else
    404 ``unknown``, 409 ``used``, 410 ``expired`` (or another reason the vendor words)."""

    status: int
    reason: str
    expires_at: float = 0.0
    intro: str = ""  # the page's opening paragraphs, for a link that can be pressed


class SimulatorOptions(TypedDict, total=False):
    """The keywords every simulator takes (see ``SimulatorBase``)."""

    api_keys: Iterable[str]
    link_ttl: float
    processing_seconds: float
    video_queued_seconds: float
    video_running_seconds: float
    clock: Callable[[], float]


class Video(Protocol):
    """A video job as every simulator keeps one (see :meth:`SimulatorBase.advance_video`)."""

    status: str
    created_at: float
    completed_at: float | None
    outcome: VideoOutcome


class _Lazy(Protocol):
    def _settle(self) -> None: ...


class Settled(Generic[T]):
    """A read-only attribute that settles the simulator's lazy timing before it is read:
    ``groups = Settled[dict[str, Group]]("_groups")`` (a dotted path reaches further)."""

    def __init__(self, path: str) -> None:
        self._get = operator.attrgetter(path)

    @overload
    def __get__(self, sim: None, owner: type) -> Settled[T]: ...
    @overload
    def __get__(self, sim: _Lazy, owner: type) -> T: ...
    def __get__(self, sim: _Lazy | None, owner: type) -> Settled[T] | T:
        if sim is None:
            return self
        sim._settle()
        return cast(T, self._get(sim))

    def __set__(self, sim: _Lazy, value: object) -> NoReturn:
        raise AttributeError("read-only: the simulator's state is changed by its controls")


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Simulated fault"


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``."""
    stamp = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def stamp_id(prefix: str, now: float) -> str:
    """``group-20260604100609-xbxss`` style ids: UTC time and 5 lower-case letters or digits."""
    when = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")
    return f"{prefix}-{when}-{''.join(secrets.choice(_ID_CHARS) for _ in range(5))}"


def h5_html(status: int, body: str) -> web.Response:
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Real-person verification</title></head><body>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")


async def read_part(part: BodyPartReader, keep: int) -> tuple[bytes, int]:
    """Read a whole part, keeping at most ``keep`` bytes; return (kept bytes, total size)."""
    kept = bytearray()
    total = 0
    while chunk := await part.read_chunk(1 << 16):
        total += len(chunk)
        if len(kept) < keep:
            kept.extend(chunk[: keep - len(kept)])
    return bytes(kept), total


async def read_form(
    request: web.Request, names: tuple[str, ...], expected: str
) -> tuple[dict[str, str], bytes | None, int]:
    """A multipart upload: (stripped text ``names`` + ``filename``, ``file`` bytes, its size).

    ``expected`` names the fields in the 400 answered to a body that is not multipart.
    """
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, f"Expected multipart/form-data with {expected}")
    fields: dict[str, str] = {}
    data: bytes | None = None
    size = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise ApiError(400, "Nested multipart is not supported")
            if part.name == "file":
                fields["filename"] = part.filename or ""
                data, size = await read_part(part, MAX_IMAGE_BYTES)
            elif part.name in names:
                raw, _ = await read_part(part, 4096)
                fields[part.name] = raw.decode("utf-8", errors="replace").strip()
            else:
                await part.release()
    except (ValueError, RuntimeError, AssertionError) as exc:
        raise ApiError(400, f"Malformed multipart body: {exc}") from None
    return fields, data, size


async def checked_image(data: bytes, size: int) -> ImageInfo:
    """What an upload of ``size`` bytes is (``media.inspect_image``, in a worker thread); a
    file that breaks an image rule raises :class:`ApiError` with the rule's status."""
    if size >= MAX_IMAGE_BYTES:
        raise ApiError(413, f"File is {size} bytes; the limit is under 30 MB")
    try:
        return await asyncio.to_thread(inspect_image, data)
    except ImageRejected as exc:
        raise ApiError(exc.status, exc.message) from None


def optional_url(body: Json, key: str) -> str | None:
    """``body[key]`` where given, which must then be an http(s) URL (400 otherwise)."""
    value = body.get(key)
    if value is not None and (
        not isinstance(value, str) or not value.startswith(("http://", "https://"))
    ):
        raise ApiError(400, f"{key} must be an http(s) URL")
    return value


class _Stated(Protocol):
    status: Any


class _Owned(Protocol):
    account: str


A = TypeVar("A", bound=_Stated)
R = TypeVar("R", bound=_Owned)


def owned(records: Mapping[str, R], account: str) -> Callable[[str], R | None]:
    """A finder of ``account``'s records by key: another account's is as good as missing."""

    def find(key: str) -> R | None:
        record = records.get(key)
        return record if record is not None and record.account == account else None

    return find


def referenced_asset(
    url: str, where: str, find: Callable[[str], A | None], active: object, shown: str = ""
) -> A:
    """The asset an ``asset://<id>`` reference names, usable in a video: 400 if the caller has
    no such asset or its ``status`` is not ``active`` (``shown`` names that state, if it is
    not a word)."""
    asset_id = url.removeprefix("asset://")
    asset = find(asset_id)
    if asset is None:
        raise ApiError(400, f"{where}: asset {asset_id} not found")
    if asset.status != active:
        raise ApiError(400, f"{where}: asset {asset_id} is {asset.status}, not {shown or active}")
    return asset


def checked_seedance(
    body: Json,
    models: tuple[str, str],
    resolutions: tuple[str, ...],
    ratios: tuple[str, ...],
    *,
    resolution: object,
    ratio: object,
    audio: object,
    ratio_key: str = "ratio",
) -> Seedance:
    """A Seedance request as Token360's and ToAPIs' video routes check it (400): ``model``
    (``models``: standard, fast), ``prompt``, ``duration`` (4..15 or -1, default 5),
    ``resolution`` (the fast model: the first two), ``ratio`` (named ``ratio_key`` in the
    vendor's body) and ``generate_audio``, the last three read by the caller."""
    model = body.get("model")
    if model not in models:
        raise ApiError(400, f"model must be one of {', '.join(models)}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ApiError(400, "prompt must be a non-empty string")
    duration = body.get("duration", 5)
    if type(duration) is not int or not (duration == -1 or 4 <= duration <= 15):
        raise ApiError(400, "duration must be an integer 4..15 or -1")
    allowed = resolutions[:2] if model == models[1] else resolutions
    if resolution not in allowed:
        raise ApiError(400, f"resolution must be one of {', '.join(allowed)} for {model}")
    if ratio not in ratios:
        raise ApiError(400, f"{ratio_key} must be one of {', '.join(ratios)}")
    if not isinstance(audio, bool):
        raise ApiError(400, "generate_audio must be a boolean")
    return Seedance(
        model=str(model),
        prompt=prompt,
        duration=duration,
        resolution=str(resolution),
        ratio=str(ratio),
        generate_audio=audio,
    )

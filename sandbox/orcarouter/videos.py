"""Validation of a Seedance request to ``POST /v1/video/generations`` (simulator side)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.helpers import referenced_asset
from sandbox.orcarouter.state import (
    MAX_REFERENCE_IMAGES,
    MODEL_FAST,
    MODEL_STANDARD,
    RATIOS,
    RESOLUTIONS,
    ApiError,
    Asset,
)
from sandbox.records import Seedance

_TAG = re.compile(r"\[Image (\d+)\]")
_ROLES = ("reference_image", "first_frame", "last_frame")


@dataclass
class VideoSpec(Seedance):
    assets: list[Asset]
    watermark: bool


def parse_video_request(
    body: dict[str, Any], find_asset: Callable[[str], Asset | None], *, fast_available: bool
) -> VideoSpec:
    """Check the body the way the docs describe it; raise :class:`ApiError` (400) if wrong.

    ``find_asset`` returns the caller's own asset for an id (None if unknown).
    """
    model = body.get("model")
    available = (MODEL_STANDARD, MODEL_FAST) if fast_available else (MODEL_STANDARD,)
    if not isinstance(model, str) or model not in available:
        raise ApiError(
            400,
            f"model {model!r} is not available; use one of {', '.join(available)}",
            "model_not_available",
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ApiError(400, "prompt must be a non-empty string")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ApiError(400, "metadata must be an object")
    assets = _content_assets(metadata.get("content", []), find_asset)
    for asset in assets:
        if asset.asset_id in prompt:
            raise ApiError(400, "refer to assets in the prompt as [Image N], not by their id")
    for number in _TAG.findall(prompt):
        if not 1 <= int(number) <= len(assets):
            raise ApiError(400, f"prompt names [Image {number}] but has {len(assets)} images")
    duration = metadata.get("duration", 5)
    if type(duration) is not int or not (duration == -1 or 4 <= duration <= 15):
        raise ApiError(400, "metadata.duration must be an integer 4..15 or -1")
    resolution = metadata.get("resolution", "720p")
    allowed = RESOLUTIONS[:2] if model == MODEL_FAST else RESOLUTIONS
    if resolution not in allowed:
        raise ApiError(400, f"metadata.resolution must be one of {', '.join(allowed)}")
    ratio = metadata.get("ratio", "adaptive")
    if ratio not in RATIOS:
        raise ApiError(400, f"metadata.ratio must be one of {', '.join(RATIOS)}")
    flags = {}
    for name, default in (("generate_audio", True), ("watermark", False)):
        value = metadata.get(name, default)
        if not isinstance(value, bool):
            raise ApiError(400, f"metadata.{name} must be a boolean")
        flags[name] = value
    return VideoSpec(
        model=model,
        prompt=prompt,
        assets=assets,
        ratio=ratio,
        duration=duration,
        resolution=resolution,
        generate_audio=flags["generate_audio"],
        watermark=flags["watermark"],
    )


def _content_assets(content: object, find_asset: Callable[[str], Asset | None]) -> list[Asset]:
    """The images of ``metadata.content[]``, in order; text items are allowed and skipped."""
    if not isinstance(content, list):
        raise ApiError(400, "metadata.content must be a list")
    assets: list[Asset] = []
    roles: list[str] = []
    for i, item in enumerate(content):
        where = f"metadata.content[{i}]"
        if not isinstance(item, dict):
            raise ApiError(400, f"{where} must be an object")
        if item.get("type") == "text":
            continue
        if item.get("type") != "image_url":
            raise ApiError(400, f"{where}.type must be image_url (the simulator takes images)")
        # Ark: an image without a role is a first frame.
        role = item.get("role", "first_frame")
        if role not in _ROLES:
            raise ApiError(400, f"{where}.role must be one of {', '.join(_ROLES)}")
        image_url = item.get("image_url")
        url = image_url.get("url") if isinstance(image_url, dict) else None
        if not isinstance(url, str) or not url.startswith("asset://"):
            raise ApiError(400, f"{where}.image_url.url must be asset://<asset id>")
        assets.append(referenced_asset(url, where, find_asset, "Active"))
        roles.append(role)
    _check_roles(roles)
    return assets


def _check_roles(roles: list[str]) -> None:
    """Ark's three image modes, never mixed: one first frame; a first and a last frame; or
    up to :data:`MAX_REFERENCE_IMAGES` reference images."""
    references = roles.count("reference_image")
    firsts, lasts = roles.count("first_frame"), roles.count("last_frame")
    if references and (firsts or lasts):
        raise ApiError(400, "first/last-frame images cannot be mixed with reference images")
    if firsts > 1 or lasts > 1:
        raise ApiError(400, "at most one first_frame and one last_frame image")
    if lasts and not firsts:
        raise ApiError(400, "a last_frame image needs a first_frame image")
    if references > MAX_REFERENCE_IMAGES:
        raise ApiError(400, f"at most {MAX_REFERENCE_IMAGES} reference images")

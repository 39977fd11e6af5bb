"""What a video can be: models, lengths, resolutions, ratios; the settings editor's
choices; the cost estimate. Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from storage.models import VideoSettings

RESOLUTIONS = {"seedance-2.0": ("480p", "720p", "1080p"), "seedance-2.0-fast": ("480p", "720p")}
RATIOS = ("adaptive", "16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
DURATIONS = tuple(range(4, 16))
MAX_PROMPT = 2000
# Pixels per frame at each resolution (other ratios spread about the same area).
_PIXELS = {"480p": 864 * 496, "720p": 1280 * 720, "1080p": 1920 * 1080}
USD_PER_MILLION_TOKENS = 7.0  # PROVIDERS.md: 108,900 tokens ~ USD 0.76 at list price


# The settings editor's choices, by field: a button carries (field index, value index).
SETTING_FIELDS = ("model", "duration", "resolution", "ratio", "audio")
SETTING_CHOICES: dict[str, tuple[object, ...]] = {
    "model": ("seedance-2.0", "seedance-2.0-fast"),
    "duration": (4, 5, 6, 8, 10, 12, 15),
    "resolution": ("480p", "720p", "1080p"),
    "ratio": RATIOS,
    "audio": (False, True),
}


def apply_choice(settings: VideoSettings, field_index: int, value_index: int) -> VideoSettings:
    """Settings with one choice changed; out-of-range choices (old buttons) change nothing."""
    if not 0 <= field_index < len(SETTING_FIELDS):
        return settings
    name = SETTING_FIELDS[field_index]
    choices = SETTING_CHOICES[name]
    if not 0 <= value_index < len(choices):
        return settings
    changes: dict[str, Any] = {name: choices[value_index]}
    return normalize(replace(settings, **changes))


@dataclass(frozen=True)
class Estimate:
    tokens: int
    usd: float


def normalize(s: VideoSettings, models: tuple[str, ...] | None = None) -> VideoSettings:
    """Settings the model (and the provider, if ``models`` says which it has) accepts.

    The fast model has no 1080p, so it gets 720p; a model the provider lacks becomes its
    first one.
    """
    allowed = [m for m in (models or tuple(RESOLUTIONS)) if m in RESOLUTIONS] or ["seedance-2.0"]
    model = s.model if s.model in allowed else allowed[0]
    resolution = s.resolution if s.resolution in RESOLUTIONS[model] else "720p"
    duration = min(max(s.duration, DURATIONS[0]), DURATIONS[-1])
    ratio = s.ratio if s.ratio in RATIOS else "adaptive"
    return VideoSettings(model, duration, resolution, ratio, s.audio)


def estimate(s: VideoSettings) -> Estimate:
    """Tokens ~ width x height x frames / 1024 at 24 fps (matches 108,900 for 5 s 720p)."""
    frames = s.duration * 24
    tokens = int(_PIXELS[s.resolution] * frames / 1024)
    return Estimate(tokens, tokens * USD_PER_MILLION_TOKENS / 1_000_000)

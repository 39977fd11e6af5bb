"""What a simulator is told to do next: scripted asset and video outcomes, injected faults."""

from __future__ import annotations

from dataclasses import dataclass

from bot.simulators.media import check_padded_size

_DEFAULT_MESSAGES = {
    "FaceMismatch": "Face consistency verification failed.",
    "ContentModeration": "The image did not pass content moderation.",
    "OutputVideoSensitiveContentDetected": "The generated video may contain sensitive content.",
    "InternalServiceError": "The service encountered an unexpected internal error.",
}


@dataclass
class AssetOutcome:
    """Scripted result for the next uploaded asset (FIFO); the default is Active."""

    status: str = "Active"
    code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("active", "failed"):
            raise ValueError("AssetOutcome.status must be 'Active' or 'Failed'")
        self.status = self.status.title()
        _check_optional_str(self.code, "code")
        _check_optional_str(self.message, "message")
        if self.status == "Failed":
            self.code = self.code or "FaceMismatch"
            self.message = self.message or _default_message(self.code)


@dataclass
class VideoOutcome:
    """Scripted result for the next created video (FIFO); the default is completed."""

    status: str = "completed"
    code: str | None = None
    message: str | None = None
    video_bytes: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("completed", "failed"):
            raise ValueError("VideoOutcome.status must be 'completed' or 'failed'")
        self.status = self.status.lower()
        _check_optional_str(self.code, "code")
        _check_optional_str(self.message, "message")
        if self.video_bytes is not None:
            if not isinstance(self.video_bytes, int) or isinstance(self.video_bytes, bool):
                raise ValueError("VideoOutcome.video_bytes must be an int")
            check_padded_size(self.video_bytes)
        if self.status == "failed":
            self.code = self.code or "InternalServiceError"
            self.message = self.message or _default_message(self.code)


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching ``method`` (None = any) and a prefix."""

    method: str | None
    path_prefix: str
    status: int = 500
    retry_after: float = 1
    delay: float = 0.0
    times: int = 1
    # Sleep after the request was handled instead of before: the provider did the work but
    # the answer is late (a client timeout that must not lead to doing it twice).
    answer_late: bool = False

    def __post_init__(self) -> None:
        _check_optional_str(self.method, "method")
        self.method = self.method.upper() if self.method else None
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/"):
            raise ValueError("Fault.path_prefix must start with '/'")
        if not isinstance(self.status, int) or not (self.status == 0 or 400 <= self.status <= 599):
            raise ValueError("Fault.status must be 0 or 400..599")
        for name in ("retry_after", "delay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Fault.{name} must be a number >= 0")
        if not isinstance(self.times, int) or self.times < 1:
            raise ValueError("Fault.times must be an int >= 1")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


def _check_optional_str(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")


def _default_message(code: str) -> str:
    return _DEFAULT_MESSAGES.get(code, f"Failed: {code}.")

"""What every vendor checks before sending a video request: a request it would refuse is
refused here, before anything is sent or charged."""

from __future__ import annotations

from collections.abc import Mapping

from bot.providers.base import (
    Capabilities,
    ImageRole,
    ProviderRejected,
    RejectReason,
    VideoImage,
    VideoRequest,
)


def model_id(model: str, vendor: str, model_ids: Mapping[str, str]) -> str:
    """The vendor's id for one of our model names (its own ids pass as they are)."""
    if model in model_ids:
        return model_ids[model]
    if model in model_ids.values():
        return model
    raise ProviderRejected(
        f"{vendor} has no model {model!r}", reason=RejectReason.INVALID, code="unknown_model"
    )


def checked_video(
    request: VideoRequest, vendor: str, model_ids: Mapping[str, str], caps: Capabilities
) -> tuple[str, list[VideoImage]]:
    """The vendor's model id and the request's images, refused before anything is sent (or
    charged) where the vendor's capabilities do not take them: frames and references mixed
    (Seedance refuses that), a last frame without a first, more references than it takes."""
    model = model_id(request.model, vendor, model_ids)
    images = list(request.images)
    firsts = request.of_role(ImageRole.FIRST_FRAME)
    lasts = request.of_role(ImageRole.LAST_FRAME)
    references = request.of_role(ImageRole.REFERENCE)
    problem = None
    if not images:
        problem = "a video needs at least one image"
    elif references and (firsts or lasts):
        problem = "frames and reference images cannot be mixed"
    elif len(firsts) > 1 or len(lasts) > 1 or (lasts and not firsts):
        problem = "one first frame, and at most one last frame with it"
    elif (firsts and not caps.first_frame) or (lasts and not caps.last_frame):
        problem = f"{vendor} takes no such frame"
    elif len(references) > caps.reference_images:
        problem = (
            f"{vendor} takes at most {caps.reference_images} reference images per video, "
            f"got {len(references)}"
        )
    if problem is not None:
        raise ProviderRejected(problem, reason=RejectReason.INVALID, code="bad_images")
    return model, images


def image_tags(tag: str, count: int) -> list[str]:
    """How a prompt names reference images 1..count (``tag`` has ``{n}``)."""
    return [tag.format(n=n) for n in range(1, count + 1)]

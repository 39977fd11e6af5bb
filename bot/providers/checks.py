"""What every vendor checks before sending a video request: a request it would refuse is
refused here, before anything is sent or charged."""

from __future__ import annotations

from collections.abc import Mapping

from bot.providers.base import ProviderRejected, RejectReason, VideoRequest


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
    request: VideoRequest, vendor: str, model_ids: Mapping[str, str], most_assets: int
) -> tuple[str, list[str]]:
    """The vendor's model id and the request's asset ids, at most ``most_assets`` of them."""
    model = model_id(request.model, vendor, model_ids)
    asset_ids = list(request.asset_ids)
    if len(asset_ids) > most_assets:
        raise ProviderRejected(
            f"{vendor} takes at most {most_assets} images per video, got {len(asset_ids)}",
            reason=RejectReason.INVALID,
            code="too_many_assets",
        )
    return model, asset_ids

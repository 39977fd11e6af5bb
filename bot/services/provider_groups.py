"""A face's new name, mirrored at its provider where the API allows (today PowerTokens). The
bot's own record wins regardless, so a failure is logged and reported as "not done there".
Deleting a face's photos there is :mod:`bot.services.cleanups`."""

from __future__ import annotations

import logging

from bot.providers.base import ProviderError
from bot.providers.registry import Providers
from storage.models import Face

log = logging.getLogger(__name__)


async def rename_group(providers: Providers, face: Face, name: str) -> bool:
    """Rename the face's group at the provider; True if that was done."""
    if face.provider_group_id is None:
        return False
    try:
        if not providers.capabilities(face.provider).renames_groups:
            return False
        return await providers.get(face.provider).rename_group(face.provider_group_id, name)
    except (ProviderError, LookupError) as exc:
        group = face.provider_group_id
        log.warning("rename of group %s at %s failed: %s", group, face.provider, exc)
        return False

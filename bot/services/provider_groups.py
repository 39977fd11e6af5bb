"""A face's group at its provider, mirrored where the provider's API allows: a rename, or a
delete that takes the group's photos with it (today PowerTokens). The bot's own record wins
regardless, so a failure is logged and reported as "not done there"."""

from __future__ import annotations

import logging

from bot.providers.base import ProviderError
from bot.providers.registry import Providers
from storage.models import Face

log = logging.getLogger(__name__)


def deletes_at_provider(providers: Providers, face: Face) -> bool:
    managed = providers.capabilities(face.provider).manages_groups
    return face.provider_group_id is not None and managed


async def delete_group(providers: Providers, face: Face) -> bool:
    """Delete the face's group (and its photos) at the provider; True if that was done."""
    return await _mirror(providers, face, "delete", None)


async def rename_group(providers: Providers, face: Face, name: str) -> bool:
    return await _mirror(providers, face, "rename", name)


async def _mirror(providers: Providers, face: Face, what: str, name: str | None) -> bool:
    if face.provider_group_id is None:
        return False
    try:
        provider = providers.get(face.provider)
        if name is not None:
            return await provider.rename_group(face.provider_group_id, name)
        return await provider.delete_group(face.provider_group_id)
    except (ProviderError, LookupError) as exc:
        group = face.provider_group_id
        log.warning("%s of group %s at %s failed: %s", what, group, face.provider, exc)
        return False

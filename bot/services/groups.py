"""Group chats: who may generate, how much, with which provider and settings.

Whether someone is an admin is Telegram's to say; callers pass ``is_admin``.
"""

from __future__ import annotations

from dataclasses import replace

from bot.providers.registry import Providers
from bot.services.clock import Clock, start_of_day
from bot.services.errors import Refusal, ServiceRefused
from storage.chats import Access, AllowedMember, ChatRepo, ChatRules
from storage.models import VideoJob
from storage.videos import VideoRepo


class GroupService:
    def __init__(
        self, *, chats: ChatRepo, videos: VideoRepo, providers: Providers, clock: Clock
    ) -> None:
        self.chats = chats
        self.videos = videos
        self.providers = providers
        self.clock = clock

    async def rules(self, chat_id: int) -> ChatRules:
        return await self.chats.rules(chat_id)

    async def provider_for_new_faces(self, chat_id: int) -> str | None:
        """The group's chosen provider, if it is still enabled."""
        chosen = (await self.chats.rules(chat_id)).provider
        return chosen if chosen in self.providers.names() else None

    async def set_provider(self, chat_id: int, provider: str) -> ChatRules:
        if provider not in self.providers.names():
            raise ServiceRefused(Refusal.NO_SUCH_FACE, provider)
        return await self._save(replace(await self.chats.rules(chat_id), provider=provider))

    async def set_access(self, chat_id: int, access: Access) -> ChatRules:
        return await self._save(replace(await self.chats.rules(chat_id), access=access))

    async def set_quota(self, chat_id: int, quota: int | None) -> ChatRules:
        return await self._save(replace(await self.chats.rules(chat_id), daily_quota=quota))

    async def allow(self, chat_id: int, user_id: int, name: str) -> None:
        await self.chats.allow(chat_id, user_id, name)

    async def disallow(self, chat_id: int, user_id: int) -> bool:
        return await self.chats.disallow(chat_id, user_id)

    async def allowed(self, chat_id: int) -> list[AllowedMember]:
        return await self.chats.allowed(chat_id)

    async def _save(self, rules: ChatRules) -> ChatRules:
        await self.chats.save_rules(rules, self.clock())
        return rules

    async def check_may_generate(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        """Refuse a member the group's rules do not let generate (now)."""
        rules = await self.chats.rules(chat_id)
        if rules.access is Access.ADMINS and not is_admin:
            raise ServiceRefused(Refusal.GROUP_ADMINS_ONLY)
        if (
            rules.access is Access.LISTED
            and not is_admin
            and not await self.chats.is_allowed(chat_id, user_id)
        ):
            raise ServiceRefused(Refusal.GROUP_NOT_LISTED)
        if rules.daily_quota is not None and not is_admin:
            used = await self.videos.count_in_chat_since(
                chat_id, user_id, start_of_day(self.clock())
            )
            if used >= rules.daily_quota:
                raise ServiceRefused(Refusal.GROUP_QUOTA, str(rules.daily_quota))

    async def recent_jobs(self, chat_id: int) -> list[VideoJob]:
        return await self.videos.recent_in_chat(chat_id)

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.chats.migrate(old_chat_id, new_chat_id)

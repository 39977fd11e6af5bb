"""Group chats: who may generate, how much, with which provider; and the admin commands
that set it.

Whether someone is an admin is Telegram's to say (the :class:`Actor` carries it); what an
admin may change, and what a member may do under the group's rules, is decided here.

Access modes, and what the allow-list means in each:
- ``everyone``: every member may generate; the list is kept but not needed.
- ``admins``: only admins may generate; the list is kept but does not count.
- ``listed``: admins and the members on the list may generate.
/allow and /deny edit the list in every mode and say what the member can do right now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.clock import Clock, start_of_day
from bot.services.errors import Refusal, ServiceRefused
from storage.chats import Access, AllowedMember, ChatRepo, ChatRules
from storage.faces import FaceRepo
from storage.models import Owner, OwnerKind, VideoJob
from storage.videos import VideoRepo

__all__ = [
    "Access",
    "AccessView",
    "GroupJobs",
    "GroupService",
    "Listing",
    "ProviderMenu",
    "provider_for_new_faces",
]


async def provider_for_new_faces(
    chats: ChatRepo, providers: Providers, chat_id: int
) -> str | None:
    """The group's chosen provider for new faces (/provider), if it is still enabled."""
    chosen = (await chats.rules(chat_id)).provider
    return chosen if chosen in providers.names() else None


@dataclass(frozen=True)
class ProviderMenu:
    names: list[str]
    current: str | None


@dataclass(frozen=True)
class AccessView:
    rules: ChatRules
    listed: list[str]  # names on the allow-list


@dataclass(frozen=True)
class Listing:
    """What /allow or /deny changed, and what it means under the current access mode."""

    name: str
    access: Access
    on_list: bool  # after the command
    changed: bool  # False: /deny of someone not on the list, /allow of someone on it

    @property
    def may_generate(self) -> bool:
        """Whether the member may generate here now (the quota aside)."""
        return self.access is Access.EVERYONE or (self.access is Access.LISTED and self.on_list)

    @property
    def list_counts(self) -> bool:
        return self.access is Access.LISTED


@dataclass(frozen=True)
class GroupJobs:
    jobs: list[VideoJob]
    face_names: dict[int, str]


class GroupService:
    def __init__(
        self,
        *,
        chats: ChatRepo,
        videos: VideoRepo,
        providers: Providers,
        clock: Clock,
        faces: FaceRepo,
    ) -> None:
        self.chats = chats
        self.videos = videos
        self.providers = providers
        self.clock = clock
        self.faces = faces

    @staticmethod
    def admin_chat(actor: Actor) -> int:
        """The group ``actor`` administers here; refuses anyone else."""
        if not actor.in_group or actor.chat_id is None or not actor.is_admin:
            raise ServiceRefused(Refusal.ADMINS_ONLY)
        return actor.chat_id

    async def rules(self, chat_id: int) -> ChatRules:
        return await self.chats.rules(chat_id)

    async def provider_menu(self, actor: Actor) -> ProviderMenu:
        chat_id = self.admin_chat(actor)
        current = await provider_for_new_faces(self.chats, self.providers, chat_id)
        return ProviderMenu(self.providers.names(), current)

    async def set_provider(self, actor: Actor, index: int) -> str:
        """The provider at ``index`` of the menu becomes the group's; its name."""
        chat_id = self.admin_chat(actor)
        names = self.providers.names()
        if not 0 <= index < len(names):
            raise ServiceRefused(Refusal.NOT_ASKED)  # a menu from before a restart
        await self._save(replace(await self.chats.rules(chat_id), provider=names[index]))
        return names[index]

    async def access(self, actor: Actor) -> AccessView:
        chat_id = self.admin_chat(actor)
        return await self._access_view(await self.chats.rules(chat_id))

    async def set_access(self, actor: Actor, access: Access) -> AccessView:
        chat_id = self.admin_chat(actor)
        rules = await self._save(replace(await self.chats.rules(chat_id), access=access))
        return await self._access_view(rules)

    async def _access_view(self, rules: ChatRules) -> AccessView:
        return AccessView(rules, [m.name for m in await self.chats.allowed(rules.chat_id)])

    async def quota(self, actor: Actor) -> int | None:
        chat_id = self.admin_chat(actor)
        return (await self.chats.rules(chat_id)).daily_quota

    async def set_quota(self, actor: Actor, quota: int | None) -> int | None:
        chat_id = self.admin_chat(actor)
        await self._save(replace(await self.chats.rules(chat_id), daily_quota=quota))
        return quota

    async def allow(self, actor: Actor, user_id: int, name: str) -> Listing:
        """Put a member on the list; what that means depends on the access mode."""
        chat_id = self.admin_chat(actor)
        was = await self.chats.is_allowed(chat_id, user_id)
        await self.chats.allow(chat_id, user_id, name)
        access = (await self.chats.rules(chat_id)).access
        return Listing(name, access, on_list=True, changed=not was)

    async def disallow(self, actor: Actor, user_id: int, name: str) -> Listing:
        chat_id = self.admin_chat(actor)
        was = await self.chats.disallow(chat_id, user_id)
        access = (await self.chats.rules(chat_id)).access
        return Listing(name, access, on_list=False, changed=was)

    async def allowed(self, chat_id: int) -> list[AllowedMember]:
        return await self.chats.allowed(chat_id)

    async def recent_jobs(self, actor: Actor) -> GroupJobs:
        """/jobs: the group's recent videos, with its faces' names."""
        chat_id = self.admin_chat(actor)
        faces = await self.faces.list_for_owner(Owner(OwnerKind.CHAT, chat_id))
        names = {f.id: f.name for f in faces}
        return GroupJobs(await self.videos.recent_in_chat(chat_id), names)

    async def _save(self, rules: ChatRules) -> ChatRules:
        await self.chats.save_rules(rules, self.clock())
        return rules

    async def may_generate(self, actor: Actor) -> None:
        """Refuse a member the group's rules do not let generate (now); others pass."""
        if not actor.in_group or actor.chat_id is None:
            return
        chat_id, user_id, is_admin = actor.chat_id, actor.user_id, actor.is_admin
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

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Telegram upgraded the group to a supergroup: everything follows the new id."""
        await self.chats.migrate(old_chat_id, new_chat_id)

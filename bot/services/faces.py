"""Faces: list and manage them, and the entry to /newface; the rules every action applies.

Every use case takes the :class:`Actor` (bot/services/face_rules.py decides): a person's
faces are theirs in any chat; a group's faces are its admins' (acting in that group),
never a member's, so no entry point (a command, a button, a reply, a question asked
earlier) can skip the rule. Questions asked on the way are pending input keyed by person
and chat. Creating: face_creation.py; the check at the provider: verification.py;
invites: invites.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from bot.providers.base import PhotoDeletion
from bot.providers.registry import Providers
from bot.services import provider_groups
from bot.services.actors import Actor, Place
from bot.services.cleanups import PhotoCleanups, PhotosOutcome
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_creation import FaceCreated, FaceCreator, NewFace
from bot.services.face_rules import check_may_create, check_may_manage, clean_name
from bot.services.face_views import MAX_PAGE, PAGE_SIZE, FaceDetail, FaceList, FaceSummary
from bot.services.invites import InviteService
from bot.services.leases import Claims
from bot.services.notify import Notifier
from bot.services.pending import PendingInputs
from bot.services.upload_prompts import UploadPrompts
from bot.services.verification import LinkIssued, Verifier, provider_failures
from storage.assets import AssetRepo
from storage.chats import ChatRepo
from storage.cleanups import CleanupRepo
from storage.consents import ConsentRepo
from storage.face_lists import FaceLists
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import (
    Awaiting,
    CleanupOrder,
    Face,
    FaceStatus,
    Invite,
    Owner,
    OwnerKind,
    VerificationLink,
)
from storage.users import UserRepo

log = logging.getLogger(__name__)


class FaceService:
    def __init__(
        self,
        *,
        faces: FaceRepo,
        links: LinkRepo,
        invites: InviteRepo,
        assets: AssetRepo,
        users: UserRepo,
        chats: ChatRepo,
        pending: PendingInputs,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        link_ttl: float,
        invite_ttl: float,
        return_base: str | None = None,
        prompts: UploadPrompts | None = None,
        cleanup_recheck_seconds: float = 60.0,
        claims: Claims | None = None,
        mutex: Callable[[str], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.faces = faces
        self.lists = FaceLists(faces.db)
        self.assets = assets
        self.users = users
        self.chats = chats
        self.prompts = prompts or UploadPrompts(chats)
        self.pending = pending
        self.providers = providers
        self.clock = clock
        self.consents = consents = ConsentRepo(faces.db)
        self.cleanups = PhotoCleanups(
            CleanupRepo(faces.db),
            faces=faces,
            assets=assets,
            providers=providers,
            notifier=notifier,
            clock=clock,
            recheck_seconds=cleanup_recheck_seconds,
        )
        self.verifier = Verifier(
            faces=faces,
            consents=consents,
            links=links,
            providers=providers,
            notifier=notifier,
            clock=clock,
            link_ttl=link_ttl,
            return_base=return_base,
            claims=claims,
            mutex=mutex,
        )
        self.invites = InviteService(
            invites=invites,
            faces=faces,
            users=users,
            consents=consents,
            verifier=self.verifier,
            clock=clock,
            ttl=invite_ttl,
        )
        self.creator = FaceCreator(
            faces=faces,
            users=users,
            chats=chats,
            pending=pending,
            providers=providers,
            verifier=self.verifier,
            invites=self.invites,
            clock=clock,
        )

    # ---------------------------------------------------------------- who may

    async def managed(self, actor: Actor, face_id: int) -> Face:
        """The face, if ``actor`` may manage it (every face action asks this first)."""
        face = await self.faces.get(face_id)
        if face is None or face.status is FaceStatus.DELETED:
            raise ServiceRefused(Refusal.NO_SUCH_FACE)
        check_may_manage(face, actor)
        return face

    # ---------------------------------------------------------------- people

    async def remember(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> None:
        """Who talks to the bot (an invite shows its creator's name); written only when
        they are new or changed."""
        await self.users.remember(user_id, first_name, username, language_code, self.clock())

    # ---------------------------------------------------------------- /newface

    async def begin_new_face(
        self, actor: Actor, raw_name: str | None, *, request_key: str | None = None
    ) -> NewFace:
        """/newface, with or without the name: ask what is missing, or create."""
        return await self.creator.begin(actor, raw_name, request_key=request_key)

    async def answer_name(
        self, actor: Actor, text: str, *, request_key: str | None = None
    ) -> NewFace:
        """The answer to "what should this face be called?", asked in this chat."""
        return await self.creator.answer_name(actor, text, request_key=request_key)

    async def choose_provider(
        self, actor: Actor, index: int, *, request_key: str | None = None
    ) -> NewFace:
        """A provider button under "where should it live?", asked of this actor here."""
        return await self.creator.choose_provider(actor, index, request_key=request_key)

    async def create(
        self,
        actor: Actor,
        raw_name: str,
        provider_name: str | None = None,
        request_key: str | None = None,
    ) -> FaceCreated:
        """A face for ``actor`` (theirs, or their group's if they are its admin), checked."""
        return await self.creator.create(actor, raw_name, provider_name, request_key)

    # ---------------------------------------------------------------- links

    async def new_link(
        self, actor: Actor, face_id: int, *, request_key: str | None = None
    ) -> LinkIssued:
        """A fresh link for the face's manager, with the invite its card offers."""
        face = await self.managed(actor, face_id)
        await self.faces.set_verifier(face.id, None)  # whoever passes it agreed nowhere
        with provider_failures():
            issued = await self.verifier.fresh_link(
                face, actor.user_id, request_key, actor.language
            )
        if issued.repeat and issued.link.message_id is not None:
            return issued  # handled before a crash: its card is out already
        invite = await self.invites.current(issued.face, actor.user_id)
        return LinkIssued(issued.face, issued.link, issued.new_group, issued.repeat, invite)

    async def live_link(self, actor: Actor, face_id: int) -> tuple[Face, VerificationLink]:
        """The face and its latest link (the sandbox's "person passed" button needs it)."""
        face = await self.managed(actor, face_id)
        link = await self.verifier.links.latest(face.id)
        if link is None:
            raise ServiceRefused(Refusal.LINK_EXPIRED)
        return face, link

    async def attach_card(self, link: VerificationLink, chat_id: int, message_id: int) -> None:
        await self.verifier.attach_card(link, chat_id, message_id)

    # The tracker and the web server reach the verification through these.
    async def activate(self, face: Face, group_id: str | None = None) -> bool:
        return await self.verifier.activate(face, group_id)

    async def deliver_outcome(self, face_id: int) -> None:
        await self.verifier.deliver_outcome(face_id)

    async def reconcile_interrupted(self, before: float) -> int:
        return await self.verifier.reconcile_interrupted(before)

    async def poll_now(self, provider: str, session_id: str) -> bool:
        return await self.verifier.poll_now(provider, session_id)

    async def called_back(self, token: str) -> bool:
        return await self.verifier.called_back(token)

    # ---------------------------------------------------------------- list and manage

    async def summaries(self, owner: Owner, page: int = 0) -> tuple[list[FaceSummary], int]:
        """One page of the owner's faces (newest first by page, oldest first within it)
        with their photo counts, and how many faces there are: two bounded queries."""
        found = await self.lists.page(owner, limit=PAGE_SIZE, skip=page * PAGE_SIZE)
        return [FaceSummary(f.face, f.photos) for f in found.faces], found.total

    async def names(self, owner: Owner) -> dict[int, str]:
        """Every face's name by id (deleted ones too: old videos still name them)."""
        return {f.id: f.name for f in await self.faces.list_for_owner(owner)}

    async def listing(self, actor: Actor, page: int = 0) -> FaceList:
        """/faces: a person's own faces, or (its admins only) the group's; ``page`` 0 is the
        newest PAGE_SIZE. A page past the end (faces deleted since) shows the last one."""
        check_may_create(actor)
        page = min(page, MAX_PAGE)  # a forged button's page stays a number SQLite takes
        summaries, total = await self.summaries(actor.owner, page)
        if not summaries and page > 0 and total > 0:
            page = (total - 1) // PAGE_SIZE
            summaries, total = await self.summaries(actor.owner, page)
        current = await self._current_id(actor)
        return FaceList(summaries, current, actor.in_group, total, page)

    async def detail(self, actor: Actor, face_id: int) -> FaceDetail:
        """One face's card: its photo counts and the first PAGE_SIZE Active photos' ids."""
        face = await self.managed(actor, face_id)
        summary = FaceSummary(face, await self.lists.counts(face.id))
        active_ids = await self.lists.active_photo_ids(face.id, PAGE_SIZE)
        consent = await self.consents.for_face(face.id)
        consenter = await self.users.get(consent.person_id) if consent else None
        current = await self._current_id(actor)
        checked = self.providers.capabilities(face.provider).verification
        return FaceDetail(
            summary, current, actor.in_group, active_ids, consent, consenter, checked
        )

    async def _current_id(self, actor: Actor) -> int | None:
        """Where a person's plain photos go (private chats only; groups use upload prompts)."""
        if actor.place is not Place.PRIVATE:
            return None
        current = await self.current_face(actor.user_id)
        return current.id if current else None

    async def use(self, actor: Actor, face_id: int) -> Face:
        """New photos go to this face: in a private chat from now on; in a group, as
        replies to the upload prompt the caller posts (and records with
        :meth:`upload_prompt_posted`)."""
        face = await self.managed(actor, face_id)
        if actor.place is Place.PRIVATE:
            await self.users.set_current_face(actor.user_id, face.id, self.clock())
        return face

    async def post_upload_prompt(
        self, actor: Actor, face_id: int, send: Callable[[Face], Awaitable[int]]
    ) -> Face:
        """In a group, post (with ``send``) and record the message photos for this face
        reply to."""
        face = await self.managed(actor, face_id)
        assert actor.chat_id is not None
        await self.prompts.post(actor.chat_id, face.id, self.clock(), lambda: send(face))
        return face

    async def prompted_face(self, actor: Actor, reply_to: int) -> Face | None:
        """The face whose upload prompt ``reply_to`` is in the actor's group, if it may be
        uploaded to by them (None: a reply to some other message, not an upload)."""
        if actor.chat_id is None:
            return None
        face_id = await self.prompts.face_of(actor.chat_id, reply_to)
        if face_id is None:
            return None
        return await self.managed(actor, face_id)

    async def ask_rename(self, actor: Actor, face_id: int) -> Face:
        face = await self.managed(actor, face_id)
        await self.pending.ask(actor, Awaiting.RENAME, face_id=face.id)
        return face

    async def answer_rename(self, actor: Actor, text: str) -> tuple[Face, bool]:
        """The answer to "send the new name", asked in this chat (the Rename button was
        pressed as an admin; an anonymous admin's answer comes as GroupAnonymousBot)."""
        pending = await self.pending.of(actor)
        if pending is None or pending.kind is not Awaiting.RENAME or pending.face_id is None:
            raise ServiceRefused(Refusal.NOT_ASKED)
        try:
            renamed = await self.rename(actor, pending.face_id, text)
        except ServiceRefused as refused:
            if refused.refusal is not Refusal.BAD_NAME:  # a bad name keeps the question
                await self.pending.done(pending)
            raise
        await self.pending.done(pending)
        return renamed

    async def rename(self, actor: Actor, face_id: int, raw_name: str) -> tuple[Face, bool]:
        """Rename in the bot, and at the provider where it can; (face, renamed there too)."""
        face = await self.managed(actor, face_id)
        name = clean_name(raw_name)
        await self.faces.rename(face.id, name, self.clock())
        remote = await provider_groups.rename_group(self.providers, face, name)
        return await self.verifier.face(face.id), remote

    async def consent_invite(self, actor: Actor, face_id: int) -> tuple[Face, Invite]:
        """An invite for the person of a face verified through the direct link, to take
        over its consent (no new check)."""
        face = await self.managed(actor, face_id)
        if actor.anonymous:  # it goes to the asker privately: who that is must be known
            raise ServiceRefused(Refusal.ANONYMOUS_ADMIN)
        if face.status is not FaceStatus.ACTIVE:
            raise ServiceRefused(Refusal.FACE_NOT_ACTIVE)
        if not self.providers.capabilities(face.provider).verification:
            raise ServiceRefused(Refusal.NO_FACE_CHECK)
        if await self.invites.consent_stands(face):
            raise ServiceRefused(Refusal.CONSENT_ON_RECORD)
        return face, await self.invites.current(face, actor.user_id, takeover=True)

    async def delete_preview(self, actor: Actor, face_id: int) -> tuple[Face, PhotoDeletion]:
        """The face to delete, and what its provider allows to delete there."""
        face = await self.managed(actor, face_id)
        return face, self.cleanups.deletion(face)

    async def delete(self, actor: Actor, face_id: int) -> tuple[Face, PhotosOutcome]:
        """Delete in the bot, and its photos at the provider where it allows that."""
        face = await self.managed(actor, face_id)
        now = self.clock()

        async def change(order: CleanupOrder | None) -> bool:
            return await self.faces.transition(
                face.id,
                FaceStatus.DELETED,
                now,
                expect=face.status,
                detail="by owner",
                cleanup=order,
            )

        photos = await self.cleanups.removing(face, actor.chat_id, change)
        if photos is None:  # pressed twice, or withdrawn meanwhile: the first change stands
            raise ServiceRefused(Refusal.NO_SUCH_FACE)
        await self.verifier.links.close_face(face.id)
        user = await self.users.get(actor.user_id)
        if user is not None and user.current_face_id == face.id:
            await self.users.set_current_face(actor.user_id, None, now)
        return face, photos

    async def current_face(self, user_id: int) -> Face | None:
        """The face uploads go to: the chosen one, else the newest usable one."""
        user = await self.users.get(user_id)
        if user is not None and user.current_face_id is not None:
            face = await self.faces.get(user.current_face_id)
            if face is not None and face.status is not FaceStatus.DELETED:
                return face
        return await self.lists.newest(Owner(OwnerKind.USER, user_id))

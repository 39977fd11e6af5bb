"""/newface: the questions it asks (name, provider), and creating the face with its check.

The questions are pending input keyed by person and chat, so an answer counts only in the
chat where it was asked (in a group, any admin may press the provider button: an
anonymous admin's ``/newface`` is asked as GroupAnonymousBot and answered as themselves);
and every step asks :func:`check_may_create` again, so an admin demoted since the question
cannot finish it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_rules import check_may_create, clean_name
from bot.services.groups import provider_for_new_faces
from bot.services.invites import InviteService
from bot.services.pending import PendingInputs
from bot.services.verification import Verifier, new_start_ref, provider_failures
from storage.chats import ChatRepo
from storage.faces import FaceRepo
from storage.models import (
    Awaiting,
    Face,
    FaceStatus,
    Invite,
    OwnerKind,
    PendingInput,
    VerificationLink,
)
from storage.users import UserRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceCreated:
    face: Face
    link: VerificationLink | None  # None where the provider has no face check (Sunra)
    invite: Invite | None
    # The same request handled again after a crash: what it made was already shown, unless
    # a link is given (the crash came before its card was sent).
    repeat: bool = False


class NewFaceStep(StrEnum):
    ASK_NAME = "ask_name"  # asked for the name (private chats)
    NAME_WITH_COMMAND = "name_with_command"  # in a group the name comes with /newface
    ASK_PROVIDER = "ask_provider"  # asked which provider (``name`` is kept meanwhile)
    CREATED = "created"


@dataclass(frozen=True)
class NewFace:
    """Where a /newface stands after one step: what was asked, or what was made."""

    step: NewFaceStep
    name: str | None = None
    created: FaceCreated | None = None
    providers: tuple[str, ...] = ()  # the choices, for ASK_PROVIDER


class FaceCreator:
    def __init__(
        self,
        *,
        faces: FaceRepo,
        users: UserRepo,
        chats: ChatRepo,
        pending: PendingInputs,
        providers: Providers,
        verifier: Verifier,
        invites: InviteService,
        clock: Clock,
    ) -> None:
        self.faces = faces
        self.users = users
        self.chats = chats
        self.pending = pending
        self.providers = providers
        self.verifier = verifier
        self.invites = invites
        self.clock = clock

    async def begin(
        self, actor: Actor, raw_name: str | None, *, request_key: str | None = None
    ) -> NewFace:
        """/newface, with or without the name: ask what is missing, or create."""
        check_may_create(actor)
        if raw_name is None or not raw_name.strip():
            if actor.in_group:
                # Privacy mode hides a plain answer in a group: the name comes with the command.
                return NewFace(NewFaceStep.NAME_WITH_COMMAND)
            await self.pending.ask(actor, Awaiting.FACE_NAME)
            return NewFace(NewFaceStep.ASK_NAME)
        return await self._named(actor, raw_name, None, request_key, answered=None)

    async def answer_name(
        self, actor: Actor, text: str, *, request_key: str | None = None
    ) -> NewFace:
        """The answer to "what should this face be called?", asked in this chat."""
        pending = await self.pending.of(actor)
        if pending is None or pending.kind is not Awaiting.FACE_NAME:
            raise ServiceRefused(Refusal.NOT_ASKED)
        await self._still_may_create(actor, pending)
        return await self._named(actor, text, None, request_key, answered=pending)

    async def choose_provider(
        self, actor: Actor, index: int, *, request_key: str | None = None
    ) -> NewFace:
        """A provider button under "where should it live?": the actor's own question, or
        in a group they administer, the one asked there (perhaps by an anonymous admin)."""
        pending = await self.pending.for_button(actor, Awaiting.PROVIDER)
        if pending is None:
            check_may_create(actor)  # a member pressing the admins' buttons hears why not
            raise ServiceRefused(Refusal.NOT_ASKED)
        names = self.providers.names()
        if pending.name is None or not 0 <= index < len(names):
            raise ServiceRefused(Refusal.NOT_ASKED)
        await self._still_may_create(actor, pending)
        return await self._named(actor, pending.name, names[index], request_key, answered=pending)

    async def _still_may_create(self, actor: Actor, pending: PendingInput) -> None:
        """An answer from someone who may no longer create here (an admin demoted since
        the question) is refused, and the question dropped: it cannot be answered."""
        try:
            check_may_create(actor)
        except ServiceRefused:
            await self.pending.done(pending)
            raise

    async def _named(
        self,
        actor: Actor,
        raw_name: str,
        provider: str | None,
        request_key: str | None,
        *,
        answered: PendingInput | None,
    ) -> NewFace:
        try:
            name = clean_name(raw_name)
        except ServiceRefused:
            # A bad name keeps the question open: the next text is the next try.
            await self.pending.ask(actor, Awaiting.FACE_NAME)
            raise
        if provider is None and actor.in_group and actor.chat_id is not None:
            provider = await provider_for_new_faces(self.chats, self.providers, actor.chat_id)
        names = self.providers.names()
        if provider is None and len(names) > 1:
            await self.pending.ask(actor, Awaiting.PROVIDER, name=name)
            return NewFace(NewFaceStep.ASK_PROVIDER, name, providers=tuple(names))
        try:
            created = await self.create(actor, name, provider, request_key)
        finally:
            # Made, refused or failed: the question is answered either way (a /newface
            # with its name ends whatever this person was asked here before).
            if answered is not None:
                await self.pending.done(answered)
            else:
                await self.pending.clear(actor)
        return NewFace(NewFaceStep.CREATED, name, created)

    async def create(
        self,
        actor: Actor,
        raw_name: str,
        provider_name: str | None = None,
        request_key: str | None = None,
    ) -> FaceCreated:
        """Create a face for ``actor`` (theirs, or their group's) and start its check.

        Intent before effect: the face is written (``creating``, with the reference its
        provider-side group will carry) before the provider is asked, and the provider's ids
        are stored the moment they come back. ``request_key`` names the message that asked:
        the same request handled again after a crash finds the face it already made instead
        of starting a second one.
        """
        check_may_create(actor)
        name = clean_name(raw_name)
        provider = self.providers.get(provider_name) if provider_name else self.providers.default()
        owner, chat_id = actor.owner, actor.conversation
        if request_key is not None:
            done = await self.faces.by_request(request_key)
            if done is not None:
                # This request was handled before (a replay after a crash): go on from there.
                with provider_failures():
                    return await self._resume_request(done)
        if not provider.capabilities.verification:
            face = await self.faces.create_active(
                owner=owner,
                created_by=actor.user_id,
                chat_id=chat_id,
                name=name,
                provider=provider.name,
                now=self.clock(),
                request_key=request_key,
            )
            if owner.kind is OwnerKind.USER:
                await self.users.set_current_face(owner.id, face.id, self.clock())
            return FaceCreated(face, None, None)
        # The one-at-a-time check and the intent it lets through are one step: two
        # requests must not both pass before either is written.
        async with self.verifier.start_lock(provider.name):
            await self.verifier.check_serial(provider.name, None)
            now = self.clock()
            face = await self.faces.create(
                owner=owner,
                created_by=actor.user_id,
                chat_id=chat_id,
                name=name,
                provider=provider.name,
                provider_group_id=None,
                provider_session_id=None,
                now=now,
                status=FaceStatus.CREATING,
                start_ref=new_start_ref(),
                request_key=request_key,
            )
        assert face.start_ref is not None
        with provider_failures():
            started = await self.verifier.start(face, provider, face.start_ref, actor.language)
        link = await self.verifier.record_link(started.face, started.session, actor.user_id)
        invite = await self.invites.create(face, actor.user_id, now)
        if owner.kind is OwnerKind.USER:
            await self.users.set_current_face(owner.id, face.id, now)
        log.info("face %d started at %s: %s", face.id, face.provider, started.session.group_id)
        return FaceCreated(started.face, link, invite)

    async def _resume_request(self, face: Face) -> FaceCreated:
        """The /newface that made ``face`` came again (replayed after a crash): show its
        card if the crash came before it was shown, else nothing new (``repeat``)."""
        if face.status is FaceStatus.ACTIVE and face.provider_group_id is None:
            return FaceCreated(face, None, None)  # no face check (Sunra): say it is ready
        if face.status is FaceStatus.CREATING:
            # Its start was cut off by the crash and not yet reconciled: do it now.
            face = await self.verifier.reconcile(face)
            await self.verifier.deliver_outcome(face.id)
            return FaceCreated(face, None, None, repeat=True)
        invite = await self.invites.invites.for_face(face.id)
        link = await self.verifier.links.latest(face.id)
        if face.status is FaceStatus.PENDING and (link is None or invite is None):
            # The crash came after the provider answered and before the link was recorded.
            if await self.faces.transition(
                face.id,
                FaceStatus.INTERRUPTED,
                self.clock(),
                expect=FaceStatus.PENDING,
                detail="interrupted before its link",
            ):
                await self.verifier.deliver_outcome(face.id)
            return FaceCreated(await self.verifier.face(face.id), None, None, repeat=True)
        live = link is not None and link.expires_at > self.clock() and link.message_id is None
        if face.status is FaceStatus.PENDING and live and invite is not None:
            return FaceCreated(face, link, invite, repeat=True)
        return FaceCreated(face, None, None, repeat=True)

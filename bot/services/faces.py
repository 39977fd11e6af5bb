"""Faces and their verification: create, links, invites, rename, delete.

The 120 seconds of a verification link start when the link is issued, so a link is
issued only when someone is about to use it: at /newface for the creator, and at
"I'm ready" for an invited person.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass

from bot.providers.base import (
    GroupInfo,
    GroupState,
    PendingVerification,
    Provider,
    ProviderError,
    ProviderRejected,
    VerificationSession,
)
from bot.providers.registry import Providers
from bot.services.bounded import KeyedLocks
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.notify import Notifier
from bot.services.user_text import has_visible
from storage.assets import AssetRepo
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import (
    Asset,
    AssetState,
    Face,
    FaceStatus,
    Invite,
    Owner,
    OwnerKind,
    User,
    VerificationLink,
)
from storage.users import UserRepo

log = logging.getLogger(__name__)

MAX_NAME = 64
SERIAL_MARGIN = 60.0
INVITE_PREFIX = "v-"


@dataclass(frozen=True)
class LinkIssued:
    face: Face
    link: VerificationLink
    new_group: bool  # the provider could not refresh: a new group replaced the old one
    # The same press handled again after a crash: this is the link it got then (its card is
    # out already when ``link.message_id`` is set).
    repeat: bool = False


@dataclass(frozen=True)
class FaceCreated:
    face: Face
    link: VerificationLink | None  # None where the provider has no face check (Sunra)
    invite: Invite | None
    # The same request handled again after a crash: what it made was already shown, unless
    # a link is given (the crash came before its card was sent).
    repeat: bool = False


@dataclass(frozen=True)
class InviteView:
    face: Face
    invite: Invite
    creator: User | None


@dataclass(frozen=True)
class FaceSummary:
    face: Face
    assets: list[Asset]

    def count(self, state: AssetState) -> int:
        return sum(1 for a in self.assets if a.state is state)


def clean_name(raw: str) -> str:
    """A face name as stored: trimmed, single-spaced, printable, 1..64 characters."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME:
        raise ServiceRefused(Refusal.BAD_NAME, name)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ServiceRefused(Refusal.BAD_NAME, name)
    if not has_visible(name):  # e.g. only Hangul fillers or combining marks: looks empty
        raise ServiceRefused(Refusal.BAD_NAME, name)
    return name


@dataclass(frozen=True)
class _Started:
    face: Face
    session: VerificationSession


def new_start_ref() -> str:
    """Unique enough to find one start among an account's groups by name."""
    return "rf" + secrets.token_hex(6)


def provider_label(name: str, start_ref: str) -> str:
    """The group's name at the provider: the face's name and our reference, in 64 chars."""
    suffix = f" #{start_ref}"
    return name[: MAX_NAME - len(suffix)].rstrip() + suffix


def invite_payload(invite: Invite) -> str:
    return INVITE_PREFIX + invite.token


def invite_token(payload: str) -> str | None:
    if payload.startswith(INVITE_PREFIX) and len(payload) > len(INVITE_PREFIX):
        return payload[len(INVITE_PREFIX) :]
    return None


class FaceService:
    def __init__(
        self,
        *,
        faces: FaceRepo,
        links: LinkRepo,
        invites: InviteRepo,
        assets: AssetRepo,
        users: UserRepo,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        link_ttl: float,
        invite_ttl: float,
        return_base: str | None = None,
    ) -> None:
        self.faces = faces
        self.links = links
        self.invites = invites
        self.assets = assets
        self.users = users
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.link_ttl = link_ttl
        self.invite_ttl = invite_ttl
        self.return_base = return_base
        self._outcome_locks: KeyedLocks[int] = KeyedLocks()
        self._start_locks: KeyedLocks[str] = KeyedLocks()  # per provider

    def return_url(self, provider: str) -> str | None:
        """Where a verification page may send the person's browser back to."""
        return f"{self.return_base}/{provider}" if self.return_base else None

    async def create(
        self,
        owner: Owner,
        created_by: int,
        chat_id: int,
        raw_name: str,
        provider_name: str | None = None,
        request_key: str | None = None,
    ) -> FaceCreated:
        """Create a face and start its check at the provider.

        Intent before effect: the face is written (``creating``, with the reference its
        provider-side group will carry) before the provider is asked, and the provider's ids
        are stored the moment they come back. ``request_key`` names the message that asked:
        the same request handled again after a crash finds the face it already made instead
        of starting a second one.
        """
        name = clean_name(raw_name)
        provider = self.providers.get(provider_name) if provider_name else self.providers.default()
        if request_key is not None:
            done = await self.faces.by_request(request_key)
            if done is not None:
                # This request was handled before (a replay after a crash): go on from there.
                return await self._resume_request(done)
        if not provider.capabilities.verification:
            face = await self.faces.create_active(
                owner=owner,
                created_by=created_by,
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
        async with self._start_locks[provider.name]:
            await self._check_serial(provider.name, None)
            now = self.clock()
            face = await self.faces.create(
                owner=owner,
                created_by=created_by,
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
        session = await self._start(face, provider, face.start_ref)
        link = await self._record_link(session.face, session.session, created_by)
        invite = await self.invites.create(
            secrets.token_urlsafe(24), face.id, created_by, now, now + self.invite_ttl
        )
        if owner.kind is OwnerKind.USER:
            await self.users.set_current_face(owner.id, face.id, now)
        log.info("face %d started at %s: %s", face.id, face.provider, session.session.group_id)
        return FaceCreated(session.face, link, invite)

    async def _resume_request(self, face: Face) -> FaceCreated:
        """The /newface that made ``face`` came again (replayed after a crash): show its
        card if the crash came before it was shown, else nothing new (``repeat``)."""
        if face.status is FaceStatus.ACTIVE and face.provider_group_id is None:
            return FaceCreated(face, None, None)  # no face check (Sunra): say it is ready
        if face.status is FaceStatus.CREATING:
            # Its start was cut off by the crash and not yet reconciled: do it now.
            face = await self.reconcile(face)
            await self.deliver_outcome(face.id)
            return FaceCreated(face, None, None, repeat=True)
        invite = await self.invites.for_face(face.id)
        link = await self.links.latest(face.id)
        if face.status is FaceStatus.PENDING and (link is None or invite is None):
            # The crash came after the provider answered and before the link was recorded.
            if await self.faces.transition(
                face.id,
                FaceStatus.INTERRUPTED,
                self.clock(),
                expect=FaceStatus.PENDING,
                detail="interrupted before its link",
            ):
                await self.deliver_outcome(face.id)
            return FaceCreated(await self._face(face.id), None, None, repeat=True)
        live = link is not None and link.expires_at > self.clock() and link.message_id is None
        if face.status is FaceStatus.PENDING and live and invite is not None:
            return FaceCreated(face, link, invite, repeat=True)
        return FaceCreated(face, None, None, repeat=True)

    async def _start(self, face: Face, provider: Provider, start_ref: str) -> _Started:
        """Ask the provider to start a check for a face already marked ``creating``."""
        caps = provider.capabilities
        label = provider_label(face.name, start_ref) if caps.start_creates_group else face.name
        try:
            session = await provider.start_verification(
                label, return_url=self.return_url(face.provider)
            )
        except ProviderError as exc:
            session = await self._after_lost_start(face, provider, start_ref, exc)
        except Exception as exc:
            # Not the provider's answer (a bug, a parser): nothing is known to exist.
            await self._start_failed(face, None, f"start failed: {type(exc).__name__}")
            raise
        started = await self.faces.started(
            face.id, session.group_id, session.session_id, self.clock()
        )
        if started is None:
            raise ServiceRefused(Refusal.ALREADY_ACTIVE)
        return _Started(started, session)

    async def _after_lost_start(
        self, face: Face, provider: Provider, start_ref: str, exc: ProviderError
    ) -> VerificationSession:
        """A start that failed: a refusal created nothing; a lost answer may have, so look
        for it before giving up. Raises ``exc`` when there is nothing to go on with; the
        face is never left ``creating``."""
        found = None
        if not isinstance(exc, ProviderRejected) and provider.capabilities.start_creates_group:
            found = await self._find_started(provider, start_ref)
        fresh = None
        if found is not None:
            try:
                fresh = await provider.refresh_verification(found.group_id, None)
            except ProviderError as again:
                log.warning("face %d: no link for found group: %s", face.id, again)
        if fresh is None:
            group = found.group_id if found is not None else None
            await self._start_failed(face, group, f"start failed: {exc}")
            raise exc
        return fresh

    async def _start_failed(self, face: Face, group_id: str | None, detail: str) -> None:
        """A face that never started is gone; one that had (or got) a group is interrupted,
        and the caller tells the user why (so it is not told again by the sweep)."""
        first = face.provider_group_id is None and face.provider_session_id is None
        to = FaceStatus.DELETED if first and group_id is None else FaceStatus.INTERRUPTED
        await self.faces.start_failed(face.id, to, group_id, detail, self.clock())
        if to is FaceStatus.INTERRUPTED:
            await self.faces.mark_notified(face.id)

    async def _find_started(self, provider: Provider, start_ref: str) -> GroupInfo | None:
        try:
            return await provider.find_group_named(start_ref)
        except ProviderError as exc:
            log.warning("looking for group %s at %s failed: %s", start_ref, provider.name, exc)
            return None

    async def reconcile(self, face: Face) -> Face:
        """A start cut off by a crash: bind the group the provider made for it where it can
        be found, and tell the owner plainly (no link is out: New link gives one)."""
        provider = self.providers.get(face.provider)
        found = None
        if provider.capabilities.start_creates_group and face.start_ref is not None:
            found = await self._find_started(provider, face.start_ref)
        group = found.group_id if found is not None else None
        await self.faces.start_failed(
            face.id, FaceStatus.INTERRUPTED, group, "interrupted by a restart", self.clock()
        )
        log.info("face %d: start interrupted, group %s", face.id, group or "not found")
        return await self._face(face.id)

    async def reconcile_interrupted(self, booted_at: float) -> int:
        """After a restart: every start the previous run left half-done; how many."""
        count = 0
        for face in await self.faces.creating(booted_at):
            try:
                await self.reconcile(face)
            except LookupError:
                continue  # its provider is not enabled any more: leave it as it is
            await self.deliver_outcome(face.id)
            count += 1
        return count

    async def managed(self, face_id: int, user_id: int, *, admin_of: int | None = None) -> Face:
        """The face, if ``user_id`` may manage it: their own, or (``admin_of``) their group's."""
        face = await self.faces.get(face_id)
        if face is None or face.status is FaceStatus.DELETED:
            raise ServiceRefused(Refusal.NO_SUCH_FACE)
        if not self.may_manage(face, user_id, admin_of):
            raise ServiceRefused(Refusal.NOT_YOURS)
        return face

    @staticmethod
    def may_manage(face: Face, user_id: int, admin_of: int | None = None) -> bool:
        if face.owner.kind is OwnerKind.USER:
            return face.owner.id == user_id
        return admin_of is not None and face.owner.id == admin_of

    async def new_link(
        self,
        face_id: int,
        user_id: int,
        *,
        admin_of: int | None = None,
        request_key: str | None = None,
    ) -> LinkIssued:
        """A fresh link for the face's owner (one per ``request_key``: a press handled again
        after a crash gets the link it got then, and the provider is not asked twice)."""
        face = await self.managed(face_id, user_id, admin_of=admin_of)
        return await self._fresh_link(face, user_id, request_key)

    async def invite_for(
        self, face_id: int, user_id: int, *, admin_of: int | None = None
    ) -> Invite:
        face = await self.managed(face_id, user_id, admin_of=admin_of)
        invite = await self.invites.for_face(face.id)
        now = self.clock()
        if invite is None or invite.expires_at <= now or invite.claimed_by is not None:
            invite = await self.invites.create(
                secrets.token_urlsafe(24), face.id, user_id, now, now + self.invite_ttl
            )
        return invite

    async def open_invite(self, token: str, user_id: int) -> InviteView:
        """The person being verified opened the invite: claim it for them."""
        invite, face = await self._invite(token)
        if invite.claimed_by not in (None, user_id):
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        if invite.claimed_by is None and not await self.invites.claim(
            token, user_id, self.clock()
        ):
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        creator = await self.users.get(invite.created_by)
        return InviteView(face, invite, creator)

    async def ready(
        self, token: str, user_id: int, *, request_key: str | None = None
    ) -> LinkIssued:
        """The invited person is ready: a link now, so their 120 seconds start now."""
        invite, face = await self._invite(token)
        if invite.claimed_by != user_id:
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        await self.faces.set_verifier(face.id, user_id)
        face = await self._face(face.id)
        return await self._fresh_link(face, user_id, request_key)

    async def decline(self, token: str, user_id: int) -> Face:
        invite, face = await self._invite(token)
        if invite.claimed_by != user_id:
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        return face

    async def _invite(self, token: str) -> tuple[Invite, Face]:
        invite = await self.invites.get(token)
        if invite is None:
            raise ServiceRefused(Refusal.INVITE_UNKNOWN)
        face = await self.faces.get(invite.face_id)
        if face is None or face.status is FaceStatus.DELETED:
            raise ServiceRefused(Refusal.INVITE_UNKNOWN)
        if face.status is FaceStatus.ACTIVE:
            raise ServiceRefused(Refusal.INVITE_DONE)
        if invite.expires_at <= self.clock():
            raise ServiceRefused(Refusal.INVITE_EXPIRED)
        return invite, face

    async def _face(self, face_id: int) -> Face:
        face = await self.faces.get(face_id)
        if face is None:
            raise ServiceRefused(Refusal.NO_SUCH_FACE)
        return face

    async def _fresh_link(
        self, face: Face, issued_to: int, request_key: str | None = None
    ) -> LinkIssued:
        if request_key is not None:
            done = await self.links.by_request(request_key)
            if done is not None:
                return LinkIssued(face, done, new_group=False, repeat=True)
        if face.status is FaceStatus.ACTIVE:
            raise ServiceRefused(Refusal.ALREADY_ACTIVE)
        provider = self.providers.get(face.provider)
        session = await provider.refresh_verification(
            face.provider_group_id, face.provider_session_id
        )
        new_group = False
        if session is None:
            await self._activate_if_passed(face)
            # The provider gives no fresh link for this verification: start a new one.
            start_ref = new_start_ref()
            async with self._start_locks[face.provider]:
                await self._check_serial(face.provider, face.id)
                if not await self.faces.begin_start(face.id, start_ref, self.clock()):
                    # It passed meanwhile, or another press is starting it right now.
                    current = await self._face(face.id)
                    if current.status is FaceStatus.CREATING:
                        raise ServiceRefused(Refusal.START_UNDER_WAY)
                    raise ServiceRefused(Refusal.ALREADY_ACTIVE)
            started = await self._start(face, provider, start_ref)
            session = started.session
            new_group = face.provider_group_id is not None
            face = started.face
            log.info("face %d moved to new group %s", face.id, session.group_id)
        if face.status in (FaceStatus.EXPIRED, FaceStatus.INTERRUPTED):
            await self.faces.transition(
                face.id,
                FaceStatus.PENDING,
                self.clock(),
                expect=face.status,
                detail="new link",
            )
        link = await self._record_link(face, session, issued_to, request_key)
        return LinkIssued(await self._face(face.id), link, new_group)

    async def _check_serial(self, provider: str, face_id: int | None) -> None:
        """Where a provider cannot tell two new groups apart, one verification at a time."""
        if not self.providers.get(provider).capabilities.serial_verification:
            return
        until = await self.links.busy_until(provider, face_id, self.link_ttl)
        # The group may appear a little after the link's end: keep a margin.
        wait = (until + SERIAL_MARGIN - self.clock()) if until is not None else 0
        if wait > 0:
            raise ServiceRefused(Refusal.PROVIDER_BUSY, str(int(wait) + 1))

    async def _activate_if_passed(self, face: Face) -> None:
        """Before replacing a verification, make sure the person has not just passed it."""
        provider = self.providers.get(face.provider)
        if face.provider_session_id is not None:
            latest = await self.links.latest(face.id)
            pending = PendingVerification(
                key=face.id,
                name=face.name,
                group_id=face.provider_group_id,
                session_id=face.provider_session_id,
                started_at=latest.issued_at if latest else face.created_at,
            )
            passed = await provider.check_verifications(
                [pending], await self.faces.group_ids(face.provider)
            )
            info = passed.get(face.id)
        elif face.provider_group_id is not None:
            info = await provider.get_group(face.provider_group_id)
        else:
            return
        if info is not None and info.state is GroupState.ACTIVE:
            await self.activate(face, info.group_id)
            raise ServiceRefused(Refusal.ALREADY_ACTIVE)

    async def poll_now(self, provider: str, session_id: str) -> bool:
        """A verification page came back: poll that face at once. True if one matched."""
        face = await self.faces.pending_by_session(provider, session_id)
        if face is None:
            return False
        await self.faces.restart_polling(face.id, self.clock())
        return True

    async def _record_link(
        self,
        face: Face,
        session: VerificationSession,
        issued_to: int,
        request_key: str | None = None,
    ) -> VerificationLink:
        now = self.clock()
        ttl = session.expires_in if session.expires_in else self.link_ttl
        link = await self.links.issue(
            face.id, session.h5_link, issued_to, now, now + ttl, request_key
        )
        await self.faces.restart_polling(face.id, now)
        return link

    async def activate(self, face: Face, group_id: str | None = None) -> bool:
        """Record that verification passed; tell everyone once. True if this call did it."""
        moved = await self.faces.transition(
            face.id,
            FaceStatus.ACTIVE,
            self.clock(),
            expect=face.status,
            group_id=group_id,
            detail="verified",
        )
        if not moved:
            return False
        await self.links.close_face(face.id)
        await self.deliver_outcome(face.id)
        return True

    async def deliver_outcome(self, face_id: int) -> None:
        """Tell creator and verifier how the check ended, once (a lock keeps a handler and
        the tracker's sweep from both sending it)."""
        async with self._outcome_locks[face_id]:
            face = await self._face(face_id)
            if face.outcome_notified:
                return
            await self.notifier.face_outcome(face)
            await self.faces.mark_notified(face.id)

    async def attach_card(self, link: VerificationLink, chat_id: int, message_id: int) -> None:
        await self.links.attach_message(link.id, chat_id, message_id)

    async def summaries(self, owner: Owner) -> list[FaceSummary]:
        faces = await self.faces.list_for_owner(owner)
        return [FaceSummary(f, await self.assets.for_face(f.id)) for f in faces]

    async def summary(
        self, face_id: int, user_id: int, *, admin_of: int | None = None
    ) -> FaceSummary:
        face = await self.managed(face_id, user_id, admin_of=admin_of)
        return FaceSummary(face, await self.assets.for_face(face.id))

    async def use(self, face_id: int, user_id: int) -> Face:
        face = await self.managed(face_id, user_id)
        await self.users.set_current_face(user_id, face.id, self.clock())
        return face

    async def rename(
        self, face_id: int, user_id: int, raw_name: str, *, admin_of: int | None = None
    ) -> tuple[Face, bool]:
        """Rename in the bot, and at the provider where it can; (face, renamed there too)."""
        face = await self.managed(face_id, user_id, admin_of=admin_of)
        name = clean_name(raw_name)
        await self.faces.rename(face.id, name, self.clock())
        remote = await self._at_provider(face, "rename", name)
        return await self._face(face.id), remote

    async def delete(
        self, face_id: int, user_id: int, *, admin_of: int | None = None
    ) -> tuple[Face, bool]:
        """Delete in the bot, and the group at the provider where it can; (face, deleted there)."""
        face = await self.managed(face_id, user_id, admin_of=admin_of)
        remote = await self._at_provider(face, "delete", None)
        await self.faces.transition(face.id, FaceStatus.DELETED, self.clock(), detail="by owner")
        await self.links.close_face(face.id)
        user = await self.users.get(user_id)
        if user is not None and user.current_face_id == face.id:
            await self.users.set_current_face(user_id, None, self.clock())
        return face, remote

    def deletes_at_provider(self, face: Face) -> bool:
        return (
            face.provider_group_id is not None
            and self.providers.capabilities(face.provider).manages_groups
        )

    async def _at_provider(self, face: Face, what: str, name: str | None) -> bool:
        """Mirror a rename or delete at the provider; the bot's own record wins regardless."""
        if face.provider_group_id is None:
            return False
        provider = self.providers.get(face.provider)
        try:
            if what == "rename":
                assert name is not None
                return await provider.rename_group(face.provider_group_id, name)
            return await provider.delete_group(face.provider_group_id)
        except ProviderError as exc:
            log.warning(
                "%s of group %s at %s failed: %s", what, face.provider_group_id, face.provider, exc
            )
            return False

    async def current_face(self, user_id: int) -> Face | None:
        """The face uploads go to: the chosen one, else the newest usable one."""
        user = await self.users.get(user_id)
        if user is not None and user.current_face_id is not None:
            face = await self.faces.get(user.current_face_id)
            if face is not None and face.status is not FaceStatus.DELETED:
                return face
        faces = await self.faces.list_for_owner(Owner(OwnerKind.USER, user_id))
        active = [f for f in faces if f.status is FaceStatus.ACTIVE]
        pool = active or faces
        return pool[-1] if pool else None

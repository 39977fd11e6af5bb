"""A face's check at its provider: starting it, fresh links, the outcome, and what a crash
cut off.

The 120 seconds of a verification link start when the link is issued, so a link is
issued only when someone is about to use it: at /newface for the creator, and at
"I agree — I'm ready now" for an invited person. Nothing here decides who may ask (FaceService and
InviteService do); provider errors leave as :class:`ServiceFailed` through
:func:`provider_failures` at those entry points.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.providers.base import (
    GroupInfo,
    GroupState,
    PendingVerification,
    Provider,
    ProviderError,
    ProviderRejected,
    VerificationSession,
    verification_locale,
)
from bot.providers.registry import Providers
from bot.services.bounded import KeyedLocks
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused, failure_of
from bot.services.leases import Claims, Unshared
from bot.services.notify import Notifier
from storage.consents import ConsentRepo
from storage.faces import FaceRepo
from storage.leases import LeaseKind
from storage.links import LinkRepo
from storage.models import Face, FaceStatus, Invite, VerificationLink

log = logging.getLogger(__name__)

MAX_LABEL = 64
SERIAL_MARGIN = 60.0


@contextmanager
def provider_failures() -> Iterator[None]:
    """Provider errors leave a use case as closed :class:`ServiceFailed` reasons."""
    try:
        yield
    except ProviderError as exc:
        log.warning("provider call failed: %s", exc)
        raise failure_of(exc) from exc


@dataclass(frozen=True)
class LinkIssued:
    face: Face
    link: VerificationLink
    new_group: bool  # the provider could not refresh: a new group replaced the old one
    # The same press handled again after a crash: this is the link it got then (its card is
    # out already when ``link.message_id`` is set).
    repeat: bool = False
    # The invite the card offers (the face's owner's card only, not the invitee's).
    invite: Invite | None = None


@dataclass(frozen=True)
class Started:
    face: Face
    session: VerificationSession


def new_start_ref() -> str:
    """Unique enough to find one start among an account's groups by name."""
    return "rf" + secrets.token_hex(6)


def provider_label(name: str, start_ref: str) -> str:
    """The group's name at the provider: the face's name and our reference, in 64 chars."""
    suffix = f" #{start_ref}"
    return name[: MAX_LABEL - len(suffix)].rstrip() + suffix


class Verifier:
    def __init__(
        self,
        *,
        faces: FaceRepo,
        links: LinkRepo,
        consents: ConsentRepo,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        link_ttl: float,
        return_base: str | None = None,
        claims: Claims | None = None,
        mutex: Callable[[str], contextlib.AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.claims: Claims = claims or Unshared()
        self.faces = faces
        self.links = links
        self.consents = consents
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.link_ttl = link_ttl
        self.return_base = return_base
        self._outcome_locks: KeyedLocks[int] = KeyedLocks()
        # Per provider: a one-at-a-time check and the intent it lets through are one step,
        # across every worker sharing the database (``mutex``), or in this process.
        self._start_locks: KeyedLocks[str] = KeyedLocks()
        self._mutex = mutex

    def start_lock(self, provider: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Held over a serial provider's check and the start it lets through."""
        if self._mutex is not None:
            return self._mutex(f"start:{provider}")
        return self._start_locks[provider]

    async def return_url(self, face: Face) -> str | None:
        """Where a verification page may send the person's browser back to (or its provider
        call): a new secret for each start, so a call wakes only this face's check."""
        if not self.return_base:
            return None
        token = secrets.token_urlsafe(24)
        await self.faces.set_callback(face.id, token)
        return f"{self.return_base}/{face.provider}/{token}"

    async def face(self, face_id: int) -> Face:
        face = await self.faces.get(face_id)
        if face is None:
            raise ServiceRefused(Refusal.NO_SUCH_FACE)
        return face

    async def start(
        self, face: Face, provider: Provider, start_ref: str, language: str | None = None
    ) -> Started:
        """Ask the provider to start a check for a face already marked ``creating``; its
        page in ``language`` (the person's who will do it) where the provider offers it.
        The face's start lease is held meanwhile: no worker takes the start for one a crash
        cut off (:meth:`reconcile_interrupted`)."""
        async with self.claims.holding(LeaseKind.FACE_START, face.id):
            return await self._start(face, provider, start_ref, language)

    async def _start(
        self, face: Face, provider: Provider, start_ref: str, language: str | None
    ) -> Started:
        caps = provider.capabilities
        label = provider_label(face.name, start_ref) if caps.start_creates_group else face.name
        try:
            session = await provider.start_verification(
                label,
                return_url=await self.return_url(face),
                locale=verification_locale(caps, language),
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
        return Started(started, session)

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
        return await self.face(face.id)

    async def reconcile_interrupted(self, before: float) -> int:
        """Every start a crash left half-done: last touched before ``before`` (this run's
        start, or a lease's length ago) and held by no live worker; how many."""
        count = 0
        cut_off = await self.faces.creating(before)
        mine = await self.claims.claim(LeaseKind.FACE_START, [face.id for face in cut_off])
        try:
            for face in cut_off:
                if face.id not in mine:
                    continue  # a live worker is starting it
                try:
                    await self.reconcile(face)
                except LookupError:
                    continue  # its provider is not enabled any more: leave it as it is
                await self.deliver_outcome(face.id)
                count += 1
        finally:
            await self.claims.release(LeaseKind.FACE_START, mine)
        return count

    async def fresh_link(
        self,
        face: Face,
        issued_to: int,
        request_key: str | None = None,
        language: str | None = None,
    ) -> LinkIssued:
        """A new link for a face whose caller may have one (one per ``request_key``: a press
        handled again after a crash gets the link it got then; the provider is not asked
        twice)."""
        if request_key is not None:
            done = await self.links.by_request(request_key)
            if done is not None:
                return LinkIssued(face, done, new_group=False, repeat=True)
        if face.status is FaceStatus.ACTIVE:
            raise ServiceRefused(Refusal.ALREADY_ACTIVE)
        if face.status is FaceStatus.WITHDRAWN:  # consent is over: never verified again
            raise ServiceRefused(Refusal.FACE_WITHDRAWN)
        provider = self.providers.get(face.provider)
        session = await provider.refresh_verification(
            face.provider_group_id, face.provider_session_id
        )
        new_group = False
        if session is None:
            await self._activate_if_passed(face)
            # The provider gives no fresh link for this verification: start a new one.
            start_ref = new_start_ref()
            async with self.start_lock(face.provider):
                await self.check_serial(face.provider, face.id)
                if not await self.faces.begin_start(face.id, start_ref, self.clock()):
                    # It passed meanwhile, or another press is starting it right now.
                    current = await self.face(face.id)
                    if current.status is FaceStatus.CREATING:
                        raise ServiceRefused(Refusal.START_UNDER_WAY)
                    raise ServiceRefused(Refusal.ALREADY_ACTIVE)
            started = await self.start(face, provider, start_ref, language)
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
        link = await self.record_link(face, session, issued_to, request_key)
        return LinkIssued(await self.face(face.id), link, new_group)

    async def check_serial(self, provider: str, face_id: int | None) -> None:
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

    async def called_back(self, token: str) -> bool:
        """A verification page (or its provider) called this start's URL: poll its face at
        once; the provider's answer decides. True if the secret is a waiting face's."""
        face = await self.faces.pending_by_callback(token)
        if face is None:
            return False
        if face.status is not FaceStatus.CREATING:
            await self.faces.restart_polling(face.id, self.clock())
        return True

    async def poll_now(self, provider: str, session_id: str) -> bool:
        """A verification page came back: poll that face at once. True if one matched."""
        face = await self.faces.pending_by_session(provider, session_id)
        if face is None:
            return False
        await self.faces.restart_polling(face.id, self.clock())
        return True

    async def record_link(
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
        if face.status is FaceStatus.WITHDRAWN:
            return False  # its person withdrew: a pass seen late changes nothing
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
        if face.verifier_user_id is not None:  # the record of the person's consent says so
            await self.consents.passed(face.id, face.verifier_user_id, self.clock())
        await self.links.close_face(face.id)
        await self.deliver_outcome(face.id)
        return True

    async def deliver_outcome(self, face_id: int) -> None:
        """Tell creator and verifier how the check ended, once (a lock keeps a handler and
        the tracker's sweep from both sending it; a lease, another worker's)."""
        async with (
            self._outcome_locks[face_id],
            self.claims.holding(LeaseKind.FACE_OUTCOME, face_id) as mine,
        ):
            if not mine:  # another worker is telling it now
                return
            face = await self.face(face_id)
            if face.outcome_notified:
                return
            await self.notifier.face_outcome(face)
            await self.faces.mark_notified(face.id)

    async def attach_card(self, link: VerificationLink, chat_id: int, message_id: int) -> None:
        await self.links.attach_message(link.id, chat_id, message_id)

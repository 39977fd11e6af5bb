"""The one composition root: settings in, a ready-to-run Application out."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib
import logging
from collections.abc import Mapping
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.config import SandboxControl, Settings
from bot.providers.factory import build_providers
from bot.providers.registry import Providers
from bot.services.clock import Clock, system_clock
from bot.services.consents import ConsentService
from bot.services.faces import FaceService
from bot.services.forget import ForgetService
from bot.services.groups import GroupService
from bot.services.inbox import UpdateInbox
from bot.services.languages import LanguageService
from bot.services.leases import Leases
from bot.services.leftovers import remove_file_media, remove_leftover_tempdirs
from bot.services.notifications import FaceNotifications, VideoNotifications
from bot.services.pending import PendingInputs
from bot.services.shared_state import GroupPacing, SharedAdminRights
from bot.services.tracking import Schedule, Tracker
from bot.services.upload_prompts import UploadPrompts
from bot.services.uploads import UploadService
from bot.services.video_polling import VideoSchedule
from bot.services.videos import Limits, VideoService
from bot.telegram import i18n
from bot.telegram.admins import AdminCache
from bot.telegram.commands import set_commands
from bot.telegram.context import BotData, Services
from bot.telegram.handlers import register
from bot.telegram.handlers.uploads import telegram_fetcher
from bot.telegram.lifecycle import AnyApplication, StartupError
from bot.telegram.notifiers.faces import TelegramNotifier
from bot.telegram.notifiers.videos import TelegramVideoNotifier
from bot.telegram.retry import RetryingRateLimiter, rate_limiter
from bot.telegram.updates import (
    REMEMBERED,
    ConfirmingRequest,
    DurableProcessor,
    DurableUpdateQueue,
    replay,
)
from bot.telegram.web import MediaStore, WebServer, public_base, webhook_path
from bot.tls import tls_context
from storage.assets import AssetRepo
from storage.chats import ChatRepo, InlineOfferRepo
from storage.database import Database, Dialect, Unreachable
from storage.faces import FaceRepo
from storage.forget import ForgetRepo
from storage.inbox import InboxRepo
from storage.languages import LanguageRepo
from storage.leases import LeaseRepo
from storage.links import InviteRepo, LinkRepo
from storage.media import MediaRepo
from storage.pending import PendingRepo
from storage.shared import AdminRightsRepo, PacingRepo
from storage.users import UserRepo
from storage.videos import VideoRepo

log = logging.getLogger(__name__)

# The role only one worker of a shared database may have: long polling (Telegram answers a
# second getUpdates with 409 Conflict). Any fixed number.
LONG_POLLER = 0x7265_6166_0003
# Several workers: how stale a remembered language choice (made through another worker)
# may be before it is read again.
SHARED_FRESH_SECONDS = 10.0


class Runtime:
    """Everything with a lifetime: opened at post_init, closed at post_stop/post_shutdown."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        # Updates are kept in the database from arrival until handled (bot/telegram/updates.py).
        self.update_queue = DurableUpdateQueue()
        self.update_processor = DurableProcessor(16)
        self.db: Database | None = None
        self.providers: Providers | None = None
        self.sandbox: SandboxControl | None = None
        self.tracker_task: asyncio.Task[None] | None = None
        self.leases: Leases | None = None
        self.inbox: UpdateInbox | None = None
        self.adopt_task: asyncio.Task[None] | None = None
        self.menus_task: asyncio.Task[None] | None = None
        self.videos: VideoService | None = None
        self.faces: FaceService | None = None
        self.tracker: Tracker | None = None
        self.media: MediaStore | None = None
        self.web: WebServer | None = None

    async def start(self, app: AnyApplication) -> None:
        settings = self.settings
        # Rows last touched before this moment are the previous run's (see Tracker.resume).
        booted_at = self.clock()
        settings.files.mkdir(parents=True, exist_ok=True)
        remove_leftover_tempdirs(settings.files)
        self.db = db = Database(settings.database)
        try:
            await db.open()
        except Unreachable as exc:
            raise StartupError(
                f"cannot open the database {exc}: check REALFACE_DATABASE and that the "
                "server is running"
            ) from None
        # This worker among those sharing the database (one with SQLite): what it works on.
        self.leases = leases = Leases(
            LeaseRepo(db),
            self.clock,
            lease_seconds=settings.lease_seconds,
            alone=db.dialect is Dialect.SQLITE,
        )
        if settings.webhook_url is None and not await db.hold_alone(LONG_POLLER):
            raise StartupError(
                "another worker of this bot already long-polls Telegram (it allows one): "
                "run several workers in webhook mode (REALFACE_WEBHOOK_URL), or only one"
            )
        await leases.start()
        limiter = app.bot.rate_limiter
        if settings.shared_database and isinstance(limiter, RetryingRateLimiter):
            # Groups' send limits are the bot's, kept by all workers together.
            pacing = GroupPacing(PacingRepo(db), self.clock, settings.group_messages_per_minute)
            limiter.group_pace = pacing.wait
        self.inbox = inbox = UpdateInbox(
            InboxRepo(db),
            self.clock,
            worker=leases.name,
            lease_seconds=settings.lease_seconds,
        )
        # What an earlier run left unfinished, read before any new update can arrive (the
        # webhook server starts below): those are new rows, not replays.
        unfinished = await inbox.unfinished()
        handled = await inbox.recently_done(REMEMBERED)
        self.update_queue.bind(inbox, unfinished, handled)
        self.update_processor.bind(self.update_queue)
        keys = settings.provider_keys()
        if settings.sandbox:
            # Loaded by name, and only here: production code never imports the simulators.
            control = importlib.import_module("sandbox.control")
            self.sandbox = await control.start_sandbox(
                settings.sandbox_providers, settings.sandbox_processing_seconds
            )
            keys = self.sandbox.keys()
            log.warning("SANDBOX mode: simulated providers, nothing is real or charged")
        public_url = await self._start_web(app)
        enabled, unavailable = build_providers(settings, keys, public_url=public_url is not None)
        self.providers = Providers(enabled, unavailable)

        users, face_repo, links, chats = UserRepo(db), FaceRepo(db), LinkRepo(db), ChatRepo(db)
        invites, assets, inline_offers = InviteRepo(db), AssetRepo(db), InlineOfferRepo(db)
        languages = LanguageService(
            LanguageRepo(db),
            self.clock,
            i18n.languages(),
            i18n.SOURCE,
            fresh_seconds=SHARED_FRESH_SECONDS if settings.shared_database else None,
        )
        telegram_notifier = TelegramNotifier(app.bot, languages)
        prompts = UploadPrompts(chats)
        notifier = FaceNotifications(
            telegram_notifier,
            prompts=prompts,
            faces=face_repo,
            links=links,
            invites=invites,
            assets=assets,
            chats=chats,
        )
        public = self.media.base_url if self.media is not None and self.media.base_url else None
        pending = PendingInputs(PendingRepo(db), self.clock)
        self.faces = faces = FaceService(
            prompts=prompts,
            faces=face_repo,
            links=links,
            invites=invites,
            assets=assets,
            users=users,
            chats=chats,
            pending=pending,
            providers=self.providers,
            notifier=notifier,
            clock=self.clock,
            link_ttl=settings.link_ttl_seconds,
            invite_ttl=settings.invite_ttl_seconds,
            return_base=f"{public}/return" if public else None,
            cleanup_recheck_seconds=settings.poll_seconds,
            claims=leases,
            mutex=db.mutex,
        )
        uploads = UploadService(
            assets=assets,
            faces=faces,
            providers=self.providers,
            notifier=notifier,
            clock=self.clock,
            poll_seconds=settings.poll_seconds,
            media=self.media if public else None,
            concurrency=settings.upload_concurrency,
            claims=leases,
        )
        videos_repo = VideoRepo(db)
        video_notifier = VideoNotifications(
            TelegramVideoNotifier(
                app.bot,
                clock=self.clock,
                edit_interval=settings.progress_edit_seconds,
                group_edit_interval=settings.group_progress_edit_seconds,
                answer_timeout=settings.telegram_upload_answer_seconds,
                languages=languages,
            ),
            faces=face_repo,
        )
        groups = GroupService(
            chats=chats,
            videos=videos_repo,
            providers=self.providers,
            clock=self.clock,
            faces=face_repo,
        )
        self.videos = videos = VideoService(
            videos=videos_repo,
            faces=faces,
            assets=assets,
            providers=self.providers,
            notifier=video_notifier,
            clock=self.clock,
            limits=Limits(settings.max_running_videos, settings.daily_videos),
            schedule=VideoSchedule(
                poll_seconds=settings.poll_seconds,
                max_poll_seconds=settings.video_max_poll_seconds,
                timeout_seconds=settings.video_timeout_seconds,
                callback_poll_seconds=settings.callback_poll_seconds,
            ),
            callback_base=f"{public}/hooks/video" if public else None,
            workdir=settings.files,
            foreground=self.update_processor.foreground,
            groups=groups,
            pending=pending,
            inline_offers=inline_offers,
            claims=leases,
        )
        self.tracker = tracker = Tracker(
            faces=faces,
            uploads=uploads,
            face_repo=face_repo,
            links=links,
            assets=assets,
            providers=self.providers,
            notifier=notifier,
            clock=self.clock,
            schedule=Schedule(
                poll_seconds=settings.poll_seconds,
                max_poll_seconds=settings.max_poll_seconds,
                requests_per_minute=settings.poll_requests_per_minute,
                verification_grace_seconds=settings.verification_grace_seconds,
                asset_timeout_seconds=settings.asset_timeout_seconds,
                upload_recheck_seconds=2 * settings.http_timeout_seconds,
            ),
            videos=videos,
            inline_offers=inline_offers,
            foreground=self.update_processor.foreground,
            claims=leases,
            # Another worker's work in hand is taken over once its leases lapse.
            takeover_seconds=settings.lease_seconds if db.dialect is Dialect.POSTGRESQL else None,
        )
        app.bot_data.services = Services(
            settings=settings,
            faces=faces,
            uploads=uploads,
            videos=videos,
            video_notifier=video_notifier,
            tracker=tracker,
            providers=self.providers,
            notifier=telegram_notifier,
            clock=self.clock,
            bot_username=app.bot.username,  # getMe answered it at initialize
            sandbox=self.sandbox,
            admins=AdminCache(
                app.bot,
                ttl=settings.admin_cache_seconds,
                shared=SharedAdminRights(
                    AdminRightsRepo(db), self.clock, settings.admin_cache_seconds
                )
                if settings.shared_database
                else None,
            ),
            groups=groups,
            pending=pending,
            consents=ConsentService(faces.consents, face_repo, faces.cleanups, self.clock),
            languages=languages,
            forget=ForgetService(
                ForgetRepo(db),
                faces=face_repo,
                users=users,
                cleanups=faces.cleanups,
                clock=self.clock,
                media=self.media,
                languages=languages,
            ),
            media=self.media,
        )
        # The tracker first: running video jobs are polled while start-up calls go out.
        self.tracker_task = asyncio.create_task(
            self._track(tracker, app, booted_at), name="tracker"
        )
        # Twenty calls (three menus and two descriptions per language): in the background,
        # so kept updates are replayed and new ones answered meanwhile.
        self.menus_task = asyncio.create_task(self._set_menus(app), name="menus")
        await replay(unfinished, inbox, self.update_queue, app.bot)
        if db.dialect is Dialect.POSTGRESQL:  # other workers may die with updates in hand
            self.adopt_task = asyncio.create_task(self._adopt_updates(app), name="adopt")
        log.info("realface-bot @%s started as worker %s", app.bot.username, leases.name)

    async def _adopt_updates(self, app: AnyApplication) -> None:
        """Several workers: the updates a dead one was handling (kept, its lease lapsed)
        are replayed here, as a restart replays its own."""
        assert self.inbox is not None
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 2)
            try:
                kept = await self.inbox.unfinished()
                if kept:
                    await replay(kept, self.inbox, self.update_queue, app.bot)
            except Exception:
                log.exception("taking over a dead worker's updates failed")

    @staticmethod
    async def _set_menus(app: AnyApplication) -> None:
        try:
            await set_commands(app.bot)
        except Exception:  # the menus stay as they were; the bot works without them
            log.exception("setting the command menus failed")

    async def _start_web(self, app: AnyApplication) -> str | None:
        """Serve /healthz in every mode, and media, verification returns and webhooks when
        there is a public URL or a webhook; the public URL, if there is one."""
        settings = self.settings
        public_url = settings.public_url
        if public_url is None and self.sandbox is not None:
            # The simulators run on this machine: they fetch from loopback, at the bound port.
            public_url = "http://127.0.0.1:0"
        remove_file_media(settings.files)  # where photos were kept before the database
        if public_url is not None or settings.webhook_url is not None:
            assert self.db is not None  # start() opened it before the web server
            self.media = MediaStore(
                MediaRepo(self.db),
                settings.media_ttl_seconds,
                self.clock,
                max_files=settings.media_max_files,
                max_bytes=settings.media_max_megabytes * 1024 * 1024,
            )
        # Not set: derived from the bot token, so that every worker of this bot accepts the
        # secret any of them gave Telegram (a random one per start would lock the others out).
        secret = (
            settings.webhook_secret
            or hmac.new(
                settings.telegram_token.encode(), b"realface-webhook-secret", hashlib.sha256
            ).hexdigest()
        )

        async def on_update(data: dict[str, Any]) -> None:
            update = Update.de_json(data, app.bot)
            if update is not None:
                # Returns once answering the call is safe: handled, or kept in the inbox.
                await self.update_queue.receive(update)

        self.web = WebServer(
            self.media,
            on_return=self._on_return,
            on_video=self._on_video,
            on_update=on_update,
            webhook_path=webhook_path(settings.webhook_url) if settings.webhook_url else None,
            webhook_secret=secret,
        )
        host, port = settings.http_host, settings.http_port
        try:
            await self.web.start(host, port)
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {host}:{port} for /healthz ({exc.strerror or exc}): "
                "free the port or set REALFACE_HTTP_PORT"
            ) from None
        if settings.webhook_url:
            await app.bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        if public_url is None or self.media is None:
            return None
        self.media.base_url = public_base(public_url, self.web.bound_port)
        return self.media.base_url

    async def _on_video(self, token: str) -> bool:
        """A provider called a video task's URL: ask it about that task now."""
        if self.videos is None:
            return False
        return await self.videos.callbacks.called(token)

    async def _on_return(
        self, provider: str, token: str | None, params: Mapping[str, str]
    ) -> None:
        """A verification page sent the person back (or its provider called): poll that face
        now. The secret in the URL names it; older links name it by their session."""
        if self.faces is None or self.tracker is None:
            return
        if token is not None:
            if await self.faces.called_back(token):
                self.tracker.wake()
            return
        for key in ("session_id", "task_id", "biz_id"):
            value = params.get(key)
            if value and await self.faces.poll_now(provider, value):
                self.tracker.wake()
                return

    async def _track(self, tracker: Tracker, app: AnyApplication, booted_at: float) -> None:
        if self.videos is not None:
            # Running jobs are asked at once, side by side with the rest of the resume.
            await self.videos.poll_soon()
        try:
            # Several workers: another one's uploads waiting for a recheck are its rechecks'.
            at_start = not self.settings.shared_database
            await tracker.resume(telegram_fetcher(app.bot), booted_at, at_start=at_start)
        except Exception:
            log.exception("resuming after restart failed")
        await tracker.run()

    async def stop(self, app: AnyApplication) -> None:
        if self.menus_task is not None:
            self.menus_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.menus_task
            self.menus_task = None
        if self.adopt_task is not None:
            self.adopt_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.adopt_task
            self.adopt_task = None
        if self.videos is not None:
            await self.videos.stop_deliveries()
        if self.tracker_task is not None:
            self.tracker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.tracker_task
            self.tracker_task = None
        if self.faces is not None:
            await self.faces.cleanups.stop()
        if self.leases is not None:  # what it held is free for the other workers at once
            await self.leases.stop()

    async def shutdown(self, app: AnyApplication) -> None:
        await self.stop(app)
        if self.videos is not None:
            await self.videos.aclose()
        if self.providers is not None:
            await self.providers.aclose()
        if self.web is not None:
            await self.web.stop()
        if self.sandbox is not None:
            await self.sandbox.aclose()
        if self.db is not None:
            await self.db.close()


def build_application(settings: Settings, *, clock: Clock = system_clock) -> AnyApplication:
    runtime = Runtime(settings, clock)
    app = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .context_types(ContextTypes(bot_data=BotData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # A cut long-poll can wedge a one-connection pool (shared/TELEGRAM.md). Each
        # getUpdates first keeps what is still being handled (bot/telegram/updates.py).
        .get_updates_request(
            ConfirmingRequest(
                runtime.update_queue,
                connection_pool_size=4,
                httpx_kwargs={"verify": tls_context()},  # bot/tls.py: shared, loaded lazily
            )
        )
        # Updates run side by side, so one slow provider call does not hold up everyone;
        # the services guard their own races (transactions, guarded transitions, locks).
        .update_queue(runtime.update_queue)
        .concurrent_updates(runtime.update_processor)
        .request(
            HTTPXRequest(
                connection_pool_size=16,
                read_timeout=settings.telegram_read_timeout_seconds,
                httpx_kwargs={"verify": tls_context()},
            )
        )
        # Throttles like AIORateLimiter and retries transient faults (bot/telegram/retry.py).
        .rate_limiter(rate_limiter(settings))
        .post_init(runtime.start)
        .post_stop(runtime.stop)
        .post_shutdown(runtime.shutdown)
        .build()
    )
    register(app)
    return app

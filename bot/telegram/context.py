"""The typed context: services reach handlers through ``context.bot_data.services``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import SandboxControl, Settings
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.consents import ConsentService
from bot.services.faces import FaceService
from bot.services.forget import ForgetService
from bot.services.languages import LanguageService
from bot.services.notifications import VideoNotifications
from bot.services.pending import PendingInputs
from bot.services.tracking import Tracker
from bot.services.uploads import UploadService
from bot.services.videos import VideoService

if TYPE_CHECKING:
    from bot.services.groups import GroupService
    from bot.telegram.admins import AdminCache
    from bot.telegram.notifiers.faces import TelegramNotifier
    from bot.telegram.web import MediaStore


@dataclass
class Services:
    settings: Settings
    faces: FaceService
    uploads: UploadService
    videos: VideoService
    tracker: Tracker
    providers: Providers
    notifier: TelegramNotifier
    video_notifier: VideoNotifications
    clock: Clock
    bot_username: str
    sandbox: SandboxControl | None
    admins: AdminCache
    groups: GroupService
    pending: PendingInputs
    consents: ConsentService
    forget: ForgetService
    languages: LanguageService
    media: MediaStore | None = None

    def invite_url(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"


class BotData:
    """Created empty by PTB; filled in once at start by the composition root."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not started yet")
        return self._services

    @services.setter
    def services(self, value: Services | None) -> None:
        self._services = value


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]

"""Which language a person and a group are answered in (bot/services/languages.py)."""

from __future__ import annotations

import pytest

from bot.services.errors import Refusal, ServiceRefused
from bot.services.languages import LanguageService, nearest
from storage.database import Database
from storage.languages import LanguageRepo
from storage.users import UserRepo
from tests.clock import FakeClock
from tests.services.conftest import ALICE, GROUP, Actors

AVAILABLE = ("en", "es", "ru", "zh")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hans", "zh"),
        ("zh-Hant", "zh"),
        ("ZH", "zh"),
        ("es-419", "es"),
        ("ru", "ru"),
        ("pt-br", "en"),
        ("xx", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_code_goes_to_the_nearest_catalog(code: str | None, language: str) -> None:
    assert nearest(code, AVAILABLE, "en") == language


async def test_a_choice_wins_over_telegram_and_a_group_starts_in_its_adders_language(
    db: Database, clock: FakeClock, actors: Actors
) -> None:
    users = UserRepo(db)
    await users.remember(ALICE, "Alice", None, "ru", clock())
    service = LanguageService(LanguageRepo(db), clock, AVAILABLE, "en")
    assert await service.of_person(ALICE, "ru") == "ru"
    assert await service.of_person(ALICE, None) == "ru"  # a background round: last seen
    assert await service.choose(actors.alice, "es-419") == "es"
    assert await service.of_person(ALICE, "ru") == "es"
    fresh = LanguageService(LanguageRepo(db), clock, AVAILABLE, "en")  # after a restart
    assert await fresh.of_person(ALICE, "ru") == "es"

    await service.joined(GROUP, "zh-hans")
    assert await service.of_group(GROUP) == "zh"
    with pytest.raises(ServiceRefused) as refused:
        await service.choose(actors.member, "ru")
    assert refused.value.refusal is Refusal.ADMINS_ONLY
    assert await service.choose(actors.admin, "ru") == "ru"
    await service.joined(GROUP, "es")  # added again later: the admins' choice stands
    assert await service.of_group(GROUP) == "ru"
    assert await LanguageService(LanguageRepo(db), clock, AVAILABLE, "en").of_group(GROUP) == "ru"


async def test_a_choice_made_through_another_worker_is_read_within_the_freshness(
    db: Database, clock: FakeClock, actors: Actors
) -> None:
    """Several workers: each remembers what it read, but a choice made through another
    one is read again once ``fresh_seconds`` have passed."""
    await UserRepo(db).remember(ALICE, "Alice", None, "en", clock())
    first, second = (
        LanguageService(LanguageRepo(db), clock, AVAILABLE, "en", fresh_seconds=10)
        for _ in range(2)
    )
    assert await second.of_person(ALICE, "en") == "en"
    assert await first.choose(actors.alice, "ru") == "ru"
    assert await second.of_person(ALICE, "en") == "en"  # remembered, still fresh
    clock.advance(11)
    assert await second.of_person(ALICE, "en") == "ru"

"""What the workers of one database share beyond the work items (issue 14): a group's admin
rights as Telegram last said them, and a group's send pacing."""

from __future__ import annotations

from bot.services.shared_state import GroupPacing, SharedAdminRights
from bot.telegram.admins import AdminCache
from storage.database import Database
from storage.shared import AdminRightsRepo, PacingRepo
from tests.clock import FakeClock
from tests.unit.test_bounded_caches import MembersBot, member_update

GROUP = -100_555


async def test_a_demotion_one_worker_hears_of_holds_for_the_other(db: Database) -> None:
    clock = FakeClock()
    bot = MembersBot(owners={7})

    def worker() -> AdminCache:
        rights = SharedAdminRights(AdminRightsRepo(db), clock, ttl=60)
        return AdminCache(bot, ttl=60, clock=clock, shared=rights)  # type: ignore[arg-type]

    first, second = worker(), worker()
    assert await first.is_admin(GROUP, 7) is True
    assert await second.is_admin(GROUP, 7) is True
    assert bot.calls == 1  # the second worker took the first one's answer
    # Telegram tells the first worker that 7 is a plain member now.
    await first.on_chat_member(member_update(1, GROUP, 7))
    assert await second.is_admin(GROUP, 7) is False
    assert bot.calls == 1
    # Past the trust period Telegram is asked again, by whichever worker needs it.
    clock.advance(61)
    assert await second.is_admin(GROUP, 7) is True
    assert bot.calls == 2
    await second.forget_chat(GROUP)  # the group is gone (or became a supergroup)
    assert await first.is_admin(GROUP, 7) is True
    assert bot.calls == 3


async def test_two_workers_pace_a_group_as_one(db: Database) -> None:
    clock = FakeClock()
    workers = [GroupPacing(PacingRepo(db), clock, per_minute=20) for _ in range(2)]
    # 26 sends at one moment, alternating between the workers: a burst of 20 goes at once,
    # the rest one every 3 s, as one worker alone would pace them.
    delays = [await workers[n % 2].book(GROUP) for n in range(26)]
    assert all(d <= 0 for d in delays[:20])
    assert [round(d, 6) for d in delays[20:]] == [3.0, 6.0, 9.0, 12.0, 15.0, 18.0]
    # Another group has its own allowance; a minute later the group's is back.
    assert await workers[0].book(GROUP - 1) <= 0
    clock.advance(60 + 18)
    assert all([await workers[1].book(GROUP) <= 0 for _ in range(20)])

"""Group rules at the service level: only admins change them, and what /allow and /deny
report is what the member may then do (HOLE 4), in every access mode."""

from __future__ import annotations

import pytest

from bot.services.actors import Actor
from bot.services.errors import Refusal, ServiceRefused
from bot.services.groups import Access, GroupService
from tests.services.conftest import GROUP, MAX, Actors


async def refusal_of(call: object) -> Refusal | None:
    try:
        await call  # type: ignore[misc]
    except ServiceRefused as refused:
        return refused.refusal
    return None


@pytest.mark.parametrize("who", ["member", "alice", "inline"])
async def test_only_the_groups_admins_change_its_rules(
    group_service: GroupService, actors: Actors, who: str
) -> None:
    actor = getattr(actors, who)
    for call in (
        group_service.provider_menu(actor),
        group_service.set_provider(actor, 0),
        group_service.access(actor),
        group_service.set_access(actor, Access.EVERYONE),
        group_service.quota(actor),
        group_service.set_quota(actor, 3),
        group_service.allow(actor, MAX, "Max"),
        group_service.disallow(actor, MAX, "Max"),
        group_service.recent_jobs(actor),
    ):
        assert await refusal_of(call) is Refusal.ADMINS_ONLY
    rules = await group_service.rules(GROUP)
    assert (rules.access, rules.daily_quota, rules.provider) == (Access.EVERYONE, None, None)


@pytest.mark.parametrize("who", ["admin", "anonymous_admin"])
async def test_admins_change_the_rules(
    group_service: GroupService, actors: Actors, who: str
) -> None:
    actor = getattr(actors, who)
    assert await group_service.set_provider(actor, 0) == "fake"
    assert (await group_service.provider_menu(actor)).current == "fake"
    assert await refusal_of(group_service.set_provider(actor, 5)) is Refusal.NOT_ASKED
    view = await group_service.set_access(actor, Access.LISTED)
    assert view.rules.access is Access.LISTED and view.listed == []
    assert await group_service.set_quota(actor, 2) == 2
    assert await group_service.quota(actor) == 2


MAX_HERE = Actor.group(MAX, GROUP, is_admin=False)


@pytest.mark.parametrize("access", list(Access))
@pytest.mark.parametrize("allow", [True, False])
async def test_what_allow_and_deny_report_is_what_the_member_can_do(
    group_service: GroupService, actors: Actors, access: Access, allow: bool
) -> None:
    await group_service.set_access(actors.admin, access)
    if allow:
        change = await group_service.allow(actors.admin, MAX, "Max")
    else:
        await group_service.allow(actors.admin, MAX, "Max")
        change = await group_service.disallow(actors.admin, MAX, "Max")
    assert change.on_list is allow and change.access is access and change.changed
    assert change.list_counts is (access is Access.LISTED)
    can = await refusal_of(group_service.may_generate(MAX_HERE)) is None
    assert change.may_generate is can


async def test_deny_of_someone_not_listed_changes_nothing_and_says_so(
    group_service: GroupService, actors: Actors
) -> None:
    change = await group_service.disallow(actors.admin, MAX, "Max")
    assert not change.changed and not change.on_list
    change = await group_service.allow(actors.admin, MAX, "Max")
    again = await group_service.allow(actors.admin, MAX, "Max")
    assert change.changed and not again.changed
    assert [m.name for m in await group_service.allowed(GROUP)] == ["Max"]


async def test_generating_in_a_group_follows_its_mode_admins_always_may(
    group_service: GroupService, actors: Actors
) -> None:
    member = MAX_HERE
    assert await refusal_of(group_service.may_generate(member)) is None
    await group_service.set_access(actors.admin, Access.ADMINS)
    assert await refusal_of(group_service.may_generate(member)) is Refusal.GROUP_ADMINS_ONLY
    assert await refusal_of(group_service.may_generate(actors.admin)) is None
    assert await refusal_of(group_service.may_generate(actors.anonymous_admin)) is None
    await group_service.set_access(actors.admin, Access.LISTED)
    assert await refusal_of(group_service.may_generate(member)) is Refusal.GROUP_NOT_LISTED
    await group_service.allow(actors.admin, MAX, "Max")
    assert await refusal_of(group_service.may_generate(member)) is None
    # A private chat has no group rules.
    assert await refusal_of(group_service.may_generate(actors.alice)) is None

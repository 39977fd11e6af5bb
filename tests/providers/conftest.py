"""Fixtures the provider-client tests share (helpers: ``tests.support``; the five vendors
for contract tests: ``tests.providers.vendors``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.clock import FakeClock
from tests.providers.vendors import VENDORS, Vendor
from tests.support import BotWeb, running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot_web() -> AsyncIterator[BotWeb]:
    async with running(BotWeb()) as served:
        yield served


@pytest.fixture(params=VENDORS, ids=lambda vendor: vendor.name)
def vendor(request: pytest.FixtureRequest) -> Vendor:
    """Each of the five vendors in turn, for contract tests."""
    vendor: Vendor = request.param
    return vendor

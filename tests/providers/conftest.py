"""Fixtures the provider-client tests share (helpers: ``tests.support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.clock import FakeClock
from tests.support import BotWeb, running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot_web() -> AsyncIterator[BotWeb]:
    async with running(BotWeb()) as served:
        yield served

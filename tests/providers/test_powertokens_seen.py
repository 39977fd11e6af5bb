"""The PowerTokens client remembers when it first listed each group (so an old group never
looks new), for the groups the provider still lists only: deleted ones are forgotten."""

from contextlib import aclosing

from bot.providers.powertokens import PowerTokens
from sandbox.powertokens import PowerTokensSimulator
from tests import support
from tests.clock import FakeClock
from tests.support import running


async def test_groups_deleted_at_the_provider_are_forgotten() -> None:
    clock = FakeClock()
    sim = PowerTokensSimulator(api_keys=("k",), processing_seconds=5, clock=clock)
    async with (
        running(sim),
        aclosing(support.connect(PowerTokens, sim, "k", clock=clock)) as client,
    ):
        kept = sim.add_group("kept")
        for round_ in range(30):  # faces made and deleted over the bot's life
            made = [sim.add_group(f"face {round_}-{i}") for i in range(5)]
            await client.get_group(kept)  # any call that lists the groups
            clock.advance(1)
            for group in made:
                assert await client.delete_group(group)
        await client.get_group(kept)
        assert set(client._seen) == {kept}
        first = client._seen[kept]
        clock.advance(100)
        await client.get_group(kept)
        assert client._seen[kept] == first  # still as old as when first listed

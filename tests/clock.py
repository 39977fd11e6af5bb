import time


class FakeClock:
    """A clock the test moves by hand; starts at the real time so dates look sane."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

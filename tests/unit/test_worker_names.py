"""Which workers' leases a starting worker may take at once: those of a worker on this host
whose process is gone (a kill -9 and a restart), never a live one's or another host's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.services.leases import dead_here, worker_name

HOST = socket.gethostname()


def test_a_gone_process_on_this_host_is_dead_and_a_live_one_is_not() -> None:
    me = worker_name()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert dead_here(f"{HOST}-{int(gone.stdout)}-abc123", me)
    assert not dead_here(f"{HOST}-{os.getppid()}-abc123", me)  # alive: the test runner's parent
    # A restart that got this process's pid (containers start at 1 again): the old one.
    assert dead_here(f"{HOST}-{os.getpid()}-abc123", me)
    assert not dead_here(me, me)


def test_another_hosts_worker_or_a_name_not_ours_is_left_to_lapse() -> None:
    me = worker_name()
    assert not dead_here(f"other-{HOST}-1-abc123", me)
    assert not dead_here("some-host-x-abc123", me)
    assert not dead_here("alone", me)

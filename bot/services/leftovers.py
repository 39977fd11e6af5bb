"""What a killed process leaves in the work folder, removed at the next start.

A video is delivered through ``tempfile.TemporaryDirectory(dir=workdir, prefix="realface-")``
(``bot/services/video_jobs.py``): a kill -9 mid-delivery leaves that folder and a video of up
to 50 MB in it, and nothing else would ever remove it.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PREFIX = "realface-"  # as video_jobs.py names its delivery folders
# Imported as the bot loads: what is older than this predates the process.
PROCESS_STARTED_AT = time.time()


def remove_leftover_tempdirs(workdir: Path, started_at: float = PROCESS_STARTED_AT) -> int:
    """Remove delivery folders nothing has touched since before ``started_at`` (by default
    this process's start, wall clock); how many went. Younger ones may belong to a process
    that still runs (a deploy overlapping the old one), so they stay."""
    if not workdir.is_dir():
        return 0
    removed = 0
    for path in workdir.iterdir():
        if not path.name.startswith(TEMP_PREFIX) or not path.is_dir() or path.is_symlink():
            continue
        try:
            touched = max([path.stat().st_mtime] + [p.stat().st_mtime for p in path.iterdir()])
        except OSError:
            continue  # gone meanwhile, or unreadable: not ours to force
        if touched >= started_at:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d delivery folder(s) left by an earlier run", removed)
    return removed

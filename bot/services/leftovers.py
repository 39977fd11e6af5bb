"""What a killed process leaves in the work folder, removed at the next start.

A video is delivered through ``tempfile.TemporaryDirectory(dir=workdir, prefix="realface-")``
(``bot/services/video_jobs.py``): a kill -9 mid-delivery leaves that folder and a video of up
to 50 MB in it, and nothing else would ever remove it.

Photos for URL-only providers were kept in ``<workdir>/media`` before they moved into the
database (issue 14): what a bot of before left there is removed too.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_PREFIX = "realface-"  # as video_jobs.py names its delivery folders
# What the media store of before wrote: sha256(token) in hex, its metadata, a partial write.
_FILE_MEDIA = re.compile(r"[0-9a-f]{64}(\.json)?(\.partial)?")
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


def remove_file_media(workdir: Path) -> int:
    """Remove the photos a bot of before kept in ``<workdir>/media``, and the folder once
    empty; how many files went. Only files named as it named them are touched (the folder
    may hold something else of the operator's). Their URLs lived minutes: one that a
    provider had not fetched before the upgrade is a 404 now, so that photo fails as any
    URL the provider cannot fetch, and the person may send it again."""
    folder = workdir / "media"
    if not folder.is_dir() or folder.is_symlink():
        return 0
    try:
        paths = list(folder.iterdir())
    except OSError:
        return 0  # unreadable: not ours to force
    removed = 0
    for path in paths:
        if not _FILE_MEDIA.fullmatch(path.name) or not path.is_file() or path.is_symlink():
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    with contextlib.suppress(OSError):  # not empty: what is left is not ours
        folder.rmdir()
    if removed:
        log.info("removed %d photo file(s) kept in %s by an earlier version", removed, folder)
    return removed

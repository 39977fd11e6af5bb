"""Provider callbacks for video tasks (issue 13): a call to the task's secret URL means "ask
now", nothing more.

The provider's GET stays the source of truth: a callback only moves that job's poll to now,
so a forged call (a wrong secret, a task that is not in the making) changes nothing and a
dropped one is found by the slow fallback poll (VideoSchedule.callback_poll_seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bot.services.video_jobs import JobRunner
from storage.models import JobStatus
from storage.videos import VideoRepo

log = logging.getLogger(__name__)

_MAKING = (JobStatus.SUBMITTING, JobStatus.QUEUED, JobStatus.RUNNING)
# A call that comes before the submit's answer is stored waits this long for its task id.
SUBMIT_WAIT_SECONDS = 10.0


class VideoCallbacks:
    def __init__(self, *, videos: VideoRepo, jobs: JobRunner) -> None:
        self.videos = videos
        self.jobs = jobs
        self._asking: dict[int, asyncio.Task[None]] = {}

    async def called(self, token: str) -> bool:
        """A provider called a task's URL. True if the secret is a job's (it is asked about
        now, in its own task, if still in the making); False for a secret nobody holds."""
        job = await self.videos.by_callback(token)
        if job is None:
            return False
        if job.status in _MAKING and job.id not in self._asking:
            task = asyncio.create_task(self._ask(job.id), name=f"callback-{job.id}")
            self._asking[job.id] = task
            task.add_done_callback(lambda _: self._asking.pop(job.id, None))
        return True

    async def _ask(self, job_id: int) -> None:
        deadline = time.monotonic() + SUBMIT_WAIT_SECONDS
        try:
            while True:
                job = await self.videos.get(job_id)
                if job is None or job.status not in _MAKING:
                    return
                if job.status is not JobStatus.SUBMITTING and job.provider_task_id:
                    break
                if time.monotonic() >= deadline:
                    return  # the fallback poll asks once the task id is known
                await asyncio.sleep(0.1)
            await self.jobs.poll_now(job)
        except Exception:
            log.exception("asking about job %d after its callback failed", job_id)

    async def aclose(self) -> None:
        tasks = list(self._asking.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

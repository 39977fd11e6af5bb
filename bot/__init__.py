"""realface-bot: Real Face onboarding and Seedance 2.0 videos from Telegram."""

import os

# Opt in to python-telegram-bot's timedelta durations now: without it PTB emits a
# deprecation warning whenever it builds RetryAfter or reads a media duration.
os.environ.setdefault("PTB_TIMEDELTA", "true")

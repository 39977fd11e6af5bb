# realface-bot: slim, non-root, SQLite on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    REALFACE_DATABASE=/data/realface.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY sandbox ./sandbox
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin realface \
    && mkdir -p /data && chown realface /data

USER realface
VOLUME ["/data"]
# The bot's own HTTP server: media for URL-only providers, returns, webhooks, /healthz.
EXPOSE 8080
CMD ["realface-bot"]

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
RUN pip install '.[postgresql]' \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin realface \
    && mkdir -p /data && chown realface /data

USER realface
VOLUME ["/data"]
# The bot's own HTTP server: media for URL-only providers, returns, webhooks, /healthz.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"
CMD ["realface-bot"]

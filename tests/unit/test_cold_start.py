"""What a start does not load or build until it is used (issue 10, cold start): aiohttp,
Pillow and qrcode stay unimported, the providers' TLS context trusts nothing until its first
handshake, and /healthz without aiohttp answers as aiohttp did."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from pathlib import Path

import certifi
import httpx
import pytest

from bot.telegram.web import WebServer, health_response
from bot.tls import LazyCAContext, tls_context

HEAVY = ("aiohttp", "PIL", "pillow_heif", "qrcode")


def test_starting_the_bot_imports_no_web_or_image_library() -> None:
    code = f"import sys, bot.app; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_shared_tls_context_loads_its_cas_at_the_first_handshake() -> None:
    assert tls_context() is tls_context()
    context = LazyCAContext(ssl.PROTOCOL_TLS_CLIENT)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing trusted before first use
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com")
    # The CAs httpx's own default (verify=True) trusts, SSL_CERT_FILE/DIR included.
    trusted = httpx.create_ssl_context().cert_store_stats()["x509_ca"]
    assert context.cert_store_stats()["x509_ca"] == trusted > 0


def test_ssl_cert_file_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with open(certifi.where()) as bundle:
        first = bundle.read().split("-----END CERTIFICATE-----")[0]
    path = tmp_path / "one.pem"
    path.write_text(first + "-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    context = LazyCAContext(ssl.PROTOCOL_TLS_CLIENT)
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com")
    assert context.cert_store_stats()["x509_ca"] == 1


@pytest.mark.parametrize(
    ("head", "status", "body"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, b'{"ok": true}'),
        (b"GET /healthz?probe=1 HTTP/1.0\r\n\r\n", 200, b'{"ok": true}'),
        (b"HEAD /healthz HTTP/1.1\r\n\r\n", 200, b""),
        (b"POST /healthz HTTP/1.1\r\n\r\n", 405, b"Method Not Allowed"),
        (b"GET /media/anything HTTP/1.1\r\n\r\n", 404, b"Not Found"),
        (b"GET /return/orcarouter HTTP/1.1\r\n\r\n", 404, b"Not Found"),
        (b"nonsense\r\n\r\n", 400, b"Bad Request"),
    ],
)
def test_health_responses(head: bytes, status: int, body: bytes) -> None:
    response = health_response(head)
    first, rest = response.split(b"\r\n", 1)
    assert first.split(b" ")[:2] == [b"HTTP/1.1", str(status).encode()]
    assert rest.split(b"\r\n\r\n", 1)[1] == body
    assert b"Connection: close" in rest


async def test_healthz_over_a_socket_and_a_clean_stop() -> None:
    async def on_return(provider: str, params: object) -> None:
        raise AssertionError("no return page without a public URL")

    server = WebServer(None, on_return=on_return)
    await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.bound_port}") as http:
            health = await http.get("/healthz")
            assert (health.status_code, health.json()) == (200, {"ok": True})
            assert health.headers["content-type"].startswith("application/json")
            assert (await http.head("/healthz")).status_code == 200
            assert (await http.get("/media/x")).status_code == 404
        # A client that connects and says nothing does not hold up the stop.
        _, idle = await asyncio.open_connection("127.0.0.1", server.bound_port)
    finally:
        await server.stop()
    idle.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.bound_port)

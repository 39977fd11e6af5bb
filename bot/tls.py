"""One TLS context for every HTTP client of the bot (the Bot API's two, the providers', the
video downloader), whose CA certificates are loaded at its first TLS handshake, not when a
client is built.

httpx gives every client a context of its own and loads the CA bundle into it at once, about
0.1 s of CPU each: with the Bot API's clients, five providers and the downloader that was
most of a second of a start, spent also for clients that never shake hands (a provider
reached over plain http, such as the simulators). Verification is httpx's default
(``verify=True``): certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set;
hostnames checked, certificates required. Pass it as ``httpx.AsyncClient(verify=...)``
(PTB: ``HTTPXRequest(httpx_kwargs={"verify": ...})``).
"""

from __future__ import annotations

import functools
import os
import ssl
import sys
import threading
from typing import Any


class LazyCAContext(ssl.SSLContext):
    """A client context (``PROTOCOL_TLS_CLIENT``: certificates required, hostnames checked)
    that loads its trusted CAs before the first socket or BIO it wraps. Until then it trusts
    nothing, so a handshake can never pass unverified."""

    _ca_lock = threading.Lock()
    _ca_loaded = False

    def load_ca_certificates(self) -> None:
        with self._ca_lock:
            if self._ca_loaded:
                return
            # As httpx.create_ssl_context(verify=True, trust_env=True) does.
            if os.environ.get("SSL_CERT_FILE"):
                self.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
            elif os.environ.get("SSL_CERT_DIR"):
                self.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
            else:
                import certifi

                self.load_verify_locations(cafile=certifi.where())
            # As ssl.create_default_context does.
            keylog = os.environ.get("SSLKEYLOGFILE")
            if keylog and not sys.flags.ignore_environment:
                self.keylog_filename = keylog
            self._ca_loaded = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.load_ca_certificates()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.load_ca_certificates()
        return super().wrap_bio(*args, **kwargs)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's shared client context (see the module docstring)."""
    return LazyCAContext(ssl.PROTOCOL_TLS_CLIENT)

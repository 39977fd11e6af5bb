"""What every vendor client shares: its HTTP clients tied to its lifetime, bearer auth, JSON
answers, and the honest answer for operations a vendor does not document."""

from __future__ import annotations

from typing import Any

import httpx

from bot.providers.base import (
    AssetRef,
    Capabilities,
    GroupInfo,
    ProviderError,
    ProviderRejected,
    RejectReason,
    VerificationSession,
)
from bot.providers.http import ProviderHTTP, RetryPolicy
from bot.providers.parsing import json_of


class VendorClient:
    capabilities: Capabilities

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout, self._retry, self._transport = timeout, retry, transport
        self.http = self.connect(base_url, self.auth_headers(api_key))

    def connect(self, base_url: str, headers: dict[str, str]) -> ProviderHTTP:
        """An HTTP client with this vendor's timeout, retries and error meanings (a vendor
        with a second host opens it here too, and closes it in ``aclose``)."""
        return ProviderHTTP(
            base_url,
            headers,
            timeout=self._timeout,
            retry=self._retry,
            classify=self.classify,
            transport=self._transport,
        )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Sent with every request; a vendor whose calls differ in auth returns {} and adds
        its own per call."""
        return {"Authorization": f"Bearer {api_key}"}

    def classify(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """The vendor's meaning of an error status (``ProviderHTTP``'s ``classify`` hook)."""
        return error

    async def aclose(self) -> None:
        await self.http.aclose()

    def no_group(self, group_id: str) -> ProviderRejected:
        """What ``get_group`` raises for a group a listing does not hold."""
        return ProviderRejected(
            f"{self.capabilities.display_name} has no real-person group {group_id}",
            reason=RejectReason.NOT_FOUND,
            status=404,
        )

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        return json_of(response, self.capabilities.display_name)

    # What a vendor lacks, answered without a request (the Provider protocol explains each).

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        return None  # a fresh link is a new session, which the bot starts itself

    async def find_group_named(self, text: str) -> GroupInfo | None:
        return None  # starting a check creates no group here: nothing to find

    async def rename_group(self, group_id: str, name: str) -> bool:
        return False  # not documented: the name lives in the bot only

    async def delete_group(self, group_id: str) -> bool:
        return False  # not documented: the group stays at the provider

    async def delete_asset(self, ref: AssetRef) -> bool:
        return False  # not documented: the photo stays at the provider

"""The issuer's discovery document and signing keys, fetched over HTTPS and kept.

Every fetch is bounded by the timeout, so a dead issuer costs a request seconds, never a hang;
after a failed fetch none is tried again for `refetch_seconds`, so an issuer that is down
answers 503 at once instead of once per request. A token signed with a key id not in the kept
set fetches the keys again (the issuer rotated them), at most once per `refetch_seconds`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from engine.sign_on import IssuerUnavailable

log = logging.getLogger(__name__)
MAX_DOCUMENT_BYTES = 1 << 20  # a discovery document or key set is a few kilobytes
USABLE_KEY_TYPES = ("RSA", "EC")


@dataclass(frozen=True)
class Discovery:
    """The endpoints of the issuer's discovery document that perfledger uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None


def get_json(http: requests.Session, url: str, timeout: float) -> dict[str, Any]:
    """A JSON object fetched from the issuer; IssuerUnavailable for anything else."""
    try:
        with http.get(url, timeout=(timeout, timeout), stream=True) as response:
            response.raise_for_status()
            body = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise IssuerUnavailable(
            f"the single sign-on issuer did not answer {url}: {error}"
        ) from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise IssuerUnavailable(f"the single sign-on issuer's {url} is too large")
    try:
        data = json.loads(body)
    except ValueError:
        raise IssuerUnavailable(f"the single sign-on issuer's {url} is not JSON") from None
    if not isinstance(data, dict):
        raise IssuerUnavailable(f"the single sign-on issuer's {url} is not a JSON object")
    return data


def discovery_of(issuer: str, data: dict[str, Any]) -> Discovery:
    """The discovery document's endpoints; it must name the configured issuer exactly."""
    if data.get("issuer") != issuer:
        raise IssuerUnavailable(
            f"the discovery document names the issuer {data.get('issuer')!r}, "
            f"not {issuer!r} (PERFLEDGER_OIDC_ISSUER)"
        )
    try:
        return Discovery(
            issuer=issuer,
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
            end_session_endpoint=data.get("end_session_endpoint"),
        )
    except KeyError as missing:
        raise IssuerUnavailable(f"the discovery document has no {missing}") from None


def signing_keys(data: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The key set's RSA and EC signing keys by key id; others (and unparsable ones) left out."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in data.get("keys", []):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in USABLE_KEY_TYPES or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry)
        except jwt.PyJWTError as error:
            log.warning("single sign-on: key %s of the issuer is unusable: %s", entry["kid"], error)
    return keys


class IssuerKeys:
    """The issuer's discovery document and keys, kept for `max_age` and refetched on demand."""

    def __init__(
        self,
        issuer: str,
        fetch: Callable[[str], dict[str, Any]],
        max_age: float,
        refetch_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.fetch = fetch  # get_json over a session with the timeout, or a test's fake
        self.max_age = max_age
        self.refetch_seconds = refetch_seconds
        self.clock = clock
        self.lock = threading.Lock()  # one fetch at a time; the others wait for its result
        self._discovery: Discovery | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._failure = ""
        self.fetches = 0  # key-set fetches, for the logs and the tests

    def discovery(self) -> Discovery:
        """The discovery document, fetched when none is kept or it is older than max_age."""
        with self.lock:
            if self._discovery is None or self._stale():
                self._refresh()
            assert self._discovery is not None
            return self._discovery

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The signing key of that id: a kept one, else (rate-limited) after fetching again."""
        with self.lock:
            if self._discovery is None or self._stale():
                self._refresh()
            if kid not in self._keys and self._may_refetch():
                log.info("single sign-on: unknown key id %r, fetching the issuer's keys", kid)
                self._refresh()
            return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= self.max_age

    def _may_refetch(self) -> bool:
        assert self._fetched_at is not None
        return self.clock() - self._fetched_at >= self.refetch_seconds

    def _refresh(self) -> None:
        now = self.clock()
        if self._failed_at is not None and now - self._failed_at < self.refetch_seconds:
            if self._discovery is None:
                raise IssuerUnavailable(self._failure)
            return  # keep what was fetched before until the issuer answers again
        try:
            discovery = discovery_of(self.issuer, self.fetch(self._discovery_url()))
            keys = signing_keys(self.fetch(discovery.jwks_uri))
        except IssuerUnavailable as error:
            self._failed_at, self._failure = now, str(error)
            log.warning("single sign-on: %s", error)
            if self._discovery is None:
                raise
            return
        self.fetches += 1
        self._discovery, self._keys = discovery, keys
        self._fetched_at, self._failed_at = now, None

    def _discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

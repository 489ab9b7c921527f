"""The OpenID Connect issuer (the `Issuer` port of engine/sign_on.py): tokens and sign-ins.

Access and ID tokens are verified with PyJWT against the issuer's published keys only: RS256
or ES256, the key type matching the algorithm, `iss`, `aud`, `exp`, `iat` and `sub` required.
A token naming `none`, an HMAC algorithm or any other is refused before a key is looked at, so
a token "signed" with the issuer's public key as an HMAC secret proves nothing. The sign-in is
the authorization-code flow with PKCE (S256) and a nonce, by authlib's requests client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from adapters.oidc.keys import IssuerKeys
from engine.sign_on import IssuerUnavailable, PendingLogin, SignOnRefused

ALGORITHMS = ("RS256", "ES256")
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
MAX_TOKEN_LENGTH = 16384


@dataclass(frozen=True)
class Client:
    """perfledger as the issuer's client: its id, secret (None: a public client) and scopes."""

    client_id: str
    client_secret: str | None
    scopes: str


class OidcIssuer:
    """One issuer: its keys (kept by IssuerKeys), the API's audience and the dashboard's client."""

    def __init__(
        self, keys: IssuerKeys, client: Client, audience: str, leeway: int, timeout: float
    ) -> None:
        self.keys = keys
        self.client = client
        self.audience = audience
        self.leeway = leeway
        self.timeout = timeout

    def access_claims(self, token: str) -> dict[str, Any]:
        return self.verify(token, self.audience)

    def verify(self, token: str, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a token the issuer signed for `audience`; SignOnRefused otherwise."""
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise SignOnRefused("the issuer's token is not valid: expected a JWT")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise SignOnRefused("the issuer's token is not valid: expected a JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise SignOnRefused(
                f"the issuer's token is signed with {alg!r}: only {' and '.join(ALGORITHMS)} "
                "with the issuer's published keys are accepted"
            )
        if not isinstance(kid, str) or not kid:
            raise SignOnRefused("the issuer's token names no key (`kid`)")
        key = self.keys.key(kid)
        if key is None:
            raise SignOnRefused(
                f"the issuer's token is signed with a key it does not publish: {kid}"
            )
        if key.key_type != KEY_TYPES[alg] or getattr(key, "algorithm_name", alg) != alg:
            raise SignOnRefused(f"the issuer's key {kid} is not an {alg} key")
        claims = self._decode(token, key, alg, audience)
        if nonce is not None and claims.get("nonce") != nonce:
            raise SignOnRefused("the ID token's nonce is not the one this sign-in sent")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, alg: str, audience: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=self.keys.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise SignOnRefused("the issuer's token has expired") from None
        except jwt.InvalidAudienceError:
            raise SignOnRefused(
                f"the issuer's token is not for this API: its `aud` does not name {audience!r}"
            ) from None
        except jwt.InvalidIssuerError:
            raise SignOnRefused("the issuer's token names another issuer") from None
        except jwt.ImmatureSignatureError:
            raise SignOnRefused("the issuer's token is not valid yet") from None
        except jwt.MissingRequiredClaimError as error:
            raise SignOnRefused(f"the issuer's token lacks the `{error.claim}` claim") from None
        except jwt.InvalidSignatureError:
            raise SignOnRefused("the issuer's token signature is not valid") from None
        except jwt.PyJWTError as error:
            raise SignOnRefused(f"the issuer's token is not valid: {error}") from None

    # --- the dashboard's sign-in ------------------------------------------------------------

    def start(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        pending = PendingLogin(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            redirect_uri=redirect_uri,
        )
        with self._session(redirect_uri, code_challenge_method="S256") as session:
            url, _ = session.create_authorization_url(
                self.keys.discovery().authorization_endpoint,
                state=pending.state,
                code_verifier=pending.verifier,
                nonce=pending.nonce,
            )
        return str(url), pending

    def finish(self, pending: PendingLogin, code: str) -> dict[str, Any]:
        endpoint = self.keys.discovery().token_endpoint
        with self._session(pending.redirect_uri) as session:
            try:
                token = session.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.verifier,
                )
            except OAuthError as error:
                raise SignOnRefused(
                    f"the issuer refused the sign-in: {error.error}: {error.description or ''}"
                ) from None
            except (requests.RequestException, ValueError) as error:
                raise IssuerUnavailable(
                    f"the single sign-on issuer's token endpoint failed: {error}"
                ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignOnRefused("the issuer sent no ID token: is the `openid` scope granted?")
        claims = self.verify(id_token, self.client.client_id, nonce=pending.nonce)
        authorized = claims.get("azp")
        if authorized is not None and authorized != self.client.client_id:
            raise SignOnRefused("the ID token was issued to another client (`azp`)")
        return claims

    def end_session_url(self) -> str | None:
        try:
            return self.keys.discovery().end_session_endpoint
        except IssuerUnavailable:
            return None

    def _session(self, redirect_uri: str, **options: Any) -> OAuth2Session:
        client = self.client
        return OAuth2Session(
            client.client_id,
            client.client_secret,
            token_endpoint_auth_method="client_secret_basic" if client.client_secret else "none",
            scope=client.scopes,
            redirect_uri=redirect_uri,
            default_timeout=(self.timeout, self.timeout),
            **options,
        )

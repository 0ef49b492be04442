"""A district's identity provider for tests: an OpenID Connect provider (authorization code
flow, RS256 ID tokens, discovery and JWKS) served over HTTP on localhost. `signs_in` says whose
account the next sign-in is; the provider asks no password."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "pathways-web", "s3cret-for-tests"


class FakeIdp:
    def __init__(self) -> None:
        self.issuer = ""
        self.signs_in: dict[str, Any] = {}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self._codes: dict[str, dict[str, Any]] = {}
        self.app = FastAPI()
        app = self.app

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
            code = secrets.token_urlsafe(16)
            self._codes[code] = {"nonce": q.get("nonce"), "redirect_uri": q["redirect_uri"]}
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302
            )

        @app.post("/token")
        async def token(
            request: Request, code: str = Form(), redirect_uri: str = Form()
        ) -> JSONResponse:
            grant = self._codes.pop(code, None)
            if grant is None or grant["redirect_uri"] != redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {
                "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                "sub": f"sub-{self.signs_in.get('employee_id', 'none')}",
                "nonce": grant["nonce"], **self.signs_in,
            }  # fmt: skip
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
            return JSONResponse(
                {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                 "expires_in": 300, "id_token": id_token}
            )  # fmt: skip

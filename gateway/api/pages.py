"""Pages for people, served by the gateway from files in the package: the individual's portal at
``/portal/`` and the auditor's console at ``/console/``, the scripts and styles they share at
``/shared/``, the audit public keys the pages check signed tree heads with, and the report public
keys third parties check credit reports with (``/keys/reports.jwks``).

The pages hold no data of their own: every value they show comes from ``/graphql`` with the caller's
own token, so the field policy, consents and the audit log apply exactly as to any other client.
Every file goes out with a strict Content-Security-Policy (scripts and styles from this origin only,
no inline code, no framing), no referrer, and no MIME sniffing; HTML is never cached, so a signed-out
tab cannot be brought back from the cache.

In dev mode (``GATEWAY_DEV_MODE=1``) GraphiQL is served the same way: ``GET /graphql`` answers
``web/graphiql/index.html`` and ``/graphiql/`` its packaged copies of React and GraphiQL, so the IDE
works without internet. Outside dev mode neither exists.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB = Path(__file__).resolve().parent.parent / "web"
PAGES = ("portal", "console", "reports")  # each a folder of WEB with its pages (/reports/verify/)
KEYS_PATH = "/keys/audit.jwks"
REPORT_KEYS_PATH = "/keys/reports.jwks"  # every report-<n> key, retired ones too (docs/reports.md)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# GraphiQL's stylesheet embeds its fonts as data: URLs; nothing else differs from the pages' policy.
GRAPHIQL_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "img-src 'self' data:;", "img-src 'self' data:; font-src 'self' data:;"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Cross-Origin-Opener-Policy": "same-origin",
}
# ES modules must be served as JavaScript whatever the host's MIME table says (nosniff refuses others).
_TYPES = {".mjs": "text/javascript; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def secure(response: Response, *, html: bool) -> Response:
    response.headers.update(SECURITY_HEADERS)
    # HTML is never stored; scripts and styles are revalidated (ETag) so an upgrade shows at once.
    response.headers["Cache-Control"] = "no-store" if html else "no-cache"
    return response


class PageFiles(StaticFiles):
    """Static files with the security headers, and a JSON 404 with a stable code."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            response = JSONResponse(
                {"errors": [{"message": "no such page", "extensions": {"code": "NOT_FOUND"}}]},
                status_code=exc.status_code,
            )
            return secure(response, html=False)
        suffix = Path(path).suffix
        if suffix in _TYPES:
            response.headers["Content-Type"] = _TYPES[suffix]
        media = response.headers.get("content-type", "")
        return secure(response, html=media.startswith("text/html"))


class GraphiQLFiles(PageFiles):
    """GraphiQL's packaged assets (dev mode only), under the IDE's policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = GRAPHIQL_CONTENT_SECURITY_POLICY
        return response


def graphiql_page() -> Response:
    """The GraphiQL page of dev mode: only the packaged assets, no CDN, no inline script."""
    response = secure(HTMLResponse((WEB / "graphiql" / "index.html").read_text("utf-8")), html=True)
    response.headers["Content-Security-Policy"] = GRAPHIQL_CONTENT_SECURITY_POLICY
    return response


def audit_jwks(audit_keys: Mapping[str, bytes]) -> dict[str, list[dict[str, str]]]:
    """The audit public keys as a JWKS (as ``credit-gateway keys jwks --purpose audit`` prints)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"),
                "kid": kid,
                "use": "sig",
                "alg": "Ed25519",
            }
            for kid, raw in sorted(audit_keys.items())
        ]
    }


def routes(
    audit_keys: Mapping[str, bytes],
    *,
    report_jwks: Mapping[str, Any] | None = None,
    dev_mode: bool = False,
) -> list[BaseRoute]:
    """The pages' routes, to add to the application's route list; GraphiQL's assets in dev mode."""
    document = audit_jwks(audit_keys)
    reports = dict(report_jwks or {"keys": []})

    async def keys(_request: Request) -> Response:
        response = JSONResponse(document, media_type="application/jwk-set+json")
        return secure(response, html=False)

    async def report_keys(_request: Request) -> Response:
        response = JSONResponse(reports, media_type="application/jwk-set+json")
        return secure(response, html=False)

    async def to_folder(request: Request) -> Response:
        return secure(RedirectResponse(f"{request.url.path}/", status_code=308), html=False)

    found: list[BaseRoute] = [
        Route(KEYS_PATH, keys, methods=["GET", "HEAD"]),
        Route(REPORT_KEYS_PATH, report_keys, methods=["GET", "HEAD"]),
    ]
    for page in PAGES:
        found.append(Route(f"/{page}", to_folder, methods=["GET", "HEAD"]))
        found.append(Mount(f"/{page}", app=PageFiles(directory=WEB / page, html=True), name=page))
    found.append(Mount("/shared", app=PageFiles(directory=WEB / "shared"), name="shared"))
    if dev_mode:
        found.append(Mount("/graphiql", app=GraphiQLFiles(directory=WEB / "graphiql"), name="graphiql"))
    return found

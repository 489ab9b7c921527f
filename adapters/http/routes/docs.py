"""The API reference pages (GET /docs, GET /redoc), served from files inside the package.

FastAPI's defaults load Swagger UI and ReDoc from a CDN, so the pages are blank on a machine
without internet; here every script, style sheet and icon comes from static/vendor/ (see its
VENDORED.md), and a Content-Security-Policy keeps the browser from fetching anything elsewhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = (
    "/static/vendor"  # served by the dashboard's /static mount (adapters/http/routes/dashboard.py)
)

# ReDoc always renders Redocly's logo from its CDN; the policy blocks that image (ReDoc then hides
# it) and anything else a bundle might try to load. The pages' own inline script and the bundles'
# inline styles need 'unsafe-inline'; ReDoc's search runs in a worker built from a blob.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    """The path the app is mounted under behind a proxy, so the assets resolve there too."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _openapi_url(request: Request) -> str:
    return _root(request) + (request.app.openapi_url or "/openapi.json")


def _guarded(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over the OpenAPI document, with try-it-out."""
    assets = f"{_root(request)}{VENDOR}/swagger-ui"
    return _guarded(
        get_swagger_ui_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            oauth2_redirect_url=None,  # bearer tokens only: no OAuth2 flow to come back from
            # No validator badge: it would send the document to an online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the OpenAPI document, for reading."""
    return _guarded(
        get_redoc_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} - ReDoc",
            redoc_js_url=f"{_root(request)}{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{_root(request)}{VENDOR}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
    )

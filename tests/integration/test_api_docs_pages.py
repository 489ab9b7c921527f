"""The /docs and /redoc pages refer only to the server: their scripts, styles and icons are files
in the package, served with their licences, under a policy that lets the browser fetch nothing
elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.http.app import create_app
from engine.bootstrap import build
from tests.support import make_settings


class Links(HTMLParser):
    """Every src and href in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    container = build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'pl.db'}", None))
    try:
        with TestClient(create_app(container)) as running:
            yield running
    finally:
        container.close()


@pytest.mark.parametrize(
    ("page", "asset"),
    [
        ("/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
        ("/redoc", "/static/vendor/redoc/redoc.standalone.js"),
    ],
)
def test_the_reference_pages_load_their_assets_from_the_server_only(
    client: Any, page: str, asset: str
) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    found = links(answer.text)
    assert asset in found
    assert all(link.startswith("/") and not link.startswith("//") for link in found), found
    assert not re.search(r"https?://", answer.text)  # also none in the page's own script
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    for link in found:
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/swagger-ui/LICENSE",
        "/static/vendor/swagger-ui/NOTICE",
        "/static/vendor/redoc/LICENSE",
        "/static/vendor/VENDORED.md",
    ],
)
def test_the_vendored_assets_are_served_with_their_licences(client: Any, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.text.strip()


def test_the_openapi_document_does_not_list_the_reference_pages(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths and "/redoc" not in paths

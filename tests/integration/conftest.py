"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Pipeline, make_settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    """The HTTP API over a fresh SQLite store, with no broker: the command side and reads."""
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None))
    try:
        yield pipeline.client()
    finally:
        pipeline.close()

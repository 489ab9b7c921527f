"""Log lines carry the current request's id, in the text and the JSON format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from engine.logging_setup import RequestIdFilter, formatter, request_id


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, logging.Handler, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("perfledger.test.logging_setup")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, handler, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_a_text_line_written_during_a_request_names_its_id(
    lines: tuple[logging.Logger, logging.Handler, io.StringIO],
) -> None:
    logger, handler, out = lines
    handler.setFormatter(formatter("text"))
    logger.warning("outside")
    token = request_id.set("req-9")
    try:
        logger.warning("inside")
    finally:
        request_id.reset(token)
    outside, inside = out.getvalue().splitlines()
    assert outside.endswith("perfledger.test.logging_setup: outside")
    assert inside.endswith("perfledger.test.logging_setup: [req-9] inside")


def test_a_json_line_is_one_object_with_the_request_id_and_the_extras(
    lines: tuple[logging.Logger, logging.Handler, io.StringIO],
) -> None:
    logger, handler, out = lines
    handler.setFormatter(formatter("json"))
    token = request_id.set("req-10")
    try:
        logger.info(
            "GET /v1/goals 200", extra={"route": "/v1/goals", "status": 200, "latency_ms": 1.5}
        )
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        request_id.reset(token)
    logger.info("after")
    access, failed, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert {
        k: access[k]
        for k in ("level", "name", "message", "request_id", "route", "status", "latency_ms")
    } == {
        "level": "INFO",
        "name": "perfledger.test.logging_setup",
        "message": "GET /v1/goals 200",
        "request_id": "req-10",
        "route": "/v1/goals",
        "status": 200,
        "latency_ms": 1.5,
    }
    assert access["time"].endswith("+00:00") and "request_tag" not in access
    assert failed["request_id"] == "req-10" and "RuntimeError: boom" in failed["exc_info"]
    assert "request_id" not in after

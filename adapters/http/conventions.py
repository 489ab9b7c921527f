"""HTTP conventions on every answer: quoted ETags, 304 on If-None-Match, Location on 201.

One pure ASGI middleware, so no route has to remember them:

- An answer that carries an aggregate's version (a JSON object with an integer `version`,
  or a route's own `ETag: 3`) gets the strong entity tag `"3"` (RFC 9110 quotes tags).
  Commands take it back in `If-Match`, which accepts the quoted and the plain form.
- A GET whose `If-None-Match` names that tag (weak comparison, or `*`) answers 304 with
  the tag and no body: a dashboard polling a document it holds costs no transfer.
- A 201 names where the created resource is read (`Location`), from the create route's
  template (LOCATIONS) and the `id` in the answer.

Only JSON answers of a bounded size are looked into; anything else (pages, CSV, streams)
passes through untouched.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Scope, Send

from adapters.http.held_answers import HeldAnswers

# Create route template -> the template of the route that reads what it created.
LOCATIONS = {
    "/v1/goals": "/v1/goals/{id}",
    "/v1/check-ins": "/v1/check-ins/{id}",
    "/v1/reviews": "/v1/reviews/{id}",
    "/v1/goal-templates": "/v1/goal-templates/{id}",
    "/v1/review-templates": "/v1/review-templates/{policy_id}",
    "/v1/alerts/{alert_id}/check-in": "/v1/check-ins/{id}",
    "/v1/development-plans": "/v1/development-plans/{id}",
}
MAX_INSPECTED = 4 * 1024 * 1024  # larger answers are passed on as they are


def install(app: FastAPI) -> None:
    """Adds the middleware (inside the request log, outside idempotency replays)."""
    app.add_middleware(Conventions)


def entity_tag(version: Any) -> str | None:
    """The strong entity tag of a version: `"3"`; None for anything that is not one."""
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return f'"{version}"'


def normalised_tag(value: str) -> str:
    """A route's plain `3` as `"3"`; a tag already quoted (or weak) as it is."""
    text = value.strip()
    return f'"{text}"' if text.isdigit() else text


def none_match(header: str | None, tag: str) -> bool:
    """True when If-None-Match names the tag (weak comparison, RFC 9110 13.1.2) or is `*`."""
    if header is None:
        return False
    wanted = tag.removeprefix("W/")
    for item in header.split(","):
        candidate = item.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def location(scope: Scope, body: Any) -> str | None:
    """Where a 201's resource is read, from the create route and the answer's ids."""
    template = LOCATIONS.get(getattr(scope.get("route"), "path", ""))
    if template is None or not isinstance(body, dict):
        return None
    try:
        path = template.format(**{k: v for k, v in body.items() if isinstance(v, str)})
    except KeyError:
        return None
    return f"{scope.get('root_path', '')}{path}"


class Conventions(HeldAnswers):
    """Holds a JSON answer back until its body is known, then sets the headers it implies."""

    limit = MAX_INSPECTED

    def holds(self, start: Message) -> bool:
        return inspectable(start)

    async def finish(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        decoded = parsed(body)
        tag = normalised_tag(headers["etag"]) if "etag" in headers else None
        if tag is None and isinstance(decoded, dict):
            tag = entity_tag(decoded.get("version"))
        if tag is not None:
            headers["ETag"] = tag
        status = int(start["status"])
        if status == 201 and "location" not in headers:
            where = location(scope, decoded)
            if where is not None:
                headers["Location"] = where
        request = Headers(scope=scope)
        if (
            tag is not None
            and scope["method"] in ("GET", "HEAD")
            and 200 <= status < 300
            and none_match(request.get("if-none-match"), tag)
        ):
            await send_not_modified(headers, send)
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def inspectable(start: Message) -> bool:
    headers = Headers(raw=start.get("headers", []))
    kind = headers.get("content-type", "")
    return 200 <= int(start["status"]) < 300 and kind.startswith("application/json")


def parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


async def send_not_modified(headers: MutableHeaders, send: Send) -> None:
    kept = MutableHeaders()
    for name in ("etag", "cache-control", "vary"):
        if name in headers:
            kept[name] = headers[name]
    await send({"type": "http.response.start", "status": 304, "headers": kept.raw})
    await send({"type": "http.response.body", "body": b""})

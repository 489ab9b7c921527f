"""The shape the answer-rewriting middlewares share: hold a response until its body is known.

A subclass says which requests and which response starts it wants to look into, and finishes
the held answer (start and whole body) itself. Anything else, and bodies larger than `limit`,
pass through as they come, so a stream or a large export is never buffered.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeldAnswers:
    """Pure ASGI middleware: holds the answers `holds()` picks, then calls `finish()`."""

    limit = 4 * 1024 * 1024

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def wants(self, scope: Scope) -> bool:
        """Whether this request's answer may be looked into."""
        return bool(scope["type"] == "http")

    def holds(self, start: Message) -> bool:
        """Whether the answer that starts so is held."""
        raise NotImplementedError

    async def finish(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        """Sends the held answer, changed as the middleware means to."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.wants(scope):
            await self.app(scope, receive, send)
            return
        held: dict[str, Message] = {}
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.holds(message):
                    held["start"] = message
                    return
                await send(message)
                return
            if "start" not in held:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                if sum(map(len, chunks)) > self.limit:
                    await send(held.pop("start"))
                    await send(
                        {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                    )
                    chunks.clear()
                return
            await self.finish(scope, held.pop("start"), b"".join(chunks), send)

        await self.app(scope, receive, hold)

"""The delivery sender: POSTs due webhooks (signed) and sends due e-mails, retrying failures
with capped, jittered exponential backoff until the attempts run out (then: dead letter).

At least once: a delivery is marked sent only after its receiver answered 2xx, so a crash in
between sends it again with the same delivery id (receivers deduplicate on it); once marked
sent it is never sent again.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from adapters.sql.notify_store import Delivery, SqlDeliveries
from aggregates.faults import reason_of
from engine.notify.retry import next_delay
from engine.notify.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    subscription_secret,
)
from engine.settings import Settings

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The receiver did not take the notification (a non-2xx answer, a timeout, no answer)."""


class Post(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int: ...


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POSTs with the standard library; the status, or DeliveryFailed."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError) as error:  # refused, reset, timed out, bad host
        raise DeliveryFailed(reason_of(error)) from error


@dataclass(frozen=True)
class Smtp:
    """Where e-mail goes (settings smtp_*)."""

    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Smtp | None:
        if not settings.smtp_host:
            return None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_username,
            password,
            settings.smtp_from,
            settings.delivery_timeout_seconds,
        )

    def send(self, to: str, subject: str, text: str, delivery_id: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{delivery_id}@perfledger>"  # the idempotency key again
        message.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls()
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(reason_of(error)) from error


Targets = Callable[[str], dict[str, Any] | None]


class DeliverySender:
    """Sends what is due, one round at a time."""

    def __init__(
        self,
        deliveries: SqlDeliveries,
        targets: Targets,
        settings: Settings,
        post: Post = http_post,
        smtp: Smtp | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.deliveries = deliveries
        self.targets = targets
        self.settings = settings
        self.post = post
        self.smtp = smtp
        self.clock = clock
        self.server_secret = settings.signing_secret()
        self.sent = 0
        self.failures = 0
        self.dead = 0

    def round(self) -> int:
        """Tries every due delivery once; returns how many were tried."""
        due = self.deliveries.due(self.clock(), self.settings.delivery_batch_size)
        for delivery in due:
            self.attempt(delivery)
        return len(due)

    def attempt(self, delivery: Delivery) -> None:
        try:
            self.send(delivery)
        except DeliveryFailed as error:
            self.failed(delivery, str(error))
            return
        self.deliveries.sent(delivery.delivery_id, self.clock())
        self.sent += 1

    def failed(self, delivery: Delivery, error: str) -> None:
        settings = self.settings
        attempts = delivery.attempts + 1
        self.failures += 1
        if attempts >= settings.delivery_max_attempts:
            self.dead += 1
            log.warning(
                "delivery %s dead after %d attempts: %s", delivery.delivery_id, attempts, error
            )
            self.deliveries.failed(delivery.delivery_id, error, None)
            return
        delay = next_delay(
            attempts, settings.delivery_backoff_seconds, settings.delivery_backoff_max_seconds
        )
        log.info(
            "delivery %s attempt %d failed (%s); next in %.1fs",
            delivery.delivery_id,
            attempts,
            error,
            delay,
        )
        self.deliveries.failed(delivery.delivery_id, error, self.clock() + delay)

    def send(self, delivery: Delivery) -> None:
        target = self.targets(delivery.subscription_id)
        if target is None:
            raise DeliveryFailed(f"subscription {delivery.subscription_id} unknown")
        if delivery.channel == "email":
            self.send_email(delivery, target)
        else:
            self.send_webhook(delivery, target)

    def send_webhook(self, delivery: Delivery, target: dict[str, Any]) -> None:
        url = target.get("url")
        if not url:
            raise DeliveryFailed("the subscription has no webhook URL any more")
        body = delivery.body.encode()
        timestamp = int(self.clock())
        secret = subscription_secret(
            self.server_secret, delivery.subscription_id, int(target["generation"])
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "perfledger-webhooks/1",
            DELIVERY_HEADER: delivery.delivery_id,
            EVENT_HEADER: delivery.kind,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        status = self.post(url, body, headers, self.settings.delivery_timeout_seconds)
        if not 200 <= status < 300:
            raise DeliveryFailed(f"the receiver answered {status}")

    def send_email(self, delivery: Delivery, target: dict[str, Any]) -> None:
        to = target.get("email")
        if not to:
            raise DeliveryFailed("the subscription has no e-mail address any more")
        if self.smtp is None:
            raise DeliveryFailed("no SMTP server is configured")
        body = json.loads(delivery.body)
        subject = f"[perfledger] {delivery.kind} in team {body.get('team_id')}"
        text = json.dumps(body, indent=2, sort_keys=True)
        self.smtp.send(to, subject, text, delivery.delivery_id)

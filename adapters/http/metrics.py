"""GET /metrics: Prometheus text built at scrape time from the read-model database,
plus request latency.

The figures that matter across processes (ingest counters, relay position, consumer
offsets) live in the database, so any API process reports the whole deployment's state,
whichever process did the work. Request latency is per API process, as Prometheus expects.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.bootstrap import Container
from engine.health import is_stale, merge

router = APIRouter(tags=["operations"])
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class StoreCollector(Collector):
    """Reads counters, positions and offsets from the stores on every scrape."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.records = container.services.operations.records

    def collect(self) -> Iterator[Metric]:
        yield from self._telephony()
        yield from self._relay()
        yield from self._consumers()
        yield from self._faults()
        yield from self._durability()
        yield from self._notifications()

    def _notifications(self) -> Iterator[Metric]:
        counts = self.container.services.notifications.queue_counts()
        queued = GaugeMetricFamily(
            "perfledger_notifications",
            "Notification deliveries by status (pending, sent, dead: in the dead-letter list)",
            labels=["status"],
        )
        for status in ("pending", "sent", "dead"):
            queued.add_metric([status], counts.get(status, 0))
        yield queued

    def _telephony(self) -> Iterator[Metric]:
        counters = self.records.counter_totals()
        events = CounterMetricFamily(
            "perfledger_telephony_events",
            "Telephony events by outcome (received = accepted + duplicates + dead_lettered)",
            labels=["outcome"],
        )
        for outcome in ("received", "accepted", "duplicates", "dead_lettered"):
            events.add_metric([outcome], counters.get(outcome, 0))
        yield events
        yield CounterMetricFamily(
            "perfledger_telephony_dead_lettered",
            "Telephony events sent to the dead-letter topic",
            value=counters.get("dead_lettered", 0),
        )

    def _relay(self) -> Iterator[Metric]:
        newest = self.records.event_store_position()
        position = self.records.relayed_to()
        yield GaugeMetricFamily(
            "perfledger_event_store_position",
            "Newest notification id in the event store",
            value=newest,
        )
        yield GaugeMetricFamily(
            "perfledger_relay_position", "Last notification id the relay published", value=position
        )
        yield GaugeMetricFamily(
            "perfledger_relay_lag_events",
            "Stored events not yet published to Kafka",
            value=max(newest - position, 0),
        )

    def _consumers(self) -> Iterator[Metric]:
        labels = ["consumer", "topic", "partition"]
        lag = GaugeMetricFamily(
            "perfledger_consumer_lag_records",
            "Records on the broker a projector or ingestor has not applied yet",
            labels=labels,
        )
        offset = GaugeMetricFamily(
            "perfledger_consumer_next_offset",
            "Next offset a projector or ingestor will apply",
            labels=labels,
        )
        for row in self.records.partition_lags():
            key = [str(row["consumer"]), str(row["topic"]), str(row["partition"])]
            lag.add_metric(key, float(row["lag"]))  # type: ignore[arg-type]
            offset.add_metric(key, float(row["next_offset"]))  # type: ignore[arg-type]
        yield lag
        yield offset

    def _faults(self) -> Iterator[Metric]:
        """Infrastructure retries and how long a worker has been stuck, per component;
        parked events per consumer."""
        container, now = self.container, datetime.now(UTC)
        everyone = merge(container.health.entries(), self.records.stored_health())
        retries = CounterMetricFamily(
            "perfledger_component_retries",
            "Retries after an infrastructure fault, per component",
            labels=["component"],
        )
        stuck = GaugeMetricFamily(
            "perfledger_component_retrying_seconds",
            "How long a component has been retrying the same position (0: making progress)",
            labels=["component"],
        )
        for component in sorted({e.component for e in everyone}):
            mine = [e for e in everyone if e.component == component]
            retries.add_metric([component], sum(e.retries for e in mine))
            fresh = [
                e.stuck_for(now)
                for e in mine
                if not is_stale(e, now, container.settings.stuck_after_seconds)
            ]
            stuck.add_metric([component], max(fresh, default=0.0))
        parked = GaugeMetricFamily(
            "perfledger_parked_events",
            "Messages or events a consumer could not apply (GET /v1/admin/parked lists them)",
            labels=["consumer"],
        )
        for consumer, count in self.records.parked_counts().items():
            parked.add_metric([consumer], count)
        yield retries
        yield stuck
        yield parked

    def _durability(self) -> Iterator[Metric]:
        pending = self.records.inbox_depth()
        yield GaugeMetricFamily(
            "perfledger_telephony_inbox_events",
            "HTTP-accepted telephony events not yet archived",
            value=int(pending),
        )
        broker = self.container.broker
        if broker is not None:  # an embedded broker, supervised by this process
            yield GaugeMetricFamily(
                "perfledger_broker_up",
                "1 while the embedded broker answers",
                value=1 if broker.available else 0,
            )
            yield CounterMetricFamily(
                "perfledger_broker_restarts",
                "Restarts of the embedded broker after it died",
                value=broker.restarts,
            )


def install(app: FastAPI, container: Container) -> None:
    """One registry per app (tests build many apps in one process),
    a latency middleware and the route."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(container))
    latency = Histogram(
        "perfledger_http_request_duration_seconds",
        "HTTP request latency by route",
        ["method", "route", "status"],
        registry=registry,
        buckets=LATENCY_BUCKETS,
    )
    app.state.metrics = registry

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the raw path: ids in paths would explode the label set.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        latency.labels(request.method, route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    app.include_router(router)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"example": "perfledger_relay_lag_events 0.0\n"}}}
    },
)
def metrics(request: Request) -> Any:
    """Prometheus metrics: telephony events, relay position and lag,
    consumer lag per partition, latency."""
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)

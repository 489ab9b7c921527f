"""Published heads: the newest per chain wins; Kafka is told at most every interval, never blocking
the file."""

from __future__ import annotations

from engine.seal_heads import Heads, PublishedHeads, newest


class FakeSink:
    def __init__(self, fails: bool = False) -> None:
        self.published: list[Heads] = []
        self.fails = fails

    def publish(self, heads: Heads) -> None:
        if self.fails:
            raise ConnectionError("broker down")
        self.published.append(heads)

    def latest(self) -> Heads | None:
        return self.published[-1] if self.published else None


def heads(events: int, archive: int = 0) -> Heads:
    return Heads((events, f"{events:064d}"), (archive, f"{archive:064d}"))


def test_the_newest_head_of_each_chain_wins_whoever_published_it() -> None:
    found = newest(
        [
            Heads((5, "a" * 64), (1, "b" * 64), "file"),
            Heads((3, "c" * 64), (2, "d" * 64), "kafka"),
            None,
        ]
    )
    assert (found.events, found.archive, found.source) == (
        (5, "a" * 64),
        (2, "d" * 64),
        "file+kafka",
    )
    assert newest([None]) == Heads()


def test_the_file_hears_every_head_and_kafka_the_last_one_each_interval() -> None:
    file, kafka = FakeSink(), FakeSink()
    published = PublishedHeads(file, kafka, remote_every=10)
    for n, now in enumerate((0.0, 1.0, 2.0)):
        published.publish(heads(n + 1), now)
    assert [h.events[0] for h in file.published if h.events] == [1, 2, 3]
    assert [h.events[0] for h in kafka.published if h.events] == [1]
    published.tick(5.0)
    assert len(kafka.published) == 1
    published.tick(10.0)  # the last head reaches Kafka once due, even with nothing new sealed
    assert [h.events[0] for h in kafka.published if h.events] == [1, 3]


def test_a_broker_that_is_down_is_retried_only_after_a_back_off() -> None:
    file, kafka = FakeSink(), FakeSink(fails=True)
    published = PublishedHeads(file, kafka, remote_every=10)
    published.publish(heads(1), 0.0)
    kafka.fails = False
    published.publish(heads(2), 15.0)
    assert kafka.published == [] and len(file.published) == 2
    published.tick(60.0)
    assert kafka.published == [heads(2)]

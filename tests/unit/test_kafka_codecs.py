"""Every Kafka compression codec is readable by our consumers, and an undecodable batch is located.

The embedded broker stores batches decompressed, so only here, on kafka-python's own batch
decoder (what `poll()` runs on every fetched batch), does a consumer meet compressed bytes.
"""

from __future__ import annotations

from typing import Any

import pytest
from kafka import TopicPartition
from kafka.consumer.fetcher import Fetcher
from kafka.errors import CorruptRecordError, UnsupportedCodecError
from kafka.record import MemoryRecords, MemoryRecordsBuilder
from kafka.record.default_records import DefaultRecordBatch

from adapters.kafka.undecodable import Span, locate

CODECS = {
    "gzip": DefaultRecordBatch.CODEC_GZIP,
    "snappy": DefaultRecordBatch.CODEC_SNAPPY,
    "lz4": DefaultRecordBatch.CODEC_LZ4,
    "zstd": DefaultRecordBatch.CODEC_ZSTD,
}


def batches(*parts: tuple[int, int, int]) -> bytes:
    """Record batches of (codec, first offset, messages), as a broker returns them in a fetch."""
    data = b""
    for codec, first, count in parts:
        builder = MemoryRecordsBuilder(
            magic=2, compression_type=codec, batch_size=1 << 20, offset=first
        )
        for n in range(count):
            builder.append(
                timestamp=1_790_000_000_000 + n,
                key=b"agent-1",
                value=b'{"n": %d}' % (first + n),
                headers=[],
            )
        builder.close()
        data += builder.buffer()
    return data


def unpack(data: bytes, fetch_offset: int = 0) -> list[Any]:
    """The records of fetched bytes, decoded by the consumer's own fetcher code."""
    part = Fetcher.PartitionRecords(
        fetch_offset, TopicPartition("telephony.events", 2), MemoryRecords(data)
    )
    records: list[Any] = part.take()
    return records


@pytest.mark.parametrize("name", sorted(CODECS))
def test_a_consumer_decodes_batches_compressed_with_every_codec(name: str) -> None:
    records = unpack(batches((CODECS[name], 0, 3)))
    assert [(r.offset, r.value) for r in records] == [(n, b'{"n": %d}' % n) for n in range(3)]


def test_an_undecodable_batch_is_located_by_partition_and_offset_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched = batches(
        (DefaultRecordBatch.CODEC_NONE, 0, 2),
        (CODECS["lz4"], 2, 4),
        (DefaultRecordBatch.CODEC_NONE, 6, 1),
    )
    # A consumer process without the lz4 library, as the ingestor was.
    monkeypatch.setattr("kafka.codec.has_lz4", lambda: False)
    part = Fetcher.PartitionRecords(
        0, TopicPartition("telephony.events", 2), MemoryRecords(fetched)
    )
    assert [r.offset for r in part.take()] == [0, 1]  # what came before is returned first
    with pytest.raises(UnsupportedCodecError) as raised:
        part.take()
    span = locate(raised.value)
    assert span is not None
    assert (span.topic, span.partition, span.first, span.last, span.count) == (
        "telephony.events",
        2,
        2,
        5,
        4,
    )
    assert span.source == "telephony.events:2:2-5"
    assert span.timestamp == 1_790_000_000_003


def test_a_fetch_starting_inside_an_undecodable_batch_sets_aside_only_the_rest_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched = batches((CODECS["zstd"], 10, 5))
    monkeypatch.setattr("kafka.codec.has_zstd", lambda: False)
    with pytest.raises(UnsupportedCodecError) as raised:
        unpack(fetched, fetch_offset=12)
    assert locate(raised.value) == Span("telephony.events", 2, 12, 14, 1_790_000_000_004)


def test_bytes_that_are_no_batch_at_all_are_set_aside_one_offset_at_a_time() -> None:
    good = batches((DefaultRecordBatch.CODEC_NONE, 0, 2))
    garbage = (
        (2).to_bytes(8, "big") + (20).to_bytes(4, "big") + b"\x00" * 20
    )  # a header too short for a batch
    part = Fetcher.PartitionRecords(0, TopicPartition("t", 0), MemoryRecords(good + garbage))
    assert [r.offset for r in part.take()] == [0, 1]
    with pytest.raises(CorruptRecordError) as raised:
        part.take()
    assert locate(raised.value) == Span("t", 0, 2, 2)


def test_faults_outside_batch_decoding_are_not_set_aside() -> None:
    try:
        raise ConnectionError("broker away")
    except ConnectionError as error:
        assert locate(error) is None

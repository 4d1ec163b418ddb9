#!/usr/bin/env python3
"""Writes prebuilt POST /telemetry bodies for the k6 format scenarios and `scripts/bench formats`.

Usage: make_bodies.py OUT_DIR [BATCHES (default 16)] [BATCH_SIZE (default 100)]

Each batch is the same events in four bodies: batch-<i>.json (a JSON array), batch-<i>.json.gz (gzip of it),
batch-<i>.pb (one telemetry.TelemetryBatch, proto/telemetry.proto), batch-<i>.pb.gz. A batch is one device's
readings, as devices send them: in JSON every event names the device, in Protobuf the batch does once. The gateway
stores both identically. manifest.json records the counts and the body sizes per format.

Standard library only (the Protobuf is encoded here by hand; tests/fixtures/protobuf holds bodies from the
reference implementation), so load machines need nothing installed.
"""
import gzip
import json
import os
import struct
import sys
import time


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(number, wire):
    return varint(number << 3 | wire)


def length_delimited(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(number, 2) + varint(len(payload)) + payload


def sample_pb(event, timestamp_us):
    metadata = b"".join(
        length_delimited(7, length_delimited(1, key) + length_delimited(2, length_delimited(1, value)))
        for key, value in event["metadata"].items())
    return (tag(1, 0) + varint(timestamp_us) + tag(2, 1) + struct.pack("<d", event["value"])
            + length_delimited(3, event["unit"]) + tag(4, 0) + varint(event["sequence_id"])
            + length_delimited(5, event["type"]) + tag(6, 0) + varint(2) + metadata)


def main():
    out = sys.argv[1]
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    os.makedirs(out, exist_ok=True)
    base_us = 1_764_561_600_000_000  # 2025-12-01T04:00:00Z
    sizes = {"json": 0, "json.gz": 0, "pb": 0, "pb.gz": 0}
    for batch in range(batches):
        device = "sensor-%04d" % batch
        events, samples = [], []
        for index in range(size):
            timestamp_us = base_us + (batch * size + index) * 1_000_123
            seconds, micros = divmod(timestamp_us, 1_000_000)
            event = {
                "device_id": device,
                "value": round(18 + ((batch * 7 + index * 13) % 1000) / 37.0, 2),
                "type": "temperature",
                "unit": "celsius",
                "priority": "MEDIUM",
                "timestamp": "%s.%06dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)), micros),
                "sequence_id": batch * size + index,
                "metadata": {"location": "zone-%d" % (index % 5), "firmware_version": "2.3.1"},
            }
            events.append(event)
            samples.append(length_delimited(1, sample_pb(event, timestamp_us)))
        bodies = {
            "json": json.dumps(events, separators=(",", ":")).encode(),
            "pb": b"".join(samples) + length_delimited(2, device),
        }
        bodies["json.gz"] = gzip.compress(bodies["json"], mtime=0)
        bodies["pb.gz"] = gzip.compress(bodies["pb"], mtime=0)
        for suffix, body in bodies.items():
            with open(os.path.join(out, "batch-%d.%s" % (batch, suffix)), "wb") as handle:
                handle.write(body)
            sizes[suffix] += len(body)
    manifest = {"batches": batches, "batch_size": size,
                "bytes_per_event": {k: round(v / (batches * size), 1) for k, v in sizes.items()}}
    with open(os.path.join(out, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()

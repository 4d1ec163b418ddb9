#!/usr/bin/env python3
"""Fills a Redis stream with N telemetry entries in the gateway's exact format, and writes the line protocol the
processor produces for them, in files of BATCH points (the curl ceiling posts those files).

    fill.py N BATCH LP_DIR > commands.resp     then: redis-cli -p PORT --pipe < commands.resp

Entry IDs are explicit (<ms>-<seq>, consecutive from a fixed start) so that the line protocol can be computed
here, byte for byte what telemetry-processor writes: tags sorted, value as a float, metadata numbers as floats,
time = received_at in ns with (id_ms % 1000) * 1000 + id_seq % 1000 in the sub-millisecond digits.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lineprotocol import encode  # noqa: E402


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def main():
    count, batch, lp_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    stream = os.environ.get("STREAM", "telemetry:events")
    os.makedirs(lp_dir, exist_ok=True)
    base_ms = 1_796_000_000_000
    out = sys.stdout.buffer
    lines = []
    file_index = 0
    for index in range(count):
        ms, seq = base_ms + index // 10, index % 10
        device = "sensor-%d" % (index % 500)
        received = "2026-11-30T%02d:%02d:%02d.%03dZ" % (index // 3_600_000 % 24, index // 60_000 % 60, index // 1000 % 60, index % 1000)
        data = json.dumps({
            "device_id": device, "value": round(20 + (index % 1000) / 100, 2), "type": "temperature", "unit": "celsius",
            "metadata": {"site": "zone-%d" % (index % 7), "rssi": -(index % 90)}, "priority": "MEDIUM",
            "received_at": received,
        }, separators=(",", ":"))
        entry_id = "%d-%d" % (ms, seq)
        out.write(resp("XADD", stream, entry_id, "device_id", device, "priority", "MEDIUM", "data", data))
        lines.append(encode(entry_id, {"device_id": device, "priority": "MEDIUM"}, json.loads(data)))
        if len(lines) == batch or index == count - 1:
            with open(os.path.join(lp_dir, "batch-%06d.lp" % file_index), "w") as handle:
                handle.write("\n".join(lines) + "\n")
            file_index += 1
            lines = []


if __name__ == "__main__":
    main()

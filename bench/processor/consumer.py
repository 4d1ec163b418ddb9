#!/usr/bin/env python3
"""What a user would write by hand: a redis-py + requests consumer with the same batching and the same points as
telemetry-processor (XREADGROUP COUNT 5000, one POST per batch, XACK after the 2xx). Exits when the group has
neither lag nor pending entries.

    consumer.py REDIS_PORT INFLUX_URL DATABASE GROUP [BATCH]
"""
import json
import os
import sys

import redis
import requests

sys.path.insert(0, os.path.dirname(__file__))
from lineprotocol import encode  # noqa: E402


def main():
    port, influx, database, group = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 5000
    stream = os.environ.get("STREAM", "telemetry:events")
    client = redis.Redis(port=port)
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError:
        pass
    session = requests.Session()
    url = "%s/write?db=%s&precision=ns" % (influx, database)
    while True:
        reply = client.xreadgroup(group, "python", {stream: ">"}, count=batch, block=1000)
        if not reply:
            info = next(g for g in client.xinfo_groups(stream) if g["name"].decode() == group)
            if info["pending"] == 0 and (info.get("lag") or 0) == 0:
                return
            continue
        entries = reply[0][1]
        lines = []
        for entry_id, fields in entries:
            decoded = {k.decode(): v.decode() for k, v in fields.items()}
            lines.append(encode(entry_id.decode(), decoded, json.loads(decoded["data"])))
        response = session.post(url, data=("\n".join(lines) + "\n").encode())
        response.raise_for_status()
        client.xack(stream, group, *[entry_id for entry_id, _ in entries])


if __name__ == "__main__":
    main()

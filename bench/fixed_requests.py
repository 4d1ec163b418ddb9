#!/usr/bin/env python3
"""Sends exactly --requests HTTP requests over --conns keep-alive connections and stops.

wrk runs for a duration, not a count; an instruction count per request (scripts/profile
callgrind) needs a known number of requests, and under valgrind the server is slow enough that
this plain client is never the bottleneck. Prints one JSON line: requests, ok (2xx), failed,
seconds. Exits 1 when any request failed or got a non-2xx answer.
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080/telemetry")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--body-file", help="request body (POST), sent as --content-type")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--content-encoding", help="e.g. gzip, for a body file already compressed")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("only loopback targets are allowed")
    body = open(args.body_file, "rb").read() if args.body_file else None
    headers = {"Content-Type": args.content_type} if body is not None else {}
    if body is not None and args.content_encoding:
        headers["Content-Encoding"] = args.content_encoding

    lock = threading.Lock()
    state = {"issued": 0, "ok": 0, "failed": 0}

    def take():
        with lock:
            if state["issued"] >= args.requests:
                return False
            state["issued"] += 1
            return True

    def worker():
        conn = None
        ok = failed = 0
        while take():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
                conn.request(args.method, url.path or "/", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if 200 <= resp.status < 300:
                    ok += 1
                else:
                    failed += 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                failed += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            state["ok"] += ok
            state["failed"] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(max(1, args.conns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    print(json.dumps({"requests": state["issued"], "ok": state["ok"], "failed": state["failed"],
                      "seconds": round(elapsed, 3)}))
    return 0 if state["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

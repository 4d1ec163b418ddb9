"""Opens N keep-alive connections to the gateway, sends one GET /health on each, keeps them all open and idle,
and prints the gateway's resident memory before, with the N idle connections, and after one POST /telemetry on
each. Usage: idle_connections.py PORT N GATEWAY_PID (run by scripts/idle-rss)."""
import resource
import socket
import sys
import time

port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb():
    with open(f"/proc/{pid}/status") as status:
        values = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
    return int(values["VmRSS"].split()[0]), int(values["VmHWM"].split()[0])


def answered_200(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 200")


before = rss_kb()
sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
for s in sockets:
    s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
ok = sum(answered_200(s) for s in sockets)
time.sleep(1)
idle = rss_kb()

body = open(sys.argv[4], "rb").read().strip() if len(sys.argv) > 4 else b'{"device_id":"d","value":1}'
post = b"POST /telemetry HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
for s in sockets:
    s.sendall(post)
stored = sum(answered_200(s) for s in sockets)
time.sleep(1)
after = rss_kb()

print(f"| idle keep-alive connections | {count:,} (answered GET /health: {ok:,}) |")
print(f"| gateway RSS before | {before[0] / 1024:.1f} MB |")
print(f"| gateway RSS with the connections idle | {idle[0] / 1024:.1f} MB ({(idle[0] - before[0]) * 1024 / count:.0f} bytes per connection) |")
print(f"| gateway RSS after one POST /telemetry on each (200: {stored:,}) | {after[0] / 1024:.1f} MB (peak {after[1] / 1024:.1f} MB) |")

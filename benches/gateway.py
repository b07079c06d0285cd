"""The egress gateway's cost, run by benches/gateway: connection set-up and a
large download through paddock-gateway against the same server reached
directly, alternately in the same run, on 127.0.0.1 only.

Loopback is the gateway's worst case for set-up latency: a direct connection
there costs tens of microseconds, so the gateway's own hop is all that is
measured. The table gives the added time besides the ratio.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SMALL = b"ok\n"
BIG_MIB = 100
CHUNK = 1 << 20


def log(message):
    print(message, file=sys.stderr, flush=True)


class Series:
    def __init__(self):
        self.values = []

    def add(self, value):
        self.values.append(value)

    @property
    def median(self):
        return statistics.median(self.values)

    def text(self, scale, unit):
        fmt = "{:.2f}" if self.median * scale < 10 else "{:.1f}" if self.median * scale < 100 else "{:.0f}"
        low, high = min(self.values) * scale, max(self.values) * scale
        return f"{fmt.format(self.median * scale)} {unit} ({fmt.format(low)}-{fmt.format(high)}, n={len(self.values)})"


# ---------------------------------------------------------------- the stand-in server


def serve(listener, big):
    """HTTP/1.1, one request per connection: /small or /big."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=answer, args=(conn, big), daemon=True).start()


def answer(conn, big):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = b""
        while b"\r\n\r\n" not in head:
            data = conn.recv(4096)
            if not data:
                return
            head += data
        body = big if head.split(b" ", 2)[1].endswith(b"/big") else SMALL
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        conn.sendall(body)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- clients


def connect(port):
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def read_head(conn):
    """Reads a response head; returns what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError(f"the connection ended inside a response head: {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    if b" 200 " not in head.split(b"\r\n")[0] + b" ":
        raise RuntimeError(f"refused: {head[:200]!r}")
    return rest


def fetch(conn, request):
    """Sends a GET and reads the whole response; returns the body's length."""
    conn.sendall(request)
    total = len(read_head(conn))
    buffer = bytearray(CHUNK)
    while count := conn.recv_into(buffer):
        total += count
    return total


def direct(server, path):
    with connect(server) as conn:
        return fetch(conn, b"GET %s HTTP/1.1\r\nHost: bench.test\r\n\r\n" % path)


def proxied(proxy, path):
    with connect(proxy) as conn:
        return fetch(conn, b"GET http://bench.test%s HTTP/1.1\r\nHost: bench.test\r\n\r\n" % path)


def tunnelled(proxy, server, path):
    with connect(proxy) as conn:
        conn.sendall(b"CONNECT bench.test:%d HTTP/1.1\r\n\r\n" % server)
        if read_head(conn):
            raise RuntimeError("bytes before the tunnel opened")
        return fetch(conn, b"GET %s HTTP/1.1\r\nHost: bench.test\r\n\r\n" % path)


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(action):
    start = time.perf_counter()
    length = action()
    return time.perf_counter() - start, length


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", required=True, help="the paddock-gateway binary (a release build)")
    parser.add_argument("--runs", type=int, default=300, help="set-ups per path")
    parser.add_argument("--downloads", type=int, default=7, help="100 MB downloads per path")
    args = parser.parse_args()

    big = os.urandom(1 << 20) * BIG_MIB
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = listener.getsockname()[1]
    threading.Thread(target=serve, args=(listener, big), daemon=True).start()

    workdir = Path(tempfile.mkdtemp(prefix="paddock-gateway-bench-"))
    policy = workdir / "policy.json"
    policy.write_text(json.dumps({
        "allow": ["bench.test", f"bench.test:{server}"],
        "hosts": {"bench.test": "127.0.0.1", "bench.test:80": f"127.0.0.1:{server}"},
    }))
    proxy = free_port()
    command = [args.gateway, "--policy", str(policy), "--address", "127.0.0.1",
               "--proxy-port", str(proxy), "--https-port", str(free_port()),
               "--http-port", str(free_port()), "--dns-port", str(free_port(socket.SOCK_DGRAM))]
    # The attempt log goes to a file, as podman's log driver takes it.
    log_file = open(workdir / "attempts.jsonl", "wb")
    gateway = subprocess.Popen(command, stdout=log_file, stderr=subprocess.PIPE, text=True)
    try:
        line = gateway.stderr.readline()
        if "ready" not in line:
            raise RuntimeError(f"the gateway did not start: {line}{gateway.stderr.read()}")

        paths = {
            "direct": lambda path: direct(server, path),
            "proxy (GET http://)": lambda path: proxied(proxy, path),
            "proxy (CONNECT)": lambda path: tunnelled(proxy, server, path),
        }
        setup = {name: Series() for name in paths}
        log(f"set-up: {args.runs} small requests per path, alternating")
        for _ in range(args.runs):
            for name, fetcher in paths.items():
                seconds, length = timed(lambda: fetcher(b"/small"))
                assert length == len(SMALL), (name, length)
                setup[name].add(seconds)
        throughput = {name: Series() for name in paths}
        gateway_cpu = {name: 0.0 for name in paths}
        log(f"throughput: {args.downloads} downloads of {BIG_MIB} MiB per path, alternating")
        for _ in range(args.downloads):
            for name, fetcher in paths.items():
                cpu = cpu_seconds(gateway.pid)
                seconds, length = timed(lambda: fetcher(b"/big"))
                gateway_cpu[name] += cpu_seconds(gateway.pid) - cpu
                assert length == len(big), (name, length)
                throughput[name].add(len(big) / seconds / (1 << 20))
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
        log_file.close()

    lines = sum(1 for _ in open(workdir / "attempts.jsonl"))
    expected = 2 * (args.runs + args.downloads)
    print(f"## Egress gateway ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, 127.0.0.1)\n")
    print("| measurement | path | median (min-max) | ratio to direct | target |")
    print("|---|---|---|---|---|")
    base = setup["direct"].median
    for name, series in setup.items():
        ratio = series.median / base
        added = (series.median - base) * 1e6
        target = "-" if name == "direct" else f"<= 1.5x: {'met' if ratio <= 1.5 else 'missed'} (+{added:.0f} us)"
        print(f"| set-up + small request | {name} | {series.text(1e6, 'us')} | {ratio:.2f}x | {target} |")
    base = throughput["direct"].median
    for name, series in throughput.items():
        ratio = series.median / base
        target = "-" if name == "direct" else f">= 0.8x: {'met' if ratio >= 0.8 else 'missed'}"
        print(f"| {BIG_MIB} MiB download | {name} | {series.text(1, 'MiB/s')} | {ratio:.2f}x | {target} |")
    print()
    for name in list(paths)[1:]:
        per_download = gateway_cpu[name] / args.downloads
        print(f"- {name}: the gateway used {per_download * 1000:.0f} ms of CPU per {BIG_MIB} MiB "
              "(a measure of its own cost that does not depend on the machine's load)")
    print(f"\nThe gateway logged {lines} attempts for {expected} proxied connections.")
    if lines != expected:
        raise SystemExit("the attempt log is incomplete")


if __name__ == "__main__":
    main()

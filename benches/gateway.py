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
import shutil
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


class Table:
    """Rows of the Markdown table, each path against its baseline."""

    def __init__(self):
        self.rows = []
        self.notes = []

    def setup(self, where, series, base_name):
        base = series[base_name].median
        for name, values in series.items():
            ratio = values.median / base
            added = (values.median - base) * 1e6
            target = "-" if name == base_name else \
                f"<= 1.5x: {'met' if ratio <= 1.5 else 'missed'} (+{added:.0f} us)"
            self.rows.append(f"| {where}: set-up + small request | {name} | {values.text(1e6, 'us')} "
                             f"| {ratio:.2f}x | {target} |")

    def throughput(self, where, series, base_name):
        base = series[base_name].median
        for name, values in series.items():
            ratio = values.median / base
            target = "-" if name == base_name else f">= 0.8x: {'met' if ratio >= 0.8 else 'missed'}"
            self.rows.append(f"| {where}: {BIG_MIB} MiB download | {name} | {values.text(1, 'MiB/s')} "
                             f"| {ratio:.2f}x | {target} |")

    def print(self):
        print(f"## Egress gateway ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} CPUs)\n")
        print("| measurement | path | median (min-max) | ratio | target |")
        print("|---|---|---|---|---|")
        for row in self.rows:
            print(row)
        print()
        for note in self.notes:
            print(f"- {note}")


def loopback(args, table):
    """Python client and server on 127.0.0.1, the gateway between them."""
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
        log(f"loopback set-up: {args.runs} small requests per path, alternating")
        for _ in range(args.runs):
            for name, fetcher in paths.items():
                seconds, length = timed(lambda: fetcher(b"/small"))
                assert length == len(SMALL), (name, length)
                setup[name].add(seconds)
        throughput = {name: Series() for name in paths}
        gateway_cpu = {name: 0.0 for name in paths}
        log(f"loopback throughput: {args.downloads} downloads of {BIG_MIB} MiB per path, alternating")
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

    table.setup("loopback", setup, "direct")
    table.throughput("loopback", throughput, "direct")
    for name in list(paths)[1:]:
        per_download = gateway_cpu[name] / args.downloads
        table.notes.append(f"loopback, {name}: the gateway used {per_download * 1000:.0f} ms of CPU per "
                           f"{BIG_MIB} MiB (its own cost, whatever the machine's load)")
    lines = sum(1 for _ in open(workdir / "attempts.jsonl"))
    expected = 2 * (args.runs + args.downloads)
    table.notes.append(f"loopback: the gateway logged {lines} attempts for {expected} proxied connections")
    if lines != expected:
        raise SystemExit("the attempt log is incomplete")


# ---------------------------------------------------------------- through podman


def podman(*args):
    result = subprocess.run(["podman", *args], text=True, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout.strip()


def gateway_image(binary, context, name):
    """The base image plus the gateway and the libraries ldd lists."""
    root = context / "root"
    copies = [(binary, "/usr/local/bin/paddock-gateway")]
    for line in subprocess.run(["ldd", binary], text=True, capture_output=True, check=True).stdout.splitlines():
        path = line.split("=>")[-1].split()[0] if line.split() else ""
        if path.startswith("/"):
            copies.append((path, path))
    for source, target in copies:
        (root / target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / target.lstrip("/"))
    (context / "Containerfile").write_text(
        f"FROM {os.environ['PADDOCK_TEST_BASE_IMAGE']}\nCOPY root/ /\n"
        'ENTRYPOINT ["/usr/local/bin/paddock-gateway"]\n')
    podman("build", "-q", "-t", name, str(context))


def in_container(container, script):
    """Runs a script in a running container and returns what it prints."""
    return podman("exec", container, "sh", "-c", script)


def containers(args, table):
    """busybox wget in a client container against busybox httpd on a normal
    network: the client on that network (what `full` gives a sandbox) against
    the client alone on an --internal network behind the gateway."""
    tag = f"paddock-bench-gw-{os.getpid()}"
    made_containers, made_networks = [], []
    context = Path(tempfile.mkdtemp(prefix="paddock-gateway-bench-"))
    base = os.environ["PADDOCK_TEST_BASE_IMAGE"]
    image = f"localhost/{tag}:latest"
    try:
        gateway_image(args.gateway, context, image)
        internal, outer = f"{tag}-internal", f"{tag}-outer"
        podman("network", "create", "--internal", "--disable-dns", internal)
        made_networks.append(internal)
        podman("network", "create", outer)
        made_networks.append(outer)
        site = f"{tag}-site"
        made_containers.append(site)
        podman("run", "-d", "--name", site, "--network", outer, base, "sh", "-c",
               f"mkdir -p /www && echo ok > /www/small && dd if=/dev/zero of=/www/big bs=1M count={BIG_MIB} "
               "2>/dev/null && exec httpd -f -p 80 -h /www")
        subnet = podman("network", "inspect", "-f", "{{range .Subnets}}{{.Subnet}}{{end}}", internal)
        address = subnet.rsplit(".", 1)[0] + ".200"
        (context / "policy.json").write_text(json.dumps({"allow": [site]}))
        gateway = f"{tag}-gateway"
        made_containers.append(gateway)
        podman("run", "-d", "--name", gateway, "--network", f"{internal}:ip={address}", "--network", outer,
               "-v", f"{context / 'policy.json'}:/etc/paddock/policy.json:ro,z", image,
               "--policy", "/etc/paddock/policy.json", "--address", address)
        clients = {
            "direct (full)": (outer, []),
            "gateway proxy": (internal, ["--dns", address, "-e", f"http_proxy=http://{address}:3128"]),
            "gateway transparent": (internal, ["--dns", address]),
        }
        for name, (network, options) in clients.items():
            container = f"{tag}-client-{len(made_containers)}"
            made_containers.append(container)
            podman("run", "-d", "--name", container, "--network", network, *options, base, "sleep", "3600")
            clients[name] = container
        for _ in range(50):
            if "ready" in subprocess.run(["podman", "logs", gateway], text=True, capture_output=True).stderr:
                break
            time.sleep(0.1)
        # The site has to be up too.
        in_container(clients["direct (full)"], f"for i in $(seq 50); do wget -q -O /dev/null http://{site}/small "
                     "&& exit 0; sleep 0.1; done; exit 1")

        # busybox's date has no nanoseconds; its time applet gives
        # hundredths of a second, so each measurement runs long enough for it.
        count = 200

        def seconds(container, command):
            return float(in_container(container, f"time -f %e sh -c '{command}' 2>&1 >/dev/null | tail -n 1"))

        small = f"for i in $(seq {count}); do wget -q -O /dev/null http://{site}/small; done"
        setup = {name: Series() for name in clients}
        throughput = {name: Series() for name in clients}
        log(f"containers: {args.rounds} rounds of {count} small requests and one {BIG_MIB} MiB download per path")
        for _ in range(args.rounds):
            for name, container in clients.items():
                setup[name].add(seconds(container, small) / count)
            for name, container in clients.items():
                throughput[name].add(BIG_MIB / seconds(container, f"wget -q -O /dev/null http://{site}/big"))
        table.setup("containers", setup, "direct (full)")
        table.throughput("containers", throughput, "direct (full)")
        table.notes.append(f"containers: set-up is a busybox wget process per request ({count} in a loop), "
                           "as an agent's tools would start them")
    finally:
        for name in made_containers:
            subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
        for name in made_networks:
            subprocess.run(["podman", "network", "rm", "-f", name], capture_output=True)
        subprocess.run(["podman", "rmi", "-f", image], capture_output=True)
        shutil.rmtree(context, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", required=True, help="the paddock-gateway binary (a release build)")
    parser.add_argument("--runs", type=int, default=300, help="loopback set-ups per path")
    parser.add_argument("--downloads", type=int, default=7, help="loopback 100 MiB downloads per path")
    parser.add_argument("--podman", action="store_true",
                        help="also measure containers through podman (the dev environment)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the container measurement")
    args = parser.parse_args()
    table = Table()
    loopback(args, table)
    if args.podman:
        containers(args, table)
    table.print()


if __name__ == "__main__":
    main()

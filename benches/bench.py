"""Paddock's benchmarks, run by benches/run inside the dev environment.

Each measurement runs Paddock and its baseline alternately in the same run,
several times, and reports the median with the spread (min-max). The GUI
measurements use a private Xvfb and session bus, so that nothing else on the
shared display or bus interferes. Results go to a Markdown table.
"""

import argparse
import ctypes
import json
import os
import platform
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MARKER = "paddock-bench-ready"
PROJECT_LABEL = "io.github.paddockapp.project"
# What a plain `cargo build` names the app (config.rs).
APP_ID = "io.github.paddockapp.Paddock.Devel"
# Annotations podman adds itself; everything else on the sandbox is Paddock's.
PODMAN_ANNOTATIONS = ("io.container.manager", "io.podman.", "org.opencontainers.",
                      "org.systemd.")

START = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - START:6.1f}s] {message}", file=sys.stderr, flush=True)


def run(args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs).stdout


def podman(*args):
    return run(["podman", *args])


# ---------------------------------------------------------------- statistics


class Series:
    """Repeated measurements of one thing, in one unit."""

    def __init__(self, unit, scale=1.0):
        self.values = []
        self.unit = unit
        self.scale = scale

    def add(self, value):
        self.values.append(value)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    def text(self):
        if not self.values:
            return "not measured"
        s = self.scale
        fmt = "{:.0f}" if self.median * s >= 100 else "{:.1f}" if self.median * s >= 10 else "{:.2f}"
        median = fmt.format(self.median * s)
        low, high = fmt.format(min(self.values) * s), fmt.format(max(self.values) * s)
        return f"{median} {self.unit} ({low}-{high}, n={len(self.values)})"


def ratio(paddock, baseline):
    if paddock.median is None or baseline.median in (None, 0):
        return None
    return paddock.median / baseline.median


# ---------------------------------------------------------------- projects


class Projects:
    """Project folders set up with `paddock init`, and their sandboxes."""

    def __init__(self, paddock, workdir, base_image):
        self.paddock = paddock
        self.workdir = workdir
        self.base_image = base_image
        self.paths = []

    def make(self, count):
        while len(self.paths) < count:
            path = self.workdir / f"project-{len(self.paths)}"
            path.mkdir()
            (path / "README").write_text("a project for the benchmark\n")
            run([self.paddock, "init", "--agent", "shell", "--base", self.base_image,
                 "--container", str(path)])
            self.paths.append(path)
        return self.paths[:count]

    def container(self, path):
        out = podman("ps", "-a", "--filter", f"label={PROJECT_LABEL}={path}",
                     "--format", "{{.Names}}")
        names = out.split()
        return names[0] if names else None

    def remove_containers(self):
        for path in self.paths:
            remove_label(f"{PROJECT_LABEL}={path}")

    def remove_all(self):
        self.remove_containers()
        for path in self.paths:
            images = podman("images", "-q", "--filter", f"label={PROJECT_LABEL}={path}").split()
            for image in set(images):
                subprocess.run(["podman", "rmi", "-f", image], capture_output=True)


def remove_label(label):
    ids = podman("ps", "-aq", "--filter", f"label={label}").split()
    if ids:
        subprocess.run(["podman", "rm", "-f", "-t", "0", *ids], capture_output=True)


def podman_run_args(name, inspect):
    """The `podman run` a user would type for a sandbox Paddock made: its
    image, entrypoint, environment, annotations, network and mounts as podman
    inspects them, with the options Paddock's engine asks for (keep-id user
    namespace; `U,z` on the read-write project and volumes, `ro,z` on the
    read-only binds)."""
    config, host = inspect["Config"], inspect["HostConfig"]
    args = ["podman", "run", "--name", name, "--label", "paddock-bench=podman",
            "--userns=keep-id"]
    for key, value in (config.get("Labels") or {}).items():
        if key.startswith("io.github.paddockapp."):
            args += ["--label", f"{key}={value}"]
    for key, value in (config.get("Annotations") or {}).items():
        if not key.startswith(PODMAN_ANNOTATIONS):
            args += ["--annotation", f"{key}={value}"]
    if host.get("NetworkMode") == "none":
        args += ["--network=none"]
    for mount in inspect.get("Mounts") or []:
        if mount["Type"] == "bind":
            options = "rw,U,z" if mount["RW"] else "ro,z"
            args += ["-v", f"{mount['Source']}:{mount['Destination']}:{options}"]
        elif mount["Type"] == "volume":
            args += ["-v", f"{mount['Name']}:{mount['Destination']}:U,z"]
    for item in config.get("Env") or []:
        if not item.startswith(("HOSTNAME=", "container=")):
            args += ["-e", item]
    if config.get("WorkingDir"):
        args += ["-w", config["WorkingDir"]]
    if config.get("OpenStdin"):
        args += ["-i"]
    entrypoint = config.get("Entrypoint") or []
    if isinstance(entrypoint, str):
        entrypoint = [entrypoint]
    if entrypoint:
        args += ["--entrypoint", json.dumps(entrypoint)]
    return args + [config["Image"]]


# ---------------------------------------------------------------- processes


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def service_pids():
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(argv) > 2 and argv[0].endswith(b"podman") and b"system" in argv and b"service" in argv:
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_attach(command, image, name):
    """podman's own attach stream for a sandbox-like container with a terminal,
    read raw from the API socket into nothing: (bytes, seconds from the first
    byte to the end). No podman-api, no Paddock, no VTE: what podman's attach
    path (conmon -> API service -> HTTP) delivers by itself."""
    path = os.environ.get("CONTAINER_HOST", "").removeprefix("unix://")
    podman("create", "-t", "--network=none", "--name", name, image, "/bin/sh", "-c", command)
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(path)
            conn.sendall((f"POST /v5.0.0/libpod/containers/{name}/attach?stream=true&stdout=true"
                          "&stderr=true&stdin=false HTTP/1.1\r\nHost: d\r\n"
                          "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    raise RuntimeError("podman did not answer the attach request")
                head += data
            status, body = head.split(b"\r\n\r\n", 1)
            if b" 101 " not in status.split(b"\r\n")[0]:
                raise RuntimeError(f"attach refused: {status[:200]!r}")
            podman("start", name)
            total, first = len(body), time.monotonic() if body else None
            while data := conn.recv(1 << 20):
                if first is None:
                    first = time.monotonic()
                total += len(data)
        return total, time.monotonic() - (first or time.monotonic())
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


class FirstLine:
    """A process whose stdout is watched until the marker line."""

    def __init__(self, args, stdin=subprocess.DEVNULL):
        self.started = time.monotonic()
        self.process = subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.latency = None
        self.seen = []

    def wait_marker(self, timeout=120):
        deadline = time.monotonic() + timeout
        for line in self.process.stdout:
            if line.strip() == MARKER:
                self.latency = time.monotonic() - self.started
                return self.latency
            self.seen.append(line)
            if time.monotonic() > deadline:
                break
        self.process.kill()
        err = self.process.stderr.read()
        raise RuntimeError(f"no '{MARKER}' line from {self.process.args}: "
                           f"{''.join(self.seen)[-500:]} {err[-1000:]}")

    def finish(self, timeout=60):
        try:
            self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


# ---------------------------------------------------------------- display


class Session:
    """A private Xvfb and session bus for the GUI measurements."""

    def __init__(self, workdir):
        read, write = os.pipe()
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=[write], stderr=subprocess.DEVNULL)
        os.close(write)
        number = b""
        while not number.endswith(b"\n"):
            chunk = os.read(read, 16)
            if not chunk:
                raise RuntimeError("Xvfb did not start")
            number += chunk
        os.close(read)
        self.display = f":{number.decode().strip()}"
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        address = self.bus.stdout.readline().strip()
        data = Path(os.environ["XDG_DATA_HOME"])
        self.env = dict(os.environ, DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=address,
                        GSK_RENDERER="cairo", GTK_A11Y="none", XDG_DATA_HOME=str(data),
                        XDG_CONFIG_HOME=str(workdir / "gui-config"), NO_AT_BRIDGE="1")
        self.env.pop("WAYLAND_DISPLAY", None)
        self.data = data

    def open_projects(self, paths):
        """What the app restores on start: these projects, the first one open."""
        state = self.data / "paddock" / "state.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"projects": [str(p) for p in paths]}))

    def close(self):
        for process in (self.bus, self.xvfb):
            process.terminate()
            process.wait()


class FrameWatch:
    """Watches the X server for the first drawing into a newly mapped
    top-level window (XDamage), which is the first frame on screen."""

    CREATE_NOTIFY, MAP_NOTIFY = 16, 19
    SUBSTRUCTURE_NOTIFY = 1 << 19
    DAMAGE_REPORT_NON_EMPTY = 3

    def __init__(self, display):
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xdamage = ctypes.CDLL("libXdamage.so.1")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x11.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        self.x11.XPending.argtypes = [ctypes.c_void_p]
        self.x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.x11.XConnectionNumber.argtypes = [ctypes.c_void_p]
        self.x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.xdamage.XDamageCreate.restype = ctypes.c_ulong
        self.xdamage.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
        self.xdamage.XDamageQueryExtension.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                                       ctypes.c_void_p]
        # Windows vanish (or are input-only) under our feet: ignore X errors.
        handler_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        self.handler = handler_type(lambda _display, _event: 0)
        self.x11.XSetErrorHandler(self.handler)
        self.dpy = self.x11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {display}")
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not self.xdamage.XDamageQueryExtension(self.dpy, ctypes.byref(event_base),
                                                  ctypes.byref(error_base)):
            raise RuntimeError("the X server has no DAMAGE extension")
        self.damage_notify = event_base.value
        root = self.x11.XDefaultRootWindow(self.dpy)
        self.x11.XSelectInput(self.dpy, root, self.SUBSTRUCTURE_NOTIFY)
        self.x11.XSync(self.dpy, 0)
        self.fd = self.x11.XConnectionNumber(self.dpy)
        self.event = (ctypes.c_long * 24)()

    def first_frame(self, timeout=60):
        """Monotonic time of the first drawing into a mapped top-level window
        created after this call."""
        mapped = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self.x11.XPending(self.dpy):
                self.x11.XNextEvent(self.dpy, ctypes.byref(self.event))
                now = time.monotonic()
                kind = ctypes.c_int.from_buffer(self.event).value
                window = self.event[5]
                if kind == self.CREATE_NOTIFY:
                    self.xdamage.XDamageCreate(self.dpy, window, self.DAMAGE_REPORT_NON_EMPTY)
                elif kind == self.MAP_NOTIFY:
                    mapped.add(window)
                elif kind == self.damage_notify and self.event[4] in mapped:
                    return now
            select.select([self.fd], [], [], 0.01)
        raise RuntimeError("no window was drawn")


def launch(watch, session, args):
    """Starts a GUI process: (process, seconds to its first frame)."""
    started = time.monotonic()
    process = subprocess.Popen(args, env=session.env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        frame = watch.first_frame()
    except RuntimeError:
        process.kill()
        _, err = process.communicate()
        raise RuntimeError(f"{args[0]} showed no window: {err[-1500:]}")
    return process, frame - started


def end(process):
    process.terminate()
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def cold_start(watch, session, args, settle):
    """(seconds to first frame, RSS in KiB after `settle` seconds idle)."""
    process, frame = launch(watch, session, args)
    time.sleep(settle)
    rss = rss_kib(process.pid)
    end(process)
    return frame, rss


# ---------------------------------------------------------------- benchmarks


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.bin = Path(opts.bin)
        self.paddock = str(self.bin / "paddock")
        self.workdir = Path(tempfile.mkdtemp(prefix="paddock-bench-"))
        self.base_image = os.environ.get("PADDOCK_TEST_BASE_IMAGE", "")
        if not self.base_image:
            sys.exit("benches: PADDOCK_TEST_BASE_IMAGE is not set; run `build-aux/dev-env shell benches/run`")
        # Paddock's data folder (approvals, the window's saved state) is the
        # benchmark's own, shared by the CLI and the window.
        os.environ["XDG_DATA_HOME"] = str(self.workdir / "data")
        self.projects = Projects(self.paddock, self.workdir, self.base_image)
        self.rows = []
        self.notes = []
        self.latency_reason = ""
        self.podman_args = {}

    def row(self, name, paddock, baseline, value, target, met, why=""):
        self.rows.append((name, paddock, baseline, value, target, met, why))

    # -- 2. unchanged rebuild
    def rebuild(self):
        log("unchanged rebuild")
        (project,) = self.projects.make(1)
        started = time.monotonic()
        run([self.paddock, "build", str(project)])
        first = time.monotonic() - started
        image = podman("images", "--filter", f"label={PROJECT_LABEL}={project}",
                       "--format", "{{.Repository}}:{{.Tag}}").split()[0]
        out = self.workdir / "rebuild.json"
        run(["hyperfine", "--style", "none", "-N", "--warmup", "2", "--runs", str(self.opts.runs * 2),
             "--export-json", str(out), f"{self.paddock} build {project}",
             f"podman --url {os.environ.get('CONTAINER_HOST', '')} image exists {image}"])
        results = json.loads(out.read_text())["results"]
        build, exists = Series("ms", 1000), Series("ms", 1000)
        for value in results[0]["times"]:
            build.add(value)
        for value in results[1]["times"]:
            exists.add(value)
        self.row("Unchanged rebuild (`paddock build`, image exists)", build.text(),
                 f"`podman --remote image exists`: {exists.text()}", f"{build.median * 1000:.0f} ms",
                 "< 1 s", build.median < 1.0)
        self.api_round_trips()
        self.notes.append(f"The first (cold) `paddock build` of the benchmark project took "
                          f"{first:.2f} s (busybox base, cached layers).")

    def api_round_trips(self):
        """How long podman's API service takes for a trivial call and for
        `info`, which Paddock asks once per process, only for a microVM (the
        krun check and the host kernel)."""
        socket = os.environ.get("CONTAINER_HOST", "").removeprefix("unix://")
        calls = {}
        for endpoint in ("_ping", "info"):
            series = Series("ms", 1000)
            for _ in range(5):
                out = run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}",
                           "--unix-socket", socket, f"http://d/v4.0.0/libpod/{endpoint}"])
                series.add(float(out))
            calls[endpoint] = series
        self.notes.append(f"podman API service round trips in this run: `libpod/_ping` "
                          f"{calls['_ping'].text()}, `libpod/info` {calls['info'].text()} (asked once per "
                          f"process, and only for a microVM: not on these container-mode paths).")

    def process_start(self):
        """How long each program takes to start and exit doing nothing much:
        part of every run's latency that no sandbox work explains."""
        out = self.workdir / "start.json"
        run(["hyperfine", "--style", "none", "-N", "--warmup", "3", "--runs", "20",
             "--export-json", str(out), f"{self.paddock} --version", "podman --version"])
        ours, theirs = (Series("ms", 1000) for _ in range(2))
        results = json.loads(out.read_text())["results"]
        for series, result in zip((ours, theirs), results):
            for value in result["times"]:
                series.add(value)
        self.notes.append(f"Process start alone: `paddock --version` {ours.text()}, "
                          f"`podman --version` {theirs.text()}.")
        return ours, theirs

    # -- 1. run latency
    def prepare_podman_args(self, paths):
        """One `paddock run` per project; its sandbox, as podman inspects it,
        gives the equivalent `podman run`."""
        for path in paths:
            if str(path) in self.podman_args:
                continue
            self.projects.remove_containers()
            probe = FirstLine([self.paddock, "run", str(path), "--", "echo", MARKER])
            probe.wait_marker()
            probe.finish()
            name = self.projects.container(path)
            inspect = json.loads(podman("container", "inspect", name))[0]
            self.podman_args[str(path)] = (name, inspect)
        self.projects.remove_containers()

    def podman_command(self, path, suffix=""):
        name, inspect = self.podman_args[str(path)]
        return podman_run_args(f"{name}-podman{suffix}", inspect)

    def run_latency(self):
        log("run latency")
        (project,) = self.projects.make(1)
        self.prepare_podman_args([project])
        ours, theirs = Series("ms", 1000), Series("ms", 1000)
        command = ["sh", "-c", f"echo {MARKER}"]
        for i in range(self.opts.runs + 1):
            for series, args in ((ours, [self.paddock, "run", str(project), "--", *command]),
                                 (theirs, [*self.podman_command(project), *command])):
                self.projects.remove_containers()
                remove_label("paddock-bench=podman")
                probe = FirstLine(args)
                latency = probe.wait_marker()
                probe.finish()
                if i > 0:  # the first round warms caches
                    series.add(latency)
        self.projects.remove_containers()
        remove_label("paddock-bench=podman")
        r = ratio(ours, theirs)
        self.explain_latency(ours, theirs)
        self.row("Run latency: `paddock run` until the command's first line", ours.text(),
                 f"`podman run` (same image, mounts, annotations, userns): {theirs.text()}",
                 f"ratio {r:.2f}", "ratio <= 1.10", r <= 1.10)
        name, inspect = self.podman_args[str(project)]
        shown = " ".join(podman_run_args(name + "-podman", inspect) + command)
        self.notes.append(f"The baseline command, rebuilt from `podman inspect` of the sandbox "
                          f"Paddock made: `{shown}`")

    # -- 6. scaling
    def scaling(self):
        counts = [n for n in (1, 2, 4, 8) if n <= self.opts.max_sandboxes]
        paths = self.projects.make(max(counts))
        log("scaling: preparing projects")
        for path in paths:
            run([self.paddock, "build", str(path)])
        self.prepare_podman_args(paths)
        command = ["sh", "-c", f"echo {MARKER}; exec sleep 600"]
        for n in counts:
            log(f"scaling: {n} sandboxes")
            stats = {}
            for kind in ("paddock", "podman"):
                stats[kind] = (Series("ms", 1000), Series("MiB", 1 / 1024), Series("MiB", 1 / 1024))
            for _ in range(self.opts.scale_runs):
                for kind in ("paddock", "podman"):
                    latency, clients, sandboxes = stats[kind]
                    self.projects.remove_containers()
                    remove_label("paddock-bench=podman")
                    if kind == "paddock":
                        argv = [[self.paddock, "run", str(p), "--", *command] for p in paths[:n]]
                    else:
                        argv = [[*self.podman_command(p), *command] for p in paths[:n]]
                    probes = [FirstLine(a) for a in argv]
                    errors = []

                    def wait(probe):
                        try:
                            probe.wait_marker()
                        except RuntimeError as error:
                            errors.append(error)
                    threads = [threading.Thread(target=wait, args=(p,)) for p in probes]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    if errors:
                        raise errors[0]
                    for probe in probes:
                        latency.add(probe.latency)
                    time.sleep(1)
                    clients.add(sum(rss_kib(p.process.pid) for p in probes))
                    label = (f"paddock-bench=podman" if kind == "podman" else None)
                    names = ([self.projects.container(p) for p in paths[:n]] if kind == "paddock"
                             else podman("ps", "--filter", f"label={label}", "--format",
                                         "{{.Names}}").split())
                    total = 0
                    for name in names:
                        pids = podman("inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}",
                                      name).split()
                        total += sum(rss_kib(int(pid)) for pid in pids)
                    sandboxes.add(total)
                    self.projects.remove_containers()
                    remove_label("paddock-bench=podman")
                    for probe in probes:
                        probe.finish()
            ours, theirs = stats["paddock"], stats["podman"]
            r = ratio(ours[0], theirs[0])
            self.row(f"{n} sandbox{'es' if n > 1 else ''} started at once: latency to first line",
                     ours[0].text(), f"`podman run` x{n}: {theirs[0].text()}", f"ratio {r:.2f}",
                     "ratio <= 1.10", r <= 1.10)
            self.row(f"{n} sandbox{'es' if n > 1 else ''} running: RSS of the attached clients",
                     f"`paddock run` x{n}: {ours[1].text()}",
                     f"`podman run` x{n}: {theirs[1].text()}",
                     f"ratio {ratio(ours[1], theirs[1]):.2f}", "(none)", None)
            self.row(f"{n} sandbox{'es' if n > 1 else ''} running: RSS of conmon + sandbox processes",
                     ours[2].text(), theirs[2].text(), f"ratio {ratio(ours[2], theirs[2]):.2f}",
                     "(none)", None)
        pids = service_pids()
        if pids:
            self.notes.append(
                "`paddock run` talks to the podman API service (`podman system service`), which "
                "`podman run` does not need; its RSS at the end of the scaling runs: "
                f"{sum(rss_kib(p) for p in pids) / 1024:.0f} MiB (shared by every client).")

    # -- 3, 4. cold start and idle memory
    def gui(self):
        (project,) = self.projects.make(1)
        session = Session(self.workdir)
        try:
            watch = FrameWatch(session.display)
            session.open_projects([project])
            app = [self.paddock]
            baseline = [str(self.bin / "examples" / "baseline_window")]
            start = {k: Series("ms", 1000) for k in ("app", "baseline")}
            rss = {k: Series("MiB", 1 / 1024) for k in ("app", "baseline")}
            log("cold start and idle memory")
            for i in range(self.opts.runs + 1):
                for kind, args in (("app", app), ("baseline", baseline)):
                    frame, memory = cold_start(watch, session, args, self.opts.settle)
                    if i > 0:
                        start[kind].add(frame)
                        rss[kind].add(memory)
            r = ratio(start["app"], start["baseline"])
            self.row("Cold start to the first frame of the main window (one project open)",
                     start["app"].text(), f"relm4 + libadwaita + VTE window: {start['baseline'].text()}",
                     f"ratio {r:.2f}", "ratio <= 1.5", r <= 1.5)
            r = ratio(rss["app"], rss["baseline"])
            self.row(f"Idle RSS, {self.opts.settle:g} s after the first frame (one project open)",
                     rss["app"].text(), f"relm4 + libadwaita + VTE window: {rss['baseline'].text()}",
                     f"ratio {r:.2f}", "ratio <= 1.5", r <= 1.5)
            try:
                self.four_tabs(watch, session)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                detail = getattr(error, "stderr", None) or error
                if isinstance(detail, bytes):
                    detail = detail.decode(errors="replace")
                self.row("Idle RSS with four projects running, one terminal tab each",
                         "not measured", "-", "-", "ratio <= 1.5", False,
                         " ".join(str(detail).split())[:300])
        finally:
            session.close()

    def four_tabs(self, watch, session):
        """The app with four projects, each running in its terminal tab
        (started through the app's `run-project` action, as GNOME Shell or
        `paddock open` would), against the baseline window with four tabs,
        each a terminal running a shell."""
        log("idle memory with four running terminal tabs")
        paths = self.projects.make(4)
        for path in paths:
            run([self.paddock, "build", str(path)])
        session.open_projects(paths)
        memory = {k: Series("MiB", 1 / 1024) for k in ("app", "baseline")}
        baseline = [str(self.bin / "examples" / "baseline_window"), "4"]
        for _ in range(self.opts.scale_runs):
            _, rss = cold_start(watch, session, baseline, self.opts.settle)
            memory["baseline"].add(rss)
            self.projects.remove_containers()
            process, _ = launch(watch, session, [self.paddock])
            try:
                for path in paths:
                    subprocess.run(
                        ["gdbus", "call", "--session", "--dest", APP_ID, "--object-path",
                         "/" + APP_ID.replace(".", "/"), "--method", "org.gtk.Actions.Activate",
                         "run-project", f"[<'{path}'>]", "{}"],
                        env=session.env, check=True, capture_output=True)
                deadline = time.monotonic() + 120
                while True:
                    running = sum(1 for path in paths if podman(
                        "ps", "-q", "--filter", f"label={PROJECT_LABEL}={path}").strip())
                    if running >= 4:
                        break
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"only {running} of 4 sandboxes started from the window")
                    time.sleep(0.5)
                time.sleep(self.opts.settle)
                memory["app"].add(rss_kib(process.pid))
            finally:
                end(process)
        self.projects.remove_containers()
        r = ratio(memory["app"], memory["baseline"])
        self.row(f"Idle RSS with four projects running, one terminal tab each, "
                 f"{self.opts.settle:g} s after the fourth started", memory["app"].text(),
                 f"the same window with four terminal tabs, each running a shell: "
                 f"{memory['baseline'].text()}", f"ratio {r:.2f}", "ratio <= 1.5", r <= 1.5)

    # -- 5. terminal throughput
    def throughput(self):
        work = self.workdir / "throughput"
        work.mkdir()
        session = Session(work)
        size = self.opts.megabytes * 1_000_000
        line = "Paddock terminal throughput: an ordinary line of agent output, eighty-odd chars wide."
        cases = [
            (f"{self.opts.megabytes} MB of 88-byte lines", size,
             f"yes '{line}' | head -c {size}"),
            (f"{size // 10 // 2:,} short lines ({size / 10e6:g} MB of `y`)", size // 10,
             f"yes | head -c {size // 10}"),
        ]
        tool = str(self.bin / "examples" / "terminal_throughput")
        services = service_pids()
        try:
            for title, size, command in cases:
                log(f"terminal throughput: {title}")
                kinds = ("attach", "stream", "raw", "pty")
                speed = {k: Series("MB/s", 1e-6) for k in kinds}
                stall = {k: Series("ms") for k in kinds}
                cpu = {k: Series("s") for k in kinds}
                service_cpu = {k: Series("s") for k in kinds}
                feeds = Series("KiB", 1 / 1024)
                for _ in range(self.opts.tp_runs):
                    for kind in kinds:
                        service_before = sum(cpu_seconds(p) for p in services)
                        if kind == "raw":
                            before = time.process_time()
                            received, seconds = raw_attach(command, self.base_image,
                                                           f"paddock-bench-raw-{os.getpid()}")
                            cpu[kind].add(time.process_time() - before)
                            result = {"bytes": received, "seconds": seconds}
                        else:
                            before = children_cpu()
                            out = subprocess.run([tool, kind, command], env=session.env, text=True,
                                                 capture_output=True, timeout=600)
                            cpu[kind].add(children_cpu() - before)
                            if out.returncode != 0:
                                raise RuntimeError(f"terminal_throughput {kind} failed: {out.stderr[-1500:]}")
                            result = json.loads(out.stdout.strip().splitlines()[-1])
                            stall[kind].add(result["max_stall_ms"])
                            if kind == "attach":
                                feeds.add(result["bytes"] / max(result["feeds"], 1))
                        service_cpu[kind].add(sum(cpu_seconds(p) for p in services) - service_before)
                        if kind != "pty" and result["bytes"] < size:
                            raise RuntimeError(f"only {result['bytes']} of {size} bytes arrived ({kind})")
                        speed[kind].add(size / result["seconds"])
                r = ratio(speed["attach"], speed["pty"])
                mbs = {k: speed[k].median / 1e6 for k in kinds}
                why = (f"podman's attach path is the cap: the same stream read raw from the API "
                       f"socket into nothing (no podman-api, no Paddock, no VTE) delivers only "
                       f"{mbs['raw']:.2f} MB/s, {mbs['raw'] / mbs['pty']:.0%} of what VTE takes from "
                       f"a local PTY (ratio {mbs['raw'] / mbs['pty']:.2f} before anything is shown); "
                       f"Paddock's reader gets {mbs['stream']:.2f} MB/s from it, and showing it in "
                       f"VTE {mbs['attach']:.2f} MB/s")
                self.row(f"Terminal throughput, {title}: sandbox -> attach stream -> VTE",
                         speed["attach"].text(), f"local PTY -> VTE: {speed['pty'].text()}",
                         f"ratio {r:.2f}", "ratio >= 0.5", r >= 0.5, "" if r >= 0.5 else why)
                self.row(f"(baseline) podman's attach stream alone, {title}, read raw from the "
                         f"API socket, not shown", speed["raw"].text(), "-",
                         f"ratio to PTY {mbs['raw'] / mbs['pty']:.2f}", "(none)", None)
                self.row(f"(for reference) Paddock's attach stream reader alone, {title}, "
                         f"not shown", speed["stream"].text(),
                         f"raw read: {speed['raw'].text()}",
                         f"ratio {ratio(speed['stream'], speed['raw']):.2f}", "(none)", None)
                worst = max(stall["attach"].values)
                stall_why = (f"not Paddock's feeding, which hands VTE {feeds.text()} per main-loop "
                             f"wake-up and returns (VTE parses later, in its own update): VTE "
                             f"reading a local PTY by itself stalls the same loop longer in this "
                             f"run (median {stall['pty'].median:.0f} ms, worst "
                             f"{max(stall['pty'].values):.0f} ms); the stall is VTE processing "
                             f"a flood and drawing on a CPU shared with the API service, conmon "
                             f"and other work (load average at start: {self.load})")
                self.row(f"Longest main-loop stall during that flood (10 ms GLib timeout)",
                         stall["attach"].text(), f"local PTY -> VTE: {stall['pty'].text()}",
                         f"worst {worst:.0f} ms", "no stall > 100 ms", worst <= 100,
                         "" if worst <= 100 else stall_why)
                names = {"attach": "sandbox -> VTE", "stream": "Paddock's reader alone",
                         "raw": "raw read", "pty": "local PTY -> VTE"}
                spent = "; ".join(
                    f"{names[k]}: reader {cpu[k].median:.1f} s, API service "
                    f"{service_cpu[k].median:.1f} s" for k in kinds)
                self.notes.append(
                    f"Terminal throughput, {title}: CPU time per run (medians; the reading or "
                    f"showing process, and podman's API service): {spent}. Paddock fed VTE "
                    f"{feeds.text()} per main-loop wake-up.")
        finally:
            session.close()

    # -- report
    def machine(self):
        def first(cmd):
            try:
                return run(cmd).strip().splitlines()[0]
            except (subprocess.CalledProcessError, FileNotFoundError, IndexError):
                return "unknown"
        cpu = "unknown"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        os_name = "unknown"
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
        try:
            versions = run(["pkg-config", "--modversion", "gtk4", "libadwaita-1", "vte-2.91-gtk4"]).split()
        except (subprocess.CalledProcessError, FileNotFoundError):
            versions = ["unknown"]
        return [
            ("Date (UTC)", time.strftime("%Y-%m-%d %H:%M", time.gmtime())),
            ("Commit", first(["git", "-c", "safe.directory=*", "rev-parse", "--short", "HEAD"])),
            ("CPU", f"{cpu}, {os.cpu_count()} cores (shared with other work)"),
            ("Memory", f"{int(mem) // 1024} MiB"),
            ("Load average at start", self.load),
            ("OS", f"{os_name}, kernel {platform.release()}"),
            ("GTK / libadwaita / VTE", " / ".join(versions)),
            ("podman", first(["podman", "--version"])),
            ("OCI runtime", first(["crun", "--version"]) + " (no +LIBKRUN: container mode)"),
            ("Rust", first(["rustc", "--version"])),
            ("Build", "`cargo build --release` (the app and the baseline examples alike)"),
        ]

    def markdown(self, elapsed):
        lines = [
            "# Benchmarks",
            "",
            "Produced by `build-aux/dev-env shell benches/run` (see README, Benchmarks). "
            "Each item is measured alternately with its baseline in the same run; values are "
            "medians with the range (min-max) and the number of runs.",
            "",
            "Sandboxes run in **container mode**: this machine's crun has no libkrun, so no "
            "microVM can start. Paddock and the baseline `podman run` use the same runtime, so "
            "the ratios show what Paddock adds; the absolute numbers are not microVM numbers.",
            "",
            "| Machine | |",
            "|---|---|",
        ]
        lines += [f"| {k} | {v} |" for k, v in self.machine_details]
        lines += [
            f"| Benchmark duration | {elapsed / 60:.1f} min |",
            "",
            "| Measurement | Paddock | Baseline | Result | Target | Met |",
            "|---|---|---|---|---|---|",
        ]
        for name, ours, theirs, value, target, met, why in self.rows:
            verdict = "yes" if met else ("-" if met is None else f"**no**{': ' + why if why else ''}")
            lines.append(f"| {name} | {ours} | {theirs} | {value} | {target} | {verdict} |")
        missed = [r for r in self.rows if r[5] is False]
        lines += ["", "## Targets missed", ""]
        if missed:
            lines += [f"- {r[0]}: {r[3]} (target {r[4]}). {r[6] or self.reason(r[0])}".rstrip()
                      for r in missed]
        else:
            lines.append("None.")
        lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes + self.method_notes()]
        return "\n".join(lines) + "\n"

    def explain_latency(self, ours, theirs):
        """Where `paddock run`'s extra time goes, from measurements of this run."""
        start, podman_start = self.process_start()
        extra = (ours.median - theirs.median) * 1000
        startup = (start.median - podman_start.median) * 1000
        self.latency_reason = (
            f"`paddock run` takes {extra:.0f} ms longer than `podman run`; starting the "
            f"`paddock` process alone takes {startup:.0f} ms longer than starting `podman` "
            f"(medians of this run: the one binary holds the GUI too, so the dynamic loader "
            f"maps GTK, libadwaita and VTE before the CLI runs), and the sandbox is made "
            f"through podman's API service (create, attach, start: three requests the service "
            f"answers one after another) where `podman run` does it in-process. No call to "
            f"podman's slow `libpod/info` remains on this path for a plain container.")

    def reason(self, name):
        if name.startswith("Run latency") or "started at once" in name:
            return self.latency_reason
        return ""

    def method_notes(self):
        return [
            "Run latency: from spawning the command until the marker line printed by the "
            "sandbox's command arrives on its stdout (without a terminal). Before every run the "
            "previous sandbox is removed (outside the timing); the first round is a warm-up.",
            "Cold start: from spawning the process until the X server reports the first drawing "
            "(XDamage) into its newly mapped top-level window, on a private Xvfb with "
            "GSK_RENDERER=cairo and a private session bus. The app starts with one project open "
            "(its saved state lists one project). Idle RSS is VmRSS after the stated idle time.",
            "Terminal throughput: an example binary (examples/terminal_throughput.rs) shows a "
            "VTE terminal in a 1000x700 window and feeds it either the sandbox's output through "
            "the engine's attach stream (created with a terminal, attached before start, chunks "
            "batched and fed on the main loop as the app's terminal tab does) or lets VTE read "
            "the same command's output from a local PTY. Time runs from the first byte to the "
            "main loop's first idle moment after the last one. The raw baseline attaches to a "
            "container with a terminal made by `podman create -t` from the same image and reads "
            "the upgraded connection in 1 MiB reads, from the first byte to the end.",
            "Idle memory with four running tabs: the app restores four projects and starts each "
            "one's sandbox through its `run-project` action (as `paddock open` or GNOME Shell "
            "would), each in its own terminal tab; the baseline window opens four terminal tabs, "
            "each running a shell.",
        ]

    # -- the Changes record on a large project
    def changes(self):
        log("changes: note and compare a 100,000-file project")
        result = json.loads(run([str(self.bin / "examples" / "changes_walk"), "100000",
                                 str(self.opts.runs)]))
        walk, note, check = Series("ms", 1000), Series("ms", 1000), Series("ms", 1000)
        total = Series("ms", 1000)
        for w, n, c in zip(result["walk"], result["note"], result["compare"]):
            walk.add(w)
            note.add(n)
            check.add(c)
            total.add(n + c)
        self.row("Changes: note a 100,000-file project at a run's start", note.text(),
                 f"plain directory walk (`read_dir` + `stat`): {walk.text()}",
                 f"ratio {ratio(note, walk):.2f}", "< 3 s", note.median < 3.0)
        self.row("Changes: note the same project again and compare (11 files changed)",
                 check.text(), f"plain directory walk: {walk.text()}",
                 f"ratio {ratio(check, walk):.2f}", "< 3 s", check.median < 3.0)
        self.row("Changes: note and compare together", total.text(), "-",
                 f"{total.median * 1000:.0f} ms", "< 3 s", total.median < 3.0)
        self.notes.append(
            "Changes: src/sandbox/examples/changes_walk.rs makes 100,000 small files in 1,000 folders plus a "
            "`.git` folder and a Makefile, then alternately times a plain walk (every folder read, "
            "every entry `stat`ed), `Manifest::note` as at a run's start (which also keeps small "
            "text files up to an 8 MiB budget for diffs and hashes the files the host runs), and, "
            "after 10 files and the Makefile are rewritten, the note of the project now plus the "
            f"comparison ({result['changed']} changes found). The first round warms the caches.")

    def main(self):
        self.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        self.machine_details = self.machine()
        steps = {"rebuild": self.rebuild, "latency": self.run_latency, "scaling": self.scaling,
                 "gui": self.gui, "terminal": self.throughput, "changes": self.changes}
        try:
            for name in self.opts.only or steps:
                try:
                    steps[name]()
                except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
                    detail = getattr(error, "stderr", None) or str(error)
                    log(f"{name} failed: {detail}")
                    self.row(f"{name}: not measured", "-", "-", "-", "-", False,
                             " ".join(str(detail).split())[:300])
        finally:
            self.projects.remove_all()
            remove_label("paddock-bench=podman")
            shutil.rmtree(self.workdir, ignore_errors=True)
        report = self.markdown(time.monotonic() - START)
        return report


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="the release build folder")
    parser.add_argument("--out", required=True, help="the Markdown file to write")
    parser.add_argument("--runs", type=int, default=10, help="repetitions per measurement")
    parser.add_argument("--scale-runs", type=int, default=3)
    parser.add_argument("--tp-runs", type=int, default=3)
    parser.add_argument("--max-sandboxes", type=int, default=8)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before RSS")
    parser.add_argument("--only", action="append",
                        choices=["rebuild", "latency", "scaling", "gui", "terminal", "changes"])
    opts = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    report = Bench(opts).main()
    out = Path(opts.out)
    try:
        out.write_text(report)
        log(f"wrote {out}")
    except OSError as error:
        fallback = Path(tempfile.gettempdir()) / "paddock-benchmarks.md"
        fallback.write_text(report)
        log(f"cannot write {out} ({error.strerror}); wrote {fallback}")
    print(report)


if __name__ == "__main__":
    main()

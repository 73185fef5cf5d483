#!/usr/bin/env python3
"""Benchmark of amq2apid against tests/fake_upstream (see README.md next to this file).

Runs small Anthropic Messages requests (non-streamed and streamed) through amq2apid and the
equivalent Amazon Q generate call straight to the fake upstream, with wrk at several
connection counts, in one run. Reports requests/s, p50/p99 latency, errors, the latency the
proxy adds, CPU use per party, idle and peak RSS of the amq2api processes, and the memory
each of many slow streams held open at once costs, each derived figure beside its target.
Python 3 standard library only; needs wrk on PATH.
"""

import argparse
import collections
import errno
import http.client
import json
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The integration tests' private PostgreSQL cluster (initdb, pg_ctl), for the store copy case.
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

MESSAGE = {"model": "claude-sonnet-4-5", "max_tokens": 64,
           "messages": [{"role": "user", "content": "hi"}]}

# Targets of the worker/master issue, for a 2-core machine.
TARGET_RATIO_32 = 0.50        # proxy req/s ÷ direct req/s at 32 connections
TARGET_ADDED_P50_MS = 0.15    # added p50 latency at 1 connection
TARGET_IDLE_PSS_MB = 12.0     # master + workers, idle, shared pages counted once
TARGET_KIB_PER_STREAM = 24    # memory growth per open stream with many slow streams open

# (name, mode, lua script). "direct" calls fake_upstream itself: it only ever answers with an
# event stream, so one direct case is the baseline for both the non-streamed and streamed
# proxy cases.
CASES = [
    ("direct", "direct", "direct_generate.lua"),
    ("proxy non-stream", "proxy", "proxy_messages.lua"),
    ("proxy stream", "proxy", "proxy_messages_stream.lua"),
]


# ---------------------------------------------------------------------------------------
# /proc helpers


def read_proc(pid, name):
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return f.read()
    except OSError:  # the process went away between listing and reading
        return ""


def stat_fields(pid):
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    text = read_proc(pid, "stat")
    return text[text.rfind(")") + 2:].split() if text else []


def parent_of(pid):
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def process_tree(root):
    """root and all its descendants: workers are fork+exec children of the master."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = parent_of(int(entry))
            if ppid is not None:
                parents[int(entry)] = ppid
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sorted(tree)


def status_kb(pid, field):
    """A "VmRSS:   1234 kB" style field of /proc/<pid>/status, in kB (0 when gone)."""
    match = re.search(rf"^{field}:\s+(\d+) kB", read_proc(pid, "status"), re.M)
    return int(match.group(1)) if match else 0


def rss_kb(pids):
    return sum(status_kb(pid, "VmRSS") for pid in pids)


def cpu_seconds(pids):
    """utime + stime of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # stat fields 14 and 15
    return total / CLOCK_TICKS


def machine_facts():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": os.uname().release}


class RssSampler(threading.Thread):
    """Samples the summed VmRSS of the amq2api process tree every interval; remembers the
    peak. The tree is re-listed on each sample so a restarted worker is still counted."""

    def __init__(self, root, interval=0.1):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kb = 0
        self.case_peak_kb = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            kb = rss_kb(process_tree(self.root))
            self.peak_kb = max(self.peak_kb, kb)
            self.case_peak_kb = max(self.case_peak_kb, kb)
            self._stop_event.wait(self.interval)

    def start_case(self):
        self.case_peak_kb = 0

    def stop(self):
        self._stop_event.set()
        self.join()


# ---------------------------------------------------------------------------------------
# The processes under test


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def http_call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, body=payload, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stop_process(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FakeUpstream:
    """tests/fake_upstream in its benchmark configuration: no recordings kept."""

    def __init__(self, exe):
        self.proc = subprocess.Popen([exe, "--port", "0", "--record-limit", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"fake_upstream did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def issue_token(self):
        """An access token for direct calls, obtained the way amq2apid gets its own."""
        status, body = http_call(self.port, "POST", "/token",
                                 {"clientId": "c", "clientSecret": "s", "refreshToken": "rt",
                                  "grantType": "refresh_token"},
                                 {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"fake_upstream /token: {status} {body!r}")
        return json.loads(body)["accessToken"]

    def control(self, method, path, body=None):
        """A call to the fake's own API (/_script, /_stats, /_reset)."""
        status, text = http_call(self.port, method, path, body,
                                 {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"fake_upstream {path}: {status} {text!r}")
        return json.loads(text)

    def stop(self):
        stop_process(self.proc)


class Daemon:
    """amq2apid with a temporary state directory, pointed at the fake upstream."""

    def __init__(self, build, fake, workers, extra_args=()):
        self.exe = os.path.join(build, "daemon", "amq2apid")
        self.ctl_exe = os.path.join(build, "ctl", "amq2apictl")
        self.root = tempfile.mkdtemp(prefix="amq2api-bench-")
        self.socket = os.path.join(self.root, "c.sock")
        self.port = free_port()
        self.workers = workers
        self.log_path = os.path.join(self.root, "daemon.log")
        self.password_file = os.path.join(self.root, "pg-password")
        self.args = [self.exe, "--state-dir", os.path.join(self.root, "state"),
                     "--postgresql-password-file", self.password_file,
                     "--workers", str(workers), "--listen", f"127.0.0.1:{self.port}",
                     "--control-socket", self.socket, "--api-endpoint", fake.url + "/",
                     "--token-endpoint", fake.url + "/token", "--log-level", "warning",
                     *extra_args]
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_until(self.ready, 30, "amq2apid to become ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"amq2apid exited with {self.proc.returncode}:\n{self.logs()}")
        if not os.path.exists(self.socket):
            return False
        try:
            workers = self.ctl_json("status")["workers"]
        except RuntimeError:
            return False
        if sum(w["state"] == "ready" for w in workers) < self.workers:
            return False
        try:
            return http_call(self.port, "GET", "/health")[0] == 200
        except OSError:
            return False

    def ctl_json(self, *args):
        r = subprocess.run([self.ctl_exe, "--socket", self.socket, "--json", *args],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"amq2apictl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return json.loads(r.stdout)

    def provision(self):
        """One upstream account and an API key, all without a cap (0): a cap reached would
        measure the refusals, and the report marks such a case INVALID."""
        self.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt",
                      "--client-id", "c", "--client-secret", "s", "--rpm", "0")
        return self.ctl_json("key", "create", "--name", "bench", "--rpm", "0",
                             "--rpd", "0")["key"]

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def pids(self):
        return process_tree(self.proc.pid)

    def stop(self):
        if self.proc:
            stop_process(self.proc)
            self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def warm_up(daemon, key):
    """One request each way, so the account's token is fetched and the workers have served
    before idle RSS is taken. Retries briefly: the first refresh may still be in flight."""
    headers = {"x-api-key": key, "content-type": "application/json",
               "anthropic-version": "2023-06-01"}
    for body in (MESSAGE, dict(MESSAGE, stream=True)):
        def served(body=body):
            return http_call(daemon.port, "POST", "/v1/messages", body, headers)[0] == 200
        wait_until(served, 15, "a first successful /v1/messages")


# ---------------------------------------------------------------------------------------
# wrk


def to_ms(value):
    """wrk prints durations as 512.00us, 1.23ms, 2.00s or 1.50m."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unexpected wrk duration {value!r}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]
    return float(match.group(1)) * scale


def parse_wrk(text):
    """requests/s, p50/p99 (ms), requests done and errors from `wrk --latency` output."""
    def number(pattern, default=0):
        match = re.search(pattern, text, re.M)
        return match.group(1) if match else default

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(number(r"^Requests/sec:\s+([\d.]+)", 0.0)),
        "p50_ms": to_ms(number(r"^\s+50%\s+(\S+)", "0us")),
        "p99_ms": to_ms(number(r"^\s+99%\s+(\S+)", "0us")),
        "requests": int(number(r"^\s+(\d+) requests in")),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)")),
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "statuses": {int(code): int(n) for code, n in
                     re.findall(r"(\d+)=(\d+)", number(r"^status-codes:(.*)$", ""))},
    }


def errors_of(r):
    return r["non_2xx"] + r["socket_errors"]


def error_text(r):
    """'0', or the count with what the errors were: '275000 (429 × 275000)'."""
    errors = errors_of(r)
    if not errors:
        return "0"
    parts = [f"{code} × {n}" for code, n in sorted(r.get("statuses", {}).items()) if code >= 300]
    if r.get("kinds"):  # the slow-streams case tells its socket errors apart
        parts += [f"{kind} × {n}" for kind, n in sorted(r["kinds"].items()) if n]
    elif r["socket_errors"]:
        parts.append(f"socket errors × {r['socket_errors']}")
    return f"{errors} ({', '.join(parts)})"


def invalid(*cases):
    """Why figures built on these cases mean nothing ('' when they are all clean): a case in
    which any request failed measured the failures, not the proxy."""
    bad = [f"{r['case']} at {r['connections']} conns: {error_text(r)} errors"
           for r in cases if r is not None and errors_of(r)]
    return "; ".join(bad)


def start_wrk(url, script, connections, duration, env):
    """wrk in the background, so that CPU and RSS can be sampled while it runs."""
    threads = min(connections, 2)  # wrk shares the 2 cores with what it measures
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
           "-s", os.path.join(HERE, script), url]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)


class CpuMeter:
    """CPU time each process used between start() and stop(), as % of one core, grouped by
    party (amq2api, fake, wrk). Per process so the workers' shares can be compared."""

    def __init__(self, groups):
        self.groups = groups  # party -> callable returning its pids

    def start(self):
        self.t0 = time.monotonic()
        self.before = {pid: cpu_seconds([pid]) for pids in self.groups.values() for pid in pids()}

    def stop(self):
        elapsed = time.monotonic() - self.t0
        per_pid, per_group = {}, {}
        for name, pids in self.groups.items():
            for pid in pids():
                used = cpu_seconds([pid]) - self.before.get(pid, 0.0)
                per_pid[pid] = 100.0 * used / elapsed
            per_group[name] = sum(per_pid[pid] for pid in pids() if pid in per_pid)
        return per_group, per_pid


def run_case(case, connections, ctx):
    """One wrk run; returns its parsed figures plus CPU use of each party."""
    name, mode, script = case
    url = (f"http://127.0.0.1:{ctx['daemon'].port}/v1/messages" if mode == "proxy"
           else f"{ctx['fake'].url}/")
    wrk = start_wrk(url, script, connections, ctx["duration"], ctx["env"])
    meter = CpuMeter({"amq2api": ctx["daemon"].pids, "fake": lambda: [ctx["fake"].proc.pid],
                      "wrk": lambda: [wrk.pid]})
    ctx["sampler"].start_case()
    meter.start()
    # CPU is read just before wrk ends: afterwards wrk's /proc entry is gone.
    time.sleep(max(ctx["duration"] - 0.5, 0.1))
    cpu, cpu_per_pid = meter.stop()
    output, _ = wrk.communicate()
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{output}")
    result = parse_wrk(output)
    result.update(case=name, mode=mode, connections=connections, cpu=cpu,
                  peak_rss_kb=ctx["sampler"].case_peak_kb, raw=output, cpu_per_pid=cpu_per_pid,
                  fake_pid=ctx["fake"].proc.pid, wrk_pid=wrk.pid)
    time.sleep(0.5)  # let closing connections settle before the next case
    return result


# ---------------------------------------------------------------------------------------
# Slow streams: many streamed requests held open at once

# How long the fake holds each stream open: longer than opening them all takes, shorter than
# the daemon's idle-timeout (60 s between two upstream reads). The case does not wait for it:
# the client sockets close as soon as memory has been read.
SLOW_HOLD_MS = 30_000
# Connections opening at once: half the daemon's listen backlog (1024), so that no SYN is
# dropped (the client would retry it only a second later).
SLOW_WINDOW = 512


def slow_script():
    """Every generate call: one text event at once, the end of the answer SLOW_HOLD_MS later."""
    usage = {"uncachedInputTokens": 1, "outputTokens": 1, "totalTokens": 2,
             "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0}
    return {"generate": [{"repeat": True, "events": [
        {"event": "assistantResponseEvent", "payload": {"content": "slow"}},
        {"event": "metadataEvent", "delay_ms": SLOW_HOLD_MS,
         "payload": {"tokenUsage": usage, "stopReason": "END_TURN"}},
    ]}]}


def stream_request(port, key):
    body = json.dumps(dict(MESSAGE, stream=True)).encode()
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {key}\r\n"
            "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n")
    return head.encode() + body


class StreamOpener:
    """Opens n streamed requests on raw non-blocking sockets, one epoll loop for all (no thread
    per connection), and keeps each open once its first content_block_delta has arrived: then
    the stream is open through to the upstream. At most SLOW_WINDOW are opening at a time.
    Failures are counted like wrk's: statuses (non-200) and kinds of socket error."""

    def __init__(self, port, request, n):
        self.port, self.request, self.n = port, request, n
        self.selector = selectors.DefaultSelector()
        self.launched = 0
        self.streams = []  # the open ones
        self.statuses = collections.Counter()
        self.kinds = collections.Counter()

    def run(self, timeout):
        deadline = time.monotonic() + timeout
        opening = self.selector.get_map()
        while self.launched < self.n or opening:
            while self.launched < self.n and len(opening) < SLOW_WINDOW:
                self.launch()
            if time.monotonic() > deadline:
                self.kinds["timeout"] += len(opening) + self.n - self.launched
                break
            for key, events in self.selector.select(timeout=1):
                if events & selectors.EVENT_WRITE:
                    self.send(key.fileobj)
                else:
                    self.receive(key.fileobj, key.data)
        for key in list(opening.values()):
            self.drop(key.fileobj)
        self.selector.close()
        return self.streams

    def launch(self):
        self.launched += 1
        sock = socket.socket()
        sock.setblocking(False)
        if sock.connect_ex(("127.0.0.1", self.port)) not in (0, errno.EINPROGRESS):
            self.kinds["connect"] += 1
            sock.close()
            return
        self.selector.register(sock, selectors.EVENT_WRITE, bytearray())

    def send(self, sock):
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            return self.fail(sock, "connect")
        try:
            # A few hundred bytes into a new socket's empty buffer: sent whole.
            if sock.send(self.request) != len(self.request):
                return self.fail(sock, "write")
        except OSError:
            return self.fail(sock, "write")
        self.selector.modify(sock, selectors.EVENT_READ, bytearray())

    def receive(self, sock, received):
        try:
            chunk = sock.recv(65536)
        except OSError:
            return self.fail(sock, "read")
        if not chunk:
            return self.fail(sock, "closed before a delta")
        received += chunk
        if b"\r\n" not in received:
            return
        status = int(received.split(b" ", 2)[1])
        if status != 200:
            self.statuses[status] += 1
            return self.drop(sock)
        if b"event: error" in received:
            return self.fail(sock, "error event")
        if b"content_block_delta" in received:
            self.statuses[200] += 1
            self.selector.unregister(sock)
            self.streams.append(sock)

    def fail(self, sock, kind):
        self.kinds[kind] += 1
        self.drop(sock)

    def drop(self, sock):
        self.selector.unregister(sock)
        sock.close()


def memory_totals(rows):
    return {f: sum(row[f] for row in rows) for f in ("VmRSS", "Pss")}


def kib_per_stream(r, field):
    """Growth of VmRSS or Pss from before the slow streams to all of them open, per stream."""
    return (r["open"][field] - r["before"][field]) / r["connections"]


def open_slow_streams(ctx, n):
    """Opens n slow streams; returns them and the case's figures so far."""
    daemon, fake = ctx["daemon"], ctx["fake"]
    opener = StreamOpener(daemon.port, stream_request(daemon.port, ctx["key"]), n)
    t0 = time.monotonic()
    streams = opener.run(timeout=SLOW_HOLD_MS / 1000 - 10)
    r = {"case": "slow streams", "connections": n, "open_s": time.monotonic() - t0,
         "statuses": opener.statuses,
         "non_2xx": sum(k for code, k in opener.statuses.items() if code != 200)}
    r["open_rows"] = memory_snapshot(daemon.pids(), daemon.proc.pid)
    # Each stream open here holds one at the fake, until its hold ends.
    ended = len(streams) - fake.control("GET", "/_stats")["open_streams"]
    if ended > 0:
        opener.kinds["ended before the sample"] += ended
    r["kinds"] = opener.kinds
    return streams, r


def run_slow_streams(ctx, n):
    """n streamed requests held open at once: the memory amq2api needs per open stream, then
    whether it gives that memory back and stays healthy once the clients have gone."""
    daemon, fake = ctx["daemon"], ctx["fake"]
    fake.control("POST", "/_script", slow_script())
    before = memory_totals(memory_snapshot(daemon.pids(), daemon.proc.pid))
    streams, r = open_slow_streams(ctx, n)
    for sock in streams:
        sock.close()
    try:
        wait_until(lambda: fake.control("GET", "/_stats")["open_streams"] == 0, 30,
                   "the upstream streams to close")
    except RuntimeError:
        r["kinds"]["upstream stream left open"] += fake.control("GET", "/_stats")["open_streams"]
    try:
        health = http_call(daemon.port, "GET", "/health")[0]
    except OSError:
        health = 0
    if health != 200:
        r["kinds"][f"GET /health {health} after closing"] += 1
    time.sleep(1)  # let the workers finish freeing what the streams held
    r["closed_rows"] = memory_snapshot(daemon.pids(), daemon.proc.pid)
    r.update(before=before, open=memory_totals(r["open_rows"]),
             closed=memory_totals(r["closed_rows"]), socket_errors=sum(r["kinds"].values()))
    fake.control("POST", "/_reset", {})
    return r


# ---------------------------------------------------------------------------------------
# Report


def verdict(ok):
    return "PASS" if ok else "MISS"


def find(results, name, connections):
    for r in results:
        if r["case"] == name and r["connections"] == connections:
            return r
    return None


def results_table(results):
    lines = ["| case | conns | req/s | p50 ms | p99 ms | errors | CPU % amq2api / fake / wrk "
             "| peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in results:
        cpu = r["cpu"]
        case = f"{r['case']} (INVALID)" if errors_of(r) else r["case"]
        lines.append(f"| {case} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.3f} "
                     f"| {r['p99_ms']:.3f} | {error_text(r)} | {cpu['amq2api']:.0f} "
                     f"/ {cpu['fake']:.0f} / {cpu['wrk']:.0f} | {r['peak_rss_kb'] / 1024:.1f} |")
    return lines


def slow_stream_lines(r):
    """The slow-streams case: memory growth per open stream against its target."""
    n = r["connections"]
    label = f"memory per open stream at {n} slow streams"
    target = f"≤ {TARGET_KIB_PER_STREAM} KiB"
    if why := invalid(r):
        return [f"| {label} (RSS growth ÷ N) | invalid: {why} | {target} | INVALID |"]
    rss, pss = kib_per_stream(r, "VmRSS"), kib_per_stream(r, "Pss")
    mb = " / ".join(f"{r[when]['VmRSS'] / 1024:.1f}" for when in ("before", "open", "closed"))
    return [
        f"| {label} (RSS growth ÷ N) | {rss:.1f} KiB | {target} "
        f"| {verdict(rss <= TARGET_KIB_PER_STREAM)} |",
        f"| {label} (Pss growth ÷ N) | {pss:.1f} KiB | (for comparison) | |",
        f"| time to open the {n} slow streams | {r['open_s']:.1f} s | (no target) | |",
        f"| RSS before / with the {n} streams open / after closing them | {mb} MB "
        f"| (no target) | |",
    ]


def derived_lines(results, connection_counts, idle_rows, peak_kb, slow=None):
    lines = ["| figure | value | target | |", "|---|---:|---|---|"]
    if 32 in connection_counts:
        direct = find(results, "direct", 32)
        for name in ("proxy non-stream", "proxy stream"):
            proxy = find(results, name, 32)
            target = f"≥ {TARGET_RATIO_32 * 100:.0f} %"
            if why := invalid(direct, proxy):
                lines.append(f"| {name} ÷ direct req/s at 32 conns | invalid: {why} "
                             f"| {target} | INVALID |")
                continue
            ratio = proxy["rps"] / direct["rps"] if direct["rps"] else 0.0
            lines.append(f"| {name} ÷ direct req/s at 32 conns | {ratio * 100:.0f} % "
                         f"| {target} | {verdict(ratio >= TARGET_RATIO_32)} |")
    if 1 in connection_counts:
        direct = find(results, "direct", 1)
        for name in ("proxy non-stream", "proxy stream"):
            proxy = find(results, name, 1)
            if why := invalid(direct, proxy):
                lines.append(f"| {name}: added latency at 1 conn | invalid: {why} "
                             f"| ≤ {TARGET_ADDED_P50_MS} ms | INVALID |")
                continue
            added50 = proxy["p50_ms"] - direct["p50_ms"]
            added99 = proxy["p99_ms"] - direct["p99_ms"]
            lines.append(f"| {name}: added p50 at 1 conn | {added50:.3f} ms "
                         f"| ≤ {TARGET_ADDED_P50_MS} ms "
                         f"| {verdict(added50 <= TARGET_ADDED_P50_MS)} |")
            lines.append(f"| {name}: added p99 at 1 conn | {added99:.3f} ms | (no target) | |")
    top = max(connection_counts)
    for name in ("proxy non-stream", "proxy stream"):
        r = find(results, name, top)
        lines.append(f"| {name}: errors at {top} conns | {error_text(r)} of {r['requests']} "
                     f"| 0 | {'PASS' if not errors_of(r) else 'INVALID'} |")
    idle_mb = sum(row["VmRSS"] for row in idle_rows) / 1024
    idle_pss_mb = sum(row["Pss"] for row in idle_rows) / 1024
    lines.append(f"| idle Pss (shared pages counted once), all amq2api processes "
                 f"| {idle_pss_mb:.1f} MB | ≤ {TARGET_IDLE_PSS_MB:.0f} MB "
                 f"| {verdict(idle_pss_mb <= TARGET_IDLE_PSS_MB)} |")
    lines.append(f"| idle RSS (sum of VmRSS), all amq2api processes | {idle_mb:.1f} MB "
                 f"| (for comparison) | |")
    lines.append(f"| peak RSS, all amq2api processes (100 ms samples) | {peak_kb / 1024:.1f} MB "
                 f"| (no target) | |")
    if slow:
        lines += slow_stream_lines(slow)
    return lines


def cpu_split_lines(results, master):
    """Who uses the cores in each case: the machine is saturated when the total nears
    nproc × 100 %, and fake_upstream (single-threaded) is the limit when it nears 100 %."""
    lines = ["| case | conns | master % | workers % | fake % | wrk % | total % |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for r in results:
        per_pid = r["cpu_per_pid"]
        others = (master, r["fake_pid"], r["wrk_pid"])
        workers = " + ".join(f"{per_pid[pid]:.0f}" for pid in sorted(per_pid) if pid not in others)
        total = sum(r["cpu"].values())
        lines.append(f"| {r['case']} | {r['connections']} | {per_pid.get(master, 0):.0f} "
                     f"| {workers} | {r['cpu']['fake']:.0f} | {r['cpu']['wrk']:.0f} "
                     f"| {total:.0f} |")
    return lines


def pss_kb(pid):
    """Proportional set size: shared pages (libraries, the LMDB map) split between the
    processes that map them, unlike VmRSS which counts them in each."""
    match = re.search(r"^Pss:\s+(\d+) kB", read_proc(pid, "smaps_rollup"), re.M)
    return int(match.group(1)) if match else 0


def memory_snapshot(pids, master):
    """Per process: role and memory figures in kB, taken now."""
    rows = []
    for pid in pids:
        role = "master" if pid == master else "worker"
        row = {"pid": pid, "role": role, "Pss": pss_kb(pid)}
        for field in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            row[field] = status_kb(pid, field)
        rows.append(row)
    return rows


def memory_lines(rows):
    fields = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Pss")
    lines = ["| pid | role | " + " | ".join(f"{f} MB" for f in fields) + " |",
             "|---|---|" + "---:|" * len(fields)]
    for row in rows:
        lines.append(f"| {row['pid']} | {row['role']} | "
                     + " | ".join(f"{row[f] / 1024:.1f}" for f in fields) + " |")
    totals = {f: sum(row[f] for row in rows) for f in fields}
    lines.append("| all | | " + " | ".join(f"{totals[f] / 1024:.1f}" for f in fields) + " |")
    return lines


def slow_memory_lines(slow):
    if not slow:
        return []
    n = slow["connections"]
    return [f"Memory per process with the {n} slow streams open (the peak RSS above leaves "
            "this case out):", "", *memory_lines(slow["open_rows"]), "",
            f"Memory per process after closing the {n} slow streams:", "",
            *memory_lines(slow["closed_rows"]), ""]


def run_store_copy_case(opts, daemon):
    """Every record the wrk cases left in the store (mostly usage) copied into a private
    PostgreSQL cluster and from it back into an LMDB file, each timed by the client."""
    if not opts.store_copy:
        return None
    import postgres  # only this case needs it
    print("  store copy ...", end=" ", flush=True)
    cluster = postgres.Cluster()
    try:
        with open(daemon.password_file, "w") as f:
            f.write(postgres.PASSWORD + "\n")
        url = cluster.create_database("bench")
        out = {}
        for name, args in (("to PostgreSQL", ["--to", url]),
                           ("to an LMDB file", ["--from", url, "--to",
                                                os.path.join(daemon.root, "copy.mdb")])):
            started = time.monotonic()
            r = subprocess.run([daemon.ctl_exe, "--socket", daemon.socket, "--json", "store",
                                "copy", *args], capture_output=True, text=True, timeout=1800)
            seconds = time.monotonic() - started
            if r.returncode != 0:
                out[name] = {"error": r.stderr.strip()}
                continue
            out[name] = {"seconds": seconds, "counts": json.loads(r.stdout)["counts"]}
    finally:
        cluster.cleanup()
    print("; ".join(f"{k}: {v['seconds']:.1f} s" if "seconds" in v else f"{k}: INVALID"
                    for k, v in out.items()), flush=True)
    return out


# Limits no case reaches, so that every admission is counted (by the database, with
# store = postgresql) and none refused.
BIG_RPM, BIG_RPD = "1000000000", "1000000000000"


def limited_key(daemon):
    return daemon.ctl_json("key", "create", "--name", "limited", "--rpm", BIG_RPM,
                           "--rpd", BIG_RPD)["key"]


def run_store_cases(opts, ctx, lmdb_daemon):
    """--store postgresql: the proxy non-stream case at each connection count against the LMDB
    daemon and against a daemon with store = postgresql (a private cluster on this machine),
    one after the other, with a key whose per-minute and per-day limits are counted."""
    if opts.store != "postgresql":
        return None
    import postgres
    case = CASES[1]
    cluster = postgres.Cluster()
    shared = None
    rows = []
    try:
        url = cluster.create_database("shared")
        shared = Daemon(opts.build, ctx["fake"], opts.workers,
                        ["--store", "postgresql", "--postgresql", url])
        with open(shared.password_file, "w") as f:
            f.write(postgres.PASSWORD + "\n")
        shared.start()
        wait_until(lambda: shared.ctl_json("status")["shared_store"]["in_step"], 30,
                   "the shared store in step")
        shared.provision()
        for daemon in (lmdb_daemon, shared):
            key = limited_key(daemon)
            warm_up(daemon, key)
            run_ctx = dict(ctx, daemon=daemon, env=dict(ctx["env"], BENCH_API_KEY=key))
            store = "postgresql" if daemon is shared else "lmdb"
            for connections in opts.connections:
                print(f"  {case[0]:<17} {connections:>4} conns, {store:<10} ...", end=" ",
                      flush=True)
                r = run_case(case, connections, run_ctx)
                r["store"] = store
                print(f"{r['rps']:9.0f} req/s  p50 {r['p50_ms']:.3f} ms  errors {error_text(r)}",
                      flush=True)
                rows.append(r)
        asked = shared.ctl_json("status")["shared_limits"]
    finally:
        if shared:
            shared.stop()
        cluster.cleanup()
    return {"rows": rows, "asked": asked}


def store_lines(stores):
    if not stores:
        return []
    by = {(r["store"], r["connections"]): r for r in stores["rows"]}
    lines = ["store = lmdb against store = postgresql (proxy non-stream, a key with per-minute "
             "and per-day limits, so that every admission is counted: locally, or by the "
             "database; PostgreSQL 15 on this machine, fsync off):", "",
             "| conns | LMDB req/s | PostgreSQL req/s | ratio | LMDB p50 ms | PostgreSQL p50 ms "
             "| added p50 ms | errors |", "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for connections in sorted({c for _, c in by}):
        lmdb, pg = by.get(("lmdb", connections)), by.get(("postgresql", connections))
        if not lmdb or not pg:
            continue
        bad = errors_of(lmdb) or errors_of(pg)
        lines.append(f"| {connections} | {lmdb['rps']:.0f} | {pg['rps']:.0f} "
                     f"| {pg['rps'] / max(lmdb['rps'], 1e-9):.2f} | {lmdb['p50_ms']:.3f} "
                     f"| {pg['p50_ms']:.3f} | {pg['p50_ms'] - lmdb['p50_ms']:+.3f} "
                     f"| {'INVALID: ' + error_text(lmdb) + ' / ' + error_text(pg) if bad else '0'} |")
    asked = stores["asked"]
    lines += ["", f"Admissions the database counted: {asked['asked']}; admitted without it: "
                  f"{asked['admitted_unasked']}."]
    return lines


def store_copy_lines(copies):
    if not copies:
        return []
    lines = ["Store copy of what the cases above recorded (amq2apictl store copy, timed by the "
             "client; PostgreSQL 15 on the same machine, fsync off):", ""]
    for name, r in copies.items():
        if "error" in r:
            lines.append(f"- {name}: INVALID, {r['error']}")
            continue
        total = sum(r["counts"].values())
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items())
        lines.append(f"- {name}: {total} records in {r['seconds']:.1f} s "
                     f"({total / max(r['seconds'], 1e-9):.0f} records/s); {counts}")
    return lines


def build_report(facts, opts, results, idle_rows, end_rows, peak_kb, master, slow,
                 copies=None, stores=None):
    return "\n".join([
        "# amq2api benchmark",
        "",
        f"Machine: {facts['nproc']} CPUs, {facts['cpu']}, Linux {facts['kernel']}. "
        f"amq2apid --workers {opts.workers}; wrk {opts.duration} s per case, "
        f"threads = min(conns, 2); wrk, amq2apid and fake_upstream share the machine.",
        "",
        "wrk times each request to its last byte: for the streamed case that is the whole "
        "SSE stream. The direct case is the Amazon Q generate call sent to fake_upstream "
        "itself (its answer is always an event stream of 5 frames), the baseline for both "
        "proxy cases. Errors = non-2xx responses + socket errors (connect, read, write, "
        "timeout). CPU % is of one core (200 % = both cores busy).",
        "",
        *results_table(results),
        "",
        *derived_lines(results, opts.connections, idle_rows, peak_kb, slow),
        "",
        "CPU per process during each case (% of one core; the machine has "
        f"{facts['nproc'] * 100} %):",
        "",
        *cpu_split_lines(results, master),
        "",
        "Memory per process, idle (after start and warm-up); VmRSS counts shared pages "
        "in every process that maps them, Pss shares them out:",
        "",
        *memory_lines(idle_rows),
        "",
        "Memory per process at the end of the wrk cases (VmHWM: each process's own peak):",
        "",
        *memory_lines(end_rows),
        "",
        *slow_memory_lines(slow),
        "",
        *store_copy_lines(copies),
        "",
        *store_lines(stores),
    ])


# ---------------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default="build-bench", help="CMake build directory")
    p.add_argument("--workers", type=int, default=2, help="amq2apid worker processes")
    p.add_argument("--duration", type=int, default=10, help="seconds per case")
    p.add_argument("--quick", action="store_true", help="3 s per case")
    p.add_argument("--connections", default="1,32,256",
                   help="comma-separated connection counts")
    p.add_argument("--report", help="where to write the Markdown report "
                                    "(default <build>/bench-report.md)")
    p.add_argument("--raw", action="store_true", help="also print every wrk output")
    p.add_argument("--no-store-copy", dest="store_copy", action="store_false",
                   help="skip the store copy case (which starts a private PostgreSQL)")
    p.add_argument("--store", choices=("lmdb", "postgresql"), default="lmdb",
                   help="postgresql: also run the proxy cases against store = postgresql "
                        "(a private PostgreSQL) and compare them with LMDB")
    p.add_argument("--slow-streams", type=int, default=5000, metavar="N",
                   help="streams held open at once in the slow-streams case (0: skip it)")
    opts = p.parse_args()
    if opts.quick:
        opts.duration = 3
    opts.connections = sorted({int(c) for c in opts.connections.split(",")})
    opts.report = opts.report or os.path.join(opts.build, "bench-report.md")
    return opts


def check_tools(opts):
    needed = [os.path.join(opts.build, p) for p in
              ("daemon/amq2apid", "ctl/amq2apictl", "tests/fake_upstream/fake_upstream")]
    missing = [p for p in needed if not os.access(p, os.X_OK)]
    if missing:
        sys.exit(f"bench: missing {', '.join(missing)} (run `make bench`)")
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (apt-get install wrk)")


def raise_fd_limit(streams):
    """The daemon and the fake inherit this limit. A slow stream holds a descriptor here, one
    at the fake and two in a worker (client and upstream side) — and one worker may get most
    of them: a worker takes at most (limit - 64) / 2 connections, and refuses more with 503."""
    want = 2 * streams + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):  # raising the hard limit needs root
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print(f"bench: {streams} slow streams need {want} descriptors, the limit is {hard}")


def run_slow_case(opts, ctx):
    if not opts.slow_streams:
        return None
    print(f"  {'slow streams':<17} {opts.slow_streams:>4} conns ...", end=" ", flush=True)
    r = run_slow_streams(ctx, opts.slow_streams)
    print(f"opened in {r['open_s']:.1f} s  RSS +{kib_per_stream(r, 'VmRSS'):.1f} KiB per stream"
          f"  errors {error_text(r)}", flush=True)
    return r


def run_all(opts, ctx):
    results = []
    for connections in opts.connections:
        for case in CASES:
            print(f"  {case[0]:<17} {connections:>4} conns ...", end=" ", flush=True)
            r = run_case(case, connections, ctx)
            print(f"{r['rps']:9.0f} req/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms"
                  f"  errors {error_text(r)}", flush=True)
            if opts.raw:
                print(r["raw"])
            results.append(r)
    return results


def main():
    opts = parse_args()
    check_tools(opts)
    raise_fd_limit(opts.slow_streams)
    facts = machine_facts()
    print(f"bench: {facts['nproc']} CPUs ({facts['cpu']}), {opts.duration} s per case")
    fake = FakeUpstream(os.path.join(opts.build, "tests", "fake_upstream", "fake_upstream"))
    daemon = Daemon(opts.build, fake, opts.workers)
    sampler = None
    try:
        daemon.start()
        key = daemon.provision()
        warm_up(daemon, key)
        time.sleep(0.5)  # let the warm-up's buffers be released before idle RSS is read
        idle_rows = memory_snapshot(daemon.pids(), daemon.proc.pid)
        env = dict(os.environ, BENCH_API_KEY=key, BENCH_ACCESS_TOKEN=fake.issue_token(),
                   BENCH_LUA_DIR=HERE)
        sampler = RssSampler(daemon.proc.pid)
        sampler.start()
        ctx = {"daemon": daemon, "fake": fake, "sampler": sampler, "env": env,
               "duration": opts.duration, "key": key}
        results = run_all(opts, ctx)
        sampler.stop()
        end_rows = memory_snapshot(daemon.pids(), daemon.proc.pid)
        # Last, so that the wrk cases run on a daemon that has not held thousands of streams.
        slow = run_slow_case(opts, ctx)
        copies = run_store_copy_case(opts, daemon)
        stores = run_store_cases(opts, ctx, daemon)
        report = build_report(facts, opts, results, idle_rows, end_rows, sampler.peak_kb,
                              daemon.proc.pid, slow, copies, stores)
    finally:
        if sampler and sampler.is_alive():
            sampler.stop()
        daemon.stop()
        fake.stop()
    os.makedirs(os.path.dirname(os.path.abspath(opts.report)), exist_ok=True)
    with open(opts.report, "w") as f:
        f.write(report)
    print()
    print(report)
    print(f"(written to {opts.report})")


if __name__ == "__main__":
    main()

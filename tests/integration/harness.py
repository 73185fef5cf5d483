"""Starts the real amq2apid on loopback with a private state directory and drives it over
HTTP and through amq2apictl. Binaries come from $AMQ2APID and $AMQ2APICTL (set by CTest)."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

AMQ2APID = os.environ.get("AMQ2APID", "build/daemon/amq2apid")
AMQ2APICTL = os.environ.get("AMQ2APICTL", "build/ctl/amq2apictl")
TOKENIZER_FILE = os.environ.get(
    "AMQ_TOKENIZER_FILE", ".deps/tokenizer/node_modules/@anthropic-ai/tokenizer/claude.json")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_root(test, why):
    """Fails, never skips, a test that must act as another user: `make test` runs as root on
    CI and installs what such tests call (setpriv, useradd) in `make test-deps`."""
    if os.geteuid() != 0:
        test.fail(f"{why}: run `make test` as root")


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class Daemon:
    """One amq2apid master with its workers, in a temporary directory."""

    def __init__(self, workers=2, extra_args=(), env=None, root=None, exe=None):
        self.root = root or tempfile.mkdtemp(prefix="amq2api-it-")
        self.state_dir = os.path.join(self.root, "state")
        self.socket = os.path.join(self.root, "run", "control.sock")
        self.port = free_port()
        self.workers = workers
        self.workers_flag = True  # False: a configuration file decides the worker count
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.exe = exe or AMQ2APID
        self.log_path = os.path.join(self.root, "daemon.log")
        self.preexec = None  # runs in the child before exec; must start its own session
        self.proc = None

    def args(self):
        # --config '': never the host's /etc file; a test's own --config comes later and wins.
        args = [self.exe, "--config", "", "--listen", f"127.0.0.1:{self.port}",
                "--state-dir", self.state_dir, "--control-socket", self.socket, "--drain-timeout", "5",
                "--tokenizer-file", TOKENIZER_FILE]
        if self.workers_flag:
            args += ["--workers", str(self.workers)]
        return args + self.extra_args

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=self.preexec is None,
                                     preexec_fn=self.preexec)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"amq2apid exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                status = self.ctl_json("status")
            except AssertionError:
                return False
            ready_workers = [w for w in status["workers"] if w["state"] == "ready"]
            return len(ready_workers) >= self.workers and self.get("/health").status == 200
        wait_until(ready, timeout, what="amq2apid to become ready")

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            conn.request(method, path, body=payload, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        try:
            return self.request("GET", path, **kw)
        except OSError as e:
            return Response(0, {}, str(e).encode())

    def ctl(self, *args, stdin=None):
        r = subprocess.run([AMQ2APICTL, "--socket", self.socket, *args], input=stdin,
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def ctl_json(self, *args):
        rc, out, err = self.ctl("--json", *args)
        if rc != 0:
            raise AssertionError(f"amq2apictl {' '.join(args)} failed ({rc}): {err}")
        return json.loads(out)

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout=15.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def worker_pids(self):
        return {w["pid"] for w in self.ctl_json("status")["workers"]}


FAKE_UPSTREAM = os.environ.get("FAKE_UPSTREAM", "build/tests/fake_upstream/fake_upstream")


class FakeUpstream:
    """tests/fake_upstream: Amazon Q's generate call and the OIDC token endpoint, scripted."""

    def __init__(self):
        self.proc = subprocess.Popen([FAKE_UPSTREAM, "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise AssertionError(f"fake_upstream did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)  # big scripts, slow CI
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise AssertionError(f"fake_upstream {path}: {r.status} {data!r}")
            return json.loads(data) if data else None
        finally:
            conn.close()

    def script(self, **steps):
        return self.call("POST", "/_script", steps)

    def requests(self):
        return self.call("GET", "/_requests")

    def stats(self):
        return self.call("GET", "/_stats")

    def reset(self):
        self.call("POST", "/_reset", {})

    def daemon_args(self):
        return ["--api-endpoint", self.url + "/", "--token-endpoint", self.url + "/token"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def daemon_with_fake(test, workers=2, extra_args=()):
    """A FakeUpstream and an amq2apid pointed at it, both started and cleaned up after `test`.
    "{fake}" in an extra argument becomes the fake's URL."""
    fake = FakeUpstream()
    test.addCleanup(fake.proc.stdout.close)
    test.addCleanup(fake.stop)
    extra = [a.replace("{fake}", fake.url) for a in extra_args]
    daemon = Daemon(workers=workers, extra_args=[*fake.daemon_args(), *extra])
    daemon.start()
    test.addCleanup(daemon.cleanup)
    return fake, daemon


def serving_daemon(test):
    """A one-worker amq2apid on a FakeUpstream with one account, and a client key for it; all
    cleaned up after `test`. Returns (fake, daemon, key)."""
    fake = FakeUpstream()
    test.addCleanup(fake.stop)
    daemon = Daemon(workers=1, extra_args=fake.daemon_args()).start()
    test.addCleanup(daemon.cleanup)
    daemon.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt",
                    "--client-id", "c", "--client-secret", "s")
    return fake, daemon, daemon.ctl_json("key", "create", "--name", "client")["key"]


def read_all(sock):
    """Everything the server sends until it closes; a reset or a timeout ends it too."""
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return out


def raw_http(port, data, half_close=True, timeout=10.0):
    """Sends raw bytes (a server may stop reading them), closes the sending side unless told
    not to, and returns what comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_all(s)


def sse_events(raw):
    """[(event, data-json)] of a text/event-stream body."""
    events = []
    for block in raw.decode().split("\n\n"):
        name, data = None, None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        if name is not None or data is not None:
            events.append((name, json.loads(data) if data and data != "[DONE]" else data))
    return events


# --- Helpers for the account-pool tests (test_pool.py) --------------------------------------

import struct


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise AssertionError(f"control socket closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def control_request(socket_path, cmd, args=None, timeout=30.0):
    """One raw control request: 4-byte big-endian length + JSON {id, cmd, args}; the reply
    ({id, ok, data | error {code, message}}) comes back in the same framing."""
    payload = json.dumps({"id": 1, "cmd": cmd, "args": args or {}}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(struct.pack(">I", len(payload)) + payload)
        (n,) = struct.unpack(">I", _recv_exact(s, 4))
        return json.loads(_recv_exact(s, n))


def _daemon_control(self, cmd, args=None, timeout=30.0):
    return control_request(self.socket, cmd, args, timeout)


def _daemon_ctl_or_control(self, ctl_args, cmd, args):
    """`amq2apictl --json *ctl_args`; while amq2apictl does not know the subcommand yet, the
    same control command sent directly. Returns (exit code, the JSON printed or None, error
    text), the raw path mapping a refusal to exit code 1 like amq2apictl does."""
    rc, out, err = self.ctl("--json", *ctl_args)
    if rc == 2 and "unknown command" in err:
        reply = self.control(cmd, args)
        if reply.get("ok"):
            return 0, reply["data"], ""
        return 1, None, reply.get("error", {}).get("message", "")
    try:
        data = json.loads(out) if out.strip() else None
    except ValueError:
        data = None
    return rc, data, err


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _daemon_kill_master(self, timeout=10.0):
    """SIGKILL of the master alone (not its process group); its workers must leave by
    themselves when their channel to it closes. Those still there after `timeout` are
    killed and reported."""
    workers = self.worker_pids()
    os.kill(self.proc.pid, signal.SIGKILL)
    self.proc.wait(timeout)
    try:
        wait_until(lambda: not any(_pid_alive(p) for p in workers), timeout,
                   what="the workers to exit after their master was killed")
    except AssertionError:
        left = [p for p in workers if _pid_alive(p)]
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise AssertionError(f"workers {left} outlived their master by {timeout}s")


Daemon.control = _daemon_control
Daemon.ctl_or_control = _daemon_ctl_or_control
Daemon.kill_master = _daemon_kill_master


# --- Helpers for the key, limit and usage tests (test_keys.py) -----------------------------


def _daemon_control_ok(self, cmd, args=None, timeout=30.0):
    """A raw control request that must succeed: its `data`."""
    reply = self.control(cmd, args, timeout)
    if not reply.get("ok"):
        raise AssertionError(f"control {cmd} {args} failed: {reply.get('error')}")
    return reply["data"]


def _daemon_usage_records(self, limit=1000, **args):
    """Every raw usage record (usage.export), page after page by following `next`."""
    records, pages = [], 0
    request = dict(args, limit=limit)
    while True:
        data = self.control_ok("usage.export", request)
        records += data["records"]
        pages += 1
        if data.get("next") is None:
            return records
        if pages > 100000:
            raise AssertionError("usage.export never stopped handing out pages")
        request = dict(args, limit=limit, next=data["next"])


def _socket_inodes(port_local, port_remote):
    """Socket inodes of the loopback TCP connections from port_local to port_remote."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            local, remote, inode = cols[1], cols[2], cols[9]
            if (int(local.rsplit(":", 1)[1], 16) == port_local
                    and int(remote.rsplit(":", 1)[1], 16) == port_remote and inode != "0"):
                inodes.add(inode)
    return inodes


def _daemon_worker_serving(self, client_port):
    """The pid of the worker holding the daemon's side of the client connection that
    uses local port `client_port`, or None."""
    inodes = {f"socket:[{i}]" for i in _socket_inodes(self.port, client_port)}
    if not inodes:
        return None
    for pid in self.worker_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


Daemon.control_ok = _daemon_control_ok
Daemon.usage_records = _daemon_usage_records
Daemon.worker_serving = _daemon_worker_serving

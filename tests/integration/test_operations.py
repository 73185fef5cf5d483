"""Operations: install tree, systemd units, sd_notify protocol, reload with streams in flight,
request ids, configuration checks — on the real binaries."""

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from harness import AMQ2APID, Daemon, FakeUpstream, _pid_alive, sse_events, wait_until

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(AMQ2APID)))


class NotifySocket:
    """A fake NOTIFY_SOCKET: collects (sender pid, message) datagrams."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.1)
        self.messages = []
        self.stop = False
        self.thread = threading.Thread(target=self.collect, daemon=True)
        self.thread.start()

    def collect(self):
        size = struct.calcsize("3i")
        while not self.stop:
            try:
                data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(size))
            except socket.timeout:
                continue
            pid = 0
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:size])[0]
            for line in data.decode().splitlines():
                self.messages.append((pid, line))

    def lines(self):
        return [m for _, m in self.messages]

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class SystemdNotify(unittest.TestCase):
    def test_notify_messages_arrive_in_order_from_the_master_only(self):
        root = tempfile.mkdtemp(prefix="amq2api-notify-")
        notify = NotifySocket(root)
        self.addCleanup(notify.close)
        d = Daemon(workers=2, root=root, env={"NOTIFY_SOCKET": notify.path})
        self.addCleanup(d.cleanup)
        d.start()
        wait_until(lambda: "READY=1" in notify.lines(), what="READY=1")
        self.assertTrue(any(l.startswith("STATUS=2 workers") for l in notify.lines()), notify.lines())
        d.signal(signal.SIGHUP)
        wait_until(lambda: notify.lines().count("READY=1") == 2, timeout=15, what="READY=1 after the reload")
        d.stop()
        lines = notify.lines()
        order = [l for l in lines if l in ("READY=1", "RELOADING=1", "STOPPING=1")]
        self.assertEqual(order, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"])
        self.assertEqual({pid for pid, _ in notify.messages}, {d.proc.pid})

    def test_a_hung_worker_is_replaced_while_the_rest_serve_and_the_watchdog_is_fed(self):
        root = tempfile.mkdtemp(prefix="amq2api-watchdog-")
        notify = NotifySocket(root)
        self.addCleanup(notify.close)
        d = Daemon(workers=2, root=root, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"})
        self.addCleanup(d.cleanup)
        d.start()
        wait_until(lambda: notify.lines().count("WATCHDOG=1") >= 3, timeout=5, what="watchdog pings")
        hung = sorted(d.worker_pids())[0]
        os.kill(hung, signal.SIGSTOP)
        self.addCleanup(lambda: _pid_alive(hung) and os.kill(hung, signal.SIGKILL))
        pings = notify.lines().count("WATCHDOG=1")
        answers = []

        def replaced():
            answers.append(d.get("/health").status)
            workers = d.ctl_json("workers")["workers"]
            return hung not in {w["pid"] for w in workers} and \
                [w["state"] for w in workers] == ["ready", "ready"]
        wait_until(replaced, timeout=30, interval=0.2, what="the hung worker to be replaced")
        self.assertEqual(set(answers), {200})
        self.assertFalse(_pid_alive(hung))
        self.assertGreater(notify.lines().count("WATCHDOG=1"), pings + 2, "pings stopped while a worker hung")
        self.assertIn(f"pid {hung} sent no heartbeat", d.logs())

    def test_stop_and_reload_ask_for_the_drain_timeout_plus_a_margin(self):
        root = tempfile.mkdtemp(prefix="amq2api-extend-")
        notify = NotifySocket(root)
        self.addCleanup(notify.close)
        d = Daemon(workers=1, root=root, env={"NOTIFY_SOCKET": notify.path}, extra_args=["--drain-timeout", "600"])
        self.addCleanup(d.cleanup)
        d.start()
        wait_until(lambda: "READY=1" in notify.lines(), what="READY=1")
        self.assertEqual([l for l in notify.lines() if l.startswith("EXTEND_TIMEOUT_USEC=")], [])
        d.signal(signal.SIGHUP)
        wait_until(lambda: notify.lines().count("READY=1") == 2, timeout=15, what="READY=1 after the reload")
        d.stop()
        lines = notify.lines()
        extends = [l for l in lines if l.startswith("EXTEND_TIMEOUT_USEC=")]
        self.assertEqual(extends, ["EXTEND_TIMEOUT_USEC=615000000"] * 2)
        self.assertLess(lines.index("RELOADING=1"), lines.index(extends[0]))
        self.assertEqual(lines[lines.index("STOPPING=1") + 1], extends[1])


class ReloadWithStreams(unittest.TestCase):
    def test_a_stream_in_flight_completes_while_the_new_generation_serves(self):
        fake = FakeUpstream()
        self.addCleanup(fake.stop)
        d = Daemon(workers=1, extra_args=fake.daemon_args()).start()
        self.addCleanup(d.cleanup)
        d.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt", "--client-id", "c",
                   "--client-secret", "s", "--rpm", "1000")
        key = d.ctl_json("key", "create", "--name", "k")["key"]
        frames = [{"event": "assistantResponseEvent", "payload": {"content": f"part{i} "}, "delay_ms": 500}
                  for i in range(6)]
        fake.script(generate=[{"events": frames}])
        result = {}

        def slow_stream():
            body = {"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": True,
                    "messages": [{"role": "user", "content": "slow"}]}
            r = d.request("POST", "/v1/messages", body=body, headers={"x-api-key": key}, timeout=30)
            result["status"], result["events"] = r.status, sse_events(r.body)
        t = threading.Thread(target=slow_stream)
        t.start()
        wait_until(lambda: fake.stats()["open_streams"] == 1, what="the stream to start")
        old_generation = d.ctl_json("status")["generation"]
        d.signal(signal.SIGHUP)
        wait_until(lambda: d.get("/health").json().get("generation", 0) > old_generation, timeout=15,
                   what="the new generation to serve")
        quick = {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        r = d.request("POST", "/v1/messages", body=quick, headers={"x-api-key": key})
        self.assertEqual(r.status, 200)
        t.join(30)
        self.assertEqual(result["status"], 200)
        text = "".join(e[1]["delta"]["text"] for e in result["events"] if e[0] == "content_block_delta")
        self.assertEqual(text, "".join(f"part{i} " for i in range(6)))
        self.assertEqual(result["events"][-1][0], "message_stop")
        wait_until(lambda: all(w["generation"] > old_generation for w in d.ctl_json("status")["workers"]),
                   timeout=10, what="the old generation to exit")


class RequestIds(unittest.TestCase):
    def test_every_answer_carries_a_request_id_that_the_log_names(self):
        fake = FakeUpstream()
        self.addCleanup(fake.stop)
        d = Daemon(workers=1, extra_args=fake.daemon_args()).start()
        self.addCleanup(d.cleanup)
        d.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt", "--client-id", "c",
                   "--client-secret", "s")
        key = d.ctl_json("key", "create", "--name", "k")["key"]
        ids = set()
        for path, body in [("/health", None), ("/nope", None)]:
            ids.add(d.request("GET", path).headers["request-id"])
        body = {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        r = d.request("POST", "/v1/messages", body=body, headers={"x-api-key": key})
        rid = r.headers["request-id"]
        ids.add(rid)
        self.assertEqual(len(ids), 3)
        self.assertTrue(rid.startswith("req_"))
        wait_until(lambda: rid in d.logs(), what="the request's log line")
        line = [l for l in d.logs().splitlines() if rid in l][0]
        self.assertIn("/v1/messages 200", line)
        self.assertNotIn(key, d.logs())


class ConfigurationChecks(unittest.TestCase):
    def run_daemon(self, *args, env=None):
        return subprocess.run([AMQ2APID, *args], capture_output=True, text=True, timeout=30,
                              env={**os.environ, **(env or {})})

    def test_check_config_accepts_the_shipped_file_and_refuses_a_broken_one(self):
        r = self.run_daemon("--config", os.path.join(SOURCE, "etc", "amq2api.conf"), "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("workers = many\n")
        self.addCleanup(os.unlink, f.name)
        r = self.run_daemon("--config", f.name, "--check-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("workers", r.stderr)

    def test_print_config_shows_effective_values_with_secrets_masked(self):
        r = self.run_daemon("--no-config", "--print-config", "--workers", "3", "--proxy",
                            "http://u:hunter2@p:3128", env={"PORT": "9999"})
        self.assertEqual(r.returncode, 0)
        self.assertIn("workers = 3", r.stdout)
        self.assertIn("127.0.0.1:9999", r.stdout)
        self.assertNotIn("hunter2", r.stdout)


if __name__ == "__main__":
    unittest.main()

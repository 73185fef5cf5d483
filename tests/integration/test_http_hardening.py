"""The HTTP front of the workers under hostile and unusual clients: deep JSON, pipelining,
half-closed connections, slow or oversized heads, bodies over the limit, HEAD, chunk
extensions, malformed lines, idle keep-alive after a stream, draining, running out of file
descriptors, the connection cap, trusted proxies and the access log. After each attack the
master and its workers are the same processes and a real request still succeeds."""

import http.client
import json
import os
import re
import resource
import signal
import socket
import threading
import time
import unittest

from harness import Daemon, FakeUpstream, raw_http, read_all, wait_until

TEXT = {"model": "claude-sonnet-4-5", "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}]}


def statuses(raw):
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class HttpTestCase(unittest.TestCase):
    workers = 2
    flags = ()
    preexec = None

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=self.workers,
                             extra_args=[*self.fake.daemon_args(), *self.flags])
        if self.preexec:
            self.daemon.preexec = self.preexec
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        self.daemon.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt",
                             "--client-id", "cid", "--client-secret", "cs", "--rpm", "1000")
        self.key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]
        self.master = self.daemon.proc.pid
        self.pids = self.daemon.worker_pids()

    def post(self, path, body, key=None, headers=None, timeout=30):
        h = {"x-api-key": key or self.key, "content-type": "application/json"}
        h.update(headers or {})
        return self.daemon.request("POST", path, body=body, headers=h, timeout=timeout)

    def assert_unharmed(self):
        """Same processes, alive, and a real request still goes through."""
        self.assertIsNone(self.daemon.proc.poll(), self.daemon.logs())
        self.assertEqual(self.daemon.worker_pids(), self.pids, self.daemon.logs())
        self.assertEqual(self.daemon.get("/health").status, 200)
        r = self.post("/v1/messages", TEXT)
        self.assertEqual(r.status, 200, r.body)


class Crashes(HttpTestCase):
    def test_deeply_nested_json_is_a_400_not_a_dead_worker(self):
        depth = 200000
        deep = ('{"model":"m","messages":' + "[" * depth + "]" * depth + "}").encode()
        for path in ("/v1/messages", "/v1/chat/completions", "/v1/messages/count_tokens"):
            for key in ("x", self.key):
                r = self.post(path, deep, key=key)
                self.assertIn(r.status, (400, 401), (path, r.body))
                if key == self.key:
                    self.assertEqual(r.status, 400, r.body)
                    self.assertIn(b"nested deeper than 128", r.body)
        self.assert_unharmed()

    def test_invalid_utf8_is_a_400_naming_the_encoding(self):
        body = b'{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"\xff\xfe"}]}'
        r = self.post("/v1/messages", body)
        self.assertEqual(r.status, 400, r.body)
        self.assertIn(b"Invalid encoding", r.body)
        self.assertEqual(self.fake.stats()["generate"], 0)


class AdminUploads(HttpTestCase):
    """Admin calls ride their own channel to the master, with the control socket's 16 MiB:
    a large import neither fails for the data channel's 1 MiB nor harms the requests in
    flight on the same worker (one worker here, so that they share it)."""
    workers = 1

    def upload(self, body, admin):
        return self.daemon.request("POST", "/admin/accounts/upload-json", body=body, timeout=60,
                                   headers={"Authorization": f"Bearer {admin}",
                                            "content-type": "application/json"})

    def test_large_admin_uploads_are_served_or_413_and_the_worker_lives(self):
        admin = self.daemon.ctl_json("key", "create", "--name", "ops", "--admin")["key"]
        self.fake.script(generate=[{"delay_ms": 3000}])
        in_flight = {}
        slow = threading.Thread(target=lambda: in_flight.update(r=self.post("/v1/messages", TEXT)))
        slow.start()
        wait_until(lambda: self.fake.stats()["generate"] == 1, what="a request in flight")
        account = json.dumps({"refreshToken": "rt-up", "clientId": "c-up", "clientSecret": "s-up",
                              "name": "uploaded"})
        padded = (account + " " * (3 << 19)).encode()  # 1.5 MiB: over the data channel's cap
        r = self.upload(padded, admin)
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertEqual([a["name"] for a in r.json()["imported"]], ["uploaded"])
        # Over the admin channel's 16 MiB, under max-body-size: the worker refuses it itself.
        r = self.upload((account + " " * (20 << 20)).encode(), admin)
        self.assertEqual(r.status, 413, r.body[:500])
        self.assertIn("16 MiB", r.json()["detail"])
        # Over max-body-size (32 MiB): refused as it arrives.
        r = self.upload((account + " " * (40 << 20)).encode(), admin)
        self.assertEqual(r.status, 413, r.body[:500])
        slow.join(30)
        self.assertEqual(in_flight["r"].status, 200, in_flight["r"].body)
        self.assert_unharmed()


class Framing(HttpTestCase):
    def test_pipelined_requests_are_answered_in_order(self):
        requests = (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + self.key.encode()
                    + b"\r\nContent-Length: " + str(len(json.dumps(TEXT))).encode() + b"\r\n\r\n"
                    + json.dumps(TEXT).encode())
        out = raw_http(self.daemon.port, requests)
        self.assertEqual(statuses(out), [200, 401, 200, 200], out)
        self.assertIn(b"Hello from the fake upstream.", out)
        # One byte at a time gives the same answers.
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5)
        for i in range(len(requests)):
            s.send(requests[i:i + 1])
        s.shutdown(socket.SHUT_WR)
        out = read_all(s)
        s.close()
        self.assertEqual(statuses(out), [200, 401, 200, 200], out)

    def test_a_half_closed_client_gets_its_streamed_answer(self):
        body = json.dumps(dict(TEXT, stream=True)).encode()
        out = raw_http(self.daemon.port,
                           b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: "
                           + self.key.encode() + b"\r\nContent-Length: "
                           + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.assertEqual(statuses(out), [200], out)
        self.assertIn(b"event: message_stop", out)

    def test_chunked_bodies_with_extensions_and_trailers_are_read(self):
        body = json.dumps(TEXT).encode()
        half = len(body) // 2
        chunked = (b"%x;name=value\r\n" % half + body[:half] + b"\r\n"
                   + b"%x\r\n" % (len(body) - half) + body[half:] + b"\r\n0\r\nX-T: 1\r\n\r\n")
        out = raw_http(self.daemon.port,
                           b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: "
                           + self.key.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        self.assertEqual(statuses(out), [200], out)
        self.assertIn(b"Hello from the fake upstream.", out)

    def test_malformed_heads_get_an_answer_in_the_api_shape(self):
        cases = [
            (b"GET /health HTTP/1.1\nHost: x\n\n", 400, b"bare LF"),
            (b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n", 400, b"obs-fold"),
            (b"GET /health HTTP/2.0\r\n\r\n", 505, b"HTTP/1.1"),
            (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
             501, b"chunked"),
            (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n", 400, b"both"),
            (b"GET /health HTTP/1.1\r\n\r\n", 400, b"Host"),
            (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, b"target"),
            (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 70000 + b"\r\n\r\n", 431,
             b"header field"),
            (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(200))
             + b"\r\n", 431, b"header fields"),
            (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 7000)
                                                         for i in range(12)) + b"\r\n",
             431, b"header section"),
        ]
        for request, status, words in cases:
            with self.subTest(request=request[:60]):
                out = raw_http(self.daemon.port, request)
                self.assertEqual(statuses(out), [status], out[:300])
                self.assertIn(words, out)
                self.assertIn(b"Connection: close", out)
        chat = raw_http(self.daemon.port, cases[3][0])
        self.assertIn(b'"param":null,"code":null}}', chat)  # OpenAI's shape
        self.assert_unharmed()

    def test_two_million_headers_cost_nothing(self):
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(2000):
                s.sendall(b"X: y\r\n" * 1000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = read_all(s)
        s.close()
        self.assertIn(b" 431 ", out)
        for pid in self.pids:
            with open(f"/proc/{pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            self.assertLess(rss, 400 * 1024, f"worker {pid} holds {rss} KiB")
        self.assert_unharmed()

    def test_head_answers_like_get_without_a_body(self):
        r = self.daemon.request("HEAD", "/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        get = self.daemon.get("/health")
        self.assertEqual(int(r.headers["content-length"]), len(get.body))
        r = self.daemon.request("HEAD", "/v1/messages")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["allow"], "POST")

    def test_a_form_encoded_post_is_read_as_its_json(self):
        # curl -d sends application/x-www-form-urlencoded: the README's own example.
        padded = dict(TEXT, metadata={"user_id": "u" * 5000})
        r = self.post("/v1/messages", padded,
                      headers={"content-type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.body)


class BodyLimits(HttpTestCase):
    flags = ("--max-body-size", "100000")

    def test_a_body_over_the_limit_gets_413_with_or_without_expect(self):
        body = b"x" * 200000
        for expect in (True, False):
            with self.subTest(expect=expect):
                head = (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\n"
                        b"Content-Length: 200000\r\n" + (b"Expect: 100-continue\r\n" if expect else b"")
                        + b"\r\n")
                s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5)
                s.sendall(head)
                if not expect:
                    try:
                        s.sendall(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                out = s.recv(65536)
                s.close()
                self.assertEqual(statuses(out), [413], out)
                self.assertNotIn(b"100 Continue", out)
                self.assertIn(b"request_too_large", out)

    def test_expect_continue_under_the_limit_gets_100_then_the_answer(self):
        body = json.dumps(TEXT).encode()
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=5)
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + self.key.encode()
                  + b"\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n")
        interim = s.recv(65536)
        self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(body)
        out = read_all(s)
        s.close()
        self.assertEqual(statuses(out), [200], out)


class Timeouts(HttpTestCase):
    flags = ("--header-timeout", "1", "--client-timeout", "2")

    def test_a_slow_head_gets_408_at_the_header_deadline(self):
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        for _ in range(5):  # a header a little more often than the idle timeout
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.4)
        out = read_all(s)
        s.close()
        self.assertEqual(statuses(out), [408], out)
        self.assertLess(time.monotonic() - t0, 4)

    def test_an_idle_connection_after_a_stream_is_closed(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        conn.request("POST", "/v1/messages", body=json.dumps(dict(TEXT, stream=True)),
                     headers={"x-api-key": self.key, "content-type": "application/json"})
        r = conn.getresponse()
        self.assertIn(b"message_stop", r.read())
        t0 = time.monotonic()
        self.assertEqual(conn.sock.recv(1), b"")  # the server closes the idle connection
        self.assertLess(time.monotonic() - t0, 4)
        conn.close()

    def test_stop_does_not_wait_for_idle_keep_alive_connections(self):
        conns = []
        for stream in (True, False):
            conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
            conn.request("POST", "/v1/messages", body=json.dumps(dict(TEXT, stream=stream)),
                         headers={"x-api-key": self.key, "content-type": "application/json"})
            conn.getresponse().read()
            conns.append(conn)
        t0 = time.monotonic()
        self.assertEqual(self.daemon.stop(timeout=10), 0, self.daemon.logs())
        # Well under the 5-s drain-timeout, with room for a loaded machine (1.58 s seen once).
        self.assertLess(time.monotonic() - t0, 3, "the stop waited for idle connections")
        for conn in conns:
            conn.close()


class Draining(HttpTestCase):
    def test_an_answer_given_while_draining_says_connection_close(self):
        self.fake.script(generate=[{"delay_ms": 1500}])
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        conn.request("POST", "/v1/messages", body=json.dumps(TEXT),
                     headers={"x-api-key": self.key, "content-type": "application/json"})
        wait_until(lambda: self.fake.stats()["generate"] >= 1, 5, what="the upstream call")
        self.daemon.signal(signal.SIGTERM)
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("connection"), "close")
        r.read()
        conn.close()
        self.assertEqual(self.daemon.proc.wait(10), 0)


def low_fd_limit(limit):
    def preexec():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return preexec


class ConnectionCap(HttpTestCase):
    workers = 1
    preexec = staticmethod(low_fd_limit(160))  # (160 - 64) / 2 = 48 connections

    def test_connections_over_the_cap_get_503_and_the_worker_stays_quiet(self):
        held = [socket.create_connection(("127.0.0.1", self.daemon.port)) for _ in range(48)]
        time.sleep(0.3)
        out = raw_http(self.daemon.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(statuses(out), [503], out)
        self.assertIn(b"max-connections", out)
        for s in held:
            s.close()
        wait_until(lambda: self.daemon.get("/health").status == 200, 5, what="/health")
        self.assert_unharmed()


class DescriptorExhaustion(HttpTestCase):
    workers = 1
    flags = ("--max-connections", "1000")
    preexec = staticmethod(low_fd_limit(96))

    def test_running_out_of_descriptors_neither_spins_nor_floods_the_log(self):
        worker = next(iter(self.pids))
        held = []
        try:
            for _ in range(150):
                held.append(socket.create_connection(("127.0.0.1", self.daemon.port), timeout=2))
        except OSError:
            pass
        time.sleep(0.5)
        log_before = len(self.daemon.logs())
        cpu_before = cpu_seconds(worker)
        time.sleep(3)
        self.assertLess(cpu_seconds(worker) - cpu_before, 0.5, "the worker spins")
        flood = self.daemon.logs()[log_before:]
        self.assertLess(flood.count("\n"), 5, flood[:2000])
        for s in held:
            s.close()
        wait_until(lambda: self.daemon.get("/health").status == 200, 5, what="/health")
        self.assertIn("cannot accept connections", self.daemon.logs())
        self.assert_unharmed()


class ProxiesAndAccessLog(HttpTestCase):
    def setUp(self):
        self.access = os.path.join("/tmp", f"amq-access-{os.getpid()}-{time.monotonic_ns()}.log")
        self.addCleanup(lambda: os.path.exists(self.access) and os.unlink(self.access))
        self.flags = ("--access-log", self.access, "--trusted-proxies", "127.0.0.1")
        super().setUp()

    def lines(self):
        with open(self.access) as f:
            return f.read().splitlines()

    def test_a_trusted_proxy_names_the_client_in_logs_and_usage(self):
        r = self.post("/v1/messages", TEXT,
                      headers={"x-forwarded-for": "6.6.6.6, 198.51.100.7", "user-agent": "t/1"})
        self.assertEqual(r.status, 200)
        wait_until(lambda: any("198.51.100.7" in l for l in self.lines()), 5, what="a line")
        line = next(l for l in self.lines() if "198.51.100.7" in l)
        self.assertIn('"POST /v1/messages" 200', line)
        self.assertIn(r.headers["request-id"], line)
        self.assertIn('"t/1"', line)
        records = wait_until(lambda: self.daemon.usage_records(), 5, what="a usage record")
        self.assertEqual(records[-1]["client_address"], "198.51.100.7")

    def test_every_refusal_is_a_line_with_its_reason(self):
        raw_http(self.daemon.port, b"GET /health HTTP/1.1\nHost: x\n\n")
        self.daemon.get("/nope")
        wait_until(lambda: '"GET /nope" 404' in "\n".join(self.lines()), 5, what="the 404")
        refused = [l for l in self.lines() if "refused:" in l]
        self.assertEqual(len(refused), 1, self.lines())
        self.assertIn('"-" 400', refused[0])
        self.assertIn("refused: malformed request: lines must end with CRLF", refused[0])


if __name__ == "__main__":
    unittest.main()

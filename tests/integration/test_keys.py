"""API keys, their limits and the usage statistics end to end: per-minute, per-day and
concurrency limits enforced across workers (with the x-ratelimit-* headers), expiry, revocation,
model allowlists, raw usage records against the daily rollups, a worker dying mid-stream,
GET /metrics — the real daemon against tests/fake_upstream.

Key commands go over the raw control socket (Daemon.control_ok): amq2apictl does not know all
of them (key update/enable, stats, usage export) and is being extended concurrently."""

import collections
import http.client
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from harness import Daemon, FakeUpstream, sse_events, wait_until

TEXT = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello"}]}


def text_event(text, delay_ms=0):
    frame = {"event": "assistantResponseEvent", "payload": {"content": text}}
    if delay_ms:
        frame["delay_ms"] = delay_ms
    return frame


def metadata(inp=100, out=20):
    return {"event": "metadataEvent",
            "payload": {"tokenUsage": {"uncachedInputTokens": inp, "outputTokens": out,
                                       "totalTokens": inp + out, "cacheReadInputTokens": 0,
                                       "cacheWriteInputTokens": 0}, "stopReason": "END_TURN"}}


def utc(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeysTestCase(unittest.TestCase):
    workers = 2
    daemon_flags = ()
    accounts = ("acct0", "acct1")

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.proc.stdout.close)
        self.addCleanup(self.fake.stop)
        self.daemon = self.start_daemon()
        for name in self.accounts:
            self.daemon.ctl_json("account", "add", "--name", name, "--refresh-token",
                                 f"rt-{name}", "--client-id", f"cid-{name}",
                                 "--client-secret", f"cs-{name}", "--rpm", "100000")

    def start_daemon(self, root=None):
        d = Daemon(workers=self.workers, root=root,
                   extra_args=[*self.fake.daemon_args(), *self.daemon_flags])
        d.start()
        self.addCleanup(d.cleanup)
        return d

    def make_key(self, name=None, **fields):
        """(secret, id) of a new key; the limits not given are generous."""
        args = {"name": name or f"key{random.getrandbits(32)}", "requests_per_minute": 1000000,
                "requests_per_day": 1000000000}
        args.update(fields)
        data = self.daemon.control_ok("key.create", args)
        return data["key"], data["api_key"]["id"]

    def post(self, key, body=TEXT, stream=False, path="/v1/messages", timeout=30):
        return self.daemon.request("POST", path, body=dict(body, stream=True) if stream else body,
                                   timeout=timeout,
                                   headers={"x-api-key": key, "content-type": "application/json",
                                            "anthropic-version": "2023-06-01"})

    def error_of(self, r, status, error_type):
        self.assertEqual(r.status, status, r.body)
        body = r.json()
        self.assertEqual(body["type"], "error", body)
        self.assertEqual(body["error"]["type"], error_type, body)
        return body["error"]["message"]

    def rate_headers(self, r):
        h = r.headers
        for name in ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                     "x-ratelimit-reset-requests"):
            self.assertIn(name, h, f"{r.status} response without {name}: {h}")
        reset = h["x-ratelimit-reset-requests"]
        self.assertRegex(reset, r"^\d+s$")
        return (int(h["x-ratelimit-limit-requests"]), int(h["x-ratelimit-remaining-requests"]),
                int(reset[:-1]))

    def wait_idle(self, timeout=5.0):
        """Until the master has every admitted request's report (its in-flight gauge)."""
        def idle():
            text = self.daemon.get("/metrics").body.decode()
            return re.search(r"^amq2api_requests_in_flight 0$", text, re.M) is not None
        wait_until(idle, timeout, interval=0.02, what="no request in flight")

    def records(self, count, timeout=10.0):
        """The raw usage records once there are `count` of them (the master commits usage
        in batches about once a second)."""
        found = []

        def enough():
            found[:] = self.daemon.usage_records(limit=97)
            return len(found) >= count
        wait_until(enough, timeout, interval=0.2, what=f"{count} usage records")
        self.assertEqual(len(found), count, found[count:])
        return found


# --- 1. requests per minute across workers --------------------------------------------------

class PerMinuteAcrossWorkers(KeysTestCase):
    workers = 4

    def worker_requests(self):
        return {w["pid"]: w["requests"] for w in self.daemon.ctl_json("status")["workers"]}

    def test_thirty_of_a_hundred_are_served_in_the_minute(self):
        key, _ = self.make_key(requests_per_minute=30)
        before = self.worker_requests()

        # One after the other: the remaining count goes down by one per request.
        first = [self.post(key) for _ in range(10)]
        self.assertEqual([r.status for r in first], [200] * 10, [r.body for r in first])
        figures = [self.rate_headers(r) for r in first]
        self.assertEqual([f[0] for f in figures], [30] * 10)
        self.assertEqual([f[1] for f in figures], list(range(29, 19, -1)))
        for _, _, reset in figures:
            self.assertTrue(1 <= reset <= 60, figures)

        # The other 90 at once over many connections, so over the four workers.
        with ThreadPoolExecutor(16) as pool:
            rest = list(pool.map(lambda i: self.post(key, stream=i % 2 == 0), range(90)))
        responses = first + rest
        served = [r for r in responses if r.status == 200]
        refused = [r for r in responses if r.status != 200]
        self.assertEqual(len(served), 30, collections.Counter(r.status for r in responses))
        self.assertEqual(len(refused), 70)
        self.assertEqual(self.fake.stats()["generate"], 30)

        # Each admission took the next count: every remaining figure once, 29 down to 0.
        self.assertEqual(sorted(self.rate_headers(r)[1] for r in served), list(range(30)))
        for r in refused:
            message = self.error_of(r, 429, "rate_limit_error")
            self.assertIn("30 requests per minute", message)
            self.assertIn("retry-after", r.headers)
            self.assertTrue(1 <= int(r.headers["retry-after"]) <= 60, r.headers)
            limit, remaining, reset = self.rate_headers(r)
            self.assertEqual((limit, remaining), (30, 0))
            self.assertTrue(1 <= reset <= 60, r.headers)

        # The requests did go through several workers (the count is the master's).
        def spread():
            after = self.worker_requests()
            grew = [p for p in after if after[p] > before.get(p, 0)]
            return grew if sum(after[p] - before.get(p, 0) for p in after) >= 100 else None
        busy = wait_until(spread, 5, what="the workers' heartbeats to count the requests")
        self.assertGreaterEqual(len(busy), 2, self.worker_requests())


# --- 2. concurrency -----------------------------------------------------------------------

class Concurrency(KeysTestCase):
    def slow_stream(self):
        return {"events": [text_event("a"), text_event("b", 500), text_event("c", 500),
                           text_event("d", 500), metadata()]}

    def test_two_at_once_the_others_refused_not_queued(self):
        key, _ = self.make_key(max_concurrent=2)
        self.fake.script(generate=[self.slow_stream() for _ in range(5)])

        peak = [0]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], self.fake.stats()["open_streams"])
                time.sleep(0.02)
        sampler = threading.Thread(target=sample)
        sampler.start()

        barrier = threading.Barrier(5)

        def one(_):
            barrier.wait()
            t0 = time.monotonic()
            r = self.post(key, stream=True)
            return r, time.monotonic() - t0

        try:
            with ThreadPoolExecutor(5) as pool:
                results = list(pool.map(one, range(5)))
        finally:
            sampling.set()
            sampler.join()

        statuses = sorted(r.status for r, _ in results)
        self.assertEqual(statuses, [200, 200, 429, 429, 429], [r.body[:200] for r, _ in results])
        self.assertEqual(peak[0], 2, "open upstream streams at the peak")
        self.assertEqual(self.fake.stats()["generate"], 2)
        for r, elapsed in results:
            if r.status == 200:
                text = "".join(d["delta"]["text"] for e, d in sse_events(r.body)
                               if e == "content_block_delta")
                self.assertEqual(text, "abcd")
                self.assertGreater(elapsed, 1.4)
            else:
                message = self.error_of(r, 429, "rate_limit_error")
                self.assertIn("2 concurrent requests", message)
                self.assertEqual(r.headers.get("retry-after"), "1", r.headers)
                self.assertLess(elapsed, 1.0, "a refusal waited for a slot")

        # Both slots were given back when the streams ended: two at once pass again. (Once
        # the master has taken the reports: that the client may see its answer end before
        # that is test_back_to_back_requests_are_not_refused's business.)
        self.fake.reset()  # drops the three slow steps nobody used
        self.wait_idle()
        self.assertEqual([r.status for r in self.post_pair(key)], [200, 200])
        self.wait_idle()
        self.assertEqual([r.status for r in self.post_pair(key, stream=True)], [200, 200])

    def post_pair(self, key, stream=False):
        barrier = threading.Barrier(2)

        def one(_):
            barrier.wait()
            return self.post(key, stream=stream)
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(one, range(2)))

    def connections_on_two_workers(self):
        """Two keep-alive connections that different workers accepted."""
        by_worker = {}
        for _ in range(50):
            conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
            self.addCleanup(conn.close)
            conn.connect()
            pid = wait_until(lambda: self.daemon.worker_serving(conn.sock.getsockname()[1]), 2,
                             what="the worker that accepted the connection")
            by_worker.setdefault(pid, conn)
            if len(by_worker) == 2:
                return list(by_worker.values())
        self.fail(f"50 connections, all accepted by {list(by_worker)}")

    def busy_cpus(self):
        """One busy loop per CPU for the rest of the test: the workers and the master get
        descheduled at arbitrary points, as on a loaded host, which opens race windows."""
        for _ in range(os.cpu_count() or 2):
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            self.addCleanup(hog.wait)
            self.addCleanup(hog.kill)

    def test_back_to_back_requests_are_not_refused(self):
        # One request at a time, never two in flight: a key allowing one at once must serve
        # them all. The requests alternate between two workers, so each next admission
        # reaches the master from another worker than the previous request's report: the
        # slot of a finished request must be free by the time its client has the answer.
        key, _ = self.make_key(max_concurrent=1)
        conns = self.connections_on_two_workers()
        self.busy_cpus()
        statuses = collections.Counter()
        for i in range(200):
            conn = conns[i % 2]
            body = dict(TEXT, stream=True) if i % 4 >= 2 else TEXT
            conn.request("POST", "/v1/messages", body=json.dumps(body),
                         headers={"x-api-key": key, "content-type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            statuses[(r.status, json.loads(data)["error"]["message"] if r.status != 200
                      else "")] += 1
        self.assertEqual(statuses, {(200, ""): 200},
                         "back-to-back requests refused as concurrent")


# --- 3. expiry and revocation -------------------------------------------------------------

class ExpiredAndRevoked(KeysTestCase):
    def test_expired_keys_are_refused(self):
        # A key cannot be created already expired ("in the past" is refused): the quickest
        # legitimate way is an expiry two seconds ahead — at creation, or by key.update.
        at = int(time.time()) + 2
        created, created_id = self.make_key(expires_at=utc(at))
        updated, updated_id = self.make_key()
        data = self.daemon.control_ok("key.update", {"key": {"id": updated_id},
                                                     "set": {"expires_at": utc(at)}})
        self.assertEqual(data["expires_at"], utc(at))
        for key in (created, updated):
            self.assertEqual(self.post(key).status, 200)

        wait_until(lambda: time.time() >= at + 0.05, 4, what="the expiry")
        calls = self.fake.stats()["generate"]
        for key in (created, updated):
            message = self.error_of(self.post(key), 401, "authentication_error")
            self.assertIn("expired", message)
            message = self.error_of(self.post(key, stream=True), 401, "authentication_error")
            self.assertIn("expired", message)
        self.assertEqual(self.fake.stats()["generate"], calls)

        # An expiry in the past is refused; an empty one clears it and the key works again.
        reply = self.daemon.control("key.update", {"key": {"id": created_id},
                                                   "set": {"expires_at": utc(at - 3600)}})
        self.assertFalse(reply["ok"], reply)
        self.assertIn("in the past", reply["error"]["message"])
        self.daemon.control_ok("key.update", {"key": {"id": created_id},
                                              "set": {"expires_at": ""}})
        self.assertEqual(self.post(created).status, 200)
        self.assertEqual(self.post(updated).status, 401)

    def test_revoked_key_is_refused_until_enabled(self):
        key, key_id = self.make_key(name="revocable")
        self.assertEqual(self.post(key).status, 200)
        data = self.daemon.control_ok("key.revoke", {"id": key_id})
        self.assertFalse(data["enabled"])
        calls = self.fake.stats()["generate"]
        message = self.error_of(self.post(key), 401, "authentication_error")
        self.assertIn("disabled", message)
        self.assertEqual(self.fake.stats()["generate"], calls)

        self.assertTrue(self.daemon.control_ok("key.enable", {"name": "revocable"})["enabled"])
        self.assertEqual(self.post(key).status, 200)
        self.daemon.control_ok("key.disable", {"name": "revocable"})
        self.assertEqual(self.post(key, stream=True).status, 401)


# --- 4. model allowlist -------------------------------------------------------------------

class ModelAllowlist(KeysTestCase):
    def test_only_allowed_models_and_their_other_names(self):
        key, _ = self.make_key(allowed_models=["claude-sonnet-4-5"])
        for model in ("claude-haiku-4-5", "claude-opus-4-5-20251101"):
            for stream in (False, True):
                r = self.post(key, dict(TEXT, model=model), stream=stream)
                message = self.error_of(r, 403, "permission_error")
                self.assertIn(model, message)
        self.assertEqual(self.fake.stats()["generate"], 0)
        r = self.post(key, dict(TEXT, model="claude-haiku-4-5"), path="/v1/chat/completions")
        self.assertEqual(r.status, 403, r.body)
        self.assertIn("claude-haiku-4-5", r.body.decode())

        for model in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"):
            for stream in (False, True):
                r = self.post(key, dict(TEXT, model=model), stream=stream)
                self.assertEqual(r.status, 200, (model, r.body))
        self.assertEqual(self.fake.stats()["generate"], 4)
        sent = {g["body"]["conversationState"]["currentMessage"]["userInputMessage"]["modelId"]
                for g in self.fake.requests()["generate"]}
        self.assertEqual(sent, {"claude-sonnet-4.5"})

        anything, _ = self.make_key()  # no allowlist: every model
        self.assertEqual(self.post(anything, dict(TEXT, model="claude-haiku-4-5")).status, 200)


# --- 5. raw records add up to the rollups -------------------------------------------------

class RecordsAddUpToRollups(KeysTestCase):
    def test_thousand_mixed_requests(self):
        rng = random.Random(20251128)
        main, main_id = self.make_key(name="main")
        # The low key may use one model (claude-haiku-4-5 requests are refused with 403)
        # and 40 requests a minute (the others are refused with 429).
        low, low_id = self.make_key(name="low", requests_per_minute=40,
                                    allowed_models=["claude-sonnet-4-5"])
        steps = []
        for _ in range(1000):
            roll = rng.random()
            if roll < 0.12:
                steps.append({"status": 400})
            elif roll < 0.5:
                steps.append({"events": [text_event("x" * rng.randint(1, 40)),
                                         metadata(rng.randint(1, 5000), rng.randint(1, 900))]})
            else:
                steps.append({})
        for i in range(0, len(steps), 250):
            self.fake.script(generate=steps[i:i + 250])

        models = ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-haiku-4-5"]
        plan = [(low if rng.random() < 0.15 else main, rng.random() < 0.5, rng.choice(models))
                for _ in range(1000)]

        def one(p):
            key, stream, model = p
            return self.post(key, dict(TEXT, model=model), stream=stream)

        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(one, plan))

        client = collections.Counter(r.status for r in responses)
        self.assertEqual(set(client), {200, 400, 403, 429}, client)
        self.assertGreater(client[400], 50)
        low_plan = [(m, r.status) for (k, _, m), r in zip(plan, responses) if k == low]
        forbidden = [s for m, s in low_plan if m == "claude-haiku-4-5"]
        self.assertEqual(set(forbidden), {403})
        self.assertEqual(client[403], len(forbidden))
        self.assertEqual(client[429], len(low_plan) - len(forbidden) - 40)
        self.assertTrue(all(k == low for (k, _, _), r in zip(plan, responses)
                            if r.status in (403, 429)))

        records = self.records(1000)
        self.assertEqual(collections.Counter(u["status"] for u in records), client)
        # Non-streamed answers tell the client their usage: the records say the same. The
        # whole input is Anthropic's three input counts (the cache's apart).
        def told_of(usage, field):
            if field == "output_tokens":
                return usage[field]
            return (usage["input_tokens"] + usage["cache_read_input_tokens"] +
                    usage["cache_creation_input_tokens"])

        for field in ("input_tokens", "output_tokens"):
            told = sum(told_of(r.json()["usage"], field) for (_, s, _), r in zip(plan, responses)
                       if r.status == 200 and not s)
            kept = sum(u[field] for u in records if u["status"] == 200 and not u["stream"])
            self.assertEqual(kept, told, field)

        # The rollups, recomputed from the raw records; days=2 in case the run straddles
        # midnight UTC (the store is new: nothing older exists).
        def is_error(u):
            return u["status"] >= 400 or u["status"] == 0 or u["error_class"] != ""

        def totals(rows):
            t = collections.Counter()
            for u in rows:
                t["requests"] += 1
                t["errors"] += is_error(u)
                t["input_tokens"] += u["input_tokens"]
                t["output_tokens"] += u["output_tokens"]
                t["total_tokens"] += u["input_tokens"] + u["output_tokens"]
                t["duration"] += u["duration_ms"]
                t["ttfb"] += u["ttfb_ms"]
            out = {k: t[k] for k in ("requests", "errors", "input_tokens", "output_tokens",
                                     "total_tokens")}
            out["avg_duration_ms"] = t["duration"] // t["requests"]
            out["avg_ttfb_ms"] = t["ttfb"] // t["requests"]
            return out

        def group(label):
            groups = collections.defaultdict(list)
            for u in records:
                groups[label(u)].append(u)
            return {k: totals(v) for k, v in groups.items()}

        fields = ("requests", "errors", "input_tokens", "output_tokens", "total_tokens",
                  "avg_duration_ms", "avg_ttfb_ms")
        labels = {"day": (lambda u: u["time"][:10], "date"),
                  "key": (lambda u: u["key_id"], "key_id"),
                  "account": (lambda u: u["account_id"], "account_id"),
                  "model": (lambda u: u["client_model"], "model")}
        for by, (label, column) in labels.items():
            stats = self.daemon.control_ok("stats", {"days": 2, "by": by})
            self.assertEqual({f: stats["total"][f] for f in fields}, totals(records), by)
            got = {row[column]: {f: row[f] for f in fields} for row in stats["rows"]}
            self.assertEqual(got, group(label), f"stats by {by}")

        # Per day × key × account × model, summed any way, gives the same totals.
        cells = group(lambda u: (u["time"][:10], u["key_id"], u["account_id"], u["client_model"]))
        self.assertEqual(sum(c["requests"] for c in cells.values()), 1000)
        accounts = {u["account_id"] for u in records if u["status"] not in (403, 429)}
        self.assertEqual(len(accounts), 2, "both accounts served")

        # Every request was made with a valid key: each record names the key it was made
        # with, refusals included (a refusal of the low key is the low key's error).
        by_key = collections.Counter(u["key_id"] for u in records)
        self.assertEqual(by_key, {main_id: sum(1 for k, _, _ in plan if k == main),
                                  low_id: sum(1 for k, _, _ in plan if k == low)},
                         "records by key id (0 = no key)")


# --- 6. a worker killed mid-stream ----------------------------------------------------------

class WorkerDiesMidStream(KeysTestCase):
    def test_slot_freed_and_request_recorded_as_failed(self):
        key, key_id = self.make_key(max_concurrent=1)
        self.fake.script(generate=[{"events": [text_event("partial"), metadata()],
                                    "hang_after": 1}])
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        self.addCleanup(conn.close)
        conn.request("POST", "/v1/messages", body=json.dumps(dict(TEXT, stream=True)),
                     headers={"x-api-key": key, "content-type": "application/json"})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        seen = b""
        while b"partial" not in seen:
            chunk = r.read1(65536)
            self.assertTrue(chunk, f"the stream ended early: {seen!r}")
            seen += chunk
        self.assertEqual(self.fake.stats()["open_streams"], 1)

        # Its one slot is taken: a second request is refused.
        busy = self.post(key)
        self.assertIn("1 concurrent requests", self.error_of(busy, 429, "rate_limit_error"))

        pid = self.daemon.worker_serving(conn.sock.getsockname()[1])
        self.assertIsNotNone(pid, "no worker holds the client's connection")
        os.kill(pid, signal.SIGKILL)
        try:
            rest = r.read()
        except (http.client.IncompleteRead, ConnectionError) as e:
            rest = getattr(e, "partial", b"")
        self.assertNotIn(b"message_stop", seen + rest)
        wait_until(lambda: pid not in self.daemon.worker_pids(), 5,
                   what="the master to notice the worker's death")
        wait_until(lambda: self.fake.stats()["open_streams"] == 0, 5,
                   what="the upstream stream to close")

        self.assertEqual(self.post(key).status, 200)  # the dead worker's slot is free
        self.wait_idle()
        self.assertEqual(self.post(key, stream=True).status, 200)

        records = self.records(4)
        died = [u for u in records if u["error_class"] == "worker_died"]
        self.assertEqual(len(died), 1, records)
        self.assertEqual(died[0]["status"], 502)
        self.assertEqual(died[0]["key_id"], key_id)
        self.assertNotEqual(died[0]["account_id"], 0)
        self.assertEqual(died[0]["endpoint"], "/v1/messages")
        self.assertEqual(died[0]["client_model"], TEXT["model"])
        self.assertEqual(sorted(u["status"] for u in records), [200, 200, 429, 502])
        wait_until(lambda: len(self.daemon.worker_pids()) == self.workers, 10,
                   what="a replacement worker")


# --- 7. /metrics ----------------------------------------------------------------------------

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({METRIC_NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?,?\}})? (\S+)(?: -?\d+)?$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(text)
    return float(text)


def parse_prometheus(text, test):
    """{family: {"type", "help", "samples": [(name, {labels}, value)]}}, checking the text
    format as it goes (version 0.0.4)."""
    test.assertTrue(text.endswith("\n"), "the exposition must end with a newline")
    families, current, seen = {}, None, set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}: {line!r}"
        if line.startswith("# HELP "):
            m = re.fullmatch(rf"# HELP ({METRIC_NAME}) (.*)", line)
            test.assertIsNotNone(m, where)
            test.assertNotIn(m.group(1), families, f"{where}: family described twice")
            families[m.group(1)] = {"help": m.group(2), "type": None, "samples": []}
            current = m.group(1)
        elif line.startswith("# TYPE "):
            m = re.fullmatch(rf"# TYPE ({METRIC_NAME}) (counter|gauge|histogram|summary|untyped)",
                             line)
            test.assertIsNotNone(m, where)
            test.assertEqual(m.group(1), current, f"{where}: TYPE without its HELP just before")
            test.assertIsNone(families[current]["type"], f"{where}: second TYPE")
            families[current]["type"] = m.group(2)
        elif line.startswith("#") or not line.strip():
            test.fail(f"{where}: unexpected comment or blank line")
        else:
            m = SAMPLE.match(line)
            test.assertIsNotNone(m, f"{where}: not a sample")
            name, labels_text, value = m.groups()
            test.assertIsNotNone(current, f"{where}: sample before any HELP/TYPE")
            family = families[current]
            test.assertIsNotNone(family["type"], f"{where}: sample before its TYPE")
            allowed = {current}
            if family["type"] == "histogram":
                allowed = {current + s for s in ("_bucket", "_sum", "_count")}
            elif family["type"] == "counter":
                allowed = {current, current + "_total"} if not current.endswith("_total") \
                    else {current}
            test.assertIn(name, allowed, f"{where}: sample outside its family {current}")
            labels = dict(LABEL_PAIR.findall(labels_text or ""))
            test.assertEqual(len(labels), len(LABEL_PAIR.findall(labels_text or "")),
                             f"{where}: a label twice")
            identity = (name, tuple(sorted(labels.items())))
            test.assertNotIn(identity, seen, f"{where}: duplicate sample")
            seen.add(identity)
            try:
                number = parse_value(value)
            except ValueError:
                test.fail(f"{where}: value {value!r} is not a number")
            if family["type"] in ("counter", "histogram") and not math.isnan(number):
                test.assertGreaterEqual(number, 0, f"{where}: negative {family['type']}")
            family["samples"].append((name, labels, number))
    for name, family in families.items():
        test.assertIsNotNone(family["type"], f"{name} has no TYPE")
        if family["type"] == "histogram":
            check_histogram(name, family["samples"], test)
    return families


def check_histogram(name, samples, test):
    series = collections.defaultdict(lambda: {"buckets": [], "sum": None, "count": None})
    for sample_name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        if sample_name == name + "_bucket":
            test.assertIn("le", labels, f"{name} bucket without le")
            series[rest]["buckets"].append((parse_value(labels["le"]), value))
        elif sample_name == name + "_sum":
            series[rest]["sum"] = value
        else:
            series[rest]["count"] = value
    test.assertTrue(series, f"histogram {name} has no series")
    for labels, s in series.items():
        where = f"{name}{dict(labels)}"
        bounds = [b for b, _ in s["buckets"]]
        test.assertEqual(bounds, sorted(bounds), f"{where}: buckets out of order")
        test.assertEqual(len(bounds), len(set(bounds)), f"{where}: a bucket twice")
        test.assertTrue(bounds and bounds[-1] == math.inf, f"{where}: no +Inf bucket")
        counts = [c for _, c in s["buckets"]]
        test.assertEqual(counts, sorted(counts), f"{where}: buckets not cumulative")
        test.assertIsNotNone(s["count"], f"{where}: no _count")
        test.assertIsNotNone(s["sum"], f"{where}: no _sum")
        test.assertEqual(counts[-1], s["count"], f"{where}: +Inf bucket != _count")


class Metrics(KeysTestCase):
    def test_metrics_parse_and_show_no_secret(self):
        key, key_id = self.make_key()
        tight, _ = self.make_key(requests_per_minute=1)
        narrow, _ = self.make_key(allowed_models=["claude-haiku-4-5"])
        self.assertEqual(self.post(key).status, 200)
        self.assertEqual(self.post(key, stream=True).status, 200)
        self.assertEqual(self.post(tight).status, 200)
        self.assertEqual(self.post(tight).status, 429)
        self.assertEqual(self.post(narrow).status, 403)
        self.assertEqual(self.post("amq-not-a-key").status, 401)
        self.fake.script(generate=[{"status": 400}])
        self.assertEqual(self.post(key).status, 400)

        self.wait_idle()  # the last answers' reports may still be on their way
        r = self.daemon.get("/metrics")
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"),
                        r.headers)
        text = r.body.decode()
        families = parse_prometheus(text, self)

        requests = families["amq2api_requests_total"]
        self.assertEqual(requests["type"], "counter")
        ok = [v for n, labels, v in requests["samples"]
              if labels.get("endpoint") == "/v1/messages" and labels.get("status") == "2xx"]
        self.assertEqual(sum(ok), 3, requests["samples"])
        mine = [v for n, labels, v in requests["samples"]
                if labels.get("key") == str(key_id) and labels.get("endpoint") == "/v1/messages"]
        self.assertEqual(sum(mine), 3)  # two served, one upstream 400
        refusals = {labels["limit"]: v for _, labels, v in
                    families["amq2api_limit_refusals_total"]["samples"]}
        self.assertEqual(refusals.get("requests_per_minute"), 1, refusals)
        self.assertEqual(refusals.get("model"), 1, refusals)

        accounts = families["amq2api_accounts"]
        self.assertEqual(accounts["type"], "gauge")
        states = {labels["state"]: v for _, labels, v in accounts["samples"]}
        self.assertEqual(states.get("healthy"), 2, states)
        self.assertEqual(sum(states.values()), 2, states)
        for family in ("amq2api_request_duration_seconds", "amq2api_time_to_first_byte_seconds"):
            self.assertEqual(families[family]["type"], "histogram")
        in_flight = families["amq2api_requests_in_flight"]["samples"]
        self.assertEqual([v for _, _, v in in_flight], [0])

        tokens = {g["token"] for g in self.fake.requests()["generate"]}
        for secret in [key, tight, narrow, *tokens, *(f"rt-{a}" for a in self.accounts),
                       *(f"cs-{a}" for a in self.accounts)]:
            self.assertNotIn(secret, text)


class MetricsAdminOnly(KeysTestCase):
    daemon_flags = ("--metrics-admin-only", "true")

    def test_only_admin_keys_read_metrics(self):
        key, _ = self.make_key()
        admin, _ = self.make_key(is_admin=True)
        self.assertEqual(self.post(key).status, 200)
        self.assertEqual(self.daemon.get("/metrics").status, 401)
        self.assertEqual(self.daemon.get("/metrics", headers={"x-api-key": key}).status, 403)
        self.assertEqual(
            self.daemon.get("/metrics", headers={"authorization": f"Bearer {key}"}).status, 403)
        r = self.daemon.get("/metrics", headers={"authorization": f"Bearer {admin}"})
        self.assertEqual(r.status, 200, r.body)
        parse_prometheus(r.body.decode(), self)
        self.assertNotIn(admin, r.body.decode())
        self.assertEqual(self.daemon.get("/metrics", headers={"x-api-key": admin}).status, 200)


# --- 8. the day's count survives a restart --------------------------------------------------

class PerDaySurvivesRestart(KeysTestCase):
    def test_sixth_request_after_a_restart_is_refused(self):
        key, _ = self.make_key(requests_per_day=5)
        served = [self.post(key, stream=i % 2 == 1) for i in range(5)]
        self.assertEqual([r.status for r in served], [200] * 5, [r.body for r in served])
        self.assertEqual([self.rate_headers(r)[:2] for r in served],
                         [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0)])

        # Another key: what was admitted counts (an upstream failure too), what was refused
        # (by the model allowlist, by the concurrency limit) does not — before the restart
        # and after it.
        mixed, _ = self.make_key(requests_per_day=5, max_concurrent=1,
                                 allowed_models=["claude-sonnet-4-5"])
        self.fake.script(generate=[{"status": 400},
                                   {"events": [text_event("slow", 600), metadata()]}])
        self.assertEqual(self.post(mixed).status, 400)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(self.post, mixed)
            wait_until(lambda: self.fake.stats()["open_streams"] == 1, 5,
                       what="the slow answer to start")
            for _ in range(2):
                busy = self.post(mixed)
                self.assertIn("concurrent", self.error_of(busy, 429, "rate_limit_error"))
            self.assertEqual(self.rate_headers(slow.result())[:2], (5, 3))
        for _ in range(3):
            self.assertEqual(self.post(mixed, dict(TEXT, model="claude-haiku-4-5")).status, 403)

        root = self.daemon.root
        self.assertEqual(self.daemon.stop(), 0, self.daemon.logs())
        self.daemon = self.start_daemon(root=root)

        calls = self.fake.stats()["generate"]
        r = self.post(key)
        message = self.error_of(r, 429, "rate_limit_error")
        self.assertIn("5 requests per day", message)
        retry = int(r.headers["retry-after"])
        self.assertTrue(86000 <= retry <= 86400, r.headers)  # a day after the first one
        self.assertEqual(self.rate_headers(r)[:2], (5, 0))
        self.assertEqual(self.fake.stats()["generate"], calls)

        after = [self.post(mixed) for _ in range(4)]
        self.assertEqual([r.status for r in after], [200, 200, 200, 429],
                         [r.body for r in after])
        self.assertEqual([self.rate_headers(r)[:2] for r in after],
                         [(5, 2), (5, 1), (5, 0), (5, 0)])
        self.assertIn("5 requests per day", self.error_of(after[-1], 429, "rate_limit_error"))

        # A new key is not affected.
        other, _ = self.make_key(requests_per_day=5)
        self.assertEqual(self.post(other).status, 200)


if __name__ == "__main__":
    unittest.main()

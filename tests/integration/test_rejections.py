"""Requests the worker answers without an account: malformed parameters, model names that are
too long, count_tokens and the model list under the key's limits and allowlist, rejected
requests in /metrics and usage, and the readiness route."""
import json
import re
import time
import unittest

from harness import Daemon, FakeUpstream, wait_until

TEXT = {"model": "claude-sonnet-4-5", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello"}]}
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}]}


class RejectionsTestCase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=2, extra_args=self.fake.daemon_args())
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        self.daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt-acct",
                             "--client-id", "cid", "--client-secret", "cs", "--rpm", "1000")
        self.key = self.daemon.ctl_json("key", "create", "--name", "client", "--rpm", "1000")["key"]

    def post(self, path, body, key=None, headers=None):
        h = {"x-api-key": key or self.key, "content-type": "application/json"}
        h.update(headers or {})
        return self.daemon.request("POST", path, body=body, headers=h)

    def get(self, path, key=None, headers=None):
        h = {"x-api-key": key or self.key}
        h.update(headers or {})
        return self.daemon.request("GET", path, headers=h)

    def generate_calls(self):
        return len(self.fake.requests()["generate"])


class Parameters(RejectionsTestCase):
    def test_messages_parameters_are_checked_before_anything_goes_upstream(self):
        cases = [
            ({k: v for k, v in TEXT.items() if k != "max_tokens"}, "max_tokens: Field required"),
            (dict(TEXT, max_tokens="a"), "max_tokens: must be an integer"),
            (dict(TEXT, max_tokens=0), "max_tokens: must be an integer"),
            (dict(TEXT, temperature="hot"), "temperature: must be a number between 0 and 1"),
            (dict(TEXT, top_p=7), "top_p: must be a number"),
            (dict(TEXT, stop_sequences=[1]), "stop_sequences"),
            (dict(TEXT, tool_choice={"type": "sometimes"}), "tool_choice.type"),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                r = self.post("/v1/messages", body)
                self.assertEqual(r.status, 400, r.body)
                self.assertEqual(r.json()["type"], "error")
                self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
                self.assertIn(message, r.json()["error"]["message"])
        self.assertEqual(self.generate_calls(), 0)
        self.assertEqual(self.post("/v1/messages", TEXT).status, 200)

    def test_chat_parameters_are_checked_in_the_openai_shape(self):
        for body, message in [(dict(CHAT, temperature="hot"), "temperature"),
                              (dict(CHAT, temperature=2.5), "between 0 and 2"),
                              (dict(CHAT, max_tokens=0), "max_tokens")]:
            with self.subTest(body=body):
                r = self.post("/v1/chat/completions", body)
                self.assertEqual(r.status, 400, r.body)
                self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
                self.assertIn(message, r.json()["error"]["message"])
        self.assertEqual(self.generate_calls(), 0)
        self.assertEqual(self.post("/v1/chat/completions", CHAT).status, 200)

    def test_count_tokens_needs_no_max_tokens(self):
        body = {k: v for k, v in TEXT.items() if k != "max_tokens"}
        r = self.post("/v1/messages/count_tokens", body)
        self.assertEqual(r.status, 200, r.body)
        self.assertGreater(r.json()["input_tokens"], 0)

    def test_a_model_name_unfit_to_store_is_refused_and_never_stored_or_logged(self):
        long_name = "claude-" + "x" * 300
        for path, body in [("/v1/messages", dict(TEXT, model=long_name)),
                           ("/v1/chat/completions", dict(CHAT, model=long_name)),
                           ("/v1/messages/count_tokens", dict(TEXT, model=long_name)),
                           ("/v1/messages", dict(TEXT, model="a\u001b[31mred"))]:
            with self.subTest(path=path, model=body["model"][:20]):
                r = self.post(path, body)
                self.assertEqual(r.status, 400, r.body)
                self.assertIn("model:", r.json()["error"]["message"])
        self.assertEqual(self.generate_calls(), 0)
        wait_until(lambda: len(self.daemon.usage_records()) >= 4, what="rejections recorded")
        for record in self.daemon.usage_records():
            self.assertNotIn("x" * 300, json.dumps(record))
        self.assertNotIn("x" * 300, self.daemon.logs())
        self.assertNotIn("\x1b[31m", self.daemon.logs())


class KeyLimits(RejectionsTestCase):
    def test_count_tokens_and_the_model_list_count_toward_the_rpm(self):
        key = self.daemon.ctl_json("key", "create", "--name", "slow", "--rpm", "3")["key"]
        self.assertEqual(self.post("/v1/messages/count_tokens", TEXT, key=key).status, 200)
        r = self.get("/v1/models", key=key)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["x-ratelimit-limit-requests"], "3")
        self.assertEqual(r.headers["x-ratelimit-remaining-requests"], "1")
        self.assertEqual(self.post("/v1/messages", TEXT, key=key).status, 200)
        for path in ("/v1/messages/count_tokens", "/v1/models", "/v1/models/claude-sonnet-4-5"):
            with self.subTest(path=path):
                r = (self.post(path, TEXT, key=key) if path.endswith("count_tokens")
                     else self.get(path, key=key))
                self.assertEqual(r.status, 429, r.body)
                self.assertEqual(r.json()["error"]["type"], "rate_limit_error")
                self.assertGreater(int(r.headers["retry-after"]), 0)

    def test_the_allowlist_shapes_the_model_list_lookups_and_counts(self):
        key = self.daemon.ctl_json("key", "create", "--name", "sonnet-only",
                                   "--models", "claude-sonnet-4-5")["key"]
        ids = [m["id"] for m in self.get("/v1/models", key=key).json()["data"]]
        self.assertIn("claude-sonnet-4-5", ids)
        self.assertFalse([i for i in ids if "opus" in i or "haiku" in i], ids)
        everything = [m["id"] for m in self.get("/v1/models").json()["data"]]
        self.assertTrue([i for i in everything if "opus" in i], everything)

        self.assertEqual(self.get("/v1/models/claude-sonnet-4-5", key=key).status, 200)
        self.assertEqual(self.get("/v1/models/claude-sonnet-4-5-20250929", key=key).status, 200)
        r = self.get("/v1/models/claude-opus-4-6", key=key)
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(self.get("/v1/models/claude-opus-4-6").status, 200)

        r = self.post("/v1/messages/count_tokens", dict(TEXT, model="claude-opus-4-6"), key=key)
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.json()["error"]["type"], "permission_error")

    def test_an_unknown_model_id_is_404_in_the_callers_shape(self):
        r = self.get("/v1/models/no-such-model")
        self.assertEqual(r.status, 404, r.body)
        self.assertNotIn("type", r.json())  # OpenAI's shape: {"error": {...}} alone
        self.assertIn("no-such-model", r.json()["error"]["message"])
        r = self.get("/v1/models/no-such-model", headers={"anthropic-version": "2023-06-01"})
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(r.json()["error"]["type"], "not_found_error")


def counter(metrics, name, **labels):
    total = 0
    for line in metrics.splitlines():
        m = re.match(r'(\w+)\{(.*)\} (\d+)', line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if all(found.get(k) == v for k, v in labels.items()):
            total += int(m.group(3))
    return total


class Accounting(RejectionsTestCase):
    def key_id(self):
        return str(self.daemon.ctl_json("key", "show", "client")["id"])

    def test_rejected_requests_show_in_metrics_and_in_the_keys_usage(self):
        key_id = self.key_id()
        self.assertEqual(self.post("/v1/messages", b"{broken").status, 400)
        self.assertEqual(self.post("/v1/messages", dict(TEXT, max_tokens="a")).status, 400)
        self.assertEqual(self.daemon.request("POST", "/v1/messages", body=TEXT).status, 401)
        self.assertEqual(self.get("/v1/nothing-here").status, 404)
        self.assertEqual(self.daemon.request("GET", "/health").status, 200)

        def metrics():
            return self.daemon.request("GET", "/metrics").body.decode()
        wait_until(lambda: counter(metrics(), "amq2api_requests_total", endpoint="/v1/messages",
                                   status="4xx", key=key_id) == 2,
                   what="the two 400s of the client key in /metrics")
        text = metrics()
        self.assertEqual(counter(text, "amq2api_requests_total", endpoint="/v1/messages",
                                 status="4xx", key="0"), 1)
        self.assertEqual(counter(text, "amq2api_requests_total", endpoint="none",
                                 status="4xx"), 1)
        self.assertGreaterEqual(counter(text, "amq2api_requests_total", endpoint="/health",
                                        status="2xx"), 1)

        wait_until(lambda: len([u for u in self.daemon.usage_records()
                                if u["status"] == 400]) == 2, what="usage records of the 400s")
        rejected = [u for u in self.daemon.usage_records() if u["status"] == 400]
        for u in rejected:
            self.assertEqual(str(u["key_id"]), key_id)
            self.assertEqual(u["error_class"], "rejected")
            self.assertEqual(u["endpoint"], "/v1/messages")
            self.assertEqual(u["input_tokens"], 0)
        # A key's own rejected requests never count toward its limits.
        r = self.post("/v1/messages", TEXT)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["x-ratelimit-remaining-requests"], "999")

    def test_refusals_by_the_http_layer_are_counted(self):
        r = self.daemon.request("GET", "/health", headers={"x-big": "y" * 9000})
        self.assertEqual(r.status, 431)
        wait_until(lambda: counter(self.daemon.request("GET", "/metrics").body.decode(),
                                   "amq2api_requests_total", endpoint="none",
                                   status="4xx") >= 1, what="the 431 in /metrics")


class PromptSize(RejectionsTestCase):
    def test_the_size_guard_is_configurable_in_bytes_and_tokens(self):
        self.daemon.stop()
        for flags, needle in [(["--max-prompt-bytes", "2048"], "bytes"),
                              (["--max-prompt-tokens", "200"], "input tokens")]:
            daemon = Daemon(workers=1, extra_args=[*self.fake.daemon_args(), *flags])
            daemon.start()
            self.addCleanup(daemon.cleanup)
            daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt",
                            "--client-id", "cid", "--client-secret", "cs")
            key = daemon.ctl_json("key", "create", "--name", "k")["key"]
            body = dict(TEXT, messages=[{"role": "user", "content": "word " * 2000}])
            r = daemon.request("POST", "/v1/messages", body=body, headers={"x-api-key": key})
            self.assertEqual(r.status, 400, r.body)
            self.assertIn("prompt is too long", r.json()["error"]["message"])
            self.assertIn(needle, r.json()["error"]["message"])
            self.assertEqual(daemon.request("POST", "/v1/messages", body=TEXT,
                                            headers={"x-api-key": key}).status, 200)
            daemon.stop()


class Readiness(unittest.TestCase):
    def test_ready_only_with_an_account_and_a_key(self):
        fake = FakeUpstream()
        self.addCleanup(fake.stop)
        daemon = Daemon(workers=1, extra_args=fake.daemon_args())
        daemon.start()
        self.addCleanup(daemon.cleanup)
        # The daemon's own initial admin key exists; no account yet.
        r = daemon.request("GET", "/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"], "degraded")
        r = daemon.request("GET", "/health/ready")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["reason"], "no usable account")
        self.assertEqual(daemon.request("HEAD", "/health/ready").status, 503)

        daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt",
                        "--client-id", "cid", "--client-secret", "cs")
        wait_until(lambda: daemon.request("GET", "/health/ready").status == 200,
                   what="ready once an account exists")
        self.assertEqual(daemon.request("GET", "/health/ready").json()["status"], "ready")
        daemon.ctl("account", "disable", "acct")
        wait_until(lambda: daemon.request("GET", "/health/ready").status == 503,
                   what="not ready once the only account is disabled")
        self.assertEqual(daemon.request("GET", "/health").status, 200)


if __name__ == "__main__":
    unittest.main()

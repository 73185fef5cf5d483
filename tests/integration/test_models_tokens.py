"""GET /v1/models (both shapes) and POST /v1/messages/count_tokens on the real daemon."""

import unittest

from harness import Daemon, FakeUpstream


class ModelsAndTokens(unittest.TestCase):
    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=1, extra_args=[
            *self.fake.daemon_args(), "--model-map", "team-model=claude-opus-4.5"])
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        self.key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]

    def get(self, path, **headers):
        return self.daemon.request("GET", path, headers={"Authorization": f"Bearer {self.key}", **headers})

    def count(self, body, key=None):
        return self.daemon.request("POST", "/v1/messages/count_tokens", body=body,
                                   headers={"x-api-key": key or self.key})

    def test_openai_model_list_comes_from_the_model_map(self):
        r = self.get("/v1/models")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["object"], "list")
        ids = [m["id"] for m in body["data"]]
        self.assertIn("team-model", ids)
        self.assertIn("claude-sonnet-4-5", ids)
        self.assertIn("claude-opus-4-6", ids)
        self.assertTrue(all(m["object"] == "model" for m in body["data"]))

    def test_anthropic_model_list_when_anthropic_version_is_sent(self):
        r = self.get("/v1/models", **{"anthropic-version": "2023-06-01"})
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertFalse(body["has_more"])
        self.assertEqual(body["first_id"], body["data"][0]["id"])
        self.assertEqual(body["last_id"], body["data"][-1]["id"])
        sonnet = [m for m in body["data"] if m["id"] == "claude-sonnet-4-5"][0]
        self.assertEqual(sonnet["type"], "model")
        self.assertEqual(sonnet["display_name"], "Claude Sonnet 4.5")
        self.assertRegex(sonnet["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_single_model_in_both_shapes(self):
        self.assertEqual(self.get("/v1/models/claude-opus-4-6").json()["id"], "claude-opus-4-6")
        r = self.get("/v1/models/claude-opus-4-6", **{"anthropic-version": "2023-06-01"})
        self.assertEqual(r.json()["type"], "model")
        self.assertEqual(r.json()["display_name"], "Claude Opus 4.6")

    def test_model_routes_need_a_key(self):
        r = self.daemon.request("GET", "/v1/models")
        self.assertEqual(r.status, 401)
        self.assertIn("message", r.json()["error"])  # OpenAI shape
        r = self.daemon.request("GET", "/v1/models", headers={"anthropic-version": "2023-06-01",
                                                              "x-api-key": "amq-wrong"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["type"], "error")  # Anthropic shape

    def test_count_tokens_grows_with_the_input(self):
        small = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hello"}]}
        big = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hello " * 500}]}
        with_system = dict(small, system="You are a careful assistant. " * 20)
        with_tools = dict(small, tools=[{"name": "Bash", "description": "Run a shell command " * 10,
                                         "input_schema": {"type": "object", "properties": {
                                             "command": {"type": "string"}}}}])
        counts = {}
        for name, body in [("small", small), ("big", big), ("system", with_system), ("tools", with_tools)]:
            r = self.count(body)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(list(r.json()), ["input_tokens"])
            counts[name] = r.json()["input_tokens"]
        self.assertGreater(counts["small"], 0)
        self.assertGreater(counts["big"], counts["small"] + 400)
        self.assertGreater(counts["system"], counts["small"])
        self.assertGreater(counts["tools"], counts["small"])
        self.assertEqual(self.fake.stats()["generate"], 0)  # counting never calls the upstream

    def test_count_tokens_counts_prompts_too_long_to_send(self):
        huge = {"model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "lorem ipsum " * 80000}]}
        r = self.count(huge)
        self.assertEqual(r.status, 200, r.body)
        self.assertGreater(r.json()["input_tokens"], 100000)

    def test_counts_come_from_the_claude_vocabulary(self):
        self.assertNotIn("fall back", self.daemon.logs())
        # 48 bytes of CJK: bytes / 4 would say 12; the BPE vocabulary counts differently.
        text = "你好，世界。今天天气很好，我们去公园散步吧。"
        r = self.count({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": text}]})
        self.assertEqual(r.status, 200)
        plain = self.count({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}]})
        overhead = plain.json()["input_tokens"] - 1
        self.assertNotEqual(r.json()["input_tokens"] - overhead, (len(text.encode()) + 3) // 4)

    def test_missing_vocabulary_falls_back_and_says_so_once(self):
        d = Daemon(workers=2, extra_args=[*self.fake.daemon_args(), "--tokenizer-file", "/nonexistent.json"])
        self.addCleanup(d.cleanup)
        d.start()
        key = d.ctl_json("key", "create", "--name", "k")["key"]
        r = d.request("POST", "/v1/messages/count_tokens", headers={"x-api-key": key},
                      body={"model": "m", "messages": [{"role": "user", "content": "hello world"}]})
        self.assertEqual(r.status, 200)
        self.assertGreater(r.json()["input_tokens"], 0)
        self.assertEqual(d.logs().count("fall back to bytes / 4"), 1)

    def test_count_tokens_errors(self):
        r = self.count({"model": "claude-sonnet-4-5", "messages": []})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
        r = self.count({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}]},
                       key="amq-nope")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["type"], "authentication_error")


if __name__ == "__main__":
    unittest.main()

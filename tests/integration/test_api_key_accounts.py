"""Kiro API key accounts (ksk_…, Kiro Pro and above), end to end against the fake upstream,
which accepts such a key only with the header "TokenType: API_KEY": the key is sent as the
bearer token with that header and the Kiro CLI's origin, never refreshed, never shown again,
and an account whose key the upstream refuses is quarantined."""

import json
import unittest

from harness import daemon_with_fake

MESSAGE = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}
KEY = "ksk_live_0123456789abcdef"


class ApiKeyAccountTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon = daemon_with_fake(self)
        self.client_key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]

    def add(self, name, key, *extra):
        return self.daemon.ctl("account", "add", "--name", name, "--kind", "api_key",
                               "--api-key", "-", "--api-endpoint", self.fake.url + "/", *extra,
                               stdin=key + "\n")

    def ask(self):
        return self.daemon.request("POST", "/v1/messages", body=MESSAGE,
                                   headers={"x-api-key": self.client_key,
                                            "content-type": "application/json"}, timeout=30)

    def test_a_kiro_api_key_serves_with_its_token_type_and_is_never_refreshed(self):
        self.fake.call("POST", "/_tokens", {"tokens": [KEY]})
        rc, out, err = self.add("kiro-pro", KEY)
        self.assertEqual(rc, 0, err)
        self.assertNotIn(KEY, out)
        account = self.daemon.ctl_json("account", "show", "kiro-pro")
        self.assertEqual(account["kind"], "api_key")
        self.assertEqual(account["origin"], "KIRO_CLI")
        self.assertNotIn(KEY, json.dumps(account))

        r = self.ask()
        self.assertEqual(r.status, 200, r.body)
        generate = self.fake.requests()["generate"][-1]
        self.assertEqual(generate["headers"]["authorization"], f"Bearer {KEY}")
        self.assertEqual(generate["headers"]["tokentype"], "API_KEY")
        self.assertIn('"origin":"KIRO_CLI"', json.dumps(generate["body"], separators=(",", ":")))
        self.assertEqual(self.fake.stats()["token"], 0, "an API key is never refreshed")

        # A new key replaces the old one.
        new_key = "ksk_live_fedcba9876543210"
        self.fake.call("POST", "/_tokens", {"tokens": [new_key]})
        rc, _, err = self.daemon.ctl("account", "update", "kiro-pro", "--api-key", "-",
                                     stdin=new_key + "\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.ask().status, 200)
        self.assertEqual(self.fake.requests()["generate"][-1]["headers"]["authorization"],
                         f"Bearer {new_key}")
        rc, _, err = self.daemon.ctl("account", "update", "kiro-pro", "--refresh-token", "rt")
        self.assertEqual(rc, 2)
        self.assertIn("no refresh token", err)
        audit = json.dumps(self.daemon.ctl_json("audit", "--limit", "10"))
        self.assertNotIn(KEY, audit)
        self.assertNotIn(new_key, audit)

    def test_a_refused_key_quarantines_its_account(self):
        rc, _, err = self.add("revoked", "ksk_revoked_key_000000")  # unknown to the upstream
        self.assertEqual(rc, 0, err)
        r = self.ask()
        self.assertGreaterEqual(r.status, 400)
        account = self.daemon.ctl_json("account", "show", "revoked")
        self.assertEqual(account["state"], "quarantined")
        self.assertIn("API key", account["state_reason"])
        self.assertEqual(self.fake.stats()["token"], 0)

    def test_bad_and_duplicate_keys_are_refused(self):
        rc, _, err = self.add("bad", "not-a-kiro-key")
        self.assertEqual(rc, 2)
        self.assertIn("Kiro API key", err)
        rc, _, err = self.daemon.ctl("account", "add", "--name", "nokey", "--kind", "api_key")
        self.assertEqual(rc, 2)
        self.assertIn("--api-key", err)
        self.assertEqual(self.add("first", KEY)[0], 0)
        rc, _, err = self.add("second", KEY)
        self.assertEqual(rc, 1)
        self.assertIn("already uses this API key", err)


if __name__ == "__main__":
    unittest.main()

"""Kiro accounts beyond API keys, end to end against the fake upstream:
- the portal sign-in: amq2apictl (or the HTTP admin API) shows the sign-in URL; the test plays
  the administrator's browser — it opens the URL at the fake portal, which answers with the
  redirect to http://localhost:PORT carrying the code — and pastes that address back. The fake
  exchanges a code once, only with the verifier of its challenge and the same redirect URI;
- external identity provider accounts: refreshed with a form-encoded RFC 6749 refresh at the
  IdP's token endpoint stored with the account (single-use, rotating refresh tokens), their
  tokens sent with "TokenType: EXTERNAL_IDP", which the fake demands."""

import http.client
import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.parse

from harness import AMQ2APICTL, daemon_with_fake, wait_until

MESSAGE = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}
SIGNIN = re.compile(r"(http://127\.0\.0\.1:\d+/signin\?\S+)")


class KiroSigninTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon = daemon_with_fake(self, extra_args=[
            "--kiro-token-endpoint", "{fake}/refreshToken", "--kiro-signin-url", "{fake}/signin"])
        self.client_key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()

    # ---- helpers ----

    def browser(self, signin_url):
        """The address the portal's redirect leaves the browser on."""
        parts = urllib.parse.urlsplit(signin_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}")
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 302)
            return r.getheader("Location")
        finally:
            conn.close()

    def ctl_signin(self, *args):
        proc = subprocess.Popen([AMQ2APICTL, "--socket", self.daemon.socket, "account", "login",
                                 "--kiro", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        shown = ""
        while not SIGNIN.search(shown):
            line = proc.stdout.readline()
            if not line:
                self.fail(f"no sign-in URL shown: {shown!r} {proc.stderr.read()!r}")
            shown += line
        return proc, SIGNIN.search(shown).group(1)

    def paste(self, proc, url):
        proc.stdin.write(url + "\n")
        proc.stdin.flush()

    def serve(self):
        return self.daemon.request("POST", "/v1/messages", body=MESSAGE,
                                   headers={"x-api-key": self.client_key,
                                            "content-type": "application/json"}, timeout=30)

    def admin_call(self, method, path, body=None):
        return self.daemon.request(method, path, body=body,
                                   headers={"x-api-key": self.admin,
                                            "content-type": "application/json"})

    # ---- tests ----

    def test_a_pasted_callback_url_adds_a_social_account_that_serves(self):
        proc, url = self.ctl_signin("--name", "kiro-google")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["redirect_from"], ["kirocli"])
        self.assertRegex(query["redirect_uri"][0], r"^http://localhost:\d+$")
        callback = self.browser(url)
        self.assertTrue(callback.startswith(query["redirect_uri"][0] + "?code="), callback)
        # Another sign-in's address is refused and the prompt asks again.
        self.paste(proc, re.sub(r"state=[^&]+", "state=forged", callback))
        self.paste(proc, callback)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("another sign-in", out)
        self.assertIn("logged in: account", out)
        account = self.daemon.ctl_json("account", "show", "kiro-google")
        self.assertEqual(account["kind"], "social")
        self.assertTrue(account["profile_arn"].startswith("arn:aws:codewhisperer:"))
        self.assertEqual(self.serve().status, 200)
        # The sign-in's own token served; the account refreshes as a social one.
        self.assertEqual(self.fake.stats()["kiro"], 0)
        rc, _, err = self.daemon.ctl("account", "refresh", "kiro-google")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.fake.stats()["kiro"], 1)
        # Quota and models were fetched at once, not at the next sweep.
        wait_until(lambda: any(r["path"].startswith("/getUsageLimits")
                               for r in self.fake.requests()["usage"]),
                   timeout=10, what="the quota fetch after the login")
        exchange = [r for r in self.fake.requests()["oidc"] if r["path"] == "/oauth/token"]
        self.assertEqual(len(exchange), 1)
        self.assertEqual(exchange[0]["body"]["redirect_uri"], query["redirect_uri"][0])
        audit = json.dumps(self.daemon.ctl_json("audit", "--limit", "10"))
        self.assertNotIn(exchange[0]["body"]["code"], audit)
        self.assertNotIn(exchange[0]["body"]["code_verifier"], audit)

    def test_a_code_exchanged_with_another_signins_verifier_is_refused(self):
        first = self.admin_call("POST", "/admin/accounts/login", {"name": "a", "kiro": True})
        second = self.admin_call("POST", "/admin/accounts/login", {"name": "b", "kiro": True})
        self.assertEqual(first.status, 200, first.body)
        a, b = first.json(), second.json()
        self.assertEqual(a["state"], "pending")
        # b's code under a's state: the state matches a, the verifier does not.
        code_b = urllib.parse.parse_qs(urllib.parse.urlsplit(self.browser(b["signin_url"]))
                                       .query)["code"][0]
        state_a = urllib.parse.parse_qs(urllib.parse.urlsplit(a["signin_url"]).query)["state"][0]
        r = self.admin_call("POST", f"/admin/accounts/login/{a['login']}/complete",
                            {"callback_url": f"http://localhost:1/?code={code_b}&state={state_a}"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["state"], "failed")
        self.assertIn("code_verifier", r.json()["message"])
        # Extra members and a login that is not a sign-in are refused.
        r = self.admin_call("POST", f"/admin/accounts/login/{b['login']}/complete",
                            {"callback_url": "x", "id": 3})
        self.assertEqual(r.status, 400)
        self.assertEqual(self.daemon.ctl_json("account", "list")["accounts"], [])

    def test_a_portal_refusal_ends_the_signin_and_ctrl_c_cancels_one(self):
        self.fake.call("POST", "/_kiro", {"deny": True})
        proc, url = self.ctl_signin("--name", "nope")
        self.paste(proc, self.browser(url))
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("login denied", err)
        self.fake.call("POST", "/_kiro", {"deny": False})
        proc, url = self.ctl_signin("--name", "gone")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(self.daemon.ctl_json("account", "list")["accounts"], [])
        rc, _, err = self.daemon.ctl("account", "login", "--kiro", "--name", "x",
                                     "--start-url", "https://a.awsapps.com/start")
        self.assertEqual(rc, 2, err)

    def test_an_account_signs_in_again_keeping_its_id(self):
        self.daemon.ctl_json("account", "add", "--name", "old", "--kind", "social",
                             "--refresh-token", "rt-dead")
        before = self.daemon.ctl_json("account", "show", "old")
        proc, url = self.ctl_signin("--account", "old")
        self.paste(proc, self.browser(url))
        self.assertEqual(proc.wait(timeout=60), 0, proc.stderr.read())
        after = self.daemon.ctl_json("account", "show", "old")
        self.assertEqual(after["id"], before["id"])
        self.assertEqual(after["state"], "healthy")
        self.assertEqual(self.serve().status, 200)


class ExternalIdpTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon = daemon_with_fake(self)
        self.client_key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]

    def serve(self):
        return self.daemon.request("POST", "/v1/messages", body=MESSAGE,
                                   headers={"x-api-key": self.client_key,
                                            "content-type": "application/json"}, timeout=30)

    def test_an_external_idp_account_refreshes_at_its_idp_and_serves_with_its_token_type(self):
        rc, _, err = self.daemon.ctl("account", "add", "--name", "entra", "--kind",
                                     "external_idp", "--token-endpoint",
                                     self.fake.url + "/idp/token", "--client-id", "kiro-app",
                                     "--refresh-token", "-", stdin="rt-idp-first\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.serve().status, 200)
        refresh = [r for r in self.fake.requests()["token"] if r["path"] == "/idp/token"]
        self.assertEqual(len(refresh), 1)
        self.assertEqual(urllib.parse.parse_qs(refresh[0]["raw_body"]),
                         {"grant_type": ["refresh_token"], "client_id": ["kiro-app"],
                          "refresh_token": ["rt-idp-first"]})
        self.assertEqual(dict(refresh[0]["headers"])["content-type"],
                         "application/x-www-form-urlencoded")
        generate = self.fake.requests()["generate"][-1]
        self.assertEqual(dict(generate["headers"]).get("tokentype"), "EXTERNAL_IDP")
        # The rotated refresh token was stored: a second refresh uses it (the first is spent).
        rc, _, err = self.daemon.ctl("account", "refresh", "entra")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.serve().status, 200)
        # Enterprise accounts refuse additionalModelRequestFields: thinking goes by prompt tags.
        r = self.daemon.request("POST", "/v1/messages", headers={"x-api-key": self.client_key},
                                body={**MESSAGE, "model": "claude-opus-4-6",
                                      "thinking": {"type": "enabled", "budget_tokens": 5000}})
        self.assertEqual(r.status, 200, r.body)
        body = self.fake.requests()["generate"][-1]["body"]
        self.assertNotIn("additionalModelRequestFields", body)
        self.assertIn("<thinking_mode>enabled</thinking_mode>", json.dumps(body))

    def test_a_refused_idp_refresh_quarantines_and_bad_fields_are_refused(self):
        self.daemon.ctl_json("account", "add", "--name", "spent", "--kind", "external_idp",
                             "--token-endpoint", self.fake.url + "/idp/token", "--client-id",
                             "app", "--refresh-token", "not-an-idp-token")
        rc, _, err = self.daemon.ctl("account", "refresh", "spent")
        self.assertEqual(rc, 1)
        self.assertIn("invalid_grant", err)
        self.assertEqual(self.daemon.ctl_json("account", "show", "spent")["state"], "quarantined")
        for args in (["--client-id", "app"], ["--token-endpoint", "ftp://idp/token",
                                              "--client-id", "app"],
                     ["--token-endpoint", self.fake.url + "/idp/token"]):
            rc, _, err = self.daemon.ctl("account", "add", "--name", "bad", "--kind",
                                         "external_idp", "--refresh-token", "rt-idp-x", *args)
            self.assertEqual(rc, 2, args)  # the daemon's invalid_argument: a usage error
            self.assertIn("--token-endpoint", err)


if __name__ == "__main__":
    unittest.main()

"""Accounts logged in with AWS device authorization, end to end: amq2apictl (and the HTTP admin
API) start a login at the daemon, the fake upstream's OIDC service (tests/fake_upstream) plays
AWS — client registration, device authorization, the device-code token polls — and its control
API plays the user who approves, denies or lets the code expire. A logged-in account then
serves a request with the token the login got."""

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import time
import unittest

from harness import AMQ2APICTL, daemon_with_fake, wait_until

MESSAGE = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}
CODE = re.compile(r"confirm the code  ([A-Z]{4}-[A-Z]{4})")


class LoginTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon = daemon_with_fake(self)
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()

    # ---- helpers ----

    def ctl_login(self, *args):
        """amq2apictl account login running, and the user code it printed."""
        proc = subprocess.Popen([AMQ2APICTL, "--socket", self.daemon.socket, "account", "login",
                                 *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        shown = ""
        while not CODE.search(shown):
            line = proc.stdout.readline()
            if not line:
                self.fail(f"no code shown: {shown!r} {proc.stderr.read()!r}")
            shown += line
        return proc, CODE.search(shown).group(1), shown

    def user(self, code, action):
        self.fake.call("POST", "/_device", {"user_code": code, "action": action})

    def finish(self, proc):
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err

    def serve(self):
        key = self.daemon.ctl_json("key", "create", "--name", f"k{time.time_ns()}")["key"]
        return self.daemon.request("POST", "/v1/messages", body=MESSAGE,
                                   headers={"x-api-key": key, "content-type": "application/json"},
                                   timeout=30)

    def admin_call(self, method, path, body=None):
        return self.daemon.request(method, path, body=body,
                                   headers={"authorization": f"Bearer {self.admin}",
                                            "content-type": "application/json"})

    # ---- tests ----

    def test_a_login_through_amq2apictl_adds_an_account_that_serves(self):
        proc, code, shown = self.ctl_login("--name", "dev")
        self.assertIn(f"/device?user_code={code}", shown)
        self.user(code, "approve")
        rc, out, err = self.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertIn("logged in: account", out)
        account = self.daemon.ctl_json("account", "show", "dev")
        self.assertEqual(account["start_url"], "https://view.awsapps.com/start")
        self.assertEqual(account["region"], "us-east-1")
        self.assertTrue(account["client_id"].startswith("client-"))
        self.assertIsNotNone(account["registration_expires_at"])

        self.assertEqual(self.serve().status, 200)
        # Its profile was discovered, then its quota and models fetched, at once.
        wait_until(lambda: self.daemon.ctl_json("account", "show", "dev")["profile_arn"] ==
                   "arn:aws:codewhisperer:us-east-1:123456789012:profile/FAKEPROFILE",
                   timeout=10, what="the profile to be discovered")
        usage = [r["path"] for r in self.fake.requests()["usage"]]
        wait_until(lambda: any(p.startswith("/getUsageLimits") and "FAKEPROFILE" in p
                               for p in [r["path"] for r in self.fake.requests()["usage"]]),
                   timeout=10, what="the quota fetch naming the profile")
        self.assertEqual(usage[0], "/ListAvailableProfiles")
        requests = self.fake.requests()
        # The login's own token served: no refresh was needed first.
        self.assertEqual([r for r in requests["token"]
                          if (r["body"] or {}).get("grantType") == "refresh_token"], [])
        device = self.fake.call("GET", "/_device")
        self.assertEqual([l["state"] for l in device["logins"]], ["consumed"])
        self.assertEqual(device["logins"][0]["start_url"], "https://view.awsapps.com/start")
        self.assertEqual(len(device["registrations"]), 1)
        self.assertEqual(device["registrations"][0]["issuer_url"],
                         "https://view.awsapps.com/start")

    def test_a_second_login_reuses_the_registration_until_it_nears_its_end(self):
        proc, code, _ = self.ctl_login("--name", "one")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        proc, code, _ = self.ctl_login("--name", "two")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        self.assertEqual(len(self.fake.call("GET", "/_device")["registrations"]), 1)
        # Another start URL has its own registration.
        proc, code, _ = self.ctl_login("--name", "org", "--start-url",
                                       "https://my-org.awsapps.com/start", "--region", "eu-west-1")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        self.assertEqual(len(self.fake.call("GET", "/_device")["registrations"]), 2)
        self.assertEqual(self.daemon.ctl_json("account", "show", "org")["region"],
                         "eu-west-1")
        # A registration that expires within a day is not reused.
        self.fake.call("POST", "/_device", {"registration_lifetime": 3600})
        proc, code, _ = self.ctl_login("--name", "three", "--start-url",
                                       "https://short.awsapps.com/start")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        proc, code, _ = self.ctl_login("--name", "four", "--start-url",
                                       "https://short.awsapps.com/start")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        self.assertEqual(len(self.fake.call("GET", "/_device")["registrations"]), 4)

    def test_slow_down_makes_the_polls_wait_longer_and_the_login_still_succeeds(self):
        proc, code, _ = self.ctl_login("--name", "patient")
        self.user(code, "slow_down")
        wait_until(lambda: self.fake.call("GET", "/_device")["logins"][0]["interval"] >= 6,
                   timeout=15, what="the slow_down to be answered")
        self.user(code, "approve")
        rc, _, err = self.finish(proc)
        self.assertEqual(rc, 0, err)
        polls = self.fake.call("GET", "/_device")["logins"][0]
        self.assertEqual(polls["state"], "consumed")

    def test_a_terminal_wide_enough_shows_the_url_as_a_qr_code_too(self):
        def shown_on(columns):
            leader, follower = pty.openpty()
            fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
            proc = subprocess.Popen([AMQ2APICTL, "--socket", self.daemon.socket, "account",
                                     "login", "--name", f"tty{columns}"], stdout=follower,
                                    stderr=subprocess.PIPE, env=dict(os.environ, TERM="xterm"))
            os.close(follower)
            shown = b""
            while b"confirm the code" not in shown:
                shown += os.read(leader, 65536)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
            os.close(leader)
            return shown.decode()
        wide = shown_on(200)
        self.assertIn("or scan", wide)
        self.assertIn("\x1b[97;40m█", wide)
        self.assertNotIn("or scan", shown_on(30))  # no room: the URL alone

    def test_with_json_the_instructions_go_to_stderr_and_stdout_holds_one_object(self):
        proc = subprocess.Popen([AMQ2APICTL, "--socket", self.daemon.socket, "--json", "account",
                                 "login", "--name", "scripted"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        shown = ""
        while not CODE.search(shown):
            line = proc.stderr.readline()
            self.assertTrue(line, f"no code on stderr: {shown!r}")
            shown += line
        self.user(CODE.search(shown).group(1), "approve")
        out, _ = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(json.loads(out)["state"], "succeeded")

    def test_denied_and_expired_logins_fail_and_add_nothing(self):
        for action, word in (("deny", "denied"), ("expire", "expired")):
            proc, code, _ = self.ctl_login("--name", f"x-{action}")
            self.user(code, action)
            rc, _, err = self.finish(proc)
            self.assertEqual(rc, 1)
            self.assertIn(f"login {word}", err)
        self.assertEqual(self.daemon.ctl_json("account", "list")["accounts"], [])

    def test_ctrl_c_cancels_the_login_and_leaves_nothing_behind(self):
        proc, code, _ = self.ctl_login("--name", "gone")
        proc.send_signal(signal.SIGINT)
        rc, _, err = self.finish(proc)
        self.assertEqual(rc, 130)
        self.assertIn("login cancelled", err)
        self.user(code, "approve")  # too late: nobody polls any more
        time.sleep(2)
        self.assertEqual(self.daemon.ctl_json("account", "list")["accounts"], [])
        self.assertEqual(self.fake.call("GET", "/_device")["logins"][0]["state"], "approved")

    def test_an_existing_account_logs_in_again_keeping_its_id(self):
        self.daemon.ctl_json("account", "add", "--name", "old", "--refresh-token", "rt-old",
                             "--client-id", "cid-old", "--client-secret", "cs-old")
        before = self.daemon.ctl_json("account", "show", "old")
        proc, code, _ = self.ctl_login("--account", "old")
        self.user(code, "approve")
        self.assertEqual(self.finish(proc)[0], 0)
        after = self.daemon.ctl_json("account", "show", "old")
        self.assertEqual(after["id"], before["id"])
        self.assertTrue(after["client_id"].startswith("client-"))
        self.assertEqual(after["start_url"], "https://view.awsapps.com/start")
        self.assertEqual(after["state"], "healthy")
        self.assertEqual(self.serve().status, 200)
        # A name and an account at once is a usage error; an unknown account is refused.
        rc, _, _ = self.daemon.ctl("account", "login", "--name", "a", "--account", "old")
        self.assertEqual(rc, 2)
        rc, _, err = self.daemon.ctl("account", "login", "--account", "nobody")
        self.assertEqual(rc, 1, err)
        rc, _, err = self.daemon.ctl("account", "login", "--name", "old")
        self.assertEqual(rc, 1)
        self.assertIn("exists", err)
        # A region goes into the OIDC host name: nothing else may.
        rc, _, err = self.daemon.ctl("account", "login", "--name", "z", "--region", "evil.com/x")
        self.assertEqual(rc, 2)
        self.assertIn("AWS region name", err)

    def test_the_http_admin_api_starts_follows_and_cancels_a_login(self):
        r = self.admin_call("POST", "/admin/accounts/login", {"name": "web"})
        self.assertEqual(r.status, 200, r.body)
        login = r.json()
        self.assertRegex(login["user_code"], r"^[A-Z]{4}-[A-Z]{4}$")
        self.assertEqual(login["state"], "pending")
        status = self.admin_call("GET", f"/admin/accounts/login/{login['login']}")
        self.assertEqual(status.json()["state"], "pending")
        cancelled = self.admin_call("DELETE", f"/admin/accounts/login/{login['login']}")
        self.assertEqual(cancelled.json()["state"], "cancelled")
        self.assertEqual(self.admin_call("GET", "/admin/accounts/login/999").status, 404)

        r = self.admin_call("POST", "/admin/accounts/login", {"name": "web"})
        login = r.json()
        self.user(login["user_code"], "approve")
        wait_until(lambda: self.admin_call("GET", f"/admin/accounts/login/{login['login']}")
                   .json()["state"] == "succeeded", timeout=15, what="the login to succeed")
        final = self.admin_call("GET", f"/admin/accounts/login/{login['login']}").json()
        self.assertEqual(self.daemon.ctl_json("account", "show", "web")["id"],
                         final["account_id"])
        audit = self.daemon.ctl_json("audit", "--limit", "5")["entries"]
        self.assertIn("account.login", [e["command"] for e in audit])
        self.assertNotIn("rt-device", json.dumps(audit))


if __name__ == "__main__":
    unittest.main()

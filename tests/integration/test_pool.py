"""The account pool end to end: health states (cooling, half_open, quarantined, disabled),
selection, token refresh (single flight, rotation surviving kill -9), no-account answers,
import and quota — the real daemon against tests/fake_upstream."""

import json
import os
import re
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import Daemon, FakeUpstream, wait_until

TEXT = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello"}]}

INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid refresh token provided"}
KIRO_ARN = "arn:aws:codewhisperer:us-east-1:123456789012:profile/KIRO-REFRESHED"
SUSPENDED = {"__type": "com.amazon.aws.codewhisperer#AccessDeniedException",
             "message": "Your account is temporarily suspended", "reason": "TEMPORARILY_SUSPENDED"}


class PoolTestCase(unittest.TestCase):
    workers = 2
    daemon_flags = ()

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.proc.stdout.close)
        self.addCleanup(self.fake.stop)
        self.daemon = self.start_daemon()

    def start_daemon(self, root=None, flags=None):
        d = Daemon(workers=self.workers, root=root,
                   extra_args=[*self.fake.daemon_args(), "--kiro-token-endpoint",
                               self.fake.url + "/refreshToken",
                               *(self.daemon_flags if flags is None else flags)])
        d.start()
        self.addCleanup(d.cleanup)
        self.key = d.ctl_json("key", "create", "--name", f"client-{d.port}", "--rpm", "1000000",
                              "--rpd", "1000000000")["key"]
        return d

    # --- accounts -----------------------------------------------------------------------

    def add_account(self, name, rpm=1000):
        return self.daemon.ctl_json("account", "add", "--name", name, "--refresh-token",
                                    f"rt-{name}", "--client-id", f"cid-{name}",
                                    "--client-secret", "cs", "--rpm", str(rpm))

    def give_token(self, name, **extra):
        """The token endpoint answers rt-<name> with the access token at-<name>, always."""
        self.fake.script(token=[dict({"match_refresh_token": f"rt-{name}", "repeat": True,
                                      "access_token": f"at-{name}"}, **extra)])

    def accounts(self):
        return {a["name"]: a for a in self.daemon.ctl_json("account", "list")["accounts"]}

    def op(self, ctl_args, cmd, args):
        return self.daemon.ctl_or_control(ctl_args, cmd, args)

    def ok_op(self, ctl_args, cmd, args):
        rc, data, err = self.op(ctl_args, cmd, args)
        self.assertEqual(rc, 0, f"{' '.join(ctl_args)} failed: {err}")
        return data

    def events(self, name):
        return self.ok_op(["account", "events", name], "account.events", {"name": name})["events"]

    def disable(self, name):
        return self.ok_op(["account", "disable", name], "account.disable", {"name": name})

    def enable(self, name):
        return self.ok_op(["account", "enable", name], "account.enable", {"name": name})

    def refresh(self, name):
        return self.op(["account", "refresh", name], "account.refresh", {"name": name})

    # --- requests -----------------------------------------------------------------------

    def post(self, body=TEXT, timeout=30):
        return self.daemon.request("POST", "/v1/messages", body=body, timeout=timeout,
                                   headers={"x-api-key": self.key,
                                            "content-type": "application/json",
                                            "anthropic-version": "2023-06-01"})

    def post_many(self, n, threads=8):
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: self.post(), range(n)))

    def post_together(self, n):
        """n requests released at the same moment, each on its own thread."""
        barrier = threading.Barrier(n)

        def one(_):
            barrier.wait()
            return self.post()

        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, range(n)))

    def generate_tokens(self):
        return [r["token"] for r in self.fake.requests()["generate"]]

    def refresh_tokens_sent(self, kind="token"):
        return [r["body"]["refreshToken"] for r in self.fake.requests()[kind]]

    def assert_transition(self, events, to, reason_part, frm=None):
        hits = [e for e in events if e["to"] == to and (frm is None or e["from"] == frm)
                and reason_part.lower() in e["reason"].lower()]
        self.assertTrue(hits, f"no event → {to} mentioning {reason_part!r} in {events}")


class MixedPool(PoolTestCase):
    """Ten accounts, three of them bad in different ways: every request still succeeds and
    each bad one ends in the state its failure calls for."""

    def test_bad_accounts_are_routed_around_and_labelled(self):
        names = [f"acct{i}" for i in range(10)]
        throttled, dead, suspended = "acct3", "acct5", "acct7"
        for n in names:
            if n == dead:
                self.fake.script(token=[{"match_refresh_token": f"rt-{n}", "repeat": True,
                                         "status": 400, "body": INVALID_GRANT}])
            else:
                self.give_token(n)
            self.add_account(n)
        self.fake.script(generate=[
            {"match_token": f"at-{throttled}", "repeat": True, "status": 429,
             "headers": {"Retry-After": "60"},
             "body": {"__type": "com.amazon.aws.codewhisperer#ThrottlingException",
                      "message": "Too many requests"}},
            {"match_token": f"at-{suspended}", "repeat": True, "status": 403, "body": SUSPENDED}])

        responses = self.post_many(200, threads=8)
        bad = [(r.status, r.body[:200]) for r in responses if r.status != 200]
        self.assertEqual(bad, [], f"{len(bad)} of 200 requests failed")

        accounts = self.accounts()
        self.assertEqual(accounts[throttled]["state"], "cooling", accounts[throttled])
        self.assertIn("throttl", accounts[throttled]["state_reason"].lower())
        self.assertEqual(accounts[dead]["state"], "quarantined", accounts[dead])
        self.assertIn("invalid_grant", accounts[dead]["state_reason"])
        self.assertEqual(accounts[suspended]["state"], "quarantined", accounts[suspended])
        self.assertIn("suspend", accounts[suspended]["state_reason"].lower())
        for n in set(names) - {throttled, dead, suspended}:
            self.assertEqual(accounts[n]["state"], "healthy", accounts[n])

        self.assert_transition(self.events(throttled), "cooling", "throttl", frm="healthy")
        self.assert_transition(self.events(dead), "quarantined", "invalid_grant", frm="healthy")
        self.assert_transition(self.events(suspended), "quarantined", "suspend", frm="healthy")

        # Once labelled, a bad account is not tried again: only requests already granted it
        # (at most one per client thread) reached the upstream with its token.
        tokens = self.generate_tokens()
        self.assertLessEqual(tokens.count(f"at-{throttled}"), 8)
        self.assertLessEqual(tokens.count(f"at-{suspended}"), 8)
        # One refresh per account, the dead one included (its failure is not retried).
        sent = self.refresh_tokens_sent()
        for n in names:
            self.assertEqual(sent.count(f"rt-{n}"), 1, f"refreshes of rt-{n}: {sent}")


class CoolDown(PoolTestCase):
    daemon_flags = ("--throttle-cooldown-max", "5")

    def test_throttled_account_serves_again_after_its_cool_down(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
        self.fake.script(generate=[{"match_token": "at-a", "status": 429,
                                    "headers": {"Retry-After": "1"}}])
        r = self.post()  # a (first in round robin) is throttled, b carries the request
        done = time.monotonic()
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.generate_tokens(), ["at-a", "at-b"])
        a = self.accounts()["a"]
        self.assertEqual(a["state"], "cooling", a)
        self.assertIn("throttl", a["state_reason"].lower())

        self.assertEqual(self.post().status, 200)  # still cooling: b again
        self.assertEqual(self.generate_tokens()[-1], "at-b")

        time.sleep(max(0.0, done + 1.1 - time.monotonic()))  # the 1 s cool-down is over
        r = self.post()  # the trial request: a answers this time (the step was used up)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.generate_tokens()[-1], "at-a")
        self.assertEqual(self.accounts()["a"]["state"], "healthy")
        events = self.events("a")
        self.assertEqual([(e["from"], e["to"]) for e in events][-3:],
                         [("healthy", "cooling"), ("cooling", "half_open"),
                          ("half_open", "healthy")], events)


    def throttle_a_once(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
        self.fake.script(generate=[{"match_token": "at-a", "status": 429,
                                    "headers": {"Retry-After": "1"}}])
        self.assertEqual(self.post().status, 200)
        done = time.monotonic()
        self.assertEqual(self.accounts()["a"]["state"], "cooling")
        time.sleep(max(0.0, done + 1.1 - time.monotonic()))

    def test_half_open_lets_exactly_one_trial_through(self):
        self.throttle_a_once()
        self.fake.script(generate=[{"match_token": "at-a", "delay_ms": 1000}])  # a slow trial
        calls = len(self.generate_tokens())
        responses = self.post_together(6)
        self.assertEqual([r.status for r in responses], [200] * 6)
        tokens = self.generate_tokens()[calls:]
        self.assertEqual(tokens.count("at-a"), 1, tokens)  # the others went to b meanwhile
        self.assertEqual(self.accounts()["a"]["state"], "healthy")

    def test_failed_trial_cools_longer(self):
        self.throttle_a_once()
        # No Retry-After this time: the second throttle in a row rests twice the first's 3 s.
        self.fake.script(generate=[{"match_token": "at-a", "status": 429}])
        self.assertEqual(self.post().status, 200)  # the trial fails over to b
        a = self.accounts()["a"]
        self.assertEqual(a["state"], "cooling", a)
        self.assertIn("trial", a["state_reason"])
        self.assertNotIn("cooling 1 s", a["state_reason"])  # the back-off grew
        self.assertEqual([(e["from"], e["to"]) for e in self.events("a")][-2:],
                         [("cooling", "half_open"), ("half_open", "cooling")])


class SingleFlightRefresh(PoolTestCase):
    daemon_flags = ("--refresh-lead", "1")

    def test_fifty_requests_on_a_stale_token_cause_one_refresh(self):
        self.give_token("solo", expires_in=3)
        self.add_account("solo")
        self.assertEqual(self.post().status, 200)
        refreshed = time.time()
        self.assertEqual(self.fake.stats()["token"], 1)
        # The token (expires_at = whole seconds at the refresh + 3) is stale once at most
        # 1 s (the lead) is left.
        while int(time.time()) < int(refreshed) + 2:
            time.sleep(0.05)
        self.fake.reset()  # counters only: at-solo stays valid
        self.fake.script(token=[{"match_refresh_token": "rt-solo", "access_token": "at-solo2",
                                 "delay_ms": 200}])
        responses = self.post_together(50)
        self.assertEqual([r.status for r in responses], [200] * 50,
                         [r.body[:200] for r in responses if r.status != 200])
        self.assertEqual(self.fake.stats()["token"], 1)
        self.assertEqual(set(self.generate_tokens()), {"at-solo2"})


    def test_fifty_requests_refused_by_the_upstream_cause_one_refresh(self):
        self.give_token("solo")
        self.add_account("solo")
        self.assertEqual(self.post().status, 200)
        # The upstream now rejects at-solo (revoked early): every request in flight sees it.
        self.fake.reset()
        self.fake.script(
            generate=[{"match_token": "at-solo", "repeat": True, "status": 403,
                       "body": {"message": "The bearer token included in the request is invalid."}}],
            token=[{"match_refresh_token": "rt-solo", "access_token": "at-solo2",
                    "delay_ms": 300}])
        responses = self.post_together(50)
        self.assertEqual([r.status for r in responses], [200] * 50,
                         [r.body[:200] for r in responses if r.status != 200])
        self.assertEqual(self.fake.stats()["token"], 1)
        tokens = self.generate_tokens()
        self.assertEqual(tokens.count("at-solo2"), 50)
        self.assertEqual(self.accounts()["solo"]["state"], "healthy")


class HungTokenEndpoint(PoolTestCase):
    def test_a_hung_refresh_holds_no_request_another_account_can_serve(self):
        self.give_token("good")
        self.fake.script(token=[{"match_refresh_token": "rt-slow", "repeat": True,
                                 "access_token": "at-slow", "delay_ms": 120000}])
        self.add_account("good")
        self.add_account("slow")
        for i in range(6):
            started = time.monotonic()
            r = self.post(timeout=60)
            took = time.monotonic() - started
            self.assertEqual(r.status, 200, r.body[:300])
            # At most the patience (2 s) on the slow account before moving on; without it the
            # request waited for the refresh's 30 s timeout.
            self.assertLess(took, 10, f"request {i} took {took:.1f} s")
        self.assertEqual(set(self.generate_tokens()), {"at-good"})
        self.assertGreaterEqual(self.fake.stats()["token"], 2)  # slow's refresh was tried


class RotationSurvivesKill(PoolTestCase):
    def test_rotated_refresh_token_is_durable_before_use(self):
        self.fake.script(token=[
            {"match_refresh_token": "rt-rot", "access_token": "at-1", "refresh_token": "rt-b"},
            {"match_refresh_token": "rt-rot", "repeat": True, "status": 400,
             "body": INVALID_GRANT},
            {"match_refresh_token": "rt-b", "repeat": True, "access_token": "at-2"}])
        self.fake.script(token=[{"match_refresh_token": "rt-gone", "repeat": True,
                                 "status": 400, "body": INVALID_GRANT}])
        self.add_account("rot")
        self.add_account("gone")
        self.assertEqual(self.post().status, 200)  # rot: refreshed, rotated
        self.assertEqual(self.refresh_tokens_sent(), ["rt-rot"])
        self.assertEqual(self.generate_tokens(), ["at-1"])
        self.assertEqual(self.post().status, 200)  # gone: refused, quarantined; rot serves
        self.assertEqual(self.refresh_tokens_sent(), ["rt-rot", "rt-gone"])
        self.assertEqual(self.accounts()["gone"]["state"], "quarantined")

        self.daemon.kill_master()
        self.daemon = self.start_daemon(root=self.daemon.root)
        after = self.accounts()
        self.assertEqual(after["rot"]["state"], "healthy")
        self.assertEqual(after["gone"]["state"], "quarantined")  # health is stored too
        self.assertIn("invalid_grant", after["gone"]["state_reason"])
        rc, data, err = self.refresh("rot")
        self.assertEqual(rc, 0, f"account refresh after the restart failed: {err}\n"
                                f"token calls: {self.fake.requests()['token']}")
        self.assertEqual(self.refresh_tokens_sent(), ["rt-rot", "rt-gone", "rt-b"])
        self.assertEqual(data["account"]["state"], "healthy", data)
        self.assertEqual(self.post().status, 200)
        self.assertEqual(self.generate_tokens()[-1], "at-2")
        self.assertEqual(self.accounts()["rot"]["state"], "healthy")


class NoAccountCanServe(PoolTestCase):
    # A 30 s cool-down is beyond this wait: the request is refused at once, not queued.
    daemon_flags = ("--queue-timeout", "5")

    def error_message(self, r):
        return r.json()["error"]["message"]

    def test_all_cooling_is_429_with_retry_after(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
            self.fake.script(generate=[{"match_token": f"at-{n}", "repeat": True, "status": 429,
                                        "headers": {"Retry-After": "30"}}])
        first = self.post()  # a and b both throttled while serving it
        self.assertEqual(first.status, 429, first.body)
        self.assertIn("retry-after", first.headers)
        self.assertEqual({a["state"] for a in self.accounts().values()}, {"cooling"})

        calls = self.fake.stats()["generate"]
        r = self.post()
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.json()["type"], "error")
        self.assertTrue(1 <= int(r.headers["retry-after"]) <= 30, r.headers)
        self.assertIn("cooling", self.error_message(r))
        self.assertEqual(self.fake.stats()["generate"], calls)  # nothing went upstream

    def test_all_quarantined_is_503_naming_why(self):
        self.fake.script(token=[{"match_refresh_token": "rt-dead", "repeat": True,
                                 "status": 400, "body": INVALID_GRANT}])
        self.give_token("susp")
        self.fake.script(generate=[{"match_token": "at-susp", "repeat": True, "status": 403,
                                    "body": SUSPENDED}])
        self.add_account("dead")
        self.add_account("susp")
        first = self.post()
        self.assertEqual(first.status, 503, first.body)
        self.assertNotIn("retry-after", first.headers)
        self.assertEqual({a["state"] for a in self.accounts().values()}, {"quarantined"})

        r = self.post()
        self.assertEqual(r.status, 503, r.body)
        self.assertNotIn("retry-after", r.headers)
        message = self.error_message(r)
        self.assertIn("quarantined", message)
        self.assertIn("dead", message)
        self.assertIn("invalid_grant", message)
        self.assertIn("susp", message)
        self.assertIn("suspended", message)

    def test_all_disabled_is_503_until_one_is_enabled(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
        self.assertEqual(self.post().status, 200)
        for n in ("a", "b"):
            self.assertEqual(self.disable(n)["state"], "disabled")
        calls = self.fake.stats()["generate"]
        r = self.post()
        self.assertEqual(r.status, 503, r.body)
        self.assertNotIn("retry-after", r.headers)
        self.assertIn("disabled; enable one", self.error_message(r))
        self.assertEqual(self.fake.stats()["generate"], calls)
        self.assert_transition(self.events("a"), "disabled", "admin")

        self.assertEqual(self.enable("b")["state"], "healthy")
        self.assertEqual(self.post().status, 200)
        self.assertEqual(self.generate_tokens()[-1], "at-b")


class Import(PoolTestCase):
    def write(self, name, doc):
        path = os.path.join(self.daemon.root, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def import_files(self, *paths):
        docs = []
        for p in paths:
            with open(p) as f:
                docs.append({"source": p, "content": f.read()})
        return self.op(["account", "import", *paths], "account.import", {"documents": docs})

    def test_import_refreshes_each_once_keeps_failures_and_refuses_duplicates(self):
        sso = self.write("sso-cache.json", {
            "clientId": "cid-sso", "clientSecret": "cs-sso", "refreshToken": "rt-sso",
            "region": "us-east-1", "accessToken": "stale", "expiresAt": "2020-01-01T00:00:00Z",
            "startUrl": "https://example.awsapps.com/start"})
        kiro = self.write("kiro-auth-token.json", {
            "accessToken": "stale-kiro", "refreshToken": "rt-kiro",
            "profileArn": "arn:aws:codewhisperer:us-east-1:123456789012:profile/KIRO",
            "expiresAt": "2020-01-01T00:00:00.000Z", "authMethod": "social",
            "provider": "Github"})
        # Kiro's answer names the profile: it replaces the file's.
        self.fake.script(kiro=[{"match_refresh_token": "rt-kiro", "profile_arn": KIRO_ARN}])
        seed = self.write("seed-accounts.json", [
            {"name": "seed-ok", "refresh_token": "rt-seed-ok", "client_id": "cid-seed-ok",
             "client_secret": "cs", "requests_per_minute": 100},
            {"name": "seed-dead", "refresh_token": "rt-seed-dead",
             "client_id": "cid-seed-dead", "client_secret": "cs"}])
        self.fake.script(token=[{"match_refresh_token": "rt-seed-dead", "repeat": True,
                                 "status": 400, "body": INVALID_GRANT}])

        rc, data, err = self.import_files(sso, kiro, seed)
        self.assertEqual(rc, 0, err)
        self.assertEqual(data["refused"], [])
        self.assertEqual(len(data["imported"]), 4, data)
        # The answer comes after the refreshes: it already shows how each went.
        states = {a["name"]: a["state"] for a in data["imported"]}
        self.assertEqual(states.pop("seed-dead"), "quarantined", data)
        self.assertEqual(set(states.values()), {"healthy"}, data)

        accounts = self.accounts()
        self.assertEqual(len(accounts), 4, list(accounts))
        self.assertIn("seed-ok", accounts)
        self.assertIn("seed-dead", accounts)
        kiro_acct = [a for a in accounts.values() if a["kind"] == "social"]
        self.assertEqual(len(kiro_acct), 1, accounts)
        self.assertTrue(kiro_acct[0]["name"].startswith("github-"), kiro_acct)
        self.assertEqual(kiro_acct[0]["profile_arn"], KIRO_ARN)
        sso_acct = [a for a in accounts.values() if a["client_id"] == "cid-sso"]
        self.assertEqual(len(sso_acct), 1, accounts)
        self.assertEqual(sso_acct[0]["region"], "us-east-1")
        self.assertEqual(accounts["seed-ok"]["requests_per_minute"], 100)

        # Each refreshed exactly once: three at the OIDC endpoint, one at Kiro's.
        stats = self.fake.stats()
        self.assertEqual(stats["token"], 3, self.fake.requests()["token"])
        self.assertEqual(stats["kiro"], 1)
        self.assertEqual(sorted(self.refresh_tokens_sent()),
                         ["rt-seed-dead", "rt-seed-ok", "rt-sso"])
        self.assertEqual(self.refresh_tokens_sent("kiro"), ["rt-kiro"])

        self.assertEqual(accounts["seed-dead"]["state"], "quarantined")
        self.assertIn("invalid_grant", accounts["seed-dead"]["state_reason"])
        for name, a in accounts.items():
            if name != "seed-dead":
                self.assertEqual(a["state"], "healthy", a)

        # The same files again: every account is already there, and nothing changes.
        audit = self.daemon.ctl_json("audit")["entries"]
        rc, data, err = self.import_files(sso, kiro, seed)
        self.assertEqual(rc, 0, (data, err))
        self.assertEqual((data["imported"], data["refused"]), ([], []))
        self.assertEqual(sorted(s["reason"] for s in data["skipped"]),
                         sorted(f"already imported as account '{a['name']}'"
                                for a in accounts.values()))
        self.assertEqual(len(self.accounts()), 4)
        self.assertEqual(self.fake.stats()["token"], 3)  # no refresh for skipped accounts
        self.assertEqual(self.daemon.ctl_json("audit")["entries"], audit)

        # One known, one new: the new one is added (and refreshed), the known one skipped
        # with its reason.
        more = self.write("more.json", [
            {"name": "seed-ok", "refresh_token": "rt-seed-ok", "client_id": "cid-seed-ok",
             "client_secret": "cs"},
            {"name": "seed-new", "refresh_token": "rt-seed-new", "client_id": "cid-seed-new",
             "client_secret": "cs"}])
        rc, data, err = self.import_files(more)
        self.assertEqual(rc, 0, (data, err))  # amq2apictl: exit 1 only if any is refused
        self.assertEqual([a["name"] for a in data["imported"]], ["seed-new"], data)
        self.assertEqual(data["skipped"], [{"source": more + "[0]", "name": "seed-ok",
                                            "reason": "already imported as account 'seed-ok'"}])
        self.assertEqual(self.accounts()["seed-new"]["state"], "healthy")
        self.assertEqual(self.refresh_tokens_sent().count("rt-seed-new"), 1)
        self.assertEqual(self.refresh_tokens_sent().count("rt-seed-ok"), 1)


class Quota(PoolTestCase):
    def test_quota_shows_remaining_monthly_requests(self):
        self.give_token("q")
        self.add_account("q")
        for _ in range(3):
            self.assertEqual(self.post().status, 200)
        data = self.ok_op(["account", "quota", "q"], "account.quota", {"name": "q"})
        self.assertEqual(data["name"], "q")
        self.assertEqual(data["limit"], 1000)
        self.assertEqual(data["used"], 3)
        self.assertEqual(data["remaining"], 997)
        self.assertTrue(data["next_reset"], data)
        usage = self.fake.requests()["usage"]
        self.assertEqual(len(usage), 1)
        self.assertEqual(usage[0]["token"], "at-q")


if __name__ == "__main__":
    unittest.main()


def refused_port():
    """A loopback port nothing listens on: connecting to it is refused."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class AccountOwnSettings(PoolTestCase):
    def test_each_account_gets_the_body_with_its_own_profile_and_origin(self):
        arn = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/OWN"
        for name in ("plain", "own"):
            self.give_token(name)
        self.add_account("plain")
        self.daemon.ctl_json("account", "add", "--name", "own", "--refresh-token", "rt-own",
                             "--client-id", "cid-own", "--client-secret", "cs",
                             "--profile-arn", arn, "--origin", "AI_EDITOR", "--rpm", "0")
        for _ in range(4):
            self.assertEqual(self.post().status, 200)
        bodies = {g["token"]: g["body"] for g in self.fake.requests()["generate"]}
        self.assertEqual(set(bodies), {"at-plain", "at-own"})
        own = bodies["at-own"]
        self.assertEqual(own["profileArn"], arn)
        self.assertEqual(own["conversationState"]["currentMessage"]["userInputMessage"]["origin"],
                         "AI_EDITOR")
        plain = bodies["at-plain"]
        self.assertNotIn("profileArn", plain)
        self.assertEqual(plain["conversationState"]["currentMessage"]["userInputMessage"]["origin"],
                         "CLI")
        # The rest is the same (each request has its own conversation id).
        for body in (own, plain):
            body.pop("profileArn", None)
            body["conversationState"].pop("conversationId")
            body["conversationState"]["currentMessage"]["userInputMessage"].pop("origin")
        self.assertEqual(own, plain)


class AccountOwnSettingsCapped(PoolTestCase):
    daemon_flags = ("--max-prompt-bytes", "4096")

    def test_a_profile_arn_that_takes_the_body_over_the_cap_is_a_clean_400(self):
        self.give_token("plain")
        self.add_account("plain")
        body = dict(TEXT, messages=[{"role": "user", "content": "x" * 3000}])
        self.assertEqual(self.post(body=body).status, 200)
        size = len(json.dumps(self.fake.requests()["generate"][-1]["body"], separators=(",", ":")))
        self.assertLess(size, 4096)
        self.disable("plain")
        self.give_token("own")
        arn = "arn:aws:codewhisperer:us-east-1:123456789012:profile/" + "P" * (4096 - size + 50)
        self.daemon.ctl_json("account", "add", "--name", "own", "--refresh-token", "rt-own",
                             "--client-id", "cid-own", "--client-secret", "cs",
                             "--profile-arn", arn)
        calls = self.fake.stats()["generate"]
        r = self.post(body=body)
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("prompt is too long", r.json()["error"]["message"])
        self.assertEqual(self.fake.stats()["generate"], calls)  # no body with the wrong ARN
        self.assertEqual(self.accounts()["own"]["state"], "healthy")  # not the account's fault


class EndpointFallback(PoolTestCase):
    def test_a_refusing_first_endpoint_is_skipped_for_the_next(self):
        self.daemon.stop()
        dead = f"http://127.0.0.1:{refused_port()}/"
        self.daemon = self.start_daemon(flags=("--api-endpoint", f"{dead}, {self.fake.url}/"))
        self.give_token("a")
        self.add_account("a")
        for _ in range(5):
            r = self.post()
            self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(self.generate_tokens()), 5)
        self.assertEqual(self.accounts()["a"]["state"], "healthy")  # not the account's fault
        # The dead endpoint rests after its first refusal: one retry per worker, not per request.
        logs = self.daemon.logs()
        self.assertLessEqual(logs.count(f"endpoint {dead} rests"), 2, logs[-2000:])
        shown = self.daemon.ctl_json("account", "show", "a")
        self.assertEqual(shown["last_endpoint"], f"{self.fake.url}/")
        self.assertIsNotNone(shown["last_served_at"])
        rc, out, err = self.daemon.ctl("account", "show", "a")
        self.assertIn(f"last endpoint:   {self.fake.url}/\n", out)


class ModelRouting(PoolTestCase):
    def models_listed(self):
        r = self.daemon.request("GET", "/v1/models", headers={"x-api-key": self.key})
        return [m["id"] for m in r.json()["data"]]

    def post_model(self, model):
        return self.post(body=dict(TEXT, model=model))

    def test_requests_go_to_the_accounts_that_list_their_model(self):
        for name, models in (("a", ["claude-sonnet-4.5"]), ("b", ["claude-opus-4.6"])):
            self.give_token(name)
            self.fake.call("POST", "/_models", {"token": f"at-{name}", "models": models})
            self.add_account(name)
        # A list is fetched once its account holds a token: one request each hands them out.
        self.assertEqual(self.post_model("claude-sonnet-4-5").status, 200)
        self.assertEqual(self.post_model("claude-sonnet-4-5").status, 200)
        # Once both lists are known, /v1/models shows what some account serves.
        def both_known():
            listed = " ".join(self.models_listed())
            return "opus-4-6" in listed and "sonnet-4-5" in listed and "haiku" not in listed
        wait_until(both_known, timeout=20, what="both model lists fetched")
        self.assertEqual(self.daemon.ctl_json("account", "show", "b")["models"], ["claude-opus-4.6"])
        rc, out, err = self.daemon.ctl("account", "show", "a")
        self.assertIn("models:          claude-sonnet-4.5\n", out)
        before = len(self.fake.requests()["generate"])
        for _ in range(3):
            self.assertEqual(self.post_model("claude-opus-4-6").status, 200)
            self.assertEqual(self.post_model("claude-sonnet-4-5").status, 200)
        by_model = {}
        for g in self.fake.requests()["generate"][before:]:
            model = g["body"]["conversationState"]["currentMessage"]["userInputMessage"]["modelId"]
            by_model.setdefault(model, set()).add(g["token"])
        self.assertEqual(by_model, {"claude-opus-4.6": {"at-b"}, "claude-sonnet-4.5": {"at-a"}})

    def test_an_account_refusing_the_model_hands_the_request_to_another(self):
        for name in ("a", "b"):
            self.give_token(name)
            self.add_account(name)
        self.fake.script(generate=[{"match_token": "at-a", "repeat": True, "status": 400, "body": {
            "__type": "ValidationException", "message": "Invalid model",
            "reason": "INVALID_MODEL_ID"}}])
        for _ in range(4):
            r = self.post()
            self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.accounts()["a"]["state"], "healthy")  # not the account's fault
        self.assertEqual(self.generate_tokens()[-1], "at-b")


class AttemptOutcomes(PoolTestCase):
    """Every upstream attempt tells the master once how it went on its account: the attempts
    counter holds one entry per attempt, and a verdict reached mid-stream still counts."""

    def attempts(self):
        text = self.daemon.request("GET", "/metrics").body.decode()
        ids = {str(a["id"]): name for name, a in self.accounts().items()}
        pattern = r'amq2api_upstream_attempts_total\{account="(\d+)",result="(\w+)"\} (\d+)'
        return {(ids[m[0]], m[1]): int(m[2]) for m in re.findall(pattern, text)}

    def assert_attempts(self, expected):
        """The client may have its answer before the master has read the last outcome (it
        travels on the worker's channel, /metrics may come through the other worker)."""
        try:
            wait_until(lambda: self.attempts() == expected, 5, what=f"attempts {expected}")
        except AssertionError:
            self.assertEqual(self.attempts(), expected)

    def test_a_failover_counts_one_attempt_on_each_account(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
        self.fake.script(generate=[{"match_token": "at-a", "status": 429}])
        self.assertEqual(self.post().status, 200)
        self.assert_attempts({("a", "throttle"): 1, ("b", "ok"): 1})
        self.assertEqual(self.accounts()["a"]["state"], "cooling")

    def test_a_refused_token_waits_for_the_retry_before_judging_the_account(self):
        self.give_token("solo")
        self.add_account("solo")
        self.fake.script(generate=[{"match_token": "at-solo", "status": 403, "body": {
            "message": "The bearer token included in the request is invalid."}}])
        self.assertEqual(self.post().status, 200)
        self.assert_attempts({("solo", "token"): 1, ("solo", "ok"): 1})
        self.assertEqual(self.accounts()["solo"]["state"], "healthy")

    def test_a_throttle_after_the_first_byte_still_cools_the_account(self):
        for n in ("a", "b"):
            self.give_token(n)
            self.add_account(n)
        self.fake.script(generate=[{"match_token": "at-a", "events": [
            {"event": "assistantResponseEvent", "payload": {"content": "partial "}},
            {"exception": "ThrottlingException", "payload": {"message": "Too many requests"}}]}])
        r = self.post(dict(TEXT, stream=True))
        self.assertEqual(r.status, 200)
        self.assertIn(b"event: error", r.body)
        self.assert_attempts({("a", "throttle"): 1})
        self.assertEqual(self.accounts()["a"]["state"], "cooling")

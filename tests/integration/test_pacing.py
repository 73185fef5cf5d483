"""Pacing: requests no account can take now wait in the master's queue, in arrival order, and
are refused (429 + Retry-After) only when they cannot start within queue-timeout or the queue
is full. Accounts' per-minute window is shortened with the tests-only --rpm-window."""
import json
import re
import socket
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import Daemon, FakeUpstream, wait_until

TEXT = {"model": "claude-sonnet-4-5", "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello"}]}


def metric(text, name, **labels):
    for line in text.splitlines():
        m = re.match(r'(\w+)(\{[^}]*\})? ([0-9.e+]+)$', line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


class PacingTestCase(unittest.TestCase):
    flags = ()
    account_rpm = "4"

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=2, extra_args=[*self.fake.daemon_args(), *self.flags])
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        self.daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt-acct",
                             "--client-id", "cid", "--client-secret", "cs",
                             "--rpm", self.account_rpm)
        self.key = self.daemon.ctl_json("key", "create", "--name", "client", "--rpm", "100000",
                                        "--rpd", "10000000")["key"]

    def post(self, body=TEXT, timeout=60):
        return self.daemon.request("POST", "/v1/messages", body=body, timeout=timeout,
                                   headers={"x-api-key": self.key,
                                            "content-type": "application/json"})

    def metrics(self):
        return self.daemon.request("GET", "/metrics").body.decode()


class Paced(PacingTestCase):
    flags = ("--rpm-window", "2")

    def test_an_account_at_its_rpm_delays_requests_instead_of_refusing_them(self):
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = [r.status for r in pool.map(lambda _: self.post(), range(12))]
        took = time.monotonic() - started
        self.assertEqual(statuses, [200] * 12)
        # 4 per 2 s window: the last four cannot start before two windows have passed.
        self.assertGreater(took, 3.5)
        text = self.metrics()
        self.assertGreaterEqual(metric(text, "amq2api_queue_requests_total", outcome="served"), 8)
        self.assertEqual(metric(text, "amq2api_queue_requests_total", outcome="timeout"), 0)
        self.assertEqual(metric(text, "amq2api_queue_depth"), 0)
        self.assertGreater(metric(text, "amq2api_queue_wait_seconds_total"), 1)
        self.assertRegex(self.daemon.logs(), r'"POST /v1/messages" 200 .* queued=\d{3,}ms')
        queue = self.daemon.ctl_json("status")["queue"]
        self.assertEqual((queue["depth"], queue["timeouts"]), (0, 0))
        self.assertGreaterEqual(queue["served"], 8)
        self.assertGreater(queue["wait_ms"], 1000)
        rc, out, err = self.daemon.ctl("status")
        self.assertRegex(out, r"queue: +0 waiting \(max 1000, timeout 30\.0s\); since start \d+ waited")


class TooLong(PacingTestCase):
    flags = ("--rpm-window", "20", "--queue-timeout", "2")
    account_rpm = "1"

    def test_a_wait_beyond_the_queue_timeout_is_429_at_once(self):
        self.assertEqual(self.post().status, 200)
        started = time.monotonic()
        r = self.post()
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.json()["error"]["type"], "rate_limit_error")
        self.assertIn("queue-timeout", r.json()["error"]["message"])
        self.assertGreaterEqual(int(r.headers["retry-after"]), 15)
        self.assertEqual(metric(self.metrics(), "amq2api_queue_requests_total",
                                outcome="timeout"), 1)


class Full(PacingTestCase):
    flags = ("--rpm-window", "4", "--queue-max", "1")
    account_rpm = "1"

    def test_a_full_queue_is_429_and_the_waiting_request_is_served(self):
        self.assertEqual(self.post().status, 200)
        waiting = {}
        t = threading.Thread(target=lambda: waiting.update(r=self.post()))
        t.start()
        wait_until(lambda: metric(self.metrics(), "amq2api_queue_depth") == 1,
                   what="one request waiting")
        r = self.post()
        self.assertEqual(r.status, 429, r.body)
        self.assertIn("queue-max", r.json()["error"]["message"])
        self.assertIn("retry-after", r.headers)
        t.join(30)
        self.assertEqual(waiting["r"].status, 200)
        self.assertEqual(metric(self.metrics(), "amq2api_queue_requests_total", outcome="full"), 1)


class Withdrawn(PacingTestCase):
    flags = ("--rpm-window", "30")
    account_rpm = "1"

    def test_a_client_that_leaves_while_waiting_leaves_the_queue(self):
        self.assertEqual(self.post().status, 200)
        body = json.dumps(dict(TEXT, stream=True)).encode()
        s = socket.create_connection(("127.0.0.1", self.daemon.port))
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"x-api-key: " + self.key.encode() + b"\r\nContent-Length: " +
                  str(len(body)).encode() + b"\r\n\r\n" + body)
        wait_until(lambda: metric(self.metrics(), "amq2api_queue_depth") == 1,
                   what="the stream waiting")
        s.settimeout(0.5)
        with self.assertRaises(socket.timeout):  # nothing is sent while it waits
            s.recv(1)
        s.close()
        wait_until(lambda: metric(self.metrics(), "amq2api_queue_depth") == 0,
                   what="the queue emptied")
        self.assertEqual(metric(self.metrics(), "amq2api_queue_requests_total",
                                outcome="withdrawn"), 1)
        self.assertEqual(len(self.fake.requests()["generate"]), 1)


class ThrottleClasses(unittest.TestCase):
    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=2, extra_args=self.fake.daemon_args())
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        self.key = self.daemon.ctl_json("key", "create", "--name", "client", "--rpm", "100000",
                                        "--rpd", "10000000")["key"]

    def add(self, name):
        self.fake.script(token=[{"match_refresh_token": f"rt-{name}", "repeat": True,
                                 "access_token": f"at-{name}"}])
        self.daemon.ctl_json("account", "add", "--name", name, "--refresh-token", f"rt-{name}",
                             "--client-id", f"cid-{name}", "--client-secret", "cs", "--rpm", "1000")

    def post(self):
        return self.daemon.request("POST", "/v1/messages", body=TEXT, timeout=60,
                                   headers={"x-api-key": self.key,
                                            "content-type": "application/json"})

    def account(self, name):
        return self.daemon.ctl_json("account", "show", name)

    def test_a_plain_throttle_rests_the_account_briefly_and_requests_wait_through_it(self):
        self.add("solo")
        self.fake.script(generate=[{"status": 429, "body": {
            "__type": "ThrottlingException", "message": "Too many requests, please wait"}}])
        r = self.post()
        self.assertEqual(r.status, 429, r.body)  # its only account: the client hears it
        self.assertIn("Too many requests", self.account("solo")["state_reason"])
        started = time.monotonic()
        statuses = [self.post().status for _ in range(10)]
        self.assertEqual(statuses, [200] * 10)
        self.assertLess(time.monotonic() - started, 8)  # one short rest (3 s ± 20 %)

    def test_suspicious_activity_rests_that_account_alone_for_long(self):
        self.add("a")
        self.add("b")
        self.fake.script(generate=[{"match_token": "at-a", "repeat": True, "status": 429, "body": {
            "__type": "ThrottlingException",
            "message": "Due to suspicious activity, we are imposing temporary limits"}}])
        for _ in range(4):
            self.assertEqual(self.post().status, 200)
        a = self.account("a")
        self.assertEqual(a["state"], "cooling")
        self.assertIn("suspicious activity", a["state_reason"])
        tokens = [g["token"] for g in self.fake.requests()["generate"]]
        self.assertEqual(tokens.count("at-a"), 1)  # never retried at once

    def test_a_suspended_account_stays_quarantined_through_disable_and_enable(self):
        self.add("locked")
        self.add("ok")
        self.fake.script(generate=[{"match_token": "at-locked", "repeat": True, "status": 403,
                                    "body": {"__type": "AccessDeniedException",
                                             "message": "We have locked your account as a security precaution",
                                             "reason": "TEMPORARILY_SUSPENDED"}}])
        for _ in range(3):
            self.assertEqual(self.post().status, 200)
        self.assertEqual(self.account("locked")["state"], "quarantined")
        self.daemon.ctl("account", "disable", "locked")
        self.assertEqual(self.account("locked")["state"], "disabled")
        self.daemon.ctl("account", "enable", "locked")
        self.assertEqual(self.account("locked")["state"], "quarantined")
        # Only an admin's reset, with a note for the audit log, lets it serve again; over the
        # HTTP admin API the note is required just the same.
        admin = self.daemon.ctl_json("key", "create", "--name", "ops", "--admin")["key"]
        path = f"/admin/accounts/{self.account('locked')['id']}/reset-health"
        headers = {"authorization": f"Bearer {admin}", "content-type": "application/json"}
        r = self.daemon.request("POST", path, body={}, headers=headers)
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("note", r.json()["detail"])
        r = self.daemon.request("POST", path, body={"note": "x", "name": "ok"}, headers=headers)
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(self.account("locked")["state"], "quarantined")
        r = self.daemon.request("POST", path, body={"note": "support unlocked it, case 1234"},
                                headers=headers)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["state"], "healthy")
        audit = self.daemon.ctl_json("audit")["entries"]
        reset = [e for e in audit if e["command"] == "account.reset-health"]
        self.assertEqual(reset[-1]["args"]["note"], "support unlocked it, case 1234")
        events = self.daemon.ctl_json("account", "events", "locked")["events"]
        self.assertIn("case 1234", events[-1]["reason"])
        # The same through amq2apictl; the account is back in the rotation.
        rc, shown, err = self.daemon.ctl("account", "reset-health", "locked", "--note", "again")
        self.assertEqual(rc, 0, err)
        self.assertIn("reset the health of account", shown)
        self.fake.reset()  # the upstream serves it again
        for _ in range(4):
            self.assertEqual(self.post().status, 200)
        served = {g["token"] for g in self.fake.requests()["generate"]}
        self.assertIn("at-locked", served)



class EnvironmentAccount(unittest.TestCase):
    """The most common set-up: the one account of the AMAZONQ_* environment, default settings
    but for what a test names."""
    ENV = {"AMAZONQ_REFRESH_TOKEN": "rt-env", "AMAZONQ_CLIENT_ID": "cid-env",
           "AMAZONQ_CLIENT_SECRET": "cs-env"}

    def start(self, *flags):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.fake.script(token=[{"match_refresh_token": "rt-env", "repeat": True,
                                 "access_token": "at-env"}])
        self.daemon = Daemon(workers=2, env=self.ENV, extra_args=[*self.fake.daemon_args(), *flags])
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        # The key's own limits are the client's budget, not the pool's: none here.
        self.key = self.daemon.ctl_json("key", "create", "--name", "client", "--rpm", "0",
                                        "--rpd", "0")["key"]
        accounts = self.daemon.ctl_json("account", "list")["accounts"]
        self.assertEqual([a["name"] for a in accounts], ["env-account"])
        return accounts[0]

    def burst(self, n, clients=8):
        with ThreadPoolExecutor(clients) as pool:
            return [r.status for r in pool.map(lambda _: self.daemon.request(
                "POST", "/v1/messages", body=TEXT, timeout=60,
                headers={"x-api-key": self.key, "content-type": "application/json"}), range(n))]

    def test_two_hundred_requests_from_eight_clients_all_succeed(self):
        self.assertEqual(self.start()["requests_per_minute"], 0)  # no cap by default
        statuses = self.burst(200)
        self.assertEqual({s: statuses.count(s) for s in set(statuses)}, {200: 200})
        self.assertEqual(len(self.fake.requests()["generate"]), 200)

    def test_a_paced_environment_account_delays_requests_and_refuses_none(self):
        account = self.start("--account-rpm-default", "10", "--rpm-window", "2")
        self.assertEqual(account["requests_per_minute"], 10)
        started = time.monotonic()
        statuses = self.burst(25)
        took = time.monotonic() - started
        self.assertEqual({s: statuses.count(s) for s in set(statuses)}, {200: 25})
        # 10 per 2 s window: the last five cannot start before two windows have passed.
        self.assertGreater(took, 3.5)
        text = self.daemon.request("GET", "/metrics").body.decode()
        self.assertGreater(metric(text, "amq2api_queue_requests_total", outcome="served"), 0)
        self.assertEqual(metric(text, "amq2api_queue_requests_total", outcome="timeout"), 0)


if __name__ == "__main__":
    unittest.main()

"""store = postgresql: two amq2apid hosts (two state directories, two ports) on one database of a
private PostgreSQL cluster. What one host changes serves on the other, a token is refreshed once
across both, health is shared within a second, and a database outage leaves both serving."""

import json
import os
import re
import shutil
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import Daemon, FakeUpstream, wait_until
from postgres import password_file, private_cluster

MESSAGE = {"model": "claude-sonnet-4-5", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hello"}]}
SUSPENDED = {"__type": "com.amazon.aws.codewhisperer#AccessDeniedException",
             "message": "Your account is temporarily suspended", "reason": "TEMPORARILY_SUSPENDED"}


class SharedStoreTest(unittest.TestCase):
    def setUp(self):
        self.pg = private_cluster(self)
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.url = self.pg.create_database("shared")
        self.a = self.host()
        self.b = self.host(key_from=self.a)

    # Settings of both hosts for the tests that need them.
    HOST_ARGS = {
        # A request no account can take now is refused at once rather than kept waiting.
        "test_an_account_pace_counts_picks_on_every_host": ["--queue-timeout", "0"],
    }

    def host(self, key_from=None, wait=True):
        """A host on the shared database; one after the first gets its secrets.key, as every
        host of a deployment must."""
        daemon = Daemon(workers=1, extra_args=[
            *self.fake.daemon_args(), "--store", "postgresql", "--postgresql", self.url,
            *self.HOST_ARGS.get(self._testMethodName, [])])
        os.makedirs(daemon.root, exist_ok=True)
        if key_from:
            os.makedirs(daemon.state_dir, mode=0o700)
            shutil.copy2(os.path.join(key_from.state_dir, "secrets.key"), daemon.state_dir)
        daemon.extra_args += ["--postgresql-password-file", password_file(self, daemon.root)]
        self.addCleanup(daemon.cleanup)
        daemon.start()
        if wait:
            try:
                wait_until(lambda: self.in_step(daemon), what="the host in step with the database")
            except AssertionError as e:
                raise AssertionError(f"{e}:\n{daemon.logs()}") from None
        return daemon

    @staticmethod
    def in_step(daemon):
        return daemon.ctl_json("status").get("shared_store", {}).get("in_step") is True

    def ask(self, daemon, key, body=MESSAGE):
        return daemon.request("POST", "/v1/messages", json.dumps(body).encode(),
                              headers={"x-api-key": key, "content-type": "application/json"},
                              timeout=30)

    def add_account(self, daemon, name, refresh_token=None):
        return daemon.ctl_json("account", "add", "--name", name, "--refresh-token",
                               refresh_token or f"rt-{name}", "--client-id", "c",
                               "--client-secret", "s")

    def state_of(self, daemon, name):
        for a in daemon.ctl_json("account", "list")["accounts"]:
            if a["name"] == name:
                return a["state"]
        return None

    def key_on_both(self, *limits):
        key = self.a.ctl_json("key", "create", "--name", "client", *limits)["key"]
        wait_until(lambda: "client" in [k["name"] for k in self.b.ctl_json("key", "list")["keys"]],
                   timeout=5, what="host b to see the key")
        return key

    def spread(self, key, n, at_once):
        """n requests over both hosts, at_once of them let go together."""
        barrier = threading.Barrier(at_once)

        def one(i):
            barrier.wait()
            return self.ask(self.a if i % 2 else self.b, key)

        with ThreadPoolExecutor(at_once) as pool:
            return list(pool.map(one, range(n)))

    def test_a_change_on_either_host_serves_on_the_other(self):
        self.add_account(self.a, "main")
        key = self.a.ctl_json("key", "create", "--name", "client")["key"]
        wait_until(lambda: self.state_of(self.b, "main") == "healthy", timeout=5,
                   what="host b to see the account added on host a")
        self.assertEqual(self.ask(self.b, key).status, 200)
        other = self.b.ctl_json("key", "create", "--name", "other")["key"]
        wait_until(lambda: self.ask(self.a, other).status == 200, timeout=5,
                   what="host a to take the key created on host b")
        # Ids and names are decided across both hosts.
        self.assertEqual([k["id"] for k in self.a.ctl_json("key", "list")["keys"]],
                         [k["id"] for k in self.b.ctl_json("key", "list")["keys"]])
        rc, _, err = self.b.ctl("account", "add", "--name", "main", "--refresh-token", "rt-x",
                                "--client-id", "c", "--client-secret", "s")
        self.assertEqual(rc, 1, "a name taken on the other host was given twice")
        self.assertIn("exists", err)
        with ThreadPoolExecutor(2) as pool:
            added = list(pool.map(lambda h: self.add_account(*h),
                                  [(self.a, "from-a"), (self.b, "from-b")]))
        self.assertNotEqual(added[0]["id"], added[1]["id"])
        # A key revoked on one host is refused by the other.
        self.b.ctl_json("key", "revoke", "client")
        wait_until(lambda: self.ask(self.a, key).status == 401, timeout=5,
                   what="host a to refuse the key revoked on host b")
        # Both hosts hold the same records (each keeps its own last use and endpoint).
        self.assertEqual(self.stored(self.a), self.stored(self.b))
        # and the same audit log, each change in it once, whichever host it was made on.
        def audit(host):
            return sorted((e["command"], e["at"]) for e in host.ctl_json("audit")["entries"])
        wait_until(lambda: audit(self.a) == audit(self.b), timeout=5,
                   what="the same audit log on both hosts")
        commands = [c for c, _ in audit(self.b)]
        self.assertEqual(commands.count("key.create"), 2, commands)
        self.assertEqual(commands.count("key.revoke"), 1, commands)
        self.assertEqual(commands.count("account.add"), 3, commands)

    @staticmethod
    def stored(daemon):
        accounts = [{k: a[k] for k in ("id", "name", "enabled", "state", "created_at",
                                       "updated_at", "requests_per_minute")}
                    for a in daemon.ctl_json("account", "list")["accounts"]]
        keys = [{k: key[k] for k in ("id", "name", "key_prefix", "is_active", "created_at")}
                for key in daemon.ctl_json("key", "list")["keys"]]
        return accounts, keys

    def test_an_expired_token_is_refreshed_once_across_hosts(self):
        self.fake.script(token=[{"access_token": "at-shared", "refresh_token": "rt-rotated",
                                 "expires_in": 3600, "delay_ms": 300}])
        self.add_account(self.a, "main", "rt-first")
        key = self.a.ctl_json("key", "create", "--name", "client")["key"]
        wait_until(lambda: self.state_of(self.b, "main") == "healthy", timeout=5,
                   what="host b to see the account")
        barrier = threading.Barrier(50)

        def one(i):
            barrier.wait()
            return self.ask(self.a if i % 2 else self.b, key).status

        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(one, range(50)))
        self.assertEqual(statuses, [200] * 50)
        refreshes = self.fake.requests()["token"]
        self.assertEqual([r["body"]["refreshToken"] for r in refreshes], ["rt-first"],
                         "the token was refreshed more than once")
        self.assertEqual({r["token"] for r in self.fake.requests()["generate"]}, {"at-shared"})
        # The rotated refresh token is what the database holds: the next refresh, on either
        # host, uses it.
        self.b.ctl_json("account", "refresh", "main")
        self.assertEqual(self.fake.requests()["token"][-1]["body"]["refreshToken"], "rt-rotated")

    def test_a_slow_refresh_holds_up_no_other_change(self):
        self.fake.script(token=[{"access_token": "at-slow", "refresh_token": "rt-rotated",
                                 "expires_in": 3600, "delay_ms": 3000}])
        self.add_account(self.a, "main", "rt-first")
        key = self.a.ctl_json("key", "create", "--name", "client")["key"]
        wait_until(lambda: self.state_of(self.b, "main") == "healthy", timeout=5,
                   what="host b to see the account")
        with ThreadPoolExecutor(1) as pool:
            served = pool.submit(self.ask, self.a, key)  # its token needs the refresh
            wait_until(lambda: len(self.fake.requests()["token"]) == 1, timeout=5,
                       what="the refresh under way")
            # The refresh holds its account's lock, not the database's write lock.
            started = time.monotonic()
            self.b.ctl_json("key", "create", "--name", "other")
            self.assertLess(time.monotonic() - started, 1.5)
            self.assertEqual(served.result().status, 200)
        self.assertEqual(len(self.fake.requests()["token"]), 1)

    def test_a_key_limit_counts_requests_on_every_host(self):
        self.add_account(self.a, "main")
        key = self.key_on_both("--rpm", "30")
        answers = self.spread(key, 40, at_once=20)
        statuses = [r.status for r in answers]
        self.assertEqual(statuses.count(200), 30, statuses)
        self.assertEqual(statuses.count(429), 10, statuses)
        refused = next(r for r in answers if r.status == 429)
        self.assertEqual(json.loads(refused.body)["error"]["type"], "rate_limit_error")
        self.assertGreater(int(refused.headers["retry-after"]), 0)
        # Refusals are recorded too: 40 requests, 10 of them errors, on either host.
        for host in (self.a, self.b):
            wait_until(lambda: self.requests_counted(host) == 40,
                       timeout=10, what="40 requests counted on each host")
            self.assertEqual(host.ctl_json("stats", "--days", "1")["total"]["errors"], 10)
        self.assertEqual(len(self.fake.requests()["generate"]), 30)
        for host in (self.a, self.b):
            self.assertEqual(host.ctl_json("status")["shared_limits"]["admitted_unasked"], 0)
        # A per-day limit is counted across hosts too.
        daily = self.b.ctl_json("key", "create", "--name", "daily", "--rpm", "0",
                                "--rpd", "3")["key"]
        wait_until(lambda: "daily" in [k["name"] for k in self.a.ctl_json("key", "list")["keys"]],
                   timeout=5, what="host a to see the key")
        self.assertEqual([self.ask(h, daily).status for h in (self.a, self.b, self.a, self.b)],
                         [200, 200, 200, 429])
        self.assertIn("per day", json.loads(self.ask(self.a, daily).body)["error"]["message"])

    def test_a_concurrency_limit_counts_requests_in_flight_on_every_host(self):
        self.add_account(self.a, "main")
        key = self.key_on_both("--rpm", "0", "--max-concurrent", "2")
        slow = {"events": [{"event": "assistantResponseEvent", "payload": {"content": "a"},
                            "delay_ms": 1500},
                           {"event": "assistantResponseEvent", "payload": {"content": "b"}}]}
        self.fake.script(generate=[slow, slow])
        answers = self.spread(key, 6, at_once=6)
        statuses = [r.status for r in answers]
        self.assertEqual(sorted(statuses), [200, 200, 429, 429, 429, 429], statuses)
        refused = next(r for r in answers if r.status == 429)
        self.assertIn("concurrent", json.loads(refused.body)["error"]["message"])
        self.assertEqual(len(self.fake.requests()["generate"]), 2)
        # Every slot came back: two at once on different hosts are served, then one by one.
        with ThreadPoolExecutor(2) as pool:
            self.assertEqual(list(pool.map(lambda h: self.ask(h, key).status, (self.a, self.b))),
                             [200, 200])
        # A host's slots count as long as its requests last; those of a host that dies stop
        # counting 5 s after it last spoke.
        longer = {"events": [{**slow["events"][0], "delay_ms": 30000}, slow["events"][1]]}
        self.fake.script(generate=[longer, longer])
        with ThreadPoolExecutor(2) as pool:
            held = [pool.submit(self.ask, self.a, key) for _ in range(2)]
            wait_until(lambda: self.fake.stats()["open_streams"] == 2, timeout=5,
                       what="two requests in flight on host a")
            time.sleep(6)
            self.assertEqual(self.ask(self.b, key).status, 429)
            self.a.kill_master()
            died = time.monotonic()
            self.assertEqual(self.ask(self.b, key).status, 429)
            wait_until(lambda: self.ask(self.b, key).status == 200, timeout=15,
                       what="host b to serve once a's slots stopped counting")
            self.assertGreater(time.monotonic() - died, 2)
            for f in held:
                f.exception()
        self.assertEqual(self.b.ctl_json("status")["shared_limits"]["admitted_unasked"], 0)

    def test_an_account_pace_counts_picks_on_every_host(self):
        self.add_account(self.a, "main")
        self.a.ctl_json("account", "update", "main", "--rpm", "4")
        key = self.key_on_both()
        wait_until(lambda: self.state_of(self.b, "main") == "healthy", timeout=5,
                   what="host b to see the account")
        answers = self.spread(key, 8, at_once=8)
        statuses = [r.status for r in answers]
        self.assertEqual(sorted(statuses), [200] * 4 + [429] * 4, statuses)
        self.assertEqual(len(self.fake.requests()["generate"]), 4)
        refused = next(r for r in answers if r.status == 429)
        self.assertIn("requests-per-minute", json.loads(refused.body)["error"]["message"])
        self.assertGreater(int(refused.headers["retry-after"]), 30)
        # Either host now waits out the minute before it picks the account again.
        self.assertEqual([self.ask(h, key).status for h in (self.a, self.b)], [429, 429])
        self.assertEqual(len(self.fake.requests()["generate"]), 4)

    def test_a_database_that_does_not_answer_admits_after_two_seconds(self):
        self.add_account(self.a, "main")
        key = self.a.ctl_json("key", "create", "--name", "client", "--rpm", "30")["key"]
        self.assertEqual(self.ask(self.a, key).status, 200)
        self.pg.hold_lock(self, "shared", "amq_windows")
        started = time.monotonic()
        self.assertEqual(self.ask(self.a, key).status, 200)
        self.assertLess(time.monotonic() - started, 5)
        limits = self.a.ctl_json("status")["shared_limits"]
        self.assertEqual(limits["admitted_unasked"], 1)
        self.assertIn("limits across hosts: cannot ask the shared database", self.a.logs())
        self.pg.release_locks("shared")
        wait_until(lambda: self.ask(self.a, key).status == 200 and
                   self.a.ctl_json("status")["shared_limits"]["asked"] > limits["asked"],
                   timeout=10, what="admissions counted by the database again")
        self.assertIn("limits across hosts: counted by the database again", self.a.logs())

    def test_a_quarantine_on_one_host_is_seen_on_the_other_within_a_second(self):
        self.add_account(self.a, "main")
        key = self.a.ctl_json("key", "create", "--name", "client")["key"]
        wait_until(lambda: self.state_of(self.b, "main") == "healthy", timeout=5,
                   what="host b to see the account")
        self.fake.script(generate=[{"repeat": True, "status": 403, "body": SUSPENDED}])
        self.assertNotEqual(self.ask(self.a, key).status, 200)
        self.assertEqual(self.state_of(self.a, "main"), "quarantined")
        quarantined = time.monotonic()
        wait_until(lambda: self.state_of(self.b, "main") == "quarantined", timeout=5,
                   interval=0.05, what="host b to see the quarantine")
        self.assertLess(time.monotonic() - quarantined, 1.0)
        events = self.b.ctl_json("account", "events", "main")["events"]
        self.assertIn("suspend", events[-1]["reason"].lower())

    def requests_counted(self, daemon):
        return daemon.ctl_json("stats", "--days", "1")["total"]["requests"]

    def usage_in_database(self):
        return int(self.pg.psql("shared", "SELECT count(*) FROM amq_usage").strip())

    def assert_counted_everywhere(self, served, timeout=15):
        """Every request served, once: in the database, and in the statistics of both hosts."""
        wait_until(lambda: self.usage_in_database() == served, timeout=timeout,
                   what=f"{served} usage records in the database")
        for host in (self.a, self.b):
            wait_until(lambda: self.requests_counted(host) == served, timeout=timeout,
                       what=f"{served} requests in the statistics of each host")
        self.assertEqual(self.usage_in_database(), served, "a usage record was written twice")

    @staticmethod
    def wait_reports(host):
        """Until the host's master has the report of every request it admitted."""
        wait_until(lambda: re.search(r"^amq2api_requests_in_flight 0$",
                                     host.get("/metrics").body.decode(), re.M),
                   timeout=1, interval=0.01, what="every report at the master")

    def serve_on_a(self, n):
        """n requests served by host a on a shared key, every report at a's master."""
        key = self.shared_key()
        for _ in range(n):
            self.assertEqual(self.ask(self.a, key).status, 200)
        self.wait_reports(self.a)

    def serve(self, hosts, key, stop, counts):
        """Requests to `hosts` in turn until `stop` is set; counts[status] += 1."""
        i = 0
        while not stop.is_set():
            status = self.ask(hosts[i % len(hosts)], key).status
            counts[status] = counts.get(status, 0) + 1
            i += 1
            time.sleep(0.01)

    def test_usage_from_both_hosts_is_counted_once_on_either(self):
        key = self.shared_key()
        for host, n in ((self.a, 7), (self.b, 5)):
            for _ in range(n):
                self.assertEqual(self.ask(host, key).status, 200)
        self.assert_counted_everywhere(12)
        self.assertEqual(self.b.ctl_json("stats", "--days", "1", "--by", "key"),
                         self.a.ctl_json("stats", "--days", "1", "--by", "key"))
        rollups = self.pg.psql("shared", "SELECT sum(requests), sum(input_tokens), "
                                         "sum(output_tokens) FROM amq_rollups").split()
        total = self.a.ctl_json("stats", "--days", "1")["total"]
        self.assertEqual(rollups, ["12", str(total["input_tokens"]), str(total["output_tokens"])])

    def test_the_usage_retention_applies_to_the_database(self):
        key = self.shared_key()
        for _ in range(3):
            self.assertEqual(self.ask(self.a, key).status, 200)
        self.assert_counted_everywhere(3)
        day = 86400000
        self.pg.psql("shared", f"INSERT INTO amq_usage (time_ms, key_id, account_id, doc) "
                               f"SELECT time_ms - 400::bigint * {day}, key_id, account_id, doc "
                               f"FROM amq_usage")
        # The retention runs at start and every hour: a host started now drops what is older
        # than its usage-retention-days (30), on every host's behalf.
        self.b.stop()
        self.b.start(wait=False)
        self.b.wait_ready()
        cutoff = int(time.time() * 1000) - 30 * day
        old = f"SELECT count(*) FROM amq_usage WHERE time_ms < {cutoff}"
        wait_until(lambda: self.pg.psql("shared", old).strip() == "0", timeout=15,
                   what="the old usage records gone from the database")
        self.assertEqual(self.usage_in_database(), 3)
        self.assertIn("usage retention: dropped 3 records from the shared database", self.b.logs())

    def test_a_host_stopped_for_good_leaves_its_usage_in_the_database(self):
        self.serve_on_a(5)
        # Stopped within its usage batch's second: the batch goes to the database before it
        # exits, so nothing waits for a start that may never come.
        self.a.stop()
        self.assertEqual(self.usage_in_database(), 5)

    def test_a_host_stopped_while_the_database_is_out_keeps_its_usage_for_its_next_start(self):
        self.serve_on_a(3)
        self.pg.stop()
        started = time.monotonic()
        self.a.stop()
        self.assertLess(time.monotonic() - started, 10, "the last push is bounded (5 s)")
        self.assertIn("the rest waits here for the next start", self.a.logs())
        self.pg.start()
        self.a.start(wait=False)
        self.a.wait_ready()
        self.assert_counted_everywhere(3)

    def test_a_killed_host_loses_no_usage_and_the_other_serves_on(self):
        key = self.shared_key()
        stop_a, stop_b, on_a, on_b = threading.Event(), threading.Event(), {}, {}
        traffic_a = threading.Thread(target=self.serve, args=([self.a], key, stop_a, on_a))
        traffic_b = threading.Thread(target=self.serve, args=([self.b], key, stop_b, on_b))
        traffic_a.start()
        traffic_b.start()
        time.sleep(1)
        # A is killed between two of its usage batches: what it served last is in its
        # journal, and reaches the database when it starts again.
        stop_a.set()
        traffic_a.join()
        self.wait_reports(self.a)
        self.a.kill_master()
        time.sleep(2)
        stop_b.set()
        traffic_b.join()
        self.assertEqual(set(on_b), {200}, on_b)
        self.assertEqual(set(on_a), {200}, on_a)
        self.a.start(wait=False)
        self.a.wait_ready()
        self.assert_counted_everywhere(on_a[200] + on_b[200])

    def test_a_database_outage_leaves_both_hosts_serving(self):
        key = self.shared_key()
        self.assertEqual(self.ask(self.b, key).status, 200)
        stop, counts = threading.Event(), {}
        traffic = threading.Thread(target=self.serve, args=([self.a, self.b], key, stop, counts))
        traffic.start()
        self.pg.stop()
        stopped = time.monotonic()
        for host in (self.a, self.b):
            wait_until(lambda: not self.in_step(host), timeout=15,
                       what="the host to notice the database is gone")
            health = json.loads(host.get("/health").body)
            self.assertEqual(health["status"], "degraded")
            self.assertIn("shared store", health["reason"])
            self.assertEqual(host.get("/health/ready").status, 200)
            self.assertIn("amq2api_shared_store_in_step 0", host.get("/metrics").body.decode())
        rc, _, err = self.a.ctl("key", "create", "--name", "during")
        self.assertEqual(rc, 1)
        self.assertIn("out of reach", err)
        self.assertIn("shared store", self.a.logs())
        time.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
        self.pg.start()
        for host in (self.a, self.b):
            wait_until(lambda: self.in_step(host), timeout=20,
                       what="the host back in step with the database")
        stop.set()
        traffic.join()
        self.assertEqual(set(counts), {200}, counts)
        self.assertGreater(counts[200], 20)
        for host in (self.a, self.b):
            self.assertEqual(json.loads(host.get("/health").body)["status"], "ok")
        self.assert_counted_everywhere(1 + counts[200], timeout=30)
        for host in (self.a, self.b):
            metrics = host.get("/metrics").body.decode()
            self.assertIn("amq2api_shared_store_in_step 1", metrics)
            self.assertIn("amq2api_shared_store_usage_waiting 0", metrics)
        self.a.ctl_json("key", "create", "--name", "after")
        wait_until(lambda: "after" in [k["name"] for k in self.b.ctl_json("key", "list")["keys"]],
                   timeout=5, what="a change after the outage to reach the other host")

    def shared_key(self):
        """An account and a key added on a, once b has them."""
        self.add_account(self.a, "main")
        key = self.a.ctl_json("key", "create", "--name", "client", "--rpm", "0",
                              "--rpd", "0")["key"]
        wait_until(lambda: self.state_of(self.b, "main") == "healthy" and
                   "client" in [k["name"] for k in self.b.ctl_json("key", "list")["keys"]],
                   timeout=5, what="host b to see the account and the key")
        return key

    def test_a_store_of_its_own_is_never_replaced(self):
        own = Daemon(workers=1, extra_args=self.fake.daemon_args())
        self.addCleanup(own.cleanup)
        own.start()
        self.add_account(own, "local")
        own.stop()
        own.extra_args += ["--store", "postgresql", "--postgresql", self.url,
                           "--postgresql-password-file", password_file(self, own.root)]
        own.start(wait=False)
        self.assertEqual(own.proc.wait(20), 1)
        self.assertIn("store copy", own.logs())
        self.assertIn("holds a store of this host's own", own.logs())

    def test_a_password_in_the_address_is_refused(self):
        daemon = Daemon(workers=1, extra_args=[
            "--store", "postgresql", "--postgresql", "postgresql://amq:secret@127.0.0.1/x"])
        self.addCleanup(daemon.cleanup)
        daemon.start(wait=False)
        self.assertEqual(daemon.proc.wait(20), 1)
        self.assertIn("holds a password", daemon.logs())
        self.assertNotIn("secret@", daemon.logs())


if __name__ == "__main__":
    unittest.main()

"""amq2apictl store migrate and store copy against a real PostgreSQL server (a private cluster
started for the test): every record of an LMDB store goes into a database and back into an
LMDB file that another daemon serves from, with nothing lost or changed."""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import Daemon, FakeUpstream, wait_until
from postgres import password_file, private_cluster

MESSAGE = {"model": "claude-sonnet-4-5", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hello"}]}

# Each table in a fixed order, without the identity ids a database hands out itself.
TABLE_DUMPS = [
    "SELECT name, value FROM amq_counters ORDER BY name",
    "SELECT id, encode(name, 'hex'), encode(doc, 'hex') FROM amq_accounts ORDER BY id",
    "SELECT account_id, encode(sealed, 'hex') FROM amq_credentials ORDER BY account_id",
    "SELECT account_id, encode(doc, 'hex') FROM amq_health ORDER BY account_id",
    "SELECT id, encode(name, 'hex'), secret_hash, encode(doc, 'hex') FROM amq_keys ORDER BY id",
    "SELECT time_ms, key_id, account_id, encode(doc, 'hex') FROM amq_usage ORDER BY time_ms, id",
    "SELECT day, key_id, account_id, encode(model, 'hex'), requests, errors, input_tokens, "
    "output_tokens, credits_micros, ttfb_ms_sum, duration_ms_sum FROM amq_rollups "
    "ORDER BY day, key_id, account_id, model",
    "SELECT at_ms, encode(doc, 'hex') FROM amq_audit ORDER BY at_ms, id",
]


class StoreCopyTest(unittest.TestCase):
    def setUp(self):
        self.pg = private_cluster(self)
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)

    def daemon(self, root=None, extra_args=()):
        """A daemon that signs in to the cluster with the password from a file."""
        daemon = Daemon(workers=1, root=root, extra_args=[*self.fake.daemon_args(), *extra_args])
        os.makedirs(daemon.root, exist_ok=True)
        daemon.extra_args += ["--postgresql-password-file", password_file(self, daemon.root)]
        daemon.start()
        self.addCleanup(daemon.cleanup)
        return daemon

    def ask(self, daemon, key, body=MESSAGE):
        return daemon.request("POST", "/v1/messages", json.dumps(body).encode(),
                              headers={"x-api-key": key, "content-type": "application/json"})

    def ctl_ok(self, daemon, *args):
        rc, out, err = daemon.ctl(*args)
        self.assertEqual(rc, 0, f"amq2apictl {' '.join(args)}: {err}")
        return out

    def dump(self, database):
        return [self.pg.psql(database, sql) for sql in TABLE_DUMPS]

    def fill(self, daemon):
        """Accounts, keys, usage (served and failed), health and audit: one of every kind of
        record, and a removed account whose id must not come back."""
        for name in ("gone", "main", "spare"):
            daemon.ctl_json("account", "add", "--name", name, "--refresh-token", f"rt-{name}",
                            "--client-id", "c", "--client-secret", "s")
        self.ctl_ok(daemon, "account", "remove", "gone")
        self.ctl_ok(daemon, "account", "disable", "spare")
        key = daemon.ctl_json("key", "create", "--name", "client", "--rpm", "50")["key"]
        daemon.ctl_json("key", "create", "--name", "revoked")
        self.ctl_ok(daemon, "key", "revoke", "revoked")
        for _ in range(3):
            self.assertEqual(self.ask(daemon, key).status, 200)
        self.assertEqual(self.ask(daemon, key, {"model": "claude-sonnet-4-5"}).status, 400)
        wait_until(lambda: len(daemon.usage_records()) == 4, what="usage records stored")
        return key

    def listings(self, daemon):
        """What amq2apictl shows of every kind of record, without what only the running
        process knows (models fetched, the endpoint that served last)."""
        accounts = [{k: a.get(k) for k in ("id", "name", "kind", "enabled", "state",
                                            "requests_per_minute", "created_at", "updated_at")}
                    for a in daemon.ctl_json("account", "list")["accounts"]]
        return {
            "accounts": accounts,
            "keys": daemon.ctl_json("key", "list"),
            "usage": daemon.usage_records(),
            "stats": daemon.ctl_json("stats", "--days", "7", "--by", "model"),
            "events": daemon.ctl_json("account", "events", "spare")["events"],
        }

    def test_migrate_shows_then_applies_the_schema(self):
        daemon = self.daemon()
        url = self.pg.create_database("shared")
        out = self.ctl_ok(daemon, "store", "migrate", "--database", url, "--dry-run")
        self.assertIn("would apply", out)
        self.assertIn("1  shared records", out)
        self.assertEqual(self.pg.psql("shared", "SELECT to_regclass('amq_accounts')").strip(), "",
                         "a dry run changed the database")
        applied = daemon.ctl_json("store", "migrate", "--database", url)
        self.assertEqual([m["version"] for m in applied["applied"]], [1, 2])
        self.assertEqual(self.pg.psql("shared", "SELECT version FROM amq_schema_migrations "
                                                "ORDER BY version"), "1\n2\n")
        again = daemon.ctl_json("store", "migrate", "--database", url, "--dry-run")
        self.assertEqual(again["pending"], [])
        self.assertIn("up to date", self.ctl_ok(daemon, "store", "migrate", "--database", url))
        # A database migrated by a newer amq2api is left alone.
        self.pg.psql("shared", "INSERT INTO amq_schema_migrations (version, name) VALUES "
                               "(99, 'from the future')")
        rc, _, err = daemon.ctl("store", "migrate", "--database", url)
        self.assertEqual(rc, 1)
        self.assertIn("newer than the version", err)
        audit = daemon.ctl_json("audit")
        migrations = [e for e in audit["entries"] if e["command"] == "store.migrate"]
        self.assertEqual(len(migrations), 1, "only the migration that changed something is logged")

    def test_lmdb_to_postgresql_to_lmdb_keeps_every_record(self):
        a = self.daemon()
        key = self.fill(a)
        before = self.listings(a)
        audit_before = a.ctl_json("audit", "--limit", "1000")["entries"]

        url = self.pg.create_database("shared")
        copied = a.ctl_json("store", "copy", "--to", url)
        counts = copied["counts"]
        self.assertEqual(counts["accounts"], 2)
        self.assertEqual(counts["credentials"], 2)
        self.assertEqual(counts["keys"], 3)  # the initial admin key, client, revoked
        self.assertEqual(counts["usage"], 4)
        self.assertGreaterEqual(counts["health"], 1)
        self.assertEqual(counts["audit"], len(audit_before))
        self.assertEqual([m["version"] for m in copied["migrated"]], [1, 2])
        self.assertEqual(self.pg.psql("shared", "SELECT count(*) FROM amq_usage"), "4\n")
        # The copy is logged on A after it was taken.
        self.assertEqual(a.ctl_json("audit", "--limit", "1")["entries"][-1]["command"],
                         "store.copy")
        # No secret travels in the clear: refresh tokens are sealed, keys are hashes. (The
        # bytes are read as text, as a dump of the database would show them.)
        sealed = self.pg.psql("shared", "SELECT encode(sealed, 'escape') FROM amq_credentials")
        keys = self.pg.psql("shared", "SELECT encode(doc, 'escape') FROM amq_keys")
        self.assertIn('"secret_hash"', keys)
        for raw in (sealed, keys):
            self.assertNotIn("rt-main", raw)
            self.assertNotIn(key, raw)

        # Back into an LMDB file, which a second daemon serves from (with the shared key).
        b_root = os.path.join(a.root, "b")
        os.makedirs(os.path.join(b_root, "state"), mode=0o700)
        data_file = os.path.join(b_root, "state", "data.mdb")
        out = self.ctl_ok(a, "store", "copy", "--from", url, "--to", data_file)
        self.assertIn("counts checked", out)
        self.assertEqual(os.stat(data_file).st_mode & 0o777, 0o600)
        shutil.copy(os.path.join(a.state_dir, "secrets.key"),
                    os.path.join(b_root, "state", "secrets.key"))
        self.assertEqual([n for n in os.listdir(a.state_dir) if n.startswith("store-copy")], [],
                         "the scratch store was left behind")
        b = self.daemon(root=b_root)
        self.assertEqual(self.listings(b), before)
        self.assertEqual(b.ctl_json("audit", "--limit", "1000")["entries"], audit_before)

        # And round again into a second database: byte for byte what the first holds; so is a
        # copy from one database straight into another.
        url2 = self.pg.create_database("again")
        b.ctl_json("store", "copy", "--to", url2)
        self.assertEqual(self.dump("again"), self.dump("shared"))
        url3 = self.pg.create_database("direct")
        direct = a.ctl_json("store", "copy", "--from", url, "--to", url3)
        self.assertEqual(direct["counts"], counts)
        self.assertEqual(self.dump("direct"), self.dump("shared"))

        # B serves with the copied key and account, and hands out ids after the copied ones.
        self.assertEqual(self.ask(b, key).status, 200)
        added = b.ctl_json("account", "add", "--name", "new", "--refresh-token", "rt-new",
                           "--client-id", "c", "--client-secret", "s")
        self.assertEqual(added["id"], 4)

    def test_a_copy_is_consistent_while_requests_are_served(self):
        a = self.daemon()
        a.ctl_json("account", "add", "--name", "main", "--refresh-token", "rt",
                   "--client-id", "c", "--client-secret", "s")
        key = a.ctl_json("key", "create", "--name", "client", "--rpm", "1000")["key"]
        statuses = []
        stop = threading.Event()

        def traffic():
            while not stop.is_set():
                statuses.append(self.ask(a, key).status)

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            wait_until(lambda: len(statuses) >= 5, what="traffic under way")
            for i in range(3):
                url = self.pg.create_database(f"online{i}")
                copied = a.ctl_json("store", "copy", "--to", url)
                self.assertEqual(
                    self.pg.psql(f"online{i}", "SELECT count(*) FROM amq_usage").strip(),
                    str(copied["counts"]["usage"]))
        finally:
            stop.set()
            thread.join()
        self.assertEqual(set(statuses), {200})

    def test_refusals_leave_everything_as_it_was(self):
        a = self.daemon()
        a.ctl_json("key", "create", "--name", "client")
        url = self.pg.create_database("full")
        a.ctl_json("store", "copy", "--to", url)
        held = self.dump("full")

        rc, _, err = a.ctl("store", "copy", "--to", url)
        self.assertEqual(rc, 1)
        self.assertIn("already holds records", err)
        self.assertEqual(self.dump("full"), held)

        secret_url = f"postgresql://amq:hunter2@127.0.0.1:{self.pg.port}/full"
        rc, _, err = a.ctl("store", "copy", "--to", secret_url)
        self.assertEqual(rc, 2)
        self.assertIn("holds a password", err)
        self.assertNotIn("hunter2", err)
        self.assertNotIn("hunter2", a.logs())
        self.assertNotIn("hunter2", json.dumps(a.ctl_json("audit", "--limit", "1000")))

        # A source without the schema: refused, and the file is not left half written.
        empty = self.pg.create_database("empty")
        target = os.path.join(a.root, "copy.mdb")
        rc, _, err = a.ctl("store", "copy", "--from", empty, "--to", target)
        self.assertEqual(rc, 1)
        self.assertIn("store migrate", err)
        self.assertFalse(os.path.exists(target))

        # An existing file needs --force.
        with open(target, "w") as f:
            f.write("keep me")
        rc, _, err = a.ctl("store", "copy", "--to", target)
        self.assertEqual(rc, 2)
        self.assertIn("--force", err)
        with open(target) as f:
            self.assertEqual(f.read(), "keep me")
        self.ctl_ok(a, "store", "copy", "--to", target, "--force")

        # Nobody listening, and a wrong password: said, and nothing is waited on for long.
        rc, _, err = a.ctl("store", "copy", "--to",
                           f"postgresql://amq@127.0.0.1:{self.pg.port + 1}/x")
        self.assertEqual(rc, 1)
        self.assertIn("cannot connect to PostgreSQL", err)
        with open(os.path.join(a.root, "pg-password"), "w") as f:
            f.write("wrong\n")
        rc, _, err = a.ctl("store", "migrate", "--database", url, "--dry-run")
        self.assertEqual(rc, 1)
        self.assertIn("password authentication failed", err)
        self.assertNotIn("wrong", a.logs())
        os.remove(os.path.join(a.root, "pg-password"))
        rc, _, err = a.ctl("store", "migrate", "--database", url, "--dry-run")
        self.assertEqual(rc, 1)
        self.assertIn("postgresql-password-file", err)
        # The daemon served on through all of it.
        self.assertEqual(a.get("/health").status, 200)

    def test_a_database_that_never_answers_stalls_nothing(self):
        a = self.daemon()
        key = a.ctl_json("key", "create", "--name", "client")["key"]
        a.ctl_json("account", "add", "--name", "main", "--refresh-token", "rt",
                   "--client-id", "c", "--client-secret", "s")
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        self.addCleanup(silent.close)
        url = f"postgresql://amq@127.0.0.1:{silent.getsockname()[1]}/x"
        result = {}

        def copy():
            started = time.monotonic()
            result["ctl"] = a.ctl("store", "copy", "--to", url)
            result["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=copy)
        thread.start()
        try:
            # The master keeps admitting requests while its copy waits on the silent server.
            time.sleep(1)
            for _ in range(3):
                self.assertEqual(self.ask(a, key).status, 200)
        finally:
            thread.join(60)
        rc, _, err = result["ctl"]
        self.assertEqual(rc, 1)
        self.assertIn("cannot connect to PostgreSQL", err)
        self.assertLess(result["seconds"], 30)

    def test_a_database_stuck_on_a_lock_is_given_up_on(self):
        a = self.daemon(extra_args=["--postgresql-timeout", "3"])
        url = self.pg.create_database("stuck")
        a.ctl_json("store", "migrate", "--database", url)
        self.pg.hold_lock(self, "stuck", "amq_counters")
        started = time.monotonic()
        rc, _, err = a.ctl("store", "copy", "--to", url)
        self.assertEqual(rc, 1)
        self.assertIn("sent nothing for 3 s", err)
        self.assertLess(time.monotonic() - started, 20)
        self.pg.release_locks("stuck")
        # Once the lock is gone the same copy goes through: nothing was left half done.
        rc, _, err = a.ctl("store", "copy", "--to", url)
        self.assertEqual(rc, 0, err)

    def test_a_stop_ends_a_copy_under_way(self):
        a = self.daemon(extra_args=["--postgresql-timeout", "60"])
        a.ctl_json("key", "create", "--name", "client")
        url = self.pg.create_database("stopped")
        a.ctl_json("store", "migrate", "--database", url)
        self.pg.hold_lock(self, "stopped", "amq_counters")
        result = {}
        copy = threading.Thread(target=lambda: result.update(ctl=a.ctl("store", "copy",
                                                                       "--to", url)))
        copy.start()
        wait_until(lambda: self.pg.psql("stopped", "SELECT count(*) FROM pg_locks WHERE NOT "
                                                   "granted").strip() != "0",
                   what="the copy waiting on the lock")
        started = time.monotonic()
        self.assertEqual(a.stop(), 0, a.logs())
        self.assertLess(time.monotonic() - started, 15, "the stop waited on the copy")
        copy.join(30)
        self.assertNotEqual(result["ctl"][0], 0)
        self.assertIn("stopped 1 backup(s) or store copies under way", a.logs())
        self.pg.release_locks("stopped")
        self.assertEqual(self.pg.psql("stopped", "SELECT count(*) FROM amq_keys"), "0\n",
                         "a stopped copy left records behind")


if __name__ == "__main__":
    unittest.main()

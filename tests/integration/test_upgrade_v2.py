"""The upgrade from the Python amq2api v2.0: `amq2apictl import-v2` reads a v2.0 SQLite
database (read-only) and brings its accounts, API keys (with the same secrets, stored only as
hashes) and usage into a running amq2apid, idempotently (docs/upgrade-from-v2.md).

The database is written here with v2.0's own schema (SQLAlchemy's DDL of v2.0). With
$AMQ_V2_FIXTURE naming a database written by v2.0 itself, that one is imported too (copied
into the test's directory first)."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import unittest

from harness import AMQ2APICTL, daemon_with_fake, wait_until

V2_SCHEMA = """
CREATE TABLE accounts (
    id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, refresh_token TEXT NOT NULL,
    client_id VARCHAR(200) NOT NULL, client_secret VARCHAR(200) NOT NULL,
    profile_arn VARCHAR(500), is_active BOOLEAN, is_healthy BOOLEAN, last_health_check DATETIME,
    health_check_error TEXT, error_count INTEGER, last_error_time DATETIME,
    first_error_time DATETIME, auto_recover_at DATETIME, total_requests INTEGER,
    total_tokens INTEGER, last_used DATETIME, requests_per_minute INTEGER, current_rpm INTEGER,
    rpm_reset_at DATETIME, created_at DATETIME, updated_at DATETIME, notes TEXT,
    PRIMARY KEY (id), UNIQUE (name));
CREATE TABLE api_keys (
    id INTEGER NOT NULL, "key" VARCHAR(100) NOT NULL, name VARCHAR(100) NOT NULL,
    description TEXT, is_active BOOLEAN, is_admin BOOLEAN, total_requests INTEGER,
    last_used DATETIME, requests_per_minute INTEGER, requests_per_day INTEGER,
    current_rpm INTEGER, current_rpd INTEGER, rpm_reset_at DATETIME, rpd_reset_at DATETIME,
    created_at DATETIME, updated_at DATETIME, expires_at DATETIME, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_api_keys_key ON api_keys ("key");
CREATE TABLE usage_logs (
    id INTEGER NOT NULL, api_key_id INTEGER, account_id INTEGER, model VARCHAR(100),
    endpoint VARCHAR(200), method VARCHAR(10), input_tokens INTEGER, output_tokens INTEGER,
    status_code INTEGER, response_time FLOAT, error_message TEXT, timestamp DATETIME,
    ip_address VARCHAR(50), user_agent TEXT, PRIMARY KEY (id));
"""

BOOTSTRAP = "amq-admin-default-key-change-immediately"
ACTIVE_KEYS = {"amq-team-0123456789abcdefghijkl": "默认密钥",
               "amq-ci-abcdefghijklmnopqrstuvwx": "ci-runner",
               "amq-admin-zyxwvutsrqponmlkjihgf": "我的管理员密钥"}
REVOKED_KEY = "amq-revoked-aaaaaaaaaaaaaaaaaaaa"
EXPIRED_KEY = "amq-expired-bbbbbbbbbbbbbbbbbbbb"
SECRETS = ["rt-valid-main-7f3a", "rt-valid-backup-91c2", "rt-valid-shared-5d0e",
           "cs-main-secret-2b8f", "cs-shared-secret-c4d1"]

def stored_in_plain_text(state_dir, secrets):
    """The secrets some file of the state directory holds as they are."""
    stored = b""
    for folder, _, files in os.walk(state_dir):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                stored += f.read()
    return [s for s in secrets if s.encode() in stored]


MESSAGE = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}


def local(seconds_ago):
    """A v2.0 DATETIME: naive local time, with microseconds."""
    t = time.time() - seconds_ago
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + ".%06d" % int((t % 1) * 1e6)


def write_v2_database(path):
    db = sqlite3.connect(path)
    db.executescript(V2_SCHEMA)
    accounts = [(1, "主账号", SECRETS[0], "cid-main", SECRETS[3], "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABCDEF", 1, 10, "团队共享"),
                (2, "backup", SECRETS[1], "cid-main", SECRETS[3], None, 1, 20, None),
                (3, "shared", SECRETS[2], "cid-shared", SECRETS[4], None, 0, None, "off")]
    for a in accounts:
        db.execute("INSERT INTO accounts (id, name, refresh_token, client_id, client_secret, "
                   "profile_arn, is_active, requests_per_minute, notes, created_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)", (*a, local(3600)))
    keys = [(1, BOOTSTRAP, "默认管理员密钥", "系统自动创建的管理员密钥，请立即更换", 1, 1, 1000, 100000, None)]
    keys += [(10 + i, secret, name, "", 1, int("admin" in secret), 60, 10000, None)
             for i, (secret, name) in enumerate(ACTIVE_KEYS.items())]
    keys += [(20, REVOKED_KEY, "old-laptop", "", 0, 0, 10, 100, None),
             (21, EXPIRED_KEY, "expired", "", 1, 0, 10, 100, local(86400))]
    for k in keys:
        db.execute("INSERT INTO api_keys (id, key, name, description, is_active, is_admin, "
                   "requests_per_minute, requests_per_day, expires_at, created_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)", (*k, local(3600)))
    for i in range(8):
        db.execute("INSERT INTO usage_logs (id, api_key_id, account_id, model, endpoint, method, "
                   "input_tokens, output_tokens, status_code, response_time, timestamp, "
                   "ip_address, user_agent) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (i + 1, 10 + i % 2, 1 + i % 2, "claude-sonnet-4-5", "/v1/messages", "POST",
                    100 + i, 20, 200 if i < 7 else 500, 0.025 + i / 1000, local(600 - i), "127.0.0.1",
                    "curl/7.88.1"))
    db.commit()
    db.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class UpgradeFromV2Test(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon = daemon_with_fake(self)
        self.db = os.path.join(self.daemon.root, "amq2api.db")
        write_v2_database(self.db)

    def imported_keys(self):
        """The keys but the one amq2apid creates at its first start."""
        return [k for k in self.daemon.ctl_json("key", "list")["keys"]
                if k["name"] != "initial-admin"]

    def ask(self, key):
        return self.daemon.request("POST", "/v1/messages", body=MESSAGE,
                                   headers={"x-api-key": key, "content-type": "application/json"},
                                   timeout=30)

    def test_a_dry_run_says_what_would_come_and_writes_nothing(self):
        rc, out, err = self.daemon.ctl("import-v2", "--dry-run", self.db)
        self.assertEqual(rc, 0, err)
        self.assertIn("accounts: would add 3", out)
        self.assertIn("keys    : would add 6", out)
        self.assertIn("usage   : would add 8", out)
        self.assertIn("bootstrap key", out)
        self.assertEqual(self.imported_keys(), [])
        self.assertEqual(self.daemon.ctl_json("account", "list")["accounts"], [])

    def test_the_import_keeps_secrets_working_and_stored_only_as_hashes(self):
        before = sha256(self.db)
        report = self.daemon.ctl_json("import-v2", self.db)
        self.assertEqual(report["accounts"], {"added": 3, "present": 0})
        self.assertEqual(report["keys"], {"added": 6, "present": 0})
        self.assertEqual(report["usage"], {"added": 8, "present": 0})
        self.assertEqual(report["skipped"], [])
        self.assertEqual(sha256(self.db), before, "the v2.0 file must not change")

        accounts = {a["name"]: a for a in self.daemon.ctl_json("account", "list")["accounts"]}
        self.assertEqual(set(accounts), {"主账号", "backup", "shared"})
        self.assertEqual(accounts["主账号"]["requests_per_minute"], 10)
        self.assertFalse(accounts["shared"]["enabled"])

        for secret in ACTIVE_KEYS:
            self.assertEqual(self.ask(secret).status, 200, secret)
        for secret in (BOOTSTRAP, REVOKED_KEY, EXPIRED_KEY):
            self.assertEqual(self.ask(secret).status, 401, secret)

        # Account credentials are sealed with secrets.key; API key secrets kept only as hashes.
        plain = stored_in_plain_text(self.daemon.state_dir,
                                     [*ACTIVE_KEYS, BOOTSTRAP, REVOKED_KEY, EXPIRED_KEY, *SECRETS])
        self.assertEqual(plain, [], "secrets stored in plain text")

        # The imported records, then the requests just served (recorded in batches).
        wait_until(lambda: self.daemon.ctl_json("stats", "--days", "2")["total"]["requests"]
                   >= 8 + len(ACTIVE_KEYS), what="the imported and new usage in stats")
        self.assertGreaterEqual(self.daemon.ctl_json("stats", "--days", "2")["total"]["errors"], 1)

    def test_a_second_import_adds_nothing(self):
        self.daemon.ctl_json("import-v2", self.db)
        rc, out, err = self.daemon.ctl("--json", "import-v2", self.db)
        self.assertEqual(rc, 0, err)
        report = json.loads(out)
        self.assertEqual(report["accounts"], {"added": 0, "present": 3})
        self.assertEqual(report["keys"], {"added": 0, "present": 6})
        self.assertEqual(report["usage"], {"added": 0, "present": 8})
        self.assertEqual(len(self.imported_keys()), 6)

    def test_a_large_usage_table_goes_in_parts_and_twice_adds_nothing(self):
        db = sqlite3.connect(self.db)
        db.executemany("INSERT INTO usage_logs (id, api_key_id, account_id, model, endpoint, "
                       "status_code, response_time, timestamp) VALUES (?,?,?,?,?,?,?,?)",
                       [(100 + i, 10, 1, "claude-sonnet-4-5", "/v1/messages", 200, i / 1e4,
                         local(7200 - i / 10)) for i in range(25000)])
        db.commit()
        db.close()
        report = self.daemon.ctl_json("import-v2", self.db)
        self.assertEqual(report["usage"], {"added": 25008, "present": 0})
        self.assertEqual(report["keys"], {"added": 6, "present": 0})
        again = self.daemon.ctl_json("import-v2", self.db)
        self.assertEqual(again["usage"], {"added": 0, "present": 25008})

    def test_a_name_taken_here_or_a_shared_refresh_token_is_skipped_with_its_reason(self):
        self.daemon.ctl_json("account", "add", "--name", "backup", "--refresh-token", "rt-other",
                             "--client-id", "cid", "--client-secret", "cs")
        db = sqlite3.connect(self.db)
        db.execute("INSERT INTO accounts (id, name, refresh_token, client_id, client_secret) "
                   "VALUES (9, 'copy', ?, 'cid-main', ?)", (SECRETS[0], SECRETS[3]))
        db.commit()
        db.close()
        rc, out, err = self.daemon.ctl("import-v2", self.db)
        self.assertEqual(rc, 1, "skipped rows make the exit status 1")
        self.assertIn("skipped: account 'backup': another account has this name", out)
        self.assertIn("skipped: account 'copy': an account above has the same refresh token", out)
        self.assertIn("accounts: added 2", out)

    def test_a_second_key_of_one_secret_is_skipped_and_its_usage_counted_as_the_first(self):
        ci = "amq-ci-abcdefghijklmnopqrstuvwx"  # ci-runner, v2 id 11, with 4 usage rows
        db = sqlite3.connect(self.db)
        db.execute("DROP INDEX ix_api_keys_key")  # as a hand-made v2.0 database may lack it
        db.execute("INSERT INTO api_keys (id, key, name, is_active, created_at) "
                   "VALUES (30, ?, 'ci-copy', 1, ?)", (ci, local(3600)))
        db.executemany("INSERT INTO usage_logs (id, api_key_id, account_id, model, endpoint, "
                       "status_code, response_time, timestamp) VALUES (?,?,?,?,?,?,?,?)",
                       [(50 + i, 30, 1, "claude-sonnet-4-5", "/v1/messages", 200, 0.5,
                         local(900 + i)) for i in range(3)])
        db.commit()
        db.close()
        rc, out, err = self.daemon.ctl("--json", "import-v2", self.db)
        self.assertEqual(rc, 1, "a skipped row makes the exit status 1")
        report = json.loads(out)
        self.assertEqual(report["keys"], {"added": 6, "present": 0})
        self.assertEqual(report["usage"], {"added": 11, "present": 0})
        self.assertEqual([s["reason"] for s in report["skipped"]],
                         ["the same secret as key 'ci-runner' above, which it is imported as "
                          "(its usage too)"])
        self.assertTrue(report["skipped"][0]["what"].startswith("key 'ci-copy' (amq-ci"), report)
        by_key = {r["key_name"]: r["requests"] for r in
                  self.daemon.ctl_json("stats", "--days", "2", "--by", "key")["rows"]}
        self.assertEqual(by_key["ci-runner"], 4 + 3, by_key)
        self.assertEqual(sum(by_key.values()), 11, by_key)  # none left without its key
        self.assertEqual(self.ask(ci).status, 200)

    def test_v2_times_are_read_as_the_hosts_local_time(self):
        path = os.path.join(self.daemon.root, "east.db")
        db = sqlite3.connect(path)
        db.executescript(V2_SCHEMA)
        # Yesterday, 00:00:00.250 UTC, as a host at UTC+8 wrote it.
        midnight = (int(time.time()) // 86400 - 1) * 86400
        written = time.strftime("%Y-%m-%d %H:%M:%S.250000", time.gmtime(midnight + 8 * 3600))
        db.execute("INSERT INTO usage_logs (id, api_key_id, account_id, model, endpoint, "
                   "status_code, response_time, timestamp) VALUES "
                   "(1, NULL, NULL, 'm', '/v1/messages', 200, 0.5, ?)", (written,))
        db.commit()
        db.close()
        # A POSIX zone (no tzdata needed): UTC+8, as a v2.0 host in China kept its times.
        r = subprocess.run([AMQ2APICTL, "--socket", self.daemon.socket, "import-v2", path],
                           env=dict(os.environ, TZ="CST-8"), capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("read as local time, CST", r.stdout)
        day = time.strftime("%Y-%m-%d", time.gmtime(midnight))
        records = self.daemon.usage_records(since=day, until=day + "T00:00:01Z")
        self.assertEqual([(x["time_ms"], x["duration_ms"]) for x in records],
                         [(midnight * 1000 + 250, 500)])

    def test_a_file_that_is_no_v2_database_is_refused(self):
        other = os.path.join(self.daemon.root, "other.db")
        sqlite3.connect(other).executescript("CREATE TABLE t (x INTEGER);")
        rc, _, err = self.daemon.ctl("import-v2", other)
        self.assertEqual(rc, 2)
        self.assertIn("not a v2.0 database (table accounts)", err)
        rc, _, err = self.daemon.ctl("import-v2", os.path.join(self.daemon.root, "missing.db"))
        self.assertEqual(rc, 2)

    def test_the_real_v2_database_imports(self):
        fixture = os.environ.get("AMQ_V2_FIXTURE", "")
        if not os.path.exists(fixture):
            self.skipTest("set AMQ_V2_FIXTURE to a database written by v2.0 to import it")
        copy = os.path.join(self.daemon.root, "real.db")
        shutil.copyfile(fixture, copy)
        real = sqlite3.connect(copy)
        count = lambda table: real.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        expected = (count("accounts"), count("api_keys"), count("usage_logs"))
        active = [k for (k,) in real.execute(
            "SELECT key FROM api_keys WHERE is_active = 1 AND key != ? AND "
            "(expires_at IS NULL OR expires_at > datetime('now', 'localtime'))", (BOOTSTRAP,))]
        revoked = [k for (k,) in real.execute("SELECT key FROM api_keys WHERE is_active = 0")]
        credentials = [v for row in real.execute(
            "SELECT refresh_token, client_secret FROM accounts") for v in row if v]
        every_key = [k for (k,) in real.execute("SELECT key FROM api_keys")]
        real.close()
        report = self.daemon.ctl_json("import-v2", copy)
        self.assertEqual((report["accounts"]["added"], report["keys"]["added"],
                          report["usage"]["added"]), expected, report)
        for secret in active:
            self.assertEqual(self.ask(secret).status, 200, secret[:12])
        for secret in [BOOTSTRAP, *revoked]:
            self.assertEqual(self.ask(secret).status, 401, secret[:12])
        again = self.daemon.ctl_json("import-v2", copy)
        self.assertEqual((again["accounts"]["added"], again["keys"]["added"],
                          again["usage"]["added"]), (0, 0, 0))
        self.assertEqual(stored_in_plain_text(self.daemon.state_dir, credentials + every_key),
                         [], "a secret of the v2.0 database in the state directory")


if __name__ == "__main__":
    unittest.main()

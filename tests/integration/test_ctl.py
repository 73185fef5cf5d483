"""amq2apictl, the control CLI, end to end against the real daemon and tests/fake_upstream:
every command in its human and --json forms, the exit codes (0 ok, 1 refused, 2 usage,
3 unreachable), the help of every command, usage export in both formats, the audit log as the
CLI shows it, backup and the documented restore, and secrets read from stdin.

The behaviour behind the commands (pool states, key limits, rollups) is tested in depth by
test_pool.py and test_keys.py; here the subject is what amq2apictl prints and returns."""

import csv
import io
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import unittest
from unittest import mock

from harness import AMQ2APICTL, Daemon, FakeUpstream, require_root, wait_until

UID = os.getuid()
ACTOR = f"control socket uid {UID}"
SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5"
TEXT = {"model": SONNET, "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello"}]}
MAN_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "man",
                        "amq2apictl.8")
USAGE_COLUMNS = ["time", "time_ms", "key_id", "account_id", "endpoint", "client_model",
                 "upstream_model", "stream", "status", "error_class", "input_tokens",
                 "output_tokens", "credits_micros", "ttfb_ms", "duration_ms", "attempts",
                 "client_address", "user_agent", "request_id"]


def run_ctl(*args, stdin=None, env=None):
    """amq2apictl with exactly these arguments (no --socket added)."""
    r = subprocess.run([AMQ2APICTL, *args], input=stdin, capture_output=True, text=True,
                       timeout=60, env=env)
    return r.returncode, r.stdout, r.stderr


def lines_of(out):
    """The "label: value" lines of a human answer, as a dict."""
    fields = {}
    for line in out.splitlines():
        m = re.match(r"^([A-Za-z][A-Za-z /]*):\s+(.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def table_of(out, first_header):
    """The rows of the table whose header line starts with `first_header`, as dicts (columns
    are separated by two or more spaces)."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(first_header + " "):
            headers = re.split(r"\s{2,}", line.strip())
            rows = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                cells = re.split(r"\s{2,}", row.strip())
                if len(cells) != len(headers):
                    raise AssertionError(f"row {row!r} does not fit the header {headers}")
                rows.append(dict(zip(headers, cells)))
            return rows
    raise AssertionError(f"no table with a {first_header} column in:\n{out}")


def import_report(out):
    """The rows of account import's table and its totals line (the last line)."""
    table, totals = out.rstrip("\n").rsplit("\n", 1)
    return table_of(table, "RESULT"), totals


def csv_text(value):
    """A usage record's JSON value as usage export writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CtlTestCase(unittest.TestCase):
    """A daemon (two workers) on the fake upstream, with Kiro's endpoint too."""

    def setUp(self):
        # Tables as wide as their cells, so that they read back whole; TerminalWidth narrows.
        patch = mock.patch.dict(os.environ, {"COLUMNS": "1000"})
        patch.start()
        self.addCleanup(patch.stop)
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.proc.stdout.close)
        self.addCleanup(self.fake.stop)
        self.daemon = self.start_daemon()
        self.tmp = tempfile.mkdtemp(prefix="amq2apictl-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start_daemon(self, root=None):
        d = Daemon(root=root, extra_args=[*self.fake.daemon_args(), "--kiro-token-endpoint",
                                          self.fake.url + "/refreshToken"])
        self.addCleanup(d.cleanup)
        d.start()
        return d

    # --- running amq2apictl -------------------------------------------------------------

    def human(self, *args, stdin=None, daemon=None):
        """The human answer of a command that must succeed: exit 0, something on stdout,
        nothing on stderr."""
        rc, out, err = (daemon or self.daemon).ctl(*args, stdin=stdin)
        self.assertEqual(rc, 0, f"amq2apictl {' '.join(args)}: {err}")
        self.assertEqual(err, "", f"amq2apictl {' '.join(args)} wrote to stderr")
        self.assertTrue(out.strip(), f"amq2apictl {' '.join(args)} printed nothing")
        self.assertTrue(out.endswith("\n"), repr(out))
        return out

    def js(self, *args, stdin=None, daemon=None):
        """The --json answer of a command that must succeed: one line of JSON."""
        rc, out, err = (daemon or self.daemon).ctl("--json", *args, stdin=stdin)
        self.assertEqual(rc, 0, f"amq2apictl --json {' '.join(args)}: {err}")
        self.assertEqual(err, "", f"amq2apictl --json {' '.join(args)} wrote to stderr")
        self.assertEqual(out.count("\n"), 1, f"--json answer is not one line: {out!r}")
        return json.loads(out)

    def refused(self, *args, stdin=None, contains=None):
        """A command the daemon refuses: exit 1, nothing on stdout, one line on stderr
        starting with "amq2apictl: "."""
        rc, out, err = self.daemon.ctl(*args, stdin=stdin)
        self.assertEqual(rc, 1, f"amq2apictl {' '.join(args)}: {out!r} {err!r}")
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("amq2apictl: "), repr(err))
        self.assertEqual(err.count("\n"), 1, repr(err))
        if contains:
            self.assertIn(contains, err)
        return err

    def usage_error(self, *args, contains=None, socket_path=None, stdin=None):
        """A wrong command line: exit 2, nothing on stdout, the reason on stderr."""
        rc, out, err = run_ctl("--socket", socket_path or self.daemon.socket, *args,
                               stdin=stdin)
        self.assertEqual(rc, 2, f"amq2apictl {' '.join(args)}: {out!r} {err!r}")
        self.assertEqual(out, "", f"amq2apictl {' '.join(args)}")
        if contains:
            self.assertIn(contains, err, f"amq2apictl {' '.join(args)}")
        return err

    # --- fixtures -----------------------------------------------------------------------

    def add_account(self, name, rpm=100000):
        return self.js("account", "add", "--name", name, "--refresh-token", f"rt-{name}",
                       "--client-id", f"cid-{name}", "--client-secret", f"cs-{name}",
                       "--rpm", str(rpm))

    def create_key(self, name):
        data = self.js("key", "create", "--name", name, "--rpm", "100000", "--rpd", "1000000")
        return data["key"], data["api_key"]["id"]

    def post(self, key, model=SONNET, daemon=None, user_agent=None):
        headers = {"x-api-key": key, "content-type": "application/json",
                   "anthropic-version": "2023-06-01"}
        if user_agent is not None:
            headers["user-agent"] = user_agent
        r = (daemon or self.daemon).request("POST", "/v1/messages", body=dict(TEXT, model=model),
                                            headers=headers, timeout=30)
        self.assertEqual(r.status, 200, r.body)
        return r

    def wait_requests(self, n, daemon=None):
        """Until the rollups hold n requests today (the master commits usage about once a
        second)."""
        def counted():
            return self.js("stats", "--days", "1", "--by", "none",
                           daemon=daemon)["total"]["requests"] >= n
        wait_until(counted, 10, interval=0.1, what=f"{n} requests in the stats")
        self.assertEqual(self.js("stats", "--days", "1", "--by", "none",
                                 daemon=daemon)["total"]["requests"], n)


class DaemonCommands(CtlTestCase):
    def test_status_and_workers(self):
        out = self.human("status")
        f = lines_of(out)
        self.assertEqual(f["pid"], str(self.daemon.proc.pid))
        self.assertEqual(f["listen"], f"127.0.0.1:{self.daemon.port}")
        self.assertEqual(f["generation"], "1")
        self.assertRegex(f["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(f["keys"], "1 (1 enabled)")  # the initial admin key
        self.assertEqual(f["accounts"], "0 (0 enabled)")
        rows = table_of(out, "INDEX")
        self.assertEqual([r["STATE"] for r in rows], ["ready", "ready"])

        status = self.js("status")
        for field in ("version", "pid", "started_at", "uptime_s", "listen", "generation",
                      "workers", "accounts", "keys"):
            self.assertIn(field, status)
        self.assertEqual(status["pid"], self.daemon.proc.pid)
        self.assertEqual(status["version"], f["version"])
        self.assertEqual(status["keys"], {"total": 1, "enabled": 1})
        self.assertEqual({r["PID"] for r in rows}, {str(w["pid"]) for w in status["workers"]})
        # --json and --socket are also taken after the command.
        rc, out2, err = run_ctl("status", "--json", "--socket", self.daemon.socket)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out2)["pid"], self.daemon.proc.pid)

        out = self.human("workers")
        rows = table_of(out, "INDEX")
        self.assertEqual(len(rows), 2)
        workers = self.js("workers")
        self.assertEqual(workers["generation"], 1)
        self.assertEqual({r["PID"] for r in rows}, {str(w["pid"]) for w in workers["workers"]})
        for w in workers["workers"]:
            for field in ("index", "pid", "generation", "state", "requests", "inflight",
                          "uptime_s"):
                self.assertIn(field, w)

    def test_reload_starts_a_higher_generation(self):
        old = self.js("workers")
        out = self.human("reload")
        self.assertIn("reloading", out)

        def replaced(generation):
            def check():
                w = self.js("workers")
                return (w["generation"] == generation and len(w["workers"]) == 2
                        and all(x["generation"] == generation and x["state"] == "ready"
                                for x in w["workers"]))
            return check
        wait_until(replaced(old["generation"] + 1), 20, what="generation 2 alone")
        new = self.js("workers")
        self.assertFalse({w["pid"] for w in new["workers"]} & {w["pid"] for w in old["workers"]})
        rows = table_of(self.human("workers"), "INDEX")
        self.assertEqual({r["GENERATION"] for r in rows}, {str(old["generation"] + 1)})

        self.assertEqual(self.js("reload"), {"reloading": True})
        wait_until(replaced(old["generation"] + 2), 20, what="generation 3 alone")
        self.assertEqual(self.js("status")["generation"], old["generation"] + 2)

    def test_log_level(self):
        self.assertIn("debug", self.human("log-level", "debug"))
        self.assertEqual(self.js("log-level", "debug"), {"level": "debug"})
        self.assertIn("info", self.human("log-level", "info"))
        self.assertEqual(self.js("log-level", "info"), {"level": "info"})
        self.usage_error("log-level", "loud", contains="loud")


class AccountCommands(CtlTestCase):
    def test_every_account_command(self):
        # add: human, then --json with connection overrides.
        out = self.human("account", "add", "--name", "alpha", "--refresh-token", "rt-alpha",
                         "--client-id", "cid-alpha", "--client-secret", "cs-alpha")
        f = lines_of(out)
        self.assertEqual((f["name"], f["kind"], f["state"], f["client id"]),
                         ("alpha", "idc", "healthy", "cid-alpha"))
        self.assertEqual(f["requests/minute"], "unlimited")  # account-rpm-default
        alpha = int(f["id"])
        beta = self.js("account", "add", "--name", "beta", "--kind", "social", "--refresh-token",
                       "rt-beta", "--rpm", "25", "--notes", "spare", "--region", "eu-west-1",
                       "--proxy", "http://user:pw-beta@proxy.invalid:3128")
        for field in ("id", "name", "kind", "state", "enabled", "requests_per_minute", "notes",
                      "created_at", "proxy"):
            self.assertIn(field, beta)
        self.assertEqual((beta["name"], beta["kind"], beta["requests_per_minute"],
                          beta["notes"], beta["region"]),
                         ("beta", "social", 25, "spare", "eu-west-1"))
        self.assertNotIn("pw-beta", json.dumps(beta))

        # list
        rows = table_of(self.human("account", "list"), "ID")
        self.assertEqual([(r["ID"], r["NAME"], r["KIND"], r["STATE"]) for r in rows],
                         [(str(alpha), "alpha", "idc", "healthy"),
                          (str(beta["id"]), "beta", "social", "healthy")])
        listed = self.js("account", "list")["accounts"]
        self.assertEqual([a["name"] for a in listed], ["alpha", "beta"])

        # show, by name and by id
        f = lines_of(self.human("account", "show", "beta"))
        self.assertEqual((f["name"], f["region"], f["notes"]), ("beta", "eu-west-1", "spare"))
        self.assertEqual(f["proxy"], "http://user:***@proxy.invalid:3128")
        self.assertEqual(self.js("account", "show", str(beta["id"]))["name"], "beta")

        # update: human and --json; "set" is not needed by the CLI user
        out = self.human("account", "update", "alpha", "--rpm", "30", "--notes", "main one")
        self.assertIn(f"updated account {alpha} (alpha)", out)
        self.assertEqual(lines_of(out)["requests/minute"], "30")
        updated = self.js("account", "update", str(beta["id"]), "--name", "gamma", "--proxy", "",
                          "--notes", "")
        self.assertEqual((updated["name"], updated["proxy"], updated["notes"]), ("gamma", "", ""))
        self.assertEqual(self.js("account", "show", "gamma")["requests_per_minute"], 25)

        # disable / enable
        out = self.human("account", "disable", "alpha")
        self.assertIn(f"disabled account {alpha} (alpha)", out)
        self.assertEqual(lines_of(out)["state"], "disabled")
        self.assertEqual(self.js("account", "disable", "gamma")["state"], "disabled")
        out = self.human("account", "enable", "alpha")
        self.assertIn(f"enabled account {alpha} (alpha)", out)
        self.assertEqual(lines_of(out)["state"], "healthy")
        enabled = self.js("account", "enable", "gamma")
        self.assertEqual((enabled["state"], enabled["enabled"]), ("healthy", True))

        # events: the two changes, oldest first
        rows = table_of(self.human("account", "events", "alpha"), "AT")
        self.assertEqual([(r["FROM"], r["TO"]) for r in rows],
                         [("healthy", "disabled"), ("disabled", "healthy")])
        events = self.js("account", "events", "alpha")
        self.assertEqual(events["account"]["name"], "alpha")
        self.assertEqual([(e["from"], e["to"]) for e in events["events"]],
                         [("healthy", "disabled"), ("disabled", "healthy")])
        for e in events["events"]:
            self.assertTrue(e["at"] and e["reason"], e)

        # refresh: at the OIDC endpoint (idc) and at Kiro's (social)
        out = self.human("account", "refresh", "alpha")
        self.assertRegex(out, r"^refreshed alpha; access token valid until \d{4}-\d\d-\d\dT")
        refreshed = self.js("account", "refresh", "gamma")
        self.assertEqual(refreshed["account"]["name"], "gamma")
        self.assertTrue(refreshed["access_expires_at"])
        sent = self.fake.requests()
        self.assertEqual([r["body"]["refreshToken"] for r in sent["token"]], ["rt-alpha"])
        self.assertEqual([r["body"]["refreshToken"] for r in sent["kiro"]], ["rt-beta"])

        # quota
        out = self.human("account", "quota", "alpha")
        self.assertRegex(out, r"^alpha: 1000 of 1000 requests left this month \(resets ")
        quota = self.js("account", "quota", "alpha")
        for field in ("limit", "used", "remaining", "next_reset", "subscription", "email"):
            self.assertIn(field, quota)
        self.assertEqual((quota["name"], quota["limit"], quota["remaining"]),
                         ("alpha", 1000, 1000))

        # import: a file (human), then stdin (--json)
        path = os.path.join(self.tmp, "accounts.json")
        with open(path, "w") as f:
            json.dump([{"name": "imp-file", "refresh_token": "rt-imp-file",
                        "client_id": "cid-imp-file", "client_secret": "cs-imp-file"}], f)
        rows, totals = import_report(self.human("account", "import", path))
        self.assertEqual([(r["RESULT"], r["SOURCE"], r["DETAIL"]) for r in rows],
                         [("added", path + "[0]", "healthy")])
        self.assertRegex(rows[0]["ACCOUNT"], r"^imp-file \(id \d+\)$")
        self.assertEqual(totals, "added 1 account, skipped 0, refused 0")
        doc = json.dumps({"name": "imp-stdin", "refresh_token": "rt-imp-stdin",
                          "client_id": "cid-imp-stdin", "client_secret": "cs-imp-stdin"})
        imported = self.js("account", "import", "-", stdin=doc)
        self.assertEqual([a["name"] for a in imported["imported"]], ["imp-stdin"])
        self.assertEqual(imported["refused"], [])
        self.assertEqual(imported["imported"][0]["state"], "healthy")
        self.assertIn("stdin", self.js("account", "show", "imp-stdin")["notes"])
        # The same file again: nothing to add, and nothing wrong either.
        rows, totals = import_report(self.human("account", "import", path))
        self.assertEqual([(r["RESULT"], r["ACCOUNT"], r["DETAIL"]) for r in rows],
                         [("skipped", "imp-file", "already imported as account 'imp-file'")])
        self.assertEqual(totals, "added 0 accounts, skipped 1, refused 0")

        # remove: by id (human), by name (--json)
        out = self.human("account", "remove", str(alpha))
        self.assertEqual(out, f"removed account {alpha} (alpha)\n")
        removed = self.js("account", "remove", "gamma")
        self.assertEqual(removed, {"removed": beta["id"], "name": "gamma"})
        self.assertEqual([a["name"] for a in self.js("account", "list")["accounts"]],
                         ["imp-file", "imp-stdin"])
        self.refused("account", "show", "alpha", contains="alpha")


class AccountImportDirectory(CtlTestCase):
    """account import DIR on a token cache as operators have one: every kind of token file,
    with the mistakes such a directory holds."""

    START_URL = "https://d-1234567890.awsapps.com/start"

    def write_cache(self, root):
        files = {
            # AWS CLI v2 sso-session cache file: the token with its own registration.
            "aws-cli-session.json": {
                "startUrl": self.START_URL, "region": "us-east-1", "accessToken": "at-old",
                "expiresAt": "2020-01-01T00:00:00Z", "clientId": "cid-dir-sso",
                "clientSecret": "cs-dir-sso", "registrationExpiresAt": "2099-01-01T00:00:00Z",
                "refreshToken": "rt-dir-sso"},
            # Kiro / Amazon Q CLI IdC token and its registration, named by clientIdHash.
            "kiro-auth-token.json": {
                "accessToken": "at-old", "refreshToken": "rt-dir-kiro-idc",
                "expiresAt": "2020-01-01T00:00:00.000Z", "clientIdHash": "0123abcd",
                "authMethod": "IdC", "provider": "Enterprise", "region": "us-east-1",
                "startUrl": self.START_URL},
            "0123abcd.json": {"clientId": "cid-dir-kiro", "clientSecret": "cs-dir-kiro",
                              "expiresAt": "2099-01-01T00:00:00.000Z"},
            "kiro-social.json": {
                "accessToken": "at-old", "refreshToken": "rt-dir-social",
                "expiresAt": "2020-01-01T00:00:00.000Z", "authMethod": "social",
                "provider": "Github",
                "profileArn": "arn:aws:codewhisperer:us-east-1:123456789012:profile/DIR"},
            # The seed's accounts, the second one the social token again.
            "seed.json": [
                {"name": "dir-seed", "refresh_token": "rt-dir-seed", "client_id": "cid-dir-seed",
                 "client_secret": "cs-dir-seed"},
                {"refreshToken": "rt-dir-social", "authMethod": "social", "provider": "Github"}],
            "expired-session.json": {
                "startUrl": self.START_URL, "region": "us-east-1", "clientId": "cid-old",
                "clientSecret": "cs-old", "registrationExpiresAt": "2020-06-01T00:00:00Z",
                "refreshToken": "rt-dir-expired"},
            "legacy-token.json": {"startUrl": self.START_URL, "region": "us-east-1",
                                  "accessToken": "at-legacy",
                                  "expiresAt": "2099-01-01T00:00:00Z"},
        }
        os.makedirs(root)
        for name, doc in files.items():
            with open(os.path.join(root, name), "w") as f:
                json.dump(doc, f)
        with open(os.path.join(root, "broken.json"), "w") as f:
            f.write('{"refreshToken": "rt-dir-broken"')
        with open(os.path.join(root, "notes.txt"), "w") as f:
            f.write("not a token file")
        return root

    def test_a_directory_is_imported_file_by_file_and_a_second_time_skipped(self):
        cache = self.write_cache(os.path.join(self.tmp, "cache"))
        path = lambda name: os.path.join(cache, name)  # noqa: E731
        rc, out, err = self.daemon.ctl("--json", "account", "import", cache)
        self.assertEqual((rc, err), (1, ""), out)  # 1: broken.json is refused
        data = json.loads(out)
        names = {a["source"]: a["name"] for a in data["imported"]}
        self.assertEqual(sorted(names), [path("aws-cli-session.json"), path("kiro-auth-token.json"),
                                         path("kiro-social.json"), path("seed.json") + "[0]"])
        self.assertEqual([a["refresh"] for a in data["imported"]], ["ok"] * 4)
        social = names[path("kiro-social.json")]
        self.assertEqual(data["skipped"], [
            {"source": path("expired-session.json"), "name": data["skipped"][0]["name"],
             "reason": "client registration expired at 2020-06-01T00:00:00Z"},
            {"source": path("legacy-token.json"), "name": "",
             "reason": "no refresh token: an access token alone expires within hours"},
            {"source": path("seed.json") + "[1]", "name": social,
             "reason": f"same refresh token as {path('kiro-social.json')}"}])
        self.assertEqual([(r["source"], r["reason"]) for r in data["refused"]],
                         [(path("broken.json"), "malformed JSON at offset 32: Missing a comma or "
                                                "'}' after an object member.")])
        self.assertEqual(data["registrations"], [
            {"source": path("0123abcd.json"), "used_by": [names[path("kiro-auth-token.json")]]}])

        # Refreshed once each where it belongs; the IdC ones with their registration, kept
        # with its start URL for a later login.
        sent = self.fake.requests()
        self.assertEqual(sorted((r["body"]["refreshToken"], r["body"]["clientId"])
                                for r in sent["token"]),
                         [("rt-dir-kiro-idc", "cid-dir-kiro"), ("rt-dir-seed", "cid-dir-seed"),
                          ("rt-dir-sso", "cid-dir-sso")])
        self.assertEqual([r["body"]["refreshToken"] for r in sent["kiro"]], ["rt-dir-social"])
        for source in ("aws-cli-session.json", "kiro-auth-token.json"):
            shown = self.js("account", "show", names[path(source)])
            self.assertEqual((shown["start_url"], shown["registration_expires_at"]),
                             (self.START_URL, "2099-01-01T00:00:00Z"), source)
        audit = self.js("audit")["entries"]
        self.assertEqual([e["command"] for e in audit], ["account.import"])
        self.assertNotRegex(json.dumps(audit), r"rt-dir|cs-dir")

        # The accounts serve.
        key, _ = self.create_key("importer")
        for _ in range(8):
            self.post(key)
        served = {a["name"]: a["last_served_at"] for a in
                  (self.js("account", "show", n) for n in names.values())}
        self.assertTrue(all(served.values()), served)

        # The broken file mended: a second run adds nothing, changes nothing, exits 0.
        os.remove(path("broken.json"))
        rows, totals = import_report(self.human("account", "import", cache))
        self.assertEqual(totals, "added 0 accounts, skipped 7, refused 0, 1 client registration")
        self.assertEqual([(r["RESULT"], r["SOURCE"]) for r in rows],
                         [("registration", path("0123abcd.json"))] +
                         [("skipped", path(n)) for n in (
                             "aws-cli-session.json", "expired-session.json",
                             "kiro-auth-token.json", "kiro-social.json", "legacy-token.json",
                             "seed.json[0]", "seed.json[1]")])
        self.assertEqual(rows[1]["DETAIL"], f"already imported as account '{rows[1]['ACCOUNT']}'")
        self.assertEqual(len(self.js("account", "list")["accounts"]), 4)
        self.assertEqual(len(self.js("audit")["entries"]), 2)  # the key; no second import

    def test_the_rendered_report_names_every_file(self):
        cache = self.write_cache(os.path.join(self.tmp, "cache"))
        self.write_cache(os.path.join(self.tmp, "again"))
        rc, out, err = self.daemon.ctl("account", "import", cache,
                                       os.path.join(self.tmp, "again", "seed.json"),
                                       os.path.join(self.tmp, "missing.json"))
        self.assertEqual((rc, err), (1, ""), out)
        rows, totals = import_report(out)
        self.assertEqual(totals, "added 4 accounts, skipped 5, refused 2, 1 client registration")
        self.assertEqual([(r["RESULT"], os.path.relpath(r["SOURCE"], self.tmp)) for r in rows], [
            ("added", "cache/aws-cli-session.json"), ("added", "cache/kiro-auth-token.json"),
            ("added", "cache/kiro-social.json"), ("added", "cache/seed.json[0]"),
            ("registration", "cache/0123abcd.json"),
            ("skipped", "cache/expired-session.json"), ("skipped", "cache/legacy-token.json"),
            ("skipped", "cache/seed.json[1]"), ("skipped", "again/seed.json[0]"),
            ("skipped", "again/seed.json[1]"),
            ("refused", "cache/broken.json"), ("refused", "missing.json")])
        details = [r["DETAIL"] for r in rows]
        self.assertEqual(details[:4], ["healthy"] * 4)
        self.assertRegex(details[4], r"^used by enterprise-[0-9a-f]{8}$")
        self.assertEqual(details[8], f"same refresh token as {cache}/seed.json[0]")
        self.assertEqual(details[-1], "cannot read: No such file or directory")


class KeyCommands(CtlTestCase):
    def test_every_key_command(self):
        self.add_account("acct")
        # create: human shows the secret once, with a warning
        out = self.human("key", "create", "--name", "ci", "--description", "the CI job",
                         "--rpm", "30", "--max-concurrent", "4", "--models",
                         f"{SONNET},{HAIKU}", "--expires-days", "90")
        f = lines_of(out)
        secret = f["API key secret"]
        self.assertRegex(secret, r"^amq-[A-Za-z0-9_-]{43}$")
        self.assertIn("will not be shown again", out)
        self.assertEqual((f["name"], f["requests/minute"], f["max concurrent"], f["admin"]),
                         ("ci", "30", "4", "no"))
        self.assertEqual(f["models"], f"{SONNET},{HAIKU}")
        self.assertTrue(secret.startswith(f["prefix"].split("…")[0]), (secret, f["prefix"]))
        self.assertTrue(secret.endswith(f["prefix"].split("…")[1]), (secret, f["prefix"]))
        ci = int(f["id"])
        self.post(secret)  # the printed secret is the key

        created = self.js("key", "create", "--name", "ops", "--admin", "--rpd", "500",
                          "--expires-at", "2099-01-31")
        self.assertEqual(set(created), {"key", "api_key"})
        ops = created["api_key"]
        for field in ("id", "name", "key_prefix", "is_admin", "enabled", "requests_per_minute",
                      "requests_per_day", "max_concurrent", "allowed_models", "expires_at"):
            self.assertIn(field, ops)
        self.assertEqual((ops["name"], ops["is_admin"], ops["requests_per_day"],
                          ops["requests_per_minute"]), ("ops", True, 500, 60))
        self.assertTrue(ops["expires_at"].startswith("2099-01-31"), ops)
        self.assertNotIn(created["key"], json.dumps(ops))

        # list and show never show a secret
        out = self.human("key", "list")
        rows = {r["NAME"]: r for r in table_of(out, "ID")}
        self.assertEqual(set(rows), {"initial-admin", "ci", "ops"})
        self.assertEqual((rows["ci"]["ID"], rows["ci"]["RPM"], rows["ci"]["MAX_CONC"]),
                         (str(ci), "30", "4"))
        self.assertEqual(rows["ops"]["ADMIN"], "yes")
        self.assertEqual(rows["ops"]["MAX_CONC"], "unlimited")
        keys = self.js("key", "list")["keys"]
        self.assertEqual([k["name"] for k in keys], ["initial-admin", "ci", "ops"])
        f = lines_of(self.human("key", "show", "ci"))
        self.assertEqual((f["id"], f["description"]), (str(ci), "the CI job"))
        self.assertEqual(self.js("key", "show", str(ops["id"]))["name"], "ops")
        for text in (out, json.dumps(keys), self.human("key", "show", "ops")):
            self.assertNotIn(secret, text)
            self.assertNotIn(created["key"], text)

        # update
        out = self.human("key", "update", "ci", "--rpm", "120", "--models", "",
                         "--expires-at", "")
        self.assertIn(f"updated key {ci} (ci)", out)
        f = lines_of(out)
        self.assertEqual((f["requests/minute"], f["models"], f["expires"]), ("120", "all", "-"))
        updated = self.js("key", "update", "ops", "--no-admin", "--max-concurrent", "2",
                          "--name", "ops2")
        self.assertEqual((updated["name"], updated["is_admin"], updated["max_concurrent"]),
                         ("ops2", False, 2))

        # disable / enable / revoke
        out = self.human("key", "disable", "ci")
        self.assertIn(f"disabled key {ci} (ci)", out)
        self.assertEqual(lines_of(out)["enabled"], "no")
        self.assertEqual(self.js("key", "enable", "ci")["enabled"], True)
        out = self.human("key", "revoke", "ci")
        self.assertIn(f"revoked key {ci} (ci)", out)
        self.assertEqual(self.js("key", "show", "ci")["enabled"], False)
        out = self.human("key", "enable", "ci")
        self.assertIn(f"enabled key {ci} (ci)", out)
        self.assertEqual(self.js("key", "disable", "ops2")["enabled"], False)
        self.assertEqual(self.js("key", "revoke", "ops2")["enabled"], False)
        self.post(secret)  # enabled again: usable again

        # remove
        self.assertEqual(self.human("key", "remove", "ci"), f"removed key {ci} (ci)\n")
        self.assertEqual(self.js("key", "remove", str(ops["id"])),
                         {"removed": ops["id"], "name": "ops2"})
        self.assertEqual([k["name"] for k in self.js("key", "list")["keys"]], ["initial-admin"])


class StatsAndUsage(CtlTestCase):
    """Two keys and two models: k-a sends three requests for Sonnet, k-b two for Haiku."""

    UA = 'probe "quoted", with a comma'

    def setUp(self):
        super().setUp()
        self.acct = self.add_account("acct")
        self.key_a, self.id_a = self.create_key("k-a")
        self.key_b, self.id_b = self.create_key("k-b")
        for _ in range(3):
            self.post(self.key_a, SONNET, user_agent=self.UA)
        for _ in range(2):
            self.post(self.key_b, HAIKU)
        self.wait_requests(5)

    def test_stats_by_each_grouping(self):
        expected_rows = {
            "day": ("DATE", "date", None),
            "key": ("KEY_ID", "key_name", {"k-a": 3, "k-b": 2}),
            "account": ("ACCOUNT_ID", "account_name", {"acct": 5}),
            "model": ("MODEL", "model", {SONNET: 3, HAIKU: 2}),
        }
        for by, (header, name_field, counts) in expected_rows.items():
            with self.subTest(by=by):
                out = self.human("stats", "--days", "1", "--by", by)
                f = lines_of(out)
                self.assertEqual(f["requests"], "5")
                self.assertRegex(f["errors"], r"^0\b")
                self.assertRegex(f["period"], r"\(1 day\)")
                rows = table_of(out, header)
                self.assertEqual(sum(int(r["REQUESTS"]) for r in rows), 5, out)
                data = self.js("stats", "--days", "1", "--by", by)
                self.assertEqual(data["by"], by)
                self.assertEqual(data["period"]["days"], 1)
                self.assertEqual(data["total"]["requests"], 5)
                for field in ("errors", "input_tokens", "output_tokens", "total_tokens",
                              "avg_duration_ms", "avg_ttfb_ms"):
                    self.assertIn(field, data["total"])
                self.assertEqual(data["total"]["total_tokens"],
                                 data["total"]["input_tokens"] + data["total"]["output_tokens"])
                got = {row[name_field]: row["requests"] for row in data["rows"]}
                if counts is None:
                    self.assertEqual(list(got.values()), [5])
                    self.assertEqual(rows[0]["DATE"], list(got)[0])
                else:
                    self.assertEqual(got, counts)
        # by key: the ids too
        ids = {row["key_name"]: row["key_id"]
               for row in self.js("stats", "--days", "1", "--by", "key")["rows"]}
        self.assertEqual(ids, {"k-a": self.id_a, "k-b": self.id_b})
        # none: the totals only, no table
        out = self.human("stats", "--days", "1", "--by", "none")
        self.assertEqual(lines_of(out)["requests"], "5")
        self.assertNotIn("REQUESTS", out)
        self.assertEqual(self.js("stats", "--by", "none")["rows"], [])
        # the default: 7 days, by day
        data = self.js("stats")
        self.assertEqual((data["by"], data["period"]["days"]), ("day", 7))

    def test_usage_export_csv_and_ndjson(self):
        since = ("usage", "export", "--since", "2020-01-01")
        rc, ndjson_out, err = self.daemon.ctl(*since, "--format", "ndjson")
        self.assertEqual((rc, err), (0, ""))
        records = [json.loads(line) for line in ndjson_out.splitlines()]
        self.assertEqual(len(records), 5)
        for r in records:
            self.assertEqual(list(r), USAGE_COLUMNS)
        self.assertEqual(sorted(r["key_id"] for r in records),
                         [self.id_a] * 3 + [self.id_b] * 2)
        self.assertEqual({r["account_id"] for r in records}, {self.acct["id"]})
        self.assertEqual([r["time_ms"] for r in records], sorted(r["time_ms"] for r in records))
        self.assertEqual(sum(r["user_agent"] == self.UA for r in records), 3)

        rc, csv_out, err = self.daemon.ctl(*since, "--format", "csv")
        self.assertEqual((rc, err), (0, ""))
        self.assertNotIn("\r", csv_out)  # lines end with a line feed
        reader = csv.reader(io.StringIO(csv_out, newline=""))
        header = next(reader)
        self.assertEqual(header, USAGE_COLUMNS)
        rows = list(reader)
        self.assertEqual(rows, [[csv_text(r[c]) for c in USAGE_COLUMNS] for r in records])
        self.assertIn('"probe ""quoted"", with a comma"', csv_out)  # RFC 4180 quoting

        # --output FILE: the same bytes, nothing on stdout; --json changes nothing
        for fmt, expected in (("csv", csv_out), ("ndjson", ndjson_out)):
            path = os.path.join(self.tmp, f"usage.{fmt}")
            with open(path, "w") as f:
                f.write("old content that must go\n" * 100)
            rc, out, err = self.daemon.ctl("--json", *since, "--format", fmt, "--output", path)
            self.assertEqual((rc, out, err), (0, "", ""))
            with open(path, newline="") as f:
                self.assertEqual(f.read(), expected, fmt)

        # --until before the requests: a header and nothing else
        rc, out, _ = self.daemon.ctl(*since, "--until", "2020-01-02", "--format", "csv")
        self.assertEqual((rc, out), (0, ",".join(USAGE_COLUMNS) + "\n"))
        rc, out, _ = self.daemon.ctl(*since, "--until", "2020-01-02", "--format", "ndjson")
        self.assertEqual((rc, out), (0, ""))
        # the last record's own time, as --since, exports it and what follows
        last = records[-1]["time"]
        rc, out, _ = self.daemon.ctl("usage", "export", "--since", last, "--format", "ndjson")
        self.assertEqual(rc, 0)
        tail = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(tail, [r for r in records if r["time"] >= last])


class Audit(CtlTestCase):
    SECRETS = ("rt-SECRET-audit", "cs-SECRET-audit", "pw-SECRET-audit", "rt-SECRET-new")

    def test_audit_shows_the_changes_by_whom_and_no_secret(self):
        acct = self.js("account", "add", "--name", "audited", "--refresh-token",
                       "rt-SECRET-audit", "--client-id", "cid-audited", "--client-secret",
                       "cs-SECRET-audit", "--proxy", "http://u:pw-SECRET-audit@proxy.invalid:1")
        self.js("account", "update", "audited", "--rpm", "30", "--refresh-token",
                "rt-SECRET-new")
        self.js("account", "disable", "audited")
        secret, key_id = self.create_key("audited-key")
        self.js("key", "update", "audited-key", "--rpm", "5")
        self.js("key", "revoke", "audited-key")
        self.js("key", "remove", "audited-key")
        self.js("account", "remove", "audited")
        self.js("status")  # read-only commands are not recorded
        self.js("account", "list")

        out = self.human("audit")
        rows = table_of(out, "AT")
        self.assertEqual([r["COMMAND"] for r in rows],
                         ["account.add", "account.update", "account.disable", "key.create",
                          "key.update", "key.revoke", "key.remove", "account.remove"])
        self.assertEqual({r["ACTOR"] for r in rows}, {ACTOR})
        changes = [r["CHANGE"] for r in rows]
        self.assertEqual(changes[0], f"created audited (id {acct['id']})")
        self.assertIn("requests_per_minute: 0 → 30", changes[1])
        self.assertIn("enabled: yes → no", changes[2])
        self.assertEqual(changes[3], f"created audited-key (id {key_id})")
        self.assertIn("requests_per_minute: 100000 → 5", changes[4])
        self.assertIn("enabled: yes → no", changes[5])
        self.assertEqual(changes[6], f"removed audited-key (id {key_id})")
        self.assertEqual(changes[7], f"removed audited (id {acct['id']})")

        entries = self.js("audit")["entries"]
        self.assertEqual([e["command"] for e in entries], [r["COMMAND"] for r in rows])
        for e in entries:
            for field in ("at", "actor", "command", "args", "before", "after"):
                self.assertIn(field, e)
            self.assertEqual(e["actor"], ACTOR)
        add = entries[0]
        self.assertEqual(add["args"]["refresh_token"], "***")
        self.assertEqual(add["args"]["client_secret"], "***")
        self.assertIsNone(add["before"])
        self.assertEqual(add["after"]["name"], "audited")
        self.assertEqual(entries[1]["before"]["requests_per_minute"], 0)
        self.assertEqual(entries[1]["after"]["requests_per_minute"], 30)
        self.assertEqual(entries[3]["after"]["key"], "***")

        limited = self.js("audit", "--limit", "2")["entries"]
        self.assertEqual(limited, entries[-2:])
        self.assertEqual(len(table_of(self.human("audit", "--limit", "3"), "AT")), 3)

        for text in (out, json.dumps(entries), self.daemon.logs()):
            for s in (*self.SECRETS, secret):
                self.assertNotIn(s, text)

    def test_audit_summary_shows_the_state_change(self):
        """The daemon's audit 'before' of account.* commands (subject_before in
        daemon/master/commands.cpp) is the record without its health state, while 'after'
        has it: `account disable` is summarised without "state: healthy → disabled", and an
        account command that changed nothing lists "state: healthy, state_reason: -, …"
        instead of "no change" as key commands do."""
        self.add_account("a")
        self.js("account", "disable", "a")
        self.js("account", "disable", "a")  # already disabled: no change
        entries = self.js("audit")["entries"]
        self.assertEqual(entries[-2]["before"].get("state"), "healthy")
        changes = [r["CHANGE"] for r in table_of(self.human("audit"), "AT")]
        self.assertIn("state: healthy → disabled", changes[-2])
        self.assertEqual(changes[-1], "no change")


class ExitCodes(CtlTestCase):
    def test_usage_errors_exit_2_with_cli11_messages(self):
        cases = [
            (["account", "list", "--bogus"], "The following argument was not expected: --bogus"),
            (["--bogus", "status"], "The following argument was not expected: --bogus"),
            (["status", "extra"], "The following argument was not expected: extra"),
            (["account", "show"], "account is required"),
            (["key", "create"], "--name is required"),
            (["account", "add", "--refresh-token", "x"], "--name is required"),
            (["account", "login", "--name", "x", "--account", "y"], "--name excludes --account"),
            (["usage", "export", "--format", "csv"], "--since is required"),
            (["usage", "export", "--since", "2026-01-01"], "--format is required"),
            (["backup"], "file is required"),
            (["stats", "--days"], "--days: 1 required N missing"),
            (["stats", "--days", "x"], "--days: must be an integer"),
            (["stats", "--by", "week"], "--by: week not in {day,key,account,model,none}"),
            (["usage", "export", "--since", "2026-01-01", "--format", "xml"], "xml not in"),
            (["key", "update", "k", "--admin", "--no-admin"], "--admin excludes --no-admin"),
            (["key", "create", "--name", "x", "--expires-days", "3", "--expires-at",
              "2027-01-01"], "--expires-days excludes --expires-at"),
            (["account", "frobnicate"], "unknown command 'account frobnicate'"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["account", "update", "x"], "nothing to change"),
            (["key", "update", "x"], "nothing to change"),
            (["account", "import", os.path.join(self.tmp, "missing.json")], "cannot read"),
            (["account", "import", "-", "-"], "only once"),
            (["account", "update", "x", "--refresh-token", "-"], "no line left to read"),
            (["backup", self.tmp], "is a directory"),
            (["usage", "export", "--since", "2026-01-01", "--format", "csv", "--output",
              os.path.join(self.tmp, "no", "such", "dir.csv")], "cannot create"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                err = self.usage_error(*args, contains=message, stdin="")
                if "unknown command" in message or "nothing to change" in message:
                    self.assertTrue(err.startswith("amq2apictl: "), err)
                # The command line is checked before the daemon is asked: the same with no
                # daemon there.
                self.usage_error(*args, contains=message, stdin="",
                                 socket_path=os.path.join(self.tmp, "nobody.sock"))
        # A group without its command prints the group's help, on stderr, and exits 2.
        rc, out, err = run_ctl("--socket", self.daemon.socket, "key")
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("Subcommands:", err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))
        # Nothing above reached the daemon as a change.
        self.assertEqual(self.js("audit")["entries"], [])

    def test_refusals_exit_1_with_the_reason(self):
        self.add_account("taken")
        self.create_key("taken-key")
        for verb in ("show", "remove", "enable", "disable", "events", "refresh", "quota"):
            with self.subTest(account=verb):
                self.refused("account", verb, "missing", contains='no account named "missing"')
                self.refused("--json", "account", verb, "424242", contains="424242")
        self.refused("account", "update", "missing", "--rpm", "5", contains="missing")
        for verb in ("show", "remove", "enable", "disable", "revoke"):
            with self.subTest(key=verb):
                self.refused("key", verb, "missing", contains='no API key named "missing"')
        self.refused("key", "update", "missing", "--rpm", "5", contains="missing")
        self.refused("account", "add", "--name", "taken", "--refresh-token", "rt-other",
                     "--client-id", "cid-other", "--client-secret", "cs",
                     contains='an account named "taken" already exists')
        self.refused("account", "add", "--name", "other", "--refresh-token", "rt-taken",
                     "--client-id", "cid-other", "--client-secret", "cs",
                     contains="already uses this refresh token")
        self.refused("key", "create", "--name", "taken-key",
                     contains='an API key named "taken-key" already exists')
        self.refused("key", "revoke", "initial-admin", contains="last enabled admin key")
        # Nothing refused was changed.
        self.assertEqual([a["name"] for a in self.js("account", "list")["accounts"]], ["taken"])
        self.assertEqual([k["name"] for k in self.js("key", "list")["keys"]],
                         ["initial-admin", "taken-key"])

    def test_values_the_daemon_refuses_exit_2_as_usage_errors(self):
        # The daemon's field names come back as the CLI's options.
        cases = [
            (["account", "add", "--name", "half", "--refresh-token", "rt-half"],
             "needs --client-id and --client-secret"),
            (["stats", "--days", "0"], "--days must be between"),
            (["audit", "--limit", "0"], "--limit must be between"),
            (["key", "create", "--name", "bad", "--rpm", "-5"], "--rpm"),
            (["key", "create", "--name", "bad", "--rpd", "-1"], "--rpd"),
            (["usage", "export", "--since", "yesterday", "--format", "csv"],
             "--since must be a date"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                err = self.usage_error(*args, contains=message)
                self.assertTrue(err.startswith("amq2apictl: "), err)
                self.assertEqual(self.usage_error("--json", *args), err)
        self.assertEqual([k["name"] for k in self.js("key", "list")["keys"]], ["initial-admin"])

    def test_unwritable_output_exits_1_after_the_command_ran(self):
        def to_full(*args):
            with open("/dev/full", "w") as full:
                r = subprocess.run([AMQ2APICTL, "--socket", self.daemon.socket, *args],
                                   stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("amq2apictl: cannot write"), r.stderr)
            return r.stderr

        self.assertIn("the command itself succeeded", to_full("status"))
        self.assertIn("the command itself succeeded", to_full("--json", "key", "create",
                                                               "--name", "made-anyway"))
        self.assertEqual(self.js("key", "show", "made-anyway")["name"], "made-anyway")
        to_full("usage", "export", "--since", "2020-01-01", "--format", "csv")
        backup = os.path.join(self.tmp, "kept.mdb")
        self.assertIn("the backup itself was written", to_full("backup", backup))
        self.assertGreater(os.path.getsize(backup), 0)

    def test_unreachable_exits_3(self):
        missing = os.path.join(self.tmp, "missing.sock")
        not_a_socket = os.path.join(self.tmp, "plain-file")
        open(not_a_socket, "w").close()
        not_listening = os.path.join(self.tmp, "bound.sock")
        bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(bound.close)
        bound.bind(not_listening)
        # A server that answers something other than the control protocol.
        garbage = os.path.join(self.tmp, "garbage.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(server.close)
        server.bind(garbage)
        server.listen(16)
        stop = threading.Event()

        def answer_garbage():
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(2)
                    try:
                        conn.recv(65536)
                        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                    except OSError:
                        pass
        t = threading.Thread(target=answer_garbage, daemon=True)
        t.start()
        self.addCleanup(t.join, 5)
        self.addCleanup(server.shutdown, socket.SHUT_RDWR)
        self.addCleanup(stop.set)

        backup = os.path.join(self.tmp, "backup.mdb")
        export = os.path.join(self.tmp, "export.csv")
        for path in (missing, not_a_socket, not_listening, garbage):
            for args in (["status"], ["--json", "account", "list"],
                         ["account", "refresh", "x"], ["backup", backup],
                         ["usage", "export", "--since", "2026-01-01", "--format", "csv",
                          "--output", export]):
                with self.subTest(socket=os.path.basename(path), args=args):
                    rc, out, err = run_ctl("--socket", path, *args)
                    self.assertEqual(rc, 3, (out, err))
                    self.assertTrue(err.startswith("amq2apictl: "), err)
                    self.assertEqual(out, "")
                    if path != garbage:
                        self.assertIn(os.path.basename(path), err)
                        self.assertIn("is amq2apid running?", err)
                    # A failed backup leaves no file that could pass for one.
                    self.assertFalse(os.path.exists(backup))
        # $AMQ2API_SOCKET stands in for --socket.
        env = dict(os.environ, AMQ2API_SOCKET=missing)
        rc, _, err = run_ctl("status", env=env)
        self.assertEqual(rc, 3, err)
        self.assertIn("missing.sock", err)
        env = dict(os.environ, AMQ2API_SOCKET=self.daemon.socket)
        rc, out, err = run_ctl("--json", "status", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["pid"], self.daemon.proc.pid)


    # setpriv comes with util-linux, which `make test-deps` makes sure of.
    def test_permission_denied_names_the_group_not_a_stopped_daemon(self):
        require_root(self, "running amq2apictl as another user needs root")
        # The daemon's directory is 0700 root: nobody may not reach the socket.
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            AMQ2APICTL, "--socket", self.daemon.socket, "status"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("Permission denied", r.stderr)
        self.assertIn("member of the group owning the socket", r.stderr)
        self.assertNotIn("is amq2apid running?", r.stderr)


class Reload(CtlTestCase):
    def start_daemon(self, root=None):
        self.conf = os.path.join(tempfile.mkdtemp(prefix="amq2apictl-conf-"), "amq2api.conf")
        self.addCleanup(shutil.rmtree, os.path.dirname(self.conf), True)
        self.write_conf("workers = 2\n")
        d = Daemon(root=root, extra_args=[*self.fake.daemon_args(), "--config", self.conf])
        d.workers_flag = False
        self.addCleanup(d.cleanup)
        d.start()
        return d

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def test_a_broken_file_fails_the_reload_and_status_shows_each_outcome(self):
        self.assertIsNone(self.js("status")["last_reload"])
        self.assertEqual(lines_of(self.human("status"))["reloaded"], "-")
        self.write_conf("workers = many\n")
        self.refused("reload", contains="configuration not reloaded")
        err = self.refused("--json", "reload", contains="workers")
        self.assertIn(self.conf, err)
        last = self.js("status")["last_reload"]
        self.assertEqual(last["result"], "failed")
        self.assertIn("workers", last["error"])
        shown = lines_of(self.human("status"))["reloaded"]
        self.assertRegex(shown, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ failed: .*workers")
        self.assertEqual(self.js("status")["generation"], 1)

        self.write_conf("workers = 1\n")
        self.assertEqual(self.js("reload"), {"reloading": True})
        wait_until(lambda: self.js("status")["last_reload"]["result"] == "ok", 20,
                   what="the reload to finish")
        status = self.js("status")
        self.assertEqual(status["last_reload"]["error"], "")
        self.assertEqual(status["generation"], 2)
        self.assertRegex(lines_of(self.human("status"))["reloaded"], r"Z ok$")


class TerminalWidth(CtlTestCase):
    def account_list(self, columns):
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        if columns is not None:
            env["COLUMNS"] = str(columns)
        rc, out, err = run_ctl("--socket", self.daemon.socket, "account", "list", env=env)
        self.assertEqual(rc, 0, err)
        return out

    def test_tables_fit_the_terminal_by_cutting_free_text_never_ids(self):
        for name in ("an-account-whose-name-goes-on-and-on-for-a-while", "short"):
            self.add_account(name, rpm=5)
            self.js("account", "update", name, "--notes",
                    "kept in reserve for the March release and for the load tests")
        ids = {str(a["id"]) for a in self.js("account", "list")["accounts"]}
        wide = self.account_list(300)
        self.assertIn("an-account-whose-name-goes-on-and-on-for-a-while", wide)
        self.assertGreater(max(len(l) for l in wide.splitlines()), 100)
        for columns in (None, 80, 100):  # not a terminal and no $COLUMNS: 80
            with self.subTest(columns=columns):
                out = self.account_list(columns)
                self.assertLessEqual(max(len(l) for l in out.splitlines()), columns or 80, out)
                rows = table_of(out, "ID")
                self.assertEqual({r["ID"] for r in rows}, ids)
                self.assertEqual({r["CREATED"] for r in rows},
                                 {r["CREATED"] for r in table_of(wide, "ID")})
                self.assertIn("…", out)


class Help(unittest.TestCase):
    """No daemon needed: --help of the program, of each group and of each command."""

    @staticmethod
    def subcommands(help_text):
        section = help_text.split("Subcommands:\n", 1)
        if len(section) == 1:
            return []
        names = []
        for line in section[1].splitlines():
            m = re.match(r"^  (\S+)\s", line)
            if not m:
                break
            names.append(m.group(1))
        return names

    def help_of(self, *words):
        rc, out, err = run_ctl(*words, "--help")
        self.assertEqual(rc, 0, f"{' '.join(words)} --help: {err}")
        self.assertEqual(err, "")
        lines = out.splitlines()
        self.assertIn("Example:", lines, f"{' '.join(words)} --help has no example:\n{out}")
        example = lines[lines.index("Example:") + 1]
        self.assertIn(" ".join(("amq2apictl", *words)), example, out)
        self.assertIn(f"Usage: amq2apictl {' '.join(words)}".rstrip(), out)
        return out

    def test_every_help_exits_0_with_an_example(self):
        top = self.help_of()
        self.assertIn("Exit status:", top)
        commands = []
        for word in self.subcommands(top):
            out = self.help_of(word)
            inner = self.subcommands(out)
            if not inner:
                commands.append(word)
                continue
            for sub in inner:
                sub_help = self.help_of(word, sub)
                self.assertEqual(self.subcommands(sub_help), [])
                commands.append(f"{word} {sub}")
        # -h is --help
        rc, out, _ = run_ctl("key", "create", "-h")
        self.assertEqual((rc, out), (0, run_ctl("key", "create", "--help")[1]))
        rc, out, _ = run_ctl("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^amq2apictl \d+\.\d+\.\d+")

        # The man page documents exactly these commands.
        with open(MAN_PAGE) as f:
            man = f.read()
        section = man.split(".Sh COMMANDS", 1)[1].split("\n.Sh ", 1)[0]
        documented = set()
        for line in section.splitlines():
            if line.startswith(".It Cm "):
                words = []
                for w in line[len(".It Cm "):].split():
                    if w in ("Ar", "Fl", "Oo", "Op", "Cm"):
                        break
                    words.append(w)
                documented.add(" ".join(words))
        self.assertEqual(set(commands), documented)
        self.assertLessEqual({
            "status", "workers", "reload", "log-level", "stats", "audit", "backup",
            "usage export", "account add", "account list", "account show", "account update",
            "account enable", "account disable", "account remove", "account import",
            "account refresh", "account quota", "account events", "key create", "key list",
            "key show", "key update", "key enable", "key disable", "key revoke", "key remove",
        }, set(commands))


class BackupRestore(CtlTestCase):
    # What only the running master knows of an account: a restart starts without it.
    RUNTIME_FIELDS = ("models", "last_endpoint", "last_served_at", "quota")

    def snapshot(self, daemon):
        return {
            "accounts": [{k: v for k, v in a.items() if k not in self.RUNTIME_FIELDS}
                         for a in self.js("account", "list", daemon=daemon)["accounts"]],
            "keys": self.js("key", "list", daemon=daemon)["keys"],
            "stats": self.js("stats", "--days", "1", "--by", "key", daemon=daemon),
            "audit": self.js("audit", "--limit", "10000", daemon=daemon)["entries"],
            "key list": self.human("key", "list", daemon=daemon),
            "account list": self.human("account", "list", daemon=daemon),
            "stats text": self.human("stats", "--days", "1", "--by", "key", daemon=daemon),
            "audit text": self.human("audit", daemon=daemon),
        }

    def test_backup_restores_accounts_keys_stats_and_audit(self):
        self.add_account("one")
        self.add_account("two")
        self.js("account", "update", "two", "--notes", "second")
        key_a, id_a = self.create_key("k-a")
        key_b, _ = self.create_key("k-b")
        self.js("key", "create", "--name", "unused", "--admin")
        for _ in range(3):
            self.post(key_a)
        for _ in range(2):
            self.post(key_b, HAIKU)
        self.wait_requests(5)
        wait_until(lambda: all(k["last_used_at"] for k in self.js("key", "list")["keys"]
                               if k["name"] in ("k-a", "k-b")), 10, what="last_used_at")
        before = self.snapshot(self.daemon)
        usage_before = self.daemon.ctl("usage", "export", "--since", "2020-01-01",
                                       "--format", "ndjson")
        self.assertEqual(len(usage_before[1].splitlines()), 5)

        backup = os.path.join(self.tmp, "amq2api.mdb")
        out = self.human("backup", backup)
        size = os.path.getsize(backup)
        self.assertEqual(out, f"backup written to {backup} ({size} bytes)\n")
        self.assertGreater(size, 0)
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)
        self.assertEqual(self.daemon.stop(), 0)

        # The documented restore: a state directory holding the backup as data.mdb and the
        # key its account secrets are sealed with, which no backup carries.
        with open(backup, "rb") as f:
            self.assertNotIn(b"rt-one", f.read())
        root = tempfile.mkdtemp(prefix="amq2api-it-restore-")
        state = os.path.join(root, "state")
        os.mkdir(state, 0o700)
        shutil.copyfile(backup, os.path.join(state, "data.mdb"))
        os.chmod(os.path.join(state, "data.mdb"), 0o600)
        shutil.copyfile(os.path.join(self.daemon.state_dir, "secrets.key"),
                        os.path.join(state, "secrets.key"))
        os.chmod(os.path.join(state, "secrets.key"), 0o600)
        restored = self.start_daemon(root=root)
        self.assertNotEqual((restored.port, restored.socket),
                            (self.daemon.port, self.daemon.socket))

        after = self.snapshot(restored)
        for part in before:
            self.assertEqual(after[part], before[part], part)
        self.assertEqual([(k["id"], k["name"], k["key_prefix"]) for k in after["keys"]],
                         [(k["id"], k["name"], k["key_prefix"]) for k in before["keys"]])
        self.assertEqual(restored.ctl("usage", "export", "--since", "2020-01-01",
                                      "--format", "ndjson"), usage_before)
        # No new initial admin key was made: the restored store has its keys.
        self.assertFalse(os.path.exists(os.path.join(state, "initial-admin-key")))

        # A key made before the backup works on the restored daemon, and is counted.
        self.post(key_a, daemon=restored)
        wait_until(lambda: {r["key_id"]: r["requests"] for r in self.js(
            "stats", "--days", "1", "--by", "key", daemon=restored)["rows"]}.get(id_a) == 4,
            10, interval=0.1, what="the new request in the restored stats")

        # An existing file is refused without --force, and left as it was.
        with open(backup, "rb") as f:
            content = f.read()
        mtime = os.stat(backup).st_mtime_ns
        for args in (["backup", backup], ["--json", "backup", backup]):
            rc, out, err = restored.ctl(*args)
            self.assertEqual((rc, out), (2, ""), err)
            self.assertIn("exists", err)
            self.assertIn("--force", err)
        with open(backup, "rb") as f:
            self.assertEqual(f.read(), content)
        self.assertEqual(os.stat(backup).st_mtime_ns, mtime)
        # --force overwrites it, restricted to 0600; --json names the file and its size.
        os.chmod(backup, 0o644)
        data = self.js("backup", "--force", backup, daemon=restored)
        self.assertEqual(data, {"file": backup, "bytes": os.path.getsize(backup)})
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)
        self.assertNotEqual(os.stat(backup).st_mtime_ns, mtime)


class SecretsFromStdin(CtlTestCase):
    RT = "rt-SECRET-from-stdin-7f3a"
    CS = "cs-SECRET-from-stdin-91bc"

    def assert_no_secret(self, *texts, secrets=None):
        for text in texts:
            for s in secrets or (self.RT, self.CS):
                self.assertNotIn(s, text)

    def test_account_add_reads_both_secrets_from_stdin(self):
        argv = [AMQ2APICTL, "--socket", self.daemon.socket, "account", "add", "--name",
                "piped", "--client-id", "cid-piped", "--refresh-token", "-",
                "--client-secret", "-"]
        self.assert_no_secret(" ".join(argv))
        # What ps shows while amq2apictl waits for its stdin.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        def cmdline():
            with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
                return f.read().decode()
        # Empty for a moment after the exec (a sanitizer may re-exec itself).
        shown = wait_until(cmdline, 10, interval=0.01, what="amq2apictl's command line")
        out, err = proc.communicate(f"{self.RT}\n{self.CS}\n", timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("--refresh-token\0-\0", shown)
        self.assert_no_secret(shown, out, err)
        self.assertEqual(lines_of(out)["name"], "piped")

        # The refresh token came from the first line and the client secret from the second.
        self.human("account", "refresh", "piped")
        [sent] = self.fake.requests()["token"]
        self.assertEqual((sent["body"]["refreshToken"], sent["body"]["clientSecret"],
                          sent["body"]["clientId"]), (self.RT, self.CS, "cid-piped"))

        outputs = [self.daemon.ctl(*args)[1] + self.daemon.ctl("--json", *args)[1]
                   for args in (["account", "list"], ["account", "show", "piped"],
                                ["account", "events", "piped"], ["audit"], ["status"])]
        self.assert_no_secret(*outputs, self.daemon.logs())

        # --json, and a CRLF line end (a file edited elsewhere) is not part of the secret.
        data = self.js("account", "add", "--name", "piped2", "--client-id", "cid-piped2",
                       "--refresh-token", "-", "--client-secret", "-",
                       stdin="rt-SECRET-two\r\ncs-SECRET-two\r\n")
        self.assertEqual(data["name"], "piped2")
        self.assert_no_secret(json.dumps(data), secrets=("rt-SECRET-two", "cs-SECRET-two"))
        self.fake.reset()
        self.js("account", "refresh", "piped2")
        [sent] = self.fake.requests()["token"]
        self.assertEqual((sent["body"]["refreshToken"], sent["body"]["clientSecret"]),
                         ("rt-SECRET-two", "cs-SECRET-two"))

        # Only one line for two secrets: a usage error, and nothing is added.
        err = self.usage_error("account", "add", "--name", "short", "--client-id", "cid-short",
                               "--refresh-token", "-", "--client-secret", "-",
                               stdin="rt-SECRET-short\n", contains="--client-secret")
        self.assertIn("no line left to read on stdin", err)
        self.assert_no_secret(err, secrets=("rt-SECRET-short",))
        self.assertEqual([a["name"] for a in self.js("account", "list")["accounts"]],
                         ["piped", "piped2"])

    def test_account_update_reads_new_secrets_from_stdin(self):
        self.add_account("rotated")
        new_rt, new_cs = "rt-SECRET-rotated-new", "cs-SECRET-rotated-new"
        out = self.human("account", "update", "rotated", "--refresh-token", "-",
                         "--client-secret", "-", stdin=f"{new_rt}\n{new_cs}\n")
        self.assertIn("updated account", out)
        self.assert_no_secret(out, secrets=(new_rt, new_cs))
        self.human("account", "refresh", "rotated")
        [sent] = self.fake.requests()["token"]
        self.assertEqual((sent["body"]["refreshToken"], sent["body"]["clientSecret"]),
                         (new_rt, new_cs))
        # Only the client secret from stdin: its first line.
        self.fake.reset()
        self.js("account", "update", "rotated", "--client-secret", "-", stdin="cs-SECRET-3\n")
        self.js("account", "refresh", "rotated")
        [sent] = self.fake.requests()["token"]
        self.assertEqual(sent["body"]["clientSecret"], "cs-SECRET-3")
        audit = self.human("audit") + self.daemon.ctl("--json", "audit")[1]
        self.assert_no_secret(audit, secrets=(new_rt, new_cs, "cs-SECRET-3"))


if __name__ == "__main__":
    unittest.main()

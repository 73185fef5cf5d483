"""The seed's HTTP admin API (/admin/accounts, /admin/api-keys, /admin/stats) on the real daemon
against tests/fake_upstream: the upgrade guide's steps as a curl script, authentication on every
route, every route with good and bad input, and no secret in any answer."""

import hashlib
import json
import os
import subprocess
import unittest

from harness import Daemon, FakeUpstream, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGE = {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}

ACCOUNT_FIELDS = {"id", "name", "client_id", "profile_arn", "is_active", "is_healthy",
                  "requests_per_minute", "notes", "created_at", "updated_at"}
KEY_FIELDS = {"id", "name", "description", "key_prefix", "is_active", "is_admin",
              "requests_per_minute", "requests_per_day", "expires_at", "created_at", "last_used_at"}


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


class AdminApiCase(unittest.TestCase):
    """A daemon (one worker) with the fake upstream. Every answer is recorded; after each test
    none may hold a secret this test handed the daemon or got from it (refresh tokens, client
    secrets, key secrets and their SHA-256), except a creation answer's own "key"."""

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=1, extra_args=self.fake.daemon_args()).start()
        self.addCleanup(self.daemon.cleanup)
        self.responses = []  # (method, path, Response, the key secret this answer may show)
        self.secrets = {}    # secret text -> what it is
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()
        self.note_key(self.admin, "the initial admin key")
        self.user = self.daemon.control_ok("key.create", {"name": "user"})["key"]
        self.note_key(self.user, "the user key")
        self.serial = 0

    def tearDown(self):
        self.assert_no_secrets()

    # --- calls ---------------------------------------------------------------------------

    def call(self, method, path, body=None, key=None, header="bearer", raw=False):
        """An HTTP call, recorded. key None: the initial admin key; False: no key."""
        headers = {"Content-Type": "application/json"}
        key = self.admin if key is None else key
        if key is not False:
            if header == "bearer":
                headers["Authorization"] = f"Bearer {key}"
            else:
                headers["x-api-key"] = key
        payload = body if raw or body is None else json.dumps(body, ensure_ascii=False).encode()
        r = self.daemon.request(method, path, body=payload, headers=headers)
        allowed = None
        if method == "POST" and path == "/admin/api-keys" and r.status == 200:
            allowed = r.json().get("key")
            if allowed:
                self.note_key(allowed, f"the secret of key {r.json().get('name')!r}")
        self.responses.append((method, path, r, allowed))
        return r

    def ok(self, method, path, body=None, key=None, status=200):
        r = self.call(method, path, body, key)
        self.assertEqual(r.status, status, f"{method} {path} {body!r}: {r.body!r}")
        return r.json()

    def error(self, status, method, path, body=None, key=None, raw=False, naming=None):
        """An error answer: `status` with {"detail": "..."} that mentions `naming`."""
        r = self.call(method, path, body, key, raw=raw)
        self.assertEqual(r.status, status, f"{method} {path} {body!r}: {r.body!r}")
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"), r.headers)
        detail = r.json().get("detail")
        self.assertIsInstance(detail, str, r.body)
        self.assertTrue(detail, r.body)
        if naming is not None:
            self.assertIn(naming, detail, f"{method} {path} {body!r}")
        return detail

    def message(self, key):
        r = self.daemon.request("POST", "/v1/messages", body=MESSAGE, headers={"x-api-key": key})
        self.responses.append(("POST", "/v1/messages", r, None))
        return r

    # --- records ---------------------------------------------------------------------------

    def note_key(self, secret, what):
        self.secrets[secret] = what
        self.secrets[sha256_hex(secret)] = f"the SHA-256 of {what}"

    def account_body(self, name, **fields):
        self.serial += 1
        body = {"name": name, "refresh_token": f"rt-secret-{name}-{self.serial}-Zq9",
                "client_id": f"cid-{name}-{self.serial}", "client_secret": f"cs-secret-{name}-{self.serial}-Xw4"}
        body.update(fields)
        return body

    def make_account(self, name, **fields):
        body = self.account_body(name, **fields)
        self.secrets[body["refresh_token"]] = f"the refresh token of account {name!r}"
        self.secrets[body["client_secret"]] = f"the client secret of account {name!r}"
        return self.ok("POST", "/admin/accounts", body)

    def make_key(self, name, **fields):
        created = self.ok("POST", "/admin/api-keys", dict({"name": name}, **fields))
        return created, created["key"]

    def assert_no_secrets(self):
        leaks = []
        for method, path, r, allowed in self.responses:
            text = r.body.decode(errors="replace") + json.dumps(r.headers)
            if allowed:
                # The one-time secret belongs in the creation answer's "key" field and nowhere else.
                rest = dict(r.json())
                rest.pop("key", None)
                text = json.dumps(rest, ensure_ascii=False) + json.dumps(r.headers)
            lowered = text.lower()
            for secret, what in self.secrets.items():
                if secret in text or (len(secret) == 64 and secret in lowered):
                    leaks.append(f"{method} {path} -> {r.status}: {what}: {r.body[:300]!r}")
        self.assertEqual(leaks, [], "secrets in answers")

    def keys_in_store(self):
        return {k["name"]: k for k in self.daemon.control_ok("key.list")["keys"]}

    def accounts_in_store(self):
        return {a["name"]: a for a in self.daemon.control_ok("account.list")["accounts"]}


class SeedUpgradeSteps(AdminApiCase):
    def test_seed_steps_7_to_10_as_a_curl_script(self):
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin)
        run = subprocess.run(["sh", os.path.join(HERE, "seed_steps.sh")], env=env, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(run.returncode, 0, f"stdout: {run.stdout}\nstderr: {run.stderr}")
        client_key = run.stdout.strip().splitlines()[-1]
        self.note_key(client_key, "the script's client key")
        self.secrets["your_refresh_token_from_env"] = "the script's refresh token"
        self.secrets["your_client_secret_from_env"] = "the script's client secret"
        self.assertEqual(self.fake.stats()["generate"], 1, "the script's /v1/messages reached the fake")

        keys = self.keys_in_store()
        self.assertNotIn(1, [k["id"] for k in keys.values()], keys)
        self.assertEqual(set(keys), {"user", "我的管理员密钥", "默认密钥"}, keys)
        new_admin = keys["我的管理员密钥"]
        self.assertTrue(new_admin["is_admin"])
        self.assertTrue(new_admin["is_active"])
        self.assertEqual(new_admin["requests_per_minute"], 100)
        client = keys["默认密钥"]
        self.assertEqual(client["description"], "用于生产环境")
        self.assertFalse(client["is_admin"])
        self.assertEqual((client["requests_per_minute"], client["requests_per_day"]), (60, 10000))
        accounts = self.accounts_in_store()
        self.assertEqual(set(accounts), {"主账号"})
        account = accounts["主账号"]
        self.assertEqual(account["requests_per_minute"], 10)
        self.assertEqual(account["profile_arn"], "arn:aws:codewhisperer:us-east-1:123456789012:profile/SEED")
        self.assertEqual(account["client_id"], "your_client_id_from_env")
        self.assertTrue(account["is_active"])

        # The deleted initial key no longer opens anything; the printed client key works.
        self.error(401, "GET", "/admin/api-keys")
        r = self.message(client_key)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["type"], "message")
        self.assertEqual(self.fake.stats()["generate"], 2)
        self.error(403, "GET", "/admin/api-keys", key=client_key)

        # The same records over HTTP, names intact, with an admin key made for looking.
        inspector = self.daemon.control_ok("key.create", {"name": "inspector", "is_admin": True})["key"]
        self.note_key(inspector, "the inspector key")
        listed = {k["name"]: k for k in self.ok("GET", "/admin/api-keys", key=inspector)}
        self.assertEqual(listed["默认密钥"]["description"], "用于生产环境")
        self.assertEqual(listed["我的管理员密钥"]["requests_per_minute"], 100)
        self.assertEqual([a["name"] for a in self.ok("GET", "/admin/accounts", key=inspector)], ["主账号"])
        self.error(404, "GET", "/admin/api-keys/1", key=inspector)


class Auth(AdminApiCase):
    def routes(self, account_id, key_id):
        a, k = f"/admin/accounts/{account_id}", f"/admin/api-keys/{key_id}"
        return [
            ("GET", "/admin/accounts", None),
            ("POST", "/admin/accounts", self.account_body("auth-new")),
            ("POST", "/admin/accounts/upload-json",
             [{"name": "auth-up", "refresh_token": "rt-up-Zq9", "client_id": "c-up", "client_secret": "cs-up-Xw4"}]),
            ("GET", a, None),
            ("PUT", a, {"notes": "changed"}),
            ("POST", a + "/refresh-token", None),
            ("GET", a + "/stats", None),
            ("GET", a + "/quota", None),
            ("GET", "/admin/api-keys", None),
            ("POST", "/admin/api-keys", {"name": "auth-key"}),
            ("GET", k, None),
            ("PUT", k, {"description": "changed"}),
            ("POST", k + "/revoke", None),
            ("GET", "/admin/stats/accounts", None),
            ("GET", "/admin/stats/api-keys", None),
            ("GET", "/admin/stats/tokens?days=3", None),
            ("GET", "/admin/stats/account-usage?days=3", None),
            ("DELETE", k, None),
            ("DELETE", a, None),
        ]

    def test_every_admin_route_needs_an_admin_key(self):
        self.secrets.update({"rt-up-Zq9": "upload refresh token", "cs-up-Xw4": "upload client secret"})
        account = self.make_account("auth-target")
        victim, _ = self.make_key("auth-victim")
        for method, path, body in self.routes(account["id"], victim["id"]):
            with self.subTest(method=method, path=path):
                for header in ("bearer", "x-api-key"):
                    r = self.call(method, path, body, key=False)
                    self.assertEqual(r.status, 401, r.body)
                    self.assertIn("detail", r.json())
                    r = self.call(method, path, body, key=self.user, header=header)
                    self.assertEqual(r.status, 403, (header, r.body))
                    self.assertIn("not an admin key", r.json()["detail"])
                    r = self.call(method, path, body, key="amq-not-a-real-key", header=header)
                    self.assertEqual(r.status, 401, (header, r.body))
                    r = self.call(method, path, body, header=header)
                    self.assertNotIn(r.status, (401, 403), (header, r.body))
                    self.assertLess(r.status, 500, (header, r.body))
        # Only the admin calls did anything: the first of each pair created, the second refused.
        names = set(self.accounts_in_store())
        self.assertIn("auth-up", names)
        self.assertNotIn("auth-target", names)
        self.assertIn("auth-key", self.keys_in_store())

    def test_a_disabled_admin_key_is_refused_and_bearer_is_case_insensitive(self):
        second, secret = self.make_key("second-admin", is_admin=True)
        self.assertEqual(self.ok("GET", "/admin/stats/api-keys", key=secret)["total_keys"], 3)
        self.ok("PUT", f"/admin/api-keys/{second['id']}", {"is_active": False})
        self.assertIn("disabled", self.error(401, "GET", "/admin/stats/api-keys", key=secret))
        self.ok("PUT", f"/admin/api-keys/{second['id']}", {"is_active": True})
        self.ok("GET", "/admin/stats/api-keys", key=secret)
        # The Bearer scheme is case-insensitive; another scheme is no key at all.
        r = self.daemon.request("GET", "/admin/stats/api-keys", headers={"Authorization": f"bearer {secret}"})
        self.assertEqual(r.status, 200, r.body)
        r = self.daemon.request("GET", "/admin/stats/api-keys", headers={"Authorization": f"Basic {secret}"})
        self.assertEqual(r.status, 401, r.body)


class Accounts(AdminApiCase):
    def test_create_list_show_update_delete(self):
        created = self.make_account("primary", profile_arn="arn:aws:codewhisperer:us-east-1:1:profile/A",
                                    notes="first one")
        self.assertLessEqual(ACCOUNT_FIELDS, set(created), created)
        self.assertEqual(created["name"], "primary")
        self.assertEqual(created["requests_per_minute"], 0)  # account-rpm-default: no cap
        self.assertEqual(created["profile_arn"], "arn:aws:codewhisperer:us-east-1:1:profile/A")
        self.assertEqual(created["notes"], "first one")
        self.assertTrue(created["is_active"])
        self.assertTrue(created["client_id"].startswith("cid-primary"))
        other = self.make_account("secondary", requests_per_minute=25)
        self.assertEqual(other["requests_per_minute"], 25)
        self.assertNotEqual(other["id"], created["id"])

        listed = self.ok("GET", "/admin/accounts")
        self.assertIsInstance(listed, list)
        self.assertEqual([a["name"] for a in listed], ["primary", "secondary"])
        for a in listed:
            self.assertLessEqual(ACCOUNT_FIELDS, set(a), a)

        path = f"/admin/accounts/{created['id']}"
        shown = self.ok("GET", path)
        self.assertEqual(shown["id"], created["id"])
        self.assertEqual(shown["name"], "primary")
        self.assertLessEqual(ACCOUNT_FIELDS, set(shown))

        updated = self.ok("PUT", path, {"name": "primary-renamed", "requests_per_minute": 42, "notes": "n2",
                                        "profile_arn": "arn:aws:codewhisperer:us-east-1:1:profile/B",
                                        "client_id": "cid-new"})
        self.assertEqual((updated["name"], updated["requests_per_minute"], updated["notes"],
                          updated["profile_arn"], updated["client_id"]),
                         ("primary-renamed", 42, "n2", "arn:aws:codewhisperer:us-east-1:1:profile/B", "cid-new"))
        # What only the running pool knows (models, last endpoint) comes with GET alone.
        shown = self.ok("GET", path)
        self.assertEqual({k: shown[k] for k in updated}, updated)
        self.assertEqual(set(shown) - set(updated),
                         {"models", "last_endpoint", "last_served_at", "quota"})
        self.assertEqual(self.ok("PUT", path, {"name": "primary-renamed"})["name"], "primary-renamed")  # own name
        self.assertEqual(self.ok("PUT", path, {})["requests_per_minute"], 42)  # absent fields stay

        self.assertEqual(self.ok("DELETE", path), {"message": "Account deleted successfully"})
        self.error(404, "GET", path)
        self.error(404, "DELETE", path)
        self.assertEqual([a["name"] for a in self.ok("GET", "/admin/accounts")], ["secondary"])

    def test_is_active_disables_and_enables_an_account(self):
        account = self.make_account("only")
        path = f"/admin/accounts/{account['id']}"
        self.assertEqual(self.message(self.user).status, 200)
        self.assertEqual(self.fake.stats()["generate"], 1)

        off = self.ok("PUT", path, {"is_active": False})
        self.assertFalse(off["is_active"])
        self.assertFalse(self.ok("GET", path)["is_active"])
        self.assertEqual(self.ok("GET", "/admin/stats/accounts")["active_accounts"], 0)
        r = self.message(self.user)
        self.assertEqual(r.status, 503, r.body)
        self.assertEqual(self.fake.stats()["generate"], 1, "a disabled account must not serve")

        on = self.ok("PUT", path, {"is_active": True})
        self.assertTrue(on["is_active"])
        self.assertEqual(self.ok("GET", "/admin/stats/accounts")["active_accounts"], 1)
        r = self.message(self.user)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.fake.stats()["generate"], 2)

    def test_refresh_token_stats_and_quota(self):
        account = self.make_account("refreshable")
        path = f"/admin/accounts/{account['id']}"
        before = self.fake.stats()["token"]
        refreshed = self.ok("POST", path + "/refresh-token")
        self.assertEqual(self.fake.stats()["token"], before + 1, "the fake's token endpoint was asked")
        self.assertEqual(refreshed["account"]["id"], account["id"])
        self.assertTrue(refreshed["access_expires_at"], refreshed)
        sent = self.fake.requests()["token"][-1]["body"]
        self.assertEqual(sent["refreshToken"], "rt-secret-refreshable-1-Zq9")

        # New credentials by PUT are the ones the next refresh uses, and stay unshown.
        self.secrets["rt-secret-rotated-Zq9"] = "a replaced refresh token"
        self.secrets["cs-secret-rotated-Xw4"] = "a replaced client secret"
        self.ok("PUT", path, {"refresh_token": "rt-secret-rotated-Zq9", "client_secret": "cs-secret-rotated-Xw4"})
        self.ok("POST", path + "/refresh-token")
        sent = self.fake.requests()["token"][-1]["body"]
        self.assertEqual((sent["refreshToken"], sent["clientSecret"]), ("rt-secret-rotated-Zq9", "cs-secret-rotated-Xw4"))

        for _ in range(2):
            self.assertEqual(self.message(self.user).status, 200)

        def stats():
            s = self.ok("GET", path + "/stats?days=3")
            return s if s["all_time"]["requests"] == 2 else None
        s = wait_until(stats, timeout=5, what="the account's usage to reach the rollups")
        self.assertEqual((s["account_id"], s["account_name"]), (account["id"], "refreshable"))
        self.assertEqual(s["period"]["days"], 3)
        self.assertEqual(s["total"]["requests"], 2)
        self.assertEqual(len(s["daily"]), 1)
        self.assertEqual(self.ok("GET", path + "/stats")["period"]["days"], 7)
        self.error(400, "GET", path + "/stats?days=zero", naming="days")

        quota = self.ok("GET", path + "/quota")
        self.assertEqual(quota["account_id"], account["id"])
        self.assertEqual((quota["limit"], quota["used"], quota["remaining"]), (1000, 2, 998))
        self.assertEqual(self.fake.stats()["usage"], 1)


class ApiKeys(AdminApiCase):
    def test_create_list_show_update_delete_revoke(self):
        self.make_account("serving")
        created, secret = self.make_key("client", description="for prod", expires_days=30)
        self.assertLessEqual(KEY_FIELDS | {"key"}, set(created), created)
        self.assertEqual((created["name"], created["description"]), ("client", "for prod"))
        self.assertEqual((created["requests_per_minute"], created["requests_per_day"]), (60, 10000))  # defaults
        self.assertFalse(created["is_admin"])
        self.assertTrue(created["is_active"])
        self.assertTrue(created["expires_at"], created)
        self.assertTrue(secret.startswith(created["key_prefix"].split("…")[0]), created)
        self.assertEqual(self.message(secret).status, 200)  # it works at once
        admin2, admin2_secret = self.make_key("admin-two", is_admin=True, requests_per_minute=5,
                                              requests_per_day=50)
        self.assertTrue(admin2["is_admin"])
        self.assertEqual((admin2["requests_per_minute"], admin2["requests_per_day"]), (5, 50))
        self.assertEqual(self.ok("GET", "/admin/stats/api-keys", key=admin2_secret)["total_keys"], 4)

        listed = self.ok("GET", "/admin/api-keys")
        self.assertIsInstance(listed, list)
        self.assertEqual([k["name"] for k in listed], ["initial-admin", "user", "client", "admin-two"])
        for k in listed:
            self.assertLessEqual(KEY_FIELDS, set(k), k)
            self.assertNotIn("key", k)

        path = f"/admin/api-keys/{created['id']}"
        shown = self.ok("GET", path)
        self.assertEqual(shown["id"], created["id"])
        self.assertNotIn("key", shown)
        created_fields = dict(created)
        del created_fields["key"]
        self.assertEqual({k: v for k, v in shown.items() if k != "last_used_at"},
                         {k: v for k, v in created_fields.items() if k != "last_used_at"})

        updated = self.ok("PUT", path, {"name": "client-renamed", "description": "d2",
                                        "requests_per_minute": 7, "requests_per_day": 70})
        self.assertEqual((updated["name"], updated["description"], updated["requests_per_minute"],
                          updated["requests_per_day"]), ("client-renamed", "d2", 7, 70))
        self.assertEqual(self.ok("GET", path)["name"], "client-renamed")
        promoted = self.ok("PUT", path, {"is_admin": True})
        self.assertTrue(promoted["is_admin"])
        self.ok("GET", "/admin/stats/api-keys", key=secret)
        self.assertFalse(self.ok("PUT", path, {"is_admin": False})["is_admin"])
        self.error(403, "GET", "/admin/stats/api-keys", key=secret)

        # is_active false disables the key; true brings it back.
        self.assertFalse(self.ok("PUT", path, {"is_active": False})["is_active"])
        self.assertEqual(self.message(secret).status, 401)
        self.assertTrue(self.ok("PUT", path, {"is_active": True})["is_active"])
        self.assertEqual(self.message(secret).status, 200)

        self.assertEqual(self.ok("POST", path + "/revoke"), {"message": "API key revoked successfully"})
        self.assertFalse(self.ok("GET", path)["is_active"])
        self.assertEqual(self.message(secret).status, 401)

        self.assertEqual(self.ok("DELETE", path), {"message": "API key deleted successfully"})
        self.error(404, "GET", path)
        self.error(404, "DELETE", path)
        self.error(404, "POST", path + "/revoke")
        self.assertNotIn("client-renamed", [k["name"] for k in self.ok("GET", "/admin/api-keys")])
        self.assertEqual(self.message(secret).status, 401)

    def test_statistics_routes(self):
        self.make_account("acct")
        _, secret = self.make_key("counted")
        for _ in range(2):
            self.assertEqual(self.message(secret).status, 200)

        def tokens():
            s = self.ok("GET", "/admin/stats/tokens?days=2")
            return s if s["total"]["requests"] == 2 else None
        s = wait_until(tokens, timeout=5, what="usage to reach the rollups")
        self.assertEqual(s["period"]["days"], 2)
        self.assertEqual(set(s["period"]), {"start_date", "end_date", "days"})
        self.assertEqual(set(s["total"]),
                         {"input_tokens", "output_tokens", "total_tokens", "credits", "requests"})
        self.assertEqual(s["by_account"][0]["account_name"], "acct")
        self.assertEqual(len(s["daily"]), 1)

        self.assertEqual(self.ok("GET", "/admin/stats/accounts"),
                         {"total_accounts": 1, "active_accounts": 1, "healthy_accounts": 1,
                          "total_requests": 2, "total_tokens": s["total"]["total_tokens"]})
        self.assertEqual(self.ok("GET", "/admin/stats/api-keys"),
                         {"total_keys": 3, "active_keys": 3, "total_requests": 2})
        usage = self.ok("GET", "/admin/stats/account-usage?days=30")
        self.assertEqual(usage["period"]["days"], 30)
        row = usage["accounts"][0]
        self.assertEqual((row["account_name"], row["requests"], row["total_requests_all_time"]), ("acct", 2, 2))
        self.assertTrue(row["is_active"])
        self.assertEqual(self.ok("GET", "/admin/stats/tokens")["period"]["days"], 7)
        for bad in ("0", "-1", "ten", "3651"):
            self.error(400, "GET", f"/admin/stats/tokens?days={bad}", naming="days")
            self.error(400, "GET", f"/admin/stats/account-usage?days={bad}", naming="days")


class BadInput(AdminApiCase):
    def setUp(self):
        super().setUp()
        self.account = self.make_account("existing")
        self.key, _ = self.make_key("existing-key")
        self.apath = f"/admin/accounts/{self.account['id']}"
        self.kpath = f"/admin/api-keys/{self.key['id']}"

    def body_routes(self):
        return [("POST", "/admin/accounts"), ("PUT", self.apath), ("POST", "/admin/api-keys"), ("PUT", self.kpath)]

    def test_malformed_json_is_a_400_naming_the_problem(self):
        for method, path in self.body_routes():
            with self.subTest(method=method, path=path):
                detail = self.error(400, method, path, b'{"name": "x",', raw=True, naming="malformed JSON")
                self.assertIn("offset", detail)
                self.error(400, method, path, b"", raw=True, naming="request body")
                self.error(400, method, path, b'{"name": "x"} trailing', raw=True, naming="malformed JSON")
                self.error(400, method, path, [{"name": "x"}], naming="JSON object")
                self.error(400, method, path, b'"text"', raw=True, naming="JSON object")
        self.assertEqual(len(self.ok("GET", "/admin/accounts")), 1)
        self.assertEqual(len(self.ok("GET", "/admin/api-keys")), 3)

    def test_missing_fields_are_400s_naming_the_field(self):
        for missing in ("name", "refresh_token", "client_id", "client_secret"):
            with self.subTest(missing=missing):
                body = self.account_body("incomplete")
                del body[missing]
                self.error(400, "POST", "/admin/accounts", body, naming=missing)
        self.error(400, "POST", "/admin/api-keys", {"description": "no name"}, naming="name")
        self.error(400, "POST", "/admin/accounts", self.account_body(""), naming="name")
        self.error(400, "POST", "/admin/api-keys", {"name": "  "}, naming="name")
        self.assertEqual([a["name"] for a in self.ok("GET", "/admin/accounts")], ["existing"])

    def test_wrong_types_are_400s_naming_the_field(self):
        cases = [
            ("POST", "/admin/accounts", self.account_body("typed", requests_per_minute="ten"), "requests_per_minute"),
            ("POST", "/admin/accounts", dict(self.account_body("typed"), name=5), "name"),
            ("POST", "/admin/accounts", self.account_body("typed", client_secret=["x"]), "client_secret"),
            ("POST", "/admin/accounts", self.account_body("typed", requests_per_minute=-1), "requests_per_minute"),
            ("PUT", self.apath, {"requests_per_minute": "ten"}, "requests_per_minute"),
            ("PUT", self.apath, {"is_active": "yes"}, "is_active"),
            ("PUT", self.apath, {"refresh_token": 12}, "refresh_token"),
            ("POST", "/admin/api-keys", {"name": "typed", "requests_per_minute": "ten"}, "requests_per_minute"),
            ("POST", "/admin/api-keys", {"name": "typed", "requests_per_day": 1.5}, "requests_per_day"),
            ("POST", "/admin/api-keys", {"name": "typed", "is_admin": "true"}, "is_admin"),
            ("POST", "/admin/api-keys", {"name": "typed", "expires_days": "soon"}, "expires_days"),
            ("PUT", self.kpath, {"requests_per_minute": "ten"}, "requests_per_minute"),
            ("PUT", self.kpath, {"is_active": 0}, "is_active"),
            ("PUT", self.kpath, {"name": 5}, "name"),
            ("POST", "/admin/api-keys", {"name": None}, "name"),
        ]
        for method, path, body, field in cases:
            with self.subTest(method=method, path=path, field=field):
                self.error(400, method, path, body, naming=field)
        self.assertEqual(self.ok("GET", self.apath)["requests_per_minute"], 0)
        self.assertEqual(self.ok("GET", self.kpath)["requests_per_minute"], 60)
        self.assertEqual(len(self.ok("GET", "/admin/api-keys")), 3)
        # null is the seed's Optional "not given": the field stays.
        self.assertEqual(self.ok("PUT", self.kpath, {"name": None, "requests_per_minute": None})["name"],
                         "existing-key")
        self.assertEqual(self.ok("PUT", self.apath, {"notes": None})["name"], "existing")

    def test_update_errors_name_the_field_as_the_client_sent_it(self):
        # The HTTP body is the change set itself; the control command's {"account", "set"}
        # wrapper is not something an HTTP client sent, so "set.requests_per_minute" is wrong.
        cases = [(self.apath, {"requests_per_minute": "ten"}, "requests_per_minute"),
                 (self.apath, {"is_active": "yes"}, "is_active"),
                 (self.apath, {"refresh_token": ""}, "refresh_token"),
                 (self.kpath, {"requests_per_minute": "ten"}, "requests_per_minute")]
        for path, body, field in cases:
            with self.subTest(path=path, body=body):
                detail = self.error(400, "PUT", path, body, naming=field)
                self.assertIn(f"'{field}'", detail)
                self.assertNotIn("set.", detail)

    def id_routes(self, ident):
        a, k = f"/admin/accounts/{ident}", f"/admin/api-keys/{ident}"
        return [("GET", a, None), ("PUT", a, {"notes": "x"}), ("DELETE", a, None),
                ("POST", a + "/refresh-token", None), ("GET", a + "/stats", None), ("GET", a + "/quota", None),
                ("GET", k, None), ("PUT", k, {"description": "x"}), ("DELETE", k, None),
                ("POST", k + "/revoke", None)]

    def test_unknown_and_non_numeric_ids_are_404s(self):
        for ident in ("999", "abc", "0", "-1", "1.5", "1abc", "99999999999999999999999"):
            for method, path, body in self.id_routes(ident):
                with self.subTest(method=method, path=path):
                    self.error(404, method, path, body)
        self.assertEqual(self.fake.stats()["token"], 0)

    def test_duplicate_names_are_409s(self):
        detail = self.error(409, "POST", "/admin/accounts", self.account_body("existing"), naming="existing")
        self.assertIn("already exists", detail)
        self.error(409, "POST", "/admin/api-keys", {"name": "existing-key"}, naming="existing-key")
        self.error(409, "POST", "/admin/api-keys", {"name": "user"}, naming="user")
        other = self.make_account("other")
        self.error(409, "PUT", f"/admin/accounts/{other['id']}", {"name": "existing"}, naming="existing")
        other_key, _ = self.make_key("other-key")
        self.error(409, "PUT", f"/admin/api-keys/{other_key['id']}", {"name": "existing-key"}, naming="existing-key")
        # The same refresh token under another name is the same account; one OIDC client id
        # may serve many users.
        token = [s for s, what in self.secrets.items() if what == "the refresh token of account 'existing'"][0]
        self.error(409, "POST", "/admin/accounts", self.account_body("copy", refresh_token=token),
                   naming="refresh token")
        self.make_account("shares-client", client_id=self.account["client_id"])
        self.assertEqual(sorted(a["name"] for a in self.ok("GET", "/admin/accounts")),
                         ["existing", "other", "shares-client"])
        self.assertEqual(self.ok("GET", f"/admin/accounts/{other['id']}")["name"], "other")


class LastAdminKey(AdminApiCase):
    def test_the_last_enabled_admin_key_cannot_be_removed_or_disabled(self):
        first = "/admin/api-keys/1"
        self.assertTrue(self.ok("GET", first)["is_admin"])
        for method, body in (("DELETE", None), ("POST", None), ("PUT", {"is_active": False}),
                             ("PUT", {"is_admin": False}), ("PUT", {"is_admin": False, "is_active": False})):
            path = first + "/revoke" if method == "POST" else first
            with self.subTest(method=method, body=body):
                self.error(409, method, path, body, naming="last enabled admin key")
        shown = self.ok("GET", first)
        self.assertTrue(shown["is_admin"] and shown["is_active"], shown)
        self.ok("GET", "/admin/stats/api-keys")
        # Changes that leave it an enabled admin key are fine.
        self.assertEqual(self.ok("PUT", first, {"description": "still here", "is_active": True,
                                                "is_admin": True})["description"], "still here")

        second, secret = self.make_key("second-admin", is_admin=True)
        second_path = f"/admin/api-keys/{second['id']}"
        self.assertFalse(self.ok("PUT", first, {"is_admin": False})["is_admin"])
        self.error(403, "GET", "/admin/stats/api-keys")
        self.assertTrue(self.ok("PUT", first, {"is_admin": True}, key=secret)["is_admin"])
        self.assertFalse(self.ok("PUT", first, {"is_active": False})["is_active"])
        self.error(401, "GET", "/admin/stats/api-keys")
        self.assertTrue(self.ok("PUT", first, {"is_active": True}, key=secret)["is_active"])
        self.assertEqual(self.ok("POST", first + "/revoke", key=secret), {"message": "API key revoked successfully"})

        # Key 1 is disabled now: the second is the last enabled admin key, itself included.
        for method, body in (("DELETE", None), ("POST", None), ("PUT", {"is_active": False}),
                             ("PUT", {"is_admin": False})):
            path = second_path + "/revoke" if method == "POST" else second_path
            with self.subTest(method=method, body=body, key="second"):
                self.error(409, method, path, body, key=secret, naming="last enabled admin key")
        self.ok("PUT", first, {"is_active": True}, key=secret)
        self.assertEqual(self.ok("DELETE", first, key=secret), {"message": "API key deleted successfully"})
        self.error(409, "DELETE", second_path, key=secret, naming="last enabled admin key")
        self.ok("GET", "/admin/stats/api-keys", key=secret)
        # Non-admin keys go freely.
        user_id = self.keys_in_store()["user"]["id"]
        self.assertEqual(self.ok("POST", f"/admin/api-keys/{user_id}/revoke", key=secret),
                         {"message": "API key revoked successfully"})
        self.assertEqual(self.ok("DELETE", f"/admin/api-keys/{user_id}", key=secret),
                         {"message": "API key deleted successfully"})


class Secrets(AdminApiCase):
    def test_no_answer_holds_a_secret(self):
        # A tour of every route, good and bad; tearDown checks every answer (this test's
        # assertion is there; here a few explicit checks on the riskiest answers).
        a = self.make_account("secretive", profile_arn="arn:aws:codewhisperer:us-east-1:1:profile/S")
        b = self.make_account("second")
        apath = f"/admin/accounts/{a['id']}"
        created, secret = self.make_key("tour", description="d", is_admin=True)
        self.assertEqual(created["key"], secret)
        self.assertNotIn(sha256_hex(secret), json.dumps(created))
        kpath = f"/admin/api-keys/{created['id']}"
        self.assertEqual(self.message(self.user).status, 200)
        self.assertEqual(self.message(secret).status, 200)
        self.ok("POST", apath + "/refresh-token")
        self.ok("GET", apath + "/quota")
        self.ok("GET", apath + "/stats?days=1")
        self.ok("GET", "/admin/accounts")
        self.ok("GET", apath)
        self.secrets["rt-secret-new-Zq9"] = "a replaced refresh token"
        self.secrets["cs-secret-new-Xw4"] = "a replaced client secret"
        self.ok("PUT", apath, {"refresh_token": "rt-secret-new-Zq9", "client_secret": "cs-secret-new-Xw4",
                               "notes": "rotated"})
        self.ok("POST", apath + "/refresh-token")
        # Refusals that carry a secret in their request must not echo it.
        self.error(409, "PUT", f"/admin/accounts/{b['id']}", {"refresh_token": "rt-secret-new-Zq9"})
        self.error(409, "POST", "/admin/accounts", self.account_body("dup", refresh_token="rt-secret-new-Zq9"))
        self.error(400, "POST", "/admin/accounts", b'{"refresh_token": "rt-secret-new-Zq9", "client_secret": 1',
                   raw=True)
        self.error(400, "PUT", apath, {"client_secret": 5, "refresh_token": "rt-secret-new-Zq9"})
        self.error(409, "POST", "/admin/accounts",
                   {"name": "x", "refresh_token": "rt-secret-new-Zq9", "client_id": a["client_id"],
                    "client_secret": "cs-secret-new-Xw4"})
        self.ok("GET", "/admin/api-keys")
        self.ok("GET", kpath)
        self.ok("GET", "/admin/api-keys/1")
        self.ok("PUT", kpath, {"description": "d2"})
        self.ok("POST", "/admin/api-keys/2/revoke")
        self.error(401, "GET", "/admin/api-keys", key=self.user)
        self.error(401, "GET", "/admin/api-keys", key=self.user + "x")
        self.ok("GET", "/admin/stats/accounts")
        self.ok("GET", "/admin/stats/api-keys")
        self.ok("GET", "/admin/stats/tokens?days=1")
        self.ok("GET", "/admin/stats/account-usage?days=1")
        self.ok("DELETE", kpath, key=self.admin)
        self.ok("DELETE", apath)
        self.assertGreater(len(self.responses), 25)
        for method, path, r, allowed in self.responses:
            body = r.body.decode(errors="replace")
            for field in ("refresh_token", "client_secret", "secret_hash", "key_hash", "access_token"):
                self.assertNotIn(f'"{field}"', body, f"{method} {path}")


if __name__ == "__main__":
    unittest.main()

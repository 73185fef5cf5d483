"""The HTTP admin API (/admin/...) on the real daemon: admin keys only, the seed's routes."""

import json
import os
import unittest
import uuid

from harness import Daemon, FakeUpstream, wait_until


def multipart(files):
    boundary = uuid.uuid4().hex
    body = b""
    for name, content in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                 f"Content-Type: application/json\r\n\r\n").encode() + content.encode() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class AdminBase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=1, extra_args=[
            *self.fake.daemon_args(), "--kiro-token-endpoint", self.fake.url + "/refreshToken"]).start()
        self.addCleanup(self.daemon.cleanup)
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()
        self.user = self.daemon.ctl_json("key", "create", "--name", "user")["key"]

    def admin_call(self, method, path, body=None, key=None, content_type="application/json"):
        headers = {"Content-Type": content_type}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.admin}"
        return self.daemon.request(method, path, body=body, headers=headers)


class AdminApi(AdminBase):
    def test_upload_json_imports_multipart_files(self):
        sso = json.dumps({"clientId": "cid-up", "clientSecret": "cs-up", "refreshToken": "rt-up",
                          "region": "us-east-1"})
        kiro = json.dumps({"refreshToken": "rt-kiro", "authMethod": "social", "provider": "Github",
                           "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/P"})
        body, ctype = multipart([("sso.json", sso), ("kiro.json", kiro)])
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=body, content_type=ctype)
        self.assertEqual(r.status, 200, r.body)
        imported = r.json()["imported"]
        self.assertEqual(sorted(a["kind"] for a in imported), ["idc", "social"])
        self.assertTrue(all(a["state"] == "healthy" for a in imported), imported)
        self.assertEqual(self.fake.stats()["token"], 1)
        self.assertEqual(self.fake.stats()["kiro"], 1)
        self.assertNotIn("rt-up", r.body.decode())
        self.assertEqual(sorted(a["source"] for a in imported), ["kiro.json", "sso.json"])
        kiro_name, sso_name = (a["name"] for a in sorted(imported, key=lambda a: a["source"]))

        again = self.admin_call("POST", "/admin/accounts/upload-json", body=body, content_type=ctype)
        self.assertEqual(again.status, 200, again.body)
        self.assertEqual(again.json()["imported"], [])
        self.assertEqual(sorted((s["source"], s["reason"]) for s in again.json()["skipped"]),
                         [("kiro.json", f"already imported as account '{kiro_name}'"),
                          ("sso.json", f"already imported as account '{sso_name}'")])

    def test_upload_json_accepts_a_plain_json_body(self):
        accounts = [{"name": "seed-a", "refresh_token": "r1", "client_id": "c1", "client_secret": "s1"}]
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=accounts)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["imported"][0]["name"], "seed-a")

    def test_admin_routes_need_an_admin_key(self):
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=[], key=False)
        self.assertEqual(r.status, 401)
        self.assertIn("detail", r.json())
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=[], key=self.user)
        self.assertEqual(r.status, 403)
        self.assertIn("not an admin key", r.json()["detail"])

    def test_a_malformed_file_is_refused_and_an_empty_upload_is_a_400(self):
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=b"{nope")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["refused"],
                         [{"source": "upload.json", "name": "",
                           "reason": "malformed JSON at offset 1: Missing a name for object member."}])
        body, ctype = multipart([("good.json", json.dumps({"refreshToken": "rt-good",
                                                           "authMethod": "social"})),
                                 ("bad.json", "[1]")])
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=body, content_type=ctype)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([a["source"] for a in r.json()["imported"]], ["good.json"])
        self.assertEqual([e["source"] for e in r.json()["refused"]], ["bad.json[0]"])
        body, ctype = multipart([])
        r = self.admin_call("POST", "/admin/accounts/upload-json", body=body, content_type=ctype)
        self.assertEqual(r.status, 400)


class AdminStats(AdminBase):
    def test_seed_statistics_routes_read_the_rollups(self):
        self.daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        body = {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        for _ in range(3):
            r = self.daemon.request("POST", "/v1/messages", body=body, headers={"x-api-key": self.user})
            self.assertEqual(r.status, 200, r.body)

        def tokens():
            r = self.admin_call("GET", "/admin/stats/tokens?days=1")
            return r.json() if r.status == 200 and r.json()["total"]["requests"] == 3 else None
        stats = wait_until(tokens, timeout=5, what="usage to reach the rollups")
        self.assertEqual(stats["period"]["days"], 1)
        self.assertEqual(stats["total"], {"input_tokens": 36, "output_tokens": 21, "total_tokens": 57,
                                          "credits": 0, "requests": 3})
        self.assertEqual(len(stats["daily"]), 1)
        self.assertEqual(stats["by_account"][0]["account_name"], "acct")

        accounts = self.admin_call("GET", "/admin/stats/accounts").json()
        self.assertEqual(accounts, {"total_accounts": 1, "active_accounts": 1, "healthy_accounts": 1,
                                    "total_requests": 3, "total_tokens": 57})
        keys = self.admin_call("GET", "/admin/stats/api-keys").json()
        self.assertEqual(keys, {"total_keys": 2, "active_keys": 2, "total_requests": 3})
        usage = self.admin_call("GET", "/admin/stats/account-usage?days=7").json()
        self.assertEqual(usage["accounts"][0]["requests"], 3)
        self.assertEqual(usage["accounts"][0]["total_requests_all_time"], 3)
        self.assertTrue(usage["accounts"][0]["is_healthy"])
        self.assertEqual(self.admin_call("GET", "/admin/stats/tokens?days=0").status, 400)
        self.assertEqual(self.admin_call("GET", "/admin/stats/accounts", key=self.user).status, 403)


if __name__ == "__main__":
    unittest.main()

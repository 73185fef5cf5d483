"""The request log (amq2apictl usage log, GET /admin/usage): the newest usage records first,
filtered, a page at a time, each with the request-id its client got."""

import datetime
import os
import re
import unittest
import urllib.parse

from harness import serving_daemon, wait_until
from test_messages import TEXT, metadata, text_event


class RequestLog(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon, self.key = serving_daemon(self)
        self.limited = self.daemon.ctl_json("key", "create", "--name", "limited", "--rpm", "1")["key"]
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()

    def post(self, key, model=TEXT["model"]):
        r = self.daemon.request("POST", "/v1/messages", body=dict(TEXT, model=model),
                                headers={"x-api-key": key, "content-type": "application/json"})
        return r.status, r.headers["request-id"]

    def log(self, *args):
        return self.daemon.ctl_json("usage", "log", *args)

    def send_mixed(self):
        self.fake.script(generate=[{"events": [text_event("a"), metadata()]}, {"status": 400},
                                   {"events": [text_event("b"), metadata()]},
                                   {"events": [text_event("c"), metadata()]}])
        sent = [self.post(self.key), self.post(self.key),
                self.post(self.key, "claude-haiku-4-5"),
                self.post(self.limited), self.post(self.limited)]
        self.assertEqual([s for s, _ in sent], [200, 400, 200, 200, 429])
        wait_until(lambda: len(self.log()["records"]) == 5, what="five records")
        return sent

    def test_newest_first_each_with_its_request_id(self):
        sent = self.send_mixed()
        records = self.log()["records"]
        self.assertEqual([r["request_id"] for r in records], [rid for _, rid in reversed(sent)])
        self.assertEqual([r["status"] for r in records], [429, 200, 200, 400, 200])
        refused = records[0]
        self.assertEqual((refused["error_class"], refused["account_id"]), ("limit", 0))
        self.assertEqual((refused["input_tokens"], refused["output_tokens"]), (0, 0))

    def test_a_killed_master_loses_no_record(self):
        sent = [self.post(self.key) for _ in range(5)]
        # Killed once it has every report, before its next batch (a second away) reached the
        # store: the records are in the journal only.
        wait_until(lambda: re.search(r"^amq2api_requests_in_flight 0$",
                                     self.daemon.get("/metrics").body.decode(), re.M),
                   timeout=1, interval=0.01, what="every report at the master")
        self.daemon.kill_master()
        journal = os.path.join(self.daemon.state_dir, "usage.journal")
        self.assertEqual(os.stat(journal).st_mode & 0o777, 0o600)
        self.assertGreater(os.path.getsize(journal), 0)
        self.daemon.start(wait=False)
        self.daemon.wait_ready()
        self.assertIn("stored 5 usage records of the last run from its journal",
                      self.daemon.logs())
        self.assertEqual([r["request_id"] for r in self.log()["records"]],
                         [rid for _, rid in reversed(sent)])
        self.assertEqual(os.path.getsize(journal), 0)

    def test_filters(self):
        sent = self.send_mixed()
        ids = lambda data: [r["request_id"] for r in data["records"]]
        self.assertEqual(ids(self.log("--request-id", sent[1][1])), [sent[1][1]])
        self.assertEqual(ids(self.log("--status", "error")), [sent[4][1], sent[1][1]])
        self.assertEqual(ids(self.log("--status", "429")), [sent[4][1]])
        self.assertEqual(ids(self.log("--key", "limited")), [sent[4][1], sent[3][1]])
        self.assertEqual(ids(self.log("--account", "none")), [sent[4][1]])
        self.assertEqual(ids(self.log("--model", "claude-haiku-4-5")), [sent[2][1]])
        self.assertEqual(ids(self.log("--since", "1999-01-01", "--until", "2000-01-01")), [])
        rc, _, err = self.daemon.ctl("usage", "log", "--since", "2999-01-01")
        self.assertIn("--since must be before", err)
        rc, _, err = self.daemon.ctl("usage", "log", "--status", "bad")
        self.assertNotEqual(rc, 0)
        self.assertIn("--status must be ok, error", err)

    def test_pages_meet_without_overlap(self):
        sent = self.send_mixed()
        first = self.log("--limit", "2")
        self.assertEqual(len(first["records"]), 2)
        rest = self.log("--limit", "10", "--before", first["next"])
        self.assertIsNone(rest["next"])
        seen = [r["request_id"] for r in first["records"] + rest["records"]]
        self.assertEqual(seen, [rid for _, rid in reversed(sent)])
        out = self.daemon.ctl("usage", "log", "--limit", "2")[1]
        self.assertIn(f"older records: --before {first['next']}", out)
        self.assertIn(sent[4][1], out)

    def test_over_http_with_an_admin_key(self):
        sent = self.send_mixed()
        query = urllib.parse.urlencode({"request_id": sent[2][1], "since": "2000-01-01T00:00:00Z"})
        r = self.daemon.request("GET", f"/admin/usage?{query}",
                                headers={"Authorization": f"Bearer {self.admin}"})
        self.assertEqual(r.status, 200, r.body)
        [record] = r.json()["records"]
        self.assertEqual((record["request_id"], record["client_model"]),
                         (sent[2][1], "claude-haiku-4-5"))
        for bad in ("status=maybe", "before=zz", "limit=many", "limit=0"):
            r = self.daemon.request("GET", f"/admin/usage?{bad}",
                                    headers={"Authorization": f"Bearer {self.admin}"})
            self.assertEqual(r.status, 400, bad)
            self.assertIn("detail", r.json())
        r = self.daemon.request("GET", "/admin/usage", headers={"x-api-key": self.key})
        self.assertEqual(r.status, 403)
        # Admin calls are no usage: the log still holds the five requests, and the admin key
        # shows it was used.
        admin = lambda: next(k for k in self.daemon.ctl_json("key", "list")["keys"]
                             if k["name"] == "initial-admin")
        wait_until(lambda: admin()["last_used_at"], what="the admin key's last use")
        self.assertEqual(len(self.log()["records"]), 5)

    def test_series_per_hour_with_filters(self):
        sent = self.send_mixed()
        headers = {"Authorization": f"Bearer {self.admin}"}
        r = self.daemon.request("GET", "/admin/usage/series", headers=headers)
        self.assertEqual(r.status, 200, r.body)
        series = r.json()
        self.assertEqual(series["bucket"], "day")  # a week by default
        self.assertIsNone(series["complete_until"])
        self.assertEqual(sum(p["requests"] for p in series["points"]), 5)
        self.assertEqual(sum(p["errors"] for p in series["points"]), 2)
        since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3))
        query = urllib.parse.urlencode({"since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        "key": "limited"})
        hourly = self.daemon.request("GET", f"/admin/usage/series?{query}", headers=headers).json()
        self.assertEqual(hourly["bucket"], "hour")
        self.assertIn(len(hourly["points"]), (3, 4))
        served = [p for p in hourly["points"] if p["requests"]]
        self.assertEqual([(p["requests"], p["errors"]) for p in served], [(2, 1)])
        self.assertGreater(served[0]["p95_ms"], 0)
        for bad, why in (("bucket=week", "bucket"), ("since=2000-01-01&bucket=hour", "more than"),
                         ("since=2999-01-01", "before")):
            r = self.daemon.request("GET", f"/admin/usage/series?{bad}", headers=headers)
            self.assertEqual(r.status, 400, bad)
            self.assertIn(why, r.json()["detail"])
        self.assertEqual(len(sent), 5)


if __name__ == "__main__":
    unittest.main()

"""The foundation: processes, supervision, signals, store and control socket, exercised on the
real binaries."""

import json
import os
import shutil
import signal
import stat
import subprocess
import time
import unittest

from harness import AMQ2APID, Daemon, wait_until


class DaemonTestCase(unittest.TestCase):
    workers = 2

    def setUp(self):
        self.daemon = Daemon(workers=self.workers).start()
        self.addCleanup(self.daemon.cleanup)


class StartAndServe(DaemonTestCase):
    def test_health_answers_from_every_worker(self):
        status = self.daemon.ctl_json("status")
        self.assertEqual(len(status["workers"]), 2)
        self.assertTrue(all(w["state"] == "ready" for w in status["workers"]))
        seen = set()
        for _ in range(40):
            r = self.daemon.get("/health")
            self.assertEqual(r.status, 200)
            body = r.json()
            self.assertIn(body["status"], ("ok", "degraded"))
            self.assertEqual(body["version"], status["version"])
            self.assertEqual(body["keys"]["usable"], 1)  # the initial admin key
            seen.add(body["worker"])
        self.assertTrue(seen <= {0, 1})

    def test_health_reflects_accounts_added_at_run_time(self):
        self.assertEqual(self.daemon.get("/health").json()["status"], "degraded")
        self.daemon.ctl_json("account", "add", "--name", "a1", "--refresh-token", "rt",
                             "--client-id", "cid", "--client-secret", "cs")
        wait_until(lambda: self.daemon.get("/health").json()["accounts"]["usable"] == 1,
                   what="workers to learn about the new account")
        self.assertEqual(self.daemon.get("/health").json()["status"], "ok")

    def test_unknown_path_is_404_json(self):
        r = self.daemon.request("GET", "/nope")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.headers["content-type"], "application/json")
        body = r.json()
        self.assertEqual(body["type"], "error")
        self.assertEqual(body["error"]["type"], "not_found_error")
        self.assertIn("/nope", body["error"]["message"])

    def test_openai_paths_get_openai_shaped_errors(self):
        r = self.daemon.request("GET", "/v1/chat/unknown")
        self.assertEqual(r.status, 404)
        self.assertIn("message", r.json()["error"])
        self.assertNotIn("type", {k for k in r.json() if k != "error"})

    def test_wrong_method_is_405_with_allow(self):
        r = self.daemon.request("POST", "/health", body=b"{}")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["allow"], "GET, HEAD")
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")

    def test_overlong_uri_is_refused(self):
        self.assertEqual(self.daemon.request("GET", "/health?" + "a" * 5000).status, 414)
        self.assertEqual(self.daemon.request("GET", "/" + "a" * 5000).status, 414)
        self.assertEqual(self.daemon.get("/health").status, 200)

    def test_oversized_body_is_refused_without_crash(self):
        try:
            r = self.daemon.request("POST", "/health", body=b"x" * (33 << 20))
            self.assertIn(r.status, (405, 413))
        except OSError:
            pass  # the server may close the connection mid-upload; what matters is below
        self.assertEqual(self.daemon.get("/health").status, 200)


class FirstStart(DaemonTestCase):
    def test_initial_admin_key_file_is_private_and_never_logged(self):
        path = os.path.join(self.daemon.state_dir, "initial-admin-key")
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode, 0o600)
        secret = open(path).read().strip()
        self.assertTrue(secret.startswith("amq-"))
        self.assertEqual(len(secret), 47)
        logs = self.daemon.logs()
        self.assertIn(path, logs)
        self.assertNotIn(secret, logs)
        keys = self.daemon.ctl_json("key", "list")["keys"]
        self.assertEqual(len(keys), 1)
        self.assertTrue(keys[0]["is_admin"])
        self.assertNotIn(secret, json.dumps(keys))

    def test_state_files_are_private(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.daemon.state_dir).st_mode), 0o700)
        for name in ("data.mdb", "lock.mdb"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.daemon.state_dir, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertEqual(stat.S_IMODE(os.stat(self.daemon.socket).st_mode), 0o660)

    def test_environment_account_is_added_once(self):
        self.daemon.stop()
        env = {"AMAZONQ_REFRESH_TOKEN": "rt-env", "AMAZONQ_CLIENT_ID": "cid-env",
               "AMAZONQ_CLIENT_SECRET": "cs-env", "AMAZONQ_PROFILE_ARN": "arn:aws:x"}
        for _ in range(2):
            d = Daemon(workers=1, root=self.daemon.root, env=env)
            d.state_dir, d.socket = self.daemon.state_dir, self.daemon.socket
            d.start()
            accounts = d.ctl_json("account", "list")["accounts"]
            d.stop()
            self.assertEqual(len(accounts), 1)
            self.assertEqual(accounts[0]["client_id"], "cid-env")
            self.assertEqual(accounts[0]["profile_arn"], "arn:aws:x")
            self.assertEqual(accounts[0]["requests_per_minute"], 0)  # account-rpm-default
            self.assertNotIn("rt-env", json.dumps(accounts))

    def test_no_process_keeps_the_environment_credentials(self):
        self.daemon.stop()
        env = {"AMAZONQ_REFRESH_TOKEN": "rt-secret-env", "AMAZONQ_CLIENT_ID": "cid-env",
               "AMAZONQ_CLIENT_SECRET": "cs-secret-env", "AMAZONQ_PROFILE_ARN": "arn:aws:x"}
        d = Daemon(workers=2, root=self.daemon.root, env=env)
        d.start()
        self.addCleanup(d.cleanup)
        self.assertEqual(len(d.ctl_json("account", "list")["accounts"]), 1)  # it was read
        for pid in [d.proc.pid, *d.worker_pids()]:
            with open(f"/proc/{pid}/environ", "rb") as f:
                block = f.read()
            self.assertNotIn(b"rt-secret-env", block, pid)
            self.assertNotIn(b"cs-secret-env", block, pid)


class ControlRoundTrips(DaemonTestCase):
    def add_account(self, name, **extra):
        args = ["account", "add", "--name", name, "--refresh-token", f"rt-{name}",
                "--client-id", f"cid-{name}", "--client-secret", f"cs-{name}"]
        for k, v in extra.items():
            args += [f"--{k}", str(v)]
        return self.daemon.ctl_json(*args)

    def test_accounts_round_trip_and_survive_restart(self):
        a = self.add_account("first", rpm=7, notes="main")
        b = self.add_account("second")
        self.assertEqual(a["requests_per_minute"], 7)
        self.assertEqual(b["requests_per_minute"], 0)  # account-rpm-default
        listed = self.daemon.ctl_json("account", "list")["accounts"]
        self.assertEqual([x["name"] for x in listed], ["first", "second"])
        self.assertNotIn("rt-first", json.dumps(listed))
        self.assertNotIn("cs-first", json.dumps(listed))
        self.assertEqual(self.daemon.ctl_json("account", "show", "first")["id"], a["id"])
        self.assertEqual(self.daemon.ctl_json("account", "show", str(b["id"]))["name"], "second")

        rc, _, err = self.daemon.ctl("account", "add", "--name", "first", "--refresh-token", "x",
                                     "--client-id", "y", "--client-secret", "z")
        self.assertEqual(rc, 1)
        self.assertIn("already exists", err)

        self.daemon.ctl_json("account", "remove", "first")
        rc, _, err = self.daemon.ctl("account", "show", "first")
        self.assertEqual(rc, 1)

        self.daemon.stop()
        self.daemon.start()
        listed = self.daemon.ctl_json("account", "list")["accounts"]
        self.assertEqual([x["name"] for x in listed], ["second"])

    def test_keys_round_trip_secret_shown_once_and_stored_as_hash(self):
        created = self.daemon.ctl_json("key", "create", "--name", "ci", "--rpm", "5",
                                       "--expires-days", "30")
        secret = created["key"]
        self.assertTrue(secret.startswith("amq-"))
        self.assertEqual(created["api_key"]["requests_per_minute"], 5)
        self.assertIsNotNone(created["api_key"]["expires_at"])
        listed = self.daemon.ctl_json("key", "list")["keys"]
        self.assertNotIn(secret, json.dumps(listed))
        self.assertIn(created["api_key"]["key_prefix"], [k["key_prefix"] for k in listed])

        revoked = self.daemon.ctl_json("key", "revoke", "ci")
        self.assertFalse(revoked["enabled"])
        self.daemon.stop()
        with open(os.path.join(self.daemon.state_dir, "data.mdb"), "rb") as f:
            self.assertNotIn(secret.encode(), f.read())
        self.daemon.start()
        shown = self.daemon.ctl_json("key", "show", "ci")
        self.assertFalse(shown["enabled"])
        self.daemon.ctl_json("key", "remove", "ci")
        names = [k["name"] for k in self.daemon.ctl_json("key", "list")["keys"]]
        self.assertNotIn("ci", names)

    def test_last_admin_key_cannot_be_removed(self):
        rc, _, err = self.daemon.ctl("key", "remove", "initial-admin")
        self.assertEqual(rc, 1)
        self.assertIn("last enabled admin key", err)
        self.daemon.ctl_json("key", "create", "--name", "admin2", "--admin")
        self.daemon.ctl_json("key", "remove", "initial-admin")

    def test_human_output_and_errors(self):
        self.add_account("shown")
        rc, out, _ = self.daemon.ctl("account", "list")
        self.assertEqual(rc, 0)
        self.assertIn("shown", out)
        rc, out, _ = self.daemon.ctl("status")
        self.assertEqual(rc, 0)
        self.assertIn("ready", out)
        rc, _, err = self.daemon.ctl("account", "show", "missing")
        self.assertEqual(rc, 1)
        self.assertTrue(err.startswith("amq2apictl: "))
        rc, _, err = self.daemon.ctl("account", "frobnicate")
        self.assertEqual(rc, 2)

    def test_unreachable_socket_exits_3(self):
        r = subprocess.run([os.environ.get("AMQ2APICTL", "amq2apictl"), "--socket",
                            os.path.join(self.daemon.root, "nope.sock"), "status"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("nope.sock", r.stderr)


class Supervision(DaemonTestCase):
    def test_killed_worker_is_replaced_while_health_keeps_answering(self):
        before = self.daemon.worker_pids()
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        t0 = time.monotonic()
        failures = 0
        def replaced():
            nonlocal failures
            if self.daemon.get("/health").status != 200:
                failures += 1
            status = self.daemon.ctl_json("status")
            pids = {w["pid"] for w in status["workers"] if w["state"] == "ready"}
            return len(pids) == 2 and victim not in pids
        wait_until(replaced, timeout=2.0, interval=0.02, what="a replacement worker")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(failures, 0)
        self.assertIn("died", self.daemon.logs())

    def test_reload_with_broken_config_keeps_serving_and_says_why(self):
        conf = os.path.join(self.daemon.root, "amq2api.conf")
        with open(conf, "w") as f:
            f.write("log-level = info\n")
        self.daemon.stop()
        self.daemon.extra_args = ["--config", conf]
        self.daemon.start()
        pids = self.daemon.worker_pids()
        with open(conf, "w") as f:
            f.write("log-level = loud\nno-such-key = 1\n")
        self.daemon.signal(signal.SIGHUP)
        wait_until(lambda: "reload failed" in self.daemon.logs(), what="the reload error")
        self.assertIn("log-level", self.daemon.logs().split("reload failed", 1)[1])
        self.assertEqual(self.daemon.get("/health").status, 200)
        self.assertEqual(self.daemon.worker_pids(), pids)

    def test_reload_replaces_workers_with_a_new_generation(self):
        conf = os.path.join(self.daemon.root, "amq2api.conf")
        with open(conf, "w") as f:
            f.write("workers = 2\n")
        self.daemon.stop()
        self.daemon.extra_args = ["--config", conf]
        self.daemon.workers_flag = False  # flags override the file
        self.daemon.start()
        old = self.daemon.ctl_json("status")
        with open(conf, "w") as f:
            f.write("workers = 3\n")
        self.daemon.signal(signal.SIGHUP)
        def new_generation():
            s = self.daemon.ctl_json("status")
            ready = [w for w in s["workers"] if w["state"] == "ready"]
            return s["generation"] > old["generation"] and len(ready) == 3 and len(s["workers"]) == 3
        wait_until(new_generation, timeout=15, what="the new generation to replace the old")
        self.assertEqual(self.daemon.get("/health").status, 200)

    def test_sigterm_drains_and_exits_zero(self):
        conn = __import__("http.client").client.HTTPConnection("127.0.0.1", self.daemon.port)
        conn.request("GET", "/health")  # an idle keep-alive connection must not block the stop
        conn.getresponse().read()
        t0 = time.monotonic()
        self.daemon.signal(signal.SIGTERM)
        self.daemon.proc.wait(10)
        self.assertEqual(self.daemon.proc.returncode, 0)
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertFalse(os.path.exists(self.daemon.socket))
        conn.close()

    def test_second_daemon_on_same_state_dir_refuses(self):
        other = Daemon(workers=1)
        other.state_dir = self.daemon.state_dir
        self.addCleanup(other.cleanup)
        other.start(wait=False)
        other.proc.wait(10)
        self.assertNotEqual(other.proc.returncode, 0)
        self.assertIn("in use by another amq2apid", other.logs())
        self.assertEqual(self.daemon.get("/health").status, 200)


class WorkerCrashLoop(unittest.TestCase):
    def test_master_gives_up_when_workers_keep_dying_on_start(self):
        root = __import__("tempfile").mkdtemp(prefix="amq2api-it-")
        exe = os.path.join(root, "amq2apid")
        shutil.copy2(AMQ2APID, exe)
        d = Daemon(workers=1, root=root, exe=exe).start()
        self.addCleanup(d.cleanup)
        # Replace the binary the master re-executes: every new worker now fails at once.
        broken = exe + ".new"
        with open(broken, "w") as f:
            f.write("#!/bin/sh\nexit 3\n")
        os.chmod(broken, 0o755)
        os.rename(broken, exe)
        os.kill(next(iter(d.worker_pids())), signal.SIGKILL)
        d.proc.wait(20)
        self.assertNotEqual(d.proc.returncode, 0)
        self.assertIn("died during start-up", d.logs())


if __name__ == "__main__":
    unittest.main()

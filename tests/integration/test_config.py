"""amq2apid's configuration on the real binary: the file syntax (values kept whole, quoting, the
last copy of a key wins), errors with file and line, drop-ins, -t / -T / -V, exit codes, error
priorities under journald, and a host name to listen on."""

import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from harness import AMQ2APID, Daemon, wait_until


class ConfigCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="amq2api-conf-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_daemon(self, *args, env=None, stderr=subprocess.PIPE):
        return subprocess.run([AMQ2APID, *args], stdout=subprocess.PIPE, stderr=stderr, text=True,
                              timeout=30, env={**os.environ, **(env or {})})


class FileSyntax(ConfigCase):
    def test_values_are_kept_whole_and_the_last_copy_wins(self):
        conf = self.write("amq2api.conf",
                          "model-map = gpt-4o=claude-opus-4.6, default=claude-haiku-4.5\n"
                          "state-dir = /srv/my data   # spaces inside stay\n"
                          'proxy = "http://u:p#w@h:3128"\n'
                          "listen = [::1]:8080\n"
                          "workers = 2\n"
                          "workers = 3\n")
        r = self.run_daemon("-t", "-c", conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"configuration OK\nread {conf}\n")
        r = self.run_daemon("-T", "changed", "-c", conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("\nmodel-map = gpt-4o=claude-opus-4.6, default=claude-haiku-4.5\n", r.stdout)
        self.assertIn("\nstate-dir = /srv/my data\n", r.stdout)
        self.assertIn("\nproxy = http://u:***@h:3128\n", r.stdout)
        self.assertIn("\nlisten = [::1]:8080\n", r.stdout)
        self.assertIn("\nworkers = 3\n", r.stdout)
        self.assertNotIn("p#w", r.stdout)
        self.assertNotIn("log-level", r.stdout)  # unchanged from the default

    def test_errors_name_file_line_and_key_and_exit_2(self):
        cases = [("workers = 2\nfrobnicate = 1\n", ":2: frobnicate: unknown key"),
                 ("log-level = info\nlog-level = loud\n", ":2: log-level: loud not in"),
                 ("workers = 2\nworkers 3\n", ":2: expected key = value"),
                 ("[amq2apid]\nworkers = 2\n", ":1: sections such as [name] are not used"),
                 ("listen =\n", ":1: listen: a value is required"),
                 ('proxy = "open\n', ":1: proxy: the closing quote is missing")]
        for text, says in cases:
            with self.subTest(text=text):
                conf = self.write("amq2api.conf", text)
                r = self.run_daemon("-t", "-c", conf)
                self.assertEqual(r.returncode, 2)
                self.assertIn(conf + says, r.stderr)
                self.assertEqual(r.stdout, "")

    def test_a_missing_named_file_is_an_error(self):
        r = self.run_daemon("-t", "-c", os.path.join(self.dir, "missing.conf"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.conf: No such file or directory", r.stderr)

    def test_no_config_reads_no_file(self):
        for args in (["--no-config"], ["--config", ""]):
            r = self.run_daemon("-t", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "configuration OK (no configuration file read)\n")


class DropIns(ConfigCase):
    def test_dropins_override_the_main_file_in_order_and_are_reported(self):
        conf = self.write("amq2api.conf", "workers = 2\nlog-level = debug\n")
        first = self.write("amq2api.conf.d/10-first.conf", "workers = 4\n")
        second = self.write("amq2api.conf.d/20-second.conf", "workers = 5\n")
        self.write("amq2api.conf.d/30-off.conf.disabled", "workers = 6\n")
        r = self.run_daemon("-t", "-c", conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"configuration OK\nread {conf}\nread {first}\nread {second}\n")
        r = self.run_daemon("--print-config=changed", "-c", conf)
        self.assertIn("\nworkers = 5\n", r.stdout)
        self.assertIn("\nlog-level = debug\n", r.stdout)

    def test_an_error_in_a_dropin_names_it(self):
        conf = self.write("amq2api.conf", "workers = 2\n")
        bad = self.write("amq2api.conf.d/10-bad.conf", "# a comment\nworkers = many\n")
        r = self.run_daemon("-t", "-c", conf)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{bad}:2: workers: ", r.stderr)

    def test_reload_reads_a_dropin_added_since_the_start(self):
        conf = self.write("amq2api.conf", "workers = 1\n")
        d = Daemon(workers=1, extra_args=["--config", conf])
        d.workers_flag = False  # the files decide
        self.addCleanup(d.cleanup)
        d.start()
        old = d.ctl_json("status")["generation"]
        self.write("amq2api.conf.d/10-more.conf", "workers = 2\n")
        d.signal(signal.SIGHUP)

        def two_new_workers():
            s = d.ctl_json("status")
            ready = [w for w in s["workers"] if w["state"] == "ready"]
            return s["generation"] > old and len(ready) == 2 and len(s["workers"]) == 2
        wait_until(two_new_workers, timeout=15, what="a generation of two workers")


class CommandLine(ConfigCase):
    def test_version_in_both_spellings(self):
        for flag in ("--version", "-V"):
            r = self.run_daemon(flag)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"^amq2apid \d+\.\d+\.\d+\n$")

    def test_a_usage_error_exits_2(self):
        r = self.run_daemon("--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--no-such-flag", r.stderr)

    def test_print_config_changed_masks_a_password_with_an_at_sign(self):
        r = self.run_daemon("--no-config", "--print-config=changed", "--proxy",
                            "http://user:p@ss@host:3128", env={"PORT": "9999"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("\nproxy = http://user:***@host:3128\n", r.stdout)
        self.assertIn("\nlisten = 127.0.0.1:9999\n", r.stdout)
        self.assertNotIn("p@ss", r.stdout)
        self.assertNotIn("state-dir", r.stdout)

    def test_errors_carry_the_error_priority_when_stderr_is_the_journal(self):
        conf = self.write("amq2api.conf", "frobnicate = 1\n")
        log = os.path.join(self.dir, "stderr")
        with open(log, "w") as stderr:
            st = os.fstat(stderr.fileno())
            journal = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
            r = self.run_daemon("-t", "-c", conf, env=journal, stderr=stderr)
        self.assertEqual(r.returncode, 2)
        with open(log) as f:
            self.assertRegex(f.read(), r"^<3>amq2apid error: .*frobnicate: unknown key\n$")
        r = self.run_daemon("-t", "-c", conf, env={"JOURNAL_STREAM": "1:1"})
        self.assertNotIn("<3>", r.stderr)  # not the journal: a timestamp instead
        self.assertRegex(r.stderr, r"^\d{4}-\d\d-\d\dT")


class ListenHostName(ConfigCase):
    def test_check_config_resolves_the_listen_host(self):
        r = self.run_daemon("-t", "--no-config", "--listen", "localhost:8080")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_daemon("-t", "--no-config", "--listen", "no-such-host.invalid:8080")
        self.assertEqual(r.returncode, 2)
        self.assertIn("listen: cannot resolve 'no-such-host.invalid'", r.stderr)

    def test_the_daemon_binds_localhost_on_its_ipv4_address(self):
        d = Daemon(workers=1)
        self.addCleanup(d.cleanup)
        d.extra_args = ["--listen", f"localhost:{d.port}"]  # the harness asks 127.0.0.1
        d.start()
        self.assertEqual(d.get("/health").status, 200)
        self.assertIn(f"localhost:{d.port} (127.0.0.1:{d.port})", d.logs())


if __name__ == "__main__":
    unittest.main()

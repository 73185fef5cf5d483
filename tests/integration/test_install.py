"""make install: only copies what `make` built, stripped; the tree, the systemd units, the
configuration readable by the service's group, the shell completions."""

import os
import pwd
import grp
import shutil
import subprocess
import tempfile
import unittest
import uuid

from harness import AMQ2APID, TOKENIZER_FILE, require_root

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(AMQ2APID)))
COMPLETION = os.path.join(SOURCE, "contrib", "bash-completion", "amq2api")


def make_install(destdir, *args, check=True):
    return subprocess.run(["make", "-s", "-C", SOURCE, "install", f"DESTDIR={destdir}", f"BUILD={BUILD}",
                           "PREFIX=/usr/local", f"TOKENIZER_FILE={TOKENIZER_FILE}", *args],
                          check=check, capture_output=True, text=True, timeout=120)


def temporary_tree(test, prefix):
    dest = tempfile.mkdtemp(prefix=prefix)
    os.chmod(dest, 0o755)  # an unprivileged user must reach the installed files
    test.addCleanup(shutil.rmtree, dest, True)
    return dest


def has_section(binary, name):
    r = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True, check=True)
    return f" {name} " in r.stdout


class Install(unittest.TestCase):
    def test_install_produces_the_expected_tree_and_keeps_an_edited_config(self):
        dest = temporary_tree(self, "amq2api-install-")
        make_install(dest)
        expected = ["etc/amq2api/amq2api.conf", "usr/local/sbin/amq2apid", "usr/local/sbin/amq2apictl",
                    "usr/local/share/man/man8/amq2apid.8", "usr/local/share/man/man8/amq2apictl.8",
                    "usr/local/share/man/man5/amq2api.conf.5", "usr/local/share/amq2api/claude-tokenizer.json",
                    "usr/local/share/doc/amq2api/LICENSE", "usr/local/share/doc/amq2api/CHANGELOG.md",
                    "usr/local/share/bash-completion/completions/amq2apid",
                    "usr/local/share/bash-completion/completions/amq2apictl",
                    "usr/local/lib/systemd/system/amq2apid.service", "usr/local/lib/systemd/system/amq2apid.socket",
                    "usr/local/lib/sysusers.d/amq2api.conf", "usr/local/lib/tmpfiles.d/amq2api.conf"]
        found = sorted(os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest) for f in fs)
        self.assertEqual(found, sorted(expected))
        self.assertTrue(os.access(os.path.join(dest, "usr/local/sbin/amq2apid"), os.X_OK))
        with open(os.path.join(dest, "usr/local/lib/systemd/system/amq2apid.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/local/sbin/amq2apid --config /etc/amq2api/amq2api.conf", unit)
        conf = os.path.join(dest, "etc/amq2api/amq2api.conf")
        with open(conf, "a") as f:
            f.write("workers = 7\n")
        make_install(dest)
        with open(conf) as f:
            self.assertIn("workers = 7", f.read())

    def test_installed_binaries_are_stripped(self):
        dest = temporary_tree(self, "amq2api-strip-")
        make_install(dest)
        for name in ("amq2apid", "amq2apictl"):
            installed = os.path.join(dest, "usr/local/sbin", name)
            self.assertFalse(has_section(installed, ".debug_info"), name)
            self.assertFalse(has_section(installed, ".symtab"), name)
            self.assertLess(os.path.getsize(installed), os.path.getsize(os.path.join(
                BUILD, "daemon" if name == "amq2apid" else "ctl", name)))
        r = subprocess.run([os.path.join(dest, "usr/local/sbin/amq2apid"), "--version"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_install_builds_and_downloads_nothing_and_says_what_is_missing(self):
        dest = temporary_tree(self, "amq2api-missing-")
        r = subprocess.run(["make", "-s", "-n", "-C", SOURCE, "install", f"DESTDIR={dest}", f"BUILD={BUILD}",
                            "PREFIX=/usr/local"], capture_output=True, text=True, timeout=60)
        for word in ("apt-get", "npm", "cmake"):
            self.assertNotIn(word, r.stdout)
        r = make_install(dest, f"BUILD={dest}/no-build", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no-build/daemon/amq2apid is missing: run 'make' (as yourself) first", r.stderr)
        r = make_install(dest, f"TOKENIZER_FILE={dest}/no-vocabulary.json", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no-vocabulary.json is missing: run 'make deps'", r.stderr)
        r = make_install(dest, "PREFIX=/opt/elsewhere", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("was not built for CMAKE_INSTALL_PREFIX:PATH=/opt/elsewhere", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(dest, "usr")))


class ServiceUser(unittest.TestCase):
    """The configuration is root's to write and the service group's to read."""

    # setpriv and useradd (util-linux, passwd) are test dependencies: `make test-deps`.
    def test_the_service_user_can_read_but_not_write_the_configuration(self):
        require_root(self, "creating a throwaway user and group needs root")
        name = "amqit" + uuid.uuid4().hex[:8]
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        name], check=True, capture_output=True)
        self.addCleanup(subprocess.run, ["groupdel", name], capture_output=True)
        self.addCleanup(subprocess.run, ["userdel", name], capture_output=True)
        uid, gid = pwd.getpwnam(name).pw_uid, grp.getgrnam(name).gr_gid
        dest = temporary_tree(self, "amq2api-user-")
        make_install(dest, f"SERVICE_GROUP={name}")
        conf = os.path.join(dest, "etc/amq2api/amq2api.conf")
        st = os.stat(conf)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o777), (0, gid, 0o640))
        as_user = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        r = subprocess.run([*as_user, os.path.join(dest, "usr/local/sbin/amq2apid"), "--check-config", "--config",
                            conf], capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([*as_user, "sh", "-c", f"echo workers = 1 >> {conf}"], capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)

    def test_tmpfiles_gives_the_configuration_to_the_service_group(self):
        with open(os.path.join(SOURCE, "systemd", "amq2api.tmpfiles")) as f:
            lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn(["z", "/etc/amq2api/amq2api.conf", "0640", "root", "amq2api", "-"], lines)
        self.assertIn(["d", "/etc/amq2api", "0750", "root", "amq2api", "-"], lines)


class Units(unittest.TestCase):
    def installed_unit(self):
        dest = temporary_tree(self, "amq2api-units-")
        make_install(dest)
        return dest, os.path.join(dest, "usr/local/lib/systemd/system")

    def unit_settings(self, path):
        section, settings = None, {}
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]")
                elif "=" in line and not line.startswith("#"):
                    key, value = line.split("=", 1)
                    settings.setdefault((section, key), []).append(value)
        return settings

    def test_a_crash_loop_stops_and_reload_checks_the_file_first(self):
        _, units = self.installed_unit()
        s = self.unit_settings(os.path.join(units, "amq2apid.service"))
        self.assertEqual(s[("Service", "Restart")], ["on-failure"])
        interval = int(s[("Unit", "StartLimitIntervalSec")][0])
        burst = int(s[("Unit", "StartLimitBurst")][0])
        restart_sec = int(s[("Service", "RestartSec")][0])
        # The burst must fit in the interval, or the limit never trips.
        self.assertLess(burst * restart_sec, interval)
        self.assertEqual(s[("Service", "ExecReload")],
                         ["/usr/local/sbin/amq2apid --config /etc/amq2api/amq2api.conf --check-config",
                          "/bin/kill -HUP $MAINPID"])
        self.assertEqual(s[("Service", "ConfigurationDirectoryMode")], ["0750"])

    def test_systemd_accepts_the_units(self):  # systemd-analyze: `make test-deps`
        dest, units = self.installed_unit()
        check = os.path.join(dest, "check")
        os.makedirs(check)
        # Verified where the binary really is: the unit names its installed path.
        with open(os.path.join(units, "amq2apid.service")) as f:
            text = f.read().replace("/usr/local/sbin", os.path.join(dest, "usr/local/sbin"))
        with open(os.path.join(check, "amq2apid.service"), "w") as f:
            f.write(text)
        shutil.copy(os.path.join(units, "amq2apid.socket"), check)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", os.path.join(check, "amq2apid.service"),
                            os.path.join(check, "amq2apid.socket")], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Unknown key", r.stderr)
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", os.path.join(check, "amq2apid.service")],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            level = float(r.stdout.strip().splitlines()[-1].split("level for amq2apid.service:")[1].split()[0])
            self.assertLessEqual(level, 2.0, r.stdout[-500:])


class Completion(unittest.TestCase):
    """The completion run as bash runs it: COMP_WORDS and COMP_CWORD set, the function called."""

    def complete(self, *words):
        bins = [os.path.dirname(os.path.abspath(AMQ2APID)),
                os.path.dirname(os.path.abspath(os.environ.get("AMQ2APICTL", "build/ctl/amq2apictl")))]
        script = (f'source "{COMPLETION}"\n'
                  'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _amq2api\n'
                  'printf "%s\\n" "${COMPREPLY[@]}"\n')
        r = subprocess.run(["bash", "-c", script, "bash", *words], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PATH": ":".join(bins + [os.environ["PATH"]])})
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def test_both_tools_are_registered(self):
        r = subprocess.run(["bash", "-c", f'source "{COMPLETION}"; complete -p amq2apid amq2apictl'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout.splitlines(), ["complete -F _amq2api amq2apid", "complete -F _amq2api amq2apictl"])

    def test_commands_subcommands_options_and_values(self):
        self.assertEqual(self.complete("amq2apictl", "")[:3], ["status", "account", "key"])
        self.assertEqual(self.complete("amq2apictl", "wo"), ["workers"])
        self.assertIn("revoke", self.complete("amq2apictl", "key", ""))
        self.assertEqual(self.complete("amq2apictl", "key", "create", "--name", "x", "--r"), ["--rpm", "--rpd"])
        self.assertEqual(self.complete("amq2apictl", "account", "add", "--kind", ""),
                         ["idc", "social", "api_key", "external_idp"])
        self.assertEqual(self.complete("amq2apictl", "log-level", "w"), ["warning"])
        self.assertEqual(self.complete("amq2apid", "--check-c"), ["--check-config"])
        self.assertEqual(self.complete("amq2apid", "--log-level", "d"), ["debug"])
        self.assertEqual(self.complete("amq2apid", "-c", os.path.join(SOURCE, "etc", "amq2api.c")),
                         [os.path.join(SOURCE, "etc", "amq2api.conf")])
        # account import takes files and directories alike.
        self.assertEqual(self.complete("amq2apictl", "account", "import",
                                       os.path.join(SOURCE, "etc", "amq2api.c")),
                         [os.path.join(SOURCE, "etc", "amq2api.conf")])
        self.assertEqual(self.complete("amq2apictl", "account", "import", os.path.join(SOURCE, "contri")),
                         [os.path.join(SOURCE, "contrib")])


if __name__ == "__main__":
    unittest.main()

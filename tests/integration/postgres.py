"""A private PostgreSQL cluster for the integration tests: initdb and pg_ctl in a temporary
directory, on a free loopback port, as an unprivileged user (PostgreSQL refuses to run as
root). `make deps` installs Debian's server; a missing one fails the tests, never skips them.

Clients sign in over TCP with a password (scram-sha-256), as the daemon does on a real host;
psql here uses the cluster's Unix socket, where its superuser is trusted."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from harness import free_port

USER = "amq"
PASSWORD = "s3cret-pg-password"


def server_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise AssertionError("PostgreSQL's server is missing (initdb): run `make deps`")
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self):
        self.bindir = server_bindir()
        self.root = tempfile.mkdtemp(prefix="amq2api-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.runas = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
            self.runas = (account.pw_uid, account.pw_gid)
            os.chown(self.root, *self.runas)
        os.chmod(self.root, 0o755)  # the daemon under test (root or not) reaches the socket
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self.runas:
            os.chown(pwfile, *self.runas)
        self._server("initdb", "-D", self.data, "-U", USER, "--pwfile", pwfile,
                     "--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale",
                     "-E", "UTF8")
        self.start()

    def _server(self, tool, *args, check=True):
        cmd = [os.path.join(self.bindir, tool), *args]
        if self.runas:
            cmd = ["setpriv", f"--reuid={self.runas[0]}", f"--regid={self.runas[1]}",
                   "--clear-groups", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and r.returncode != 0:
            raise AssertionError(f"{tool} failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r

    def start(self):
        # fsync off: a test cluster need not survive the machine, and CI disks are slow.
        self._server("pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"), "-w",
                     "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c max_connections=200", "start")

    def stop(self):
        self._server("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database):
        """The address amq2apid is given: over TCP, no password in it."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, database, sql):
        """Runs sql as the superuser over the Unix socket; returns its rows as tab-separated
        lines."""
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-h", self.root, "-p", str(self.port), "-U", USER, "-d", database, "-c", sql],
            capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"psql failed ({r.returncode}): {r.stderr}")
        return r.stdout

    def hold_lock(self, test, database, table):
        """Another session takes `table` and does not let go until release_locks (or the end of
        `test`)."""
        holder = subprocess.Popen(
            ["psql", "-X", "-q", "-h", self.root, "-p", str(self.port), "-U", USER,
             "-d", database, "-c", f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; "
             "SELECT pg_sleep(60)"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        test.addCleanup(holder.wait)
        test.addCleanup(holder.kill)
        deadline = time.monotonic() + 10
        while self.psql(database, "SELECT count(*) FROM pg_locks WHERE "
                                  "mode = 'AccessExclusiveLock' AND granted").strip() == "0":
            if time.monotonic() > deadline:
                raise AssertionError(f"the lock on {table} was not taken")
            time.sleep(0.05)

    def release_locks(self, database):
        # The server ends the holder's session (a killed psql would leave it asleep).
        self.psql(database, "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE "
                            "mode = 'AccessExclusiveLock' AND granted")

    def create_database(self, name):
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def private_cluster(test):
    """A started Cluster, stopped and removed after `test`."""
    cluster = Cluster()
    test.addCleanup(cluster.cleanup)
    return cluster


def password_file(test, directory):
    """The cluster's password in a 0600 file, as postgresql-password-file names it."""
    path = os.path.join(directory, "pg-password")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(PASSWORD + "\n")
    return path

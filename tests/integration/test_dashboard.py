"""The web admin dashboard (/admin/dashboard) on the real daemon: its three files come from the
binary, byte for byte, without a key and with a strict Content-Security-Policy; the page holds
no inline script and the script never writes markup; and, where headless Chromium and
playwright-core (both installed by `make test-deps`) drive the page: a browser signs in,
creates a key, sees its one-time secret and adds an account."""

import html.parser
import json
import os
import re
import shutil
import subprocess
import unittest

from harness import Daemon, FakeUpstream

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "..", "..", "daemon", "web")
CHROMIUM = os.environ.get("AMQ_CHROMIUM", "/usr/bin/chromium")
# Set to a directory to keep the browser test's screenshots there.
SCREENSHOTS = os.environ.get("AMQ_DASHBOARD_SCREENSHOTS", "")

FILES = [
    ("/admin/dashboard", "text/html; charset=utf-8", "dashboard.html"),
    ("/admin/dashboard/", "text/html; charset=utf-8", "dashboard.html"),
    ("/admin/dashboard/dashboard.js", "application/javascript", "dashboard.js"),
    ("/admin/dashboard/dashboard.css", "text/css", "dashboard.css"),
]

# What the script must call (the admin API routes behind each tab).
ROUTES_USED = [
    "/admin/accounts", "/admin/accounts/upload-json", "/refresh-token", "/quota",
    "/admin/api-keys", "/revoke", "/admin/stats/tokens?days=", "/admin/stats/accounts",
    "/admin/stats/api-keys", "/admin/stats/account-usage", "/admin/accounts/login",
]


def source(name):
    with open(os.path.join(WEB, name), "rb") as f:
        return f.read()


class PageScan(html.parser.HTMLParser):
    """The parts of the page that matter to its Content-Security-Policy."""

    def __init__(self):
        super().__init__()
        self.scripts = []       # (src, inline text)
        self.stylesheets = []
        self.inline_handlers = []
        self.inline_styles = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.inline_handlers += [f"<{tag} {a}>" for a in attrs if a.startswith("on")]
        if "style" in attrs or tag == "style":
            self.inline_styles.append(tag)
        if tag == "script":
            self.scripts.append([attrs.get("src"), ""])
            self.in_script = True
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1][1] += data


class DashboardFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstream()
        cls.daemon = Daemon(workers=1, extra_args=cls.fake.daemon_args()).start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.cleanup()
        cls.fake.stop()

    def test_files_are_served_from_the_binary_without_a_key(self):
        for path, content_type, name in FILES:
            for headers in ({}, {"Authorization": "Bearer amq-not-a-key"}):
                with self.subTest(path=path, headers=headers):
                    r = self.daemon.request("GET", path, headers=headers)
                    self.assertEqual(r.status, 200, r.body[:200])
                    self.assertEqual(r.headers["content-type"].split(";")[0],
                                     content_type.split(";")[0])
                    if "charset" in content_type:
                        self.assertIn("charset=utf-8", r.headers["content-type"])
                    self.assertEqual(r.headers.get("cache-control"), "no-cache")
                    csp = r.headers.get("content-security-policy", "")
                    self.assertIn("default-src 'self'", csp)
                    self.assertNotIn("unsafe-inline", csp)
                    self.assertNotIn("unsafe-eval", csp)
                    self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")
                    self.assertEqual(r.body, source(name), "the embedded copy is not the file")

    def test_the_rest_of_the_admin_api_still_needs_a_key(self):
        r = self.daemon.request("GET", "/admin/accounts")
        self.assertEqual(r.status, 401, r.body)
        self.assertIn("detail", r.json())
        # Only the dashboard's own paths are let through, not lookalikes.
        r = self.daemon.request("GET", "/admin/dashboards")
        self.assertEqual(r.status, 401, r.body)
        # An unknown path says no more than a known one: first a key, then 404.
        r = self.daemon.request("GET", "/admin/dashboard/missing.js")
        self.assertEqual(r.status, 401, r.body)
        admin = self.daemon.ctl_json("key", "create", "--name", "files-admin", "--admin")["key"]
        r = self.daemon.request("GET", "/admin/dashboard/missing.js",
                                headers={"Authorization": f"Bearer {admin}"})
        self.assertEqual(r.status, 404, r.body)
        self.assertIn("no such endpoint", r.json()["detail"])
        r = self.daemon.request("POST", "/admin/dashboard", body=b"x")
        self.assertEqual(r.status, 405, r.body)
        self.assertEqual(r.headers.get("allow"), "GET, HEAD")
        self.assertIn("detail", r.json())

    def test_the_page_has_no_inline_script_or_style(self):
        page = PageScan()
        page.feed(source("dashboard.html").decode())
        self.assertEqual([s for s, _ in page.scripts], ["/admin/dashboard/dashboard.js"])
        self.assertEqual([text.strip() for _, text in page.scripts], [""], "inline script")
        self.assertEqual(page.stylesheets, ["/admin/dashboard/dashboard.css"])
        self.assertEqual(page.inline_handlers, [], "inline event handlers")
        self.assertEqual(page.inline_styles, [], "inline styles (the CSP blocks them)")
        self.assertNotRegex(source("dashboard.html").decode(), r"(src|href)=\"(https?:)?//",
                            "a file from another origin")

    def test_the_script_writes_no_markup_and_keeps_the_key_per_tab(self):
        js = source("dashboard.js").decode()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "localStorage", "document.cookie"):
            self.assertNotIn(sink, js)
        self.assertNotRegex(js, r"['\"`]https?://", "a call to another origin")
        for needed in ("sessionStorage", "textContent", "Authorization: `Bearer ${key}`",
                       "FormData", "window.confirm"):
            self.assertIn(needed, js)

    def test_the_script_calls_the_admin_routes(self):
        js = source("dashboard.js").decode()
        for route in ROUTES_USED:
            self.assertIn(route, js)
        # Every method and path the script uses is a route: an admin key gets no 405 and no
        # "no such endpoint" (an id that does not exist is a 404 of another kind).
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            admin = f.read().strip()
        calls = set(re.findall(r"api\('(GET|POST|PUT|DELETE)', [`']([^`'?]+)", js))
        self.assertGreaterEqual(len(calls), 12, calls)
        for method, path in sorted(calls):
            path = re.sub(r"\$\{[^}]+\}", "999999", path)
            with self.subTest(method=method, path=path):
                body = b"{}" if method in ("POST", "PUT") else None
                r = self.daemon.request(method, path, body=body,
                                        headers={"Authorization": f"Bearer {admin}",
                                                 "Content-Type": "application/json"})
                self.assertNotEqual(r.status, 405, r.body)
                self.assertNotIn("no such endpoint", r.json()["detail"] if r.status >= 400 else "")


def browser_unavailable():
    """Why the browser test cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    node = shutil.which("node")
    if not node:
        return "node is not installed"
    r = subprocess.run([node, "-e", "require('playwright-core')"], cwd=HERE, capture_output=True,
                       timeout=60)
    if r.returncode != 0:
        return "node cannot require('playwright-core') (npm install playwright-core, or NODE_PATH)"
    return None


def browser_script(body):
    """A node script that opens a page in Chromium, runs `body` on it (which fills `out`) and
    prints `out` as one JSON object; any failure exits 1 with its stack."""
    return BROWSER_PRELUDE + body + BROWSER_EPILOGUE


BROWSER_PRELUDE = r"""const { chromium } = require('playwright-core');
const env = process.env;

(async () => {
  const out = { errors: [] };
  const browser = await chromium.launch({
    executablePath: env.CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } }))
      .newPage();
"""
BROWSER_EPILOGUE = r"""  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e));
  process.exit(1);
});
"""

# Drives the page as a person would; prints what it saw as one JSON object.
BROWSER_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    // CSP violations and script errors show up here; failed loads are told apart below.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        out.errors.push(m.text());
      }
    });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    out.failed = [];
    page.on('response', (r) => {
      if (r.status() >= 400) out.failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const shot = async (name) => {
      if (env.SCREENSHOTS) {
        await page.screenshot({ path: `${env.SCREENSHOTS}/dashboard-${name}.png`, fullPage: true });
      }
    };

    await page.goto(`${env.BASE}/admin/dashboard`);
    await page.locator('#login-form').waitFor();
    await shot('login');
    await page.fill('#login-key', 'amq-not-a-real-key');
    await page.click('#login-submit');
    await page.locator('#login-error').waitFor();
    out.wrongKeyError = await page.textContent('#login-error');

    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#app').waitFor();
    out.keyInSession = await page.evaluate(() => sessionStorage.getItem('amq2api.adminKey'));
    out.localStorageItems = await page.evaluate(() => localStorage.length);

    await page.click('[data-tab=keys]');
    await page.locator('#keys-body tr').first().waitFor();
    await page.click('#key-add summary');
    await page.fill('#key-name', env.KEY_NAME);
    await page.fill('#key-description', env.KEY_DESCRIPTION);
    await page.fill('#key-rpm', '7');
    await page.click('#key-submit');
    await page.locator('#secret-box').waitFor();
    out.secret = await page.inputValue('#secret-value');
    const keyRow = page.locator('#keys-body tr', { hasText: env.KEY_NAME });
    await keyRow.waitFor();
    out.keyRow = await keyRow.textContent();
    out.markupInKeys = await page.locator('#keys-body i, #keys-body b').count();
    await shot('keys');
    await page.click('#secret-dismiss');
    await page.locator('#secret-box').waitFor({ state: 'hidden' });
    out.secretLeftInPage = await page.inputValue('#secret-value');
    const models = (key) => fetch(`${env.BASE}/v1/models`, { headers: { 'x-api-key': key } });
    out.secretStatus = (await models(out.secret)).status;

    // Revoke and delete, each behind a confirmation.
    page.on('dialog', (d) => d.accept());
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await keyRow.getByText('revoked').waitFor();
    out.secretStatusAfterRevoke = (await models(out.secret)).status;
    await keyRow.getByRole('button', { name: 'Delete' }).click();
    await keyRow.waitFor({ state: 'detached' });

    await page.click('[data-tab=accounts]');
    await page.click('#account-add summary');
    await page.fill('#account-name', env.ACCOUNT_NAME);
    await page.fill('#account-refresh-token', env.ACCOUNT_REFRESH_TOKEN);
    await page.fill('#account-client-id', 'browser-client-id');
    await page.fill('#account-client-secret', 'browser-client-secret');
    await page.fill('#account-rpm', '12');
    await page.fill('#account-notes', 'added by the browser test');
    await page.click('#account-submit');
    const accountRow = page.locator('#accounts-body tr', { hasText: env.ACCOUNT_NAME });
    await accountRow.waitFor();
    out.accountRow = await accountRow.textContent();
    out.refreshTokenLeftInForm = await page.inputValue('#account-refresh-token');

    // The row's actions against the fake upstream: refresh, quota, disable.
    await accountRow.getByRole('button', { name: 'Refresh token' }).click();
    await page.locator('#message-text', { hasText: 'Refreshed the token' }).waitFor();
    await accountRow.getByRole('button', { name: 'Quota' }).click();
    await page.locator('#message-text', { hasText: 'remaining' }).waitFor();
    out.quotaMessage = await page.textContent('#message-text');
    await accountRow.getByRole('button', { name: 'Disable' }).click();
    await accountRow.getByRole('button', { name: 'Enable' }).waitFor();

    // A token file uploaded as multipart/form-data.
    await page.setInputFiles('#upload-files', {
      name: 'tokens.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify([{
        name: env.UPLOADED_NAME, refresh_token: 'rt-uploaded-secret-Zq9',
        client_id: 'uploaded-client-id', client_secret: 'uploaded-client-secret',
      }])),
    });
    await page.click('#upload-submit');
    await page.locator('#upload-result', { hasText: 'Imported 1' }).waitFor();
    out.uploadResult = await page.textContent('#upload-result');
    await page.locator('#accounts-body tr', { hasText: env.UPLOADED_NAME }).waitFor();
    out.markupInAccounts = await page.locator('#accounts-body b, #upload-result b').count();
    out.uploadResultRole = await page.getAttribute('#upload-result', 'role');

    // Too many files: the upload is refused whole, and the last report goes with it.
    await page.setInputFiles('#upload-files', Array.from({ length: 1001 }, (_, i) => ({
      name: `t${i}.json`, mimeType: 'application/json', buffer: Buffer.from('{}'),
    })));
    await page.click('#upload-submit');
    await page.locator('#message-text', { hasText: 'more than 1000' }).waitFor();
    out.tooManyMessage = await page.textContent('#message-text');
    out.resultHiddenAfterError = await page.locator('#upload-result').isHidden();

    // A malformed file among good ones: the good one is added, the other one reported, and
    // the error above is gone.
    await page.setInputFiles('#upload-files', [
      {
        name: 'good.json', mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify({
          name: env.GOOD_NAME, refresh_token: 'rt-good-file', client_id: 'good-client-id',
          client_secret: 'good-client-secret',
        })),
      },
      { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"refresh') },
    ]);
    await page.click('#upload-submit');
    await page.locator('#upload-result', { hasText: 'refused 1' }).waitFor();
    out.mixedSummary = await page.textContent('#upload-result p');
    out.mixedItems = await page.locator('#upload-result li').allTextContents();
    out.messageHiddenAfterMixed = await page.locator('#message').isHidden();
    await page.locator('#accounts-body tr', { hasText: env.GOOD_NAME }).waitFor();
    await shot('accounts');

    await page.click('[data-tab=stats]');
    await page.locator('#stats-summary .stat').first().waitFor();
    out.statsPeriod = await page.textContent('#stats-period');
    out.statCards = await page.locator('.stat').count();
    await shot('stats');

    await page.click('#logout');
    await page.locator('#login').waitFor();
    out.keyAfterLogout = await page.evaluate(() => sessionStorage.getItem('amq2api.adminKey'));
    out.appHiddenAfterLogout = await page.locator('#app').isHidden();
""")


# Logs two accounts in from the login card: one with a device code, which the fake's control
# API approves as the user would, one with a Kiro sign-in, whose callback address the script
# gets from the fake portal's redirect (a wrong paste first) and pastes into the page.
LOGIN_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(20000);
    page.on('pageerror', (e) => out.errors.push(String(e)));
    await page.goto(`${env.BASE}/admin/dashboard`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#accounts-body').waitFor({ state: 'attached' });

    await page.click('#onboard summary');
    await page.fill('#onboard-name', 'browser-device');
    await page.click('#onboard-submit');
    await page.locator('#onboard-code').waitFor();
    out.code = await page.textContent('#onboard-code');
    out.deviceUrl = await page.inputValue('#onboard-url');
    out.focusAfterStart = await page.evaluate(() => document.activeElement.id);
    await fetch(`${env.FAKE}/_device`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_code: out.code, action: 'approve' }) });
    await page.locator('#onboard-result', { hasText: /Logged in/ }).waitFor();
    out.deviceResult = await page.textContent('#onboard-result');
    await page.locator('#accounts-body tr', { hasText: 'browser-device' }).waitFor();

    await page.fill('#onboard-name', 'browser-kiro');
    await page.selectOption('#onboard-method', 'kiro');
    await page.click('#onboard-submit');
    await page.locator('#onboard-callback').waitFor();
    out.codeRowHidden = await page.locator('#onboard-code-row').isHidden();
    const signin = await page.inputValue('#onboard-url');
    const portal = await fetch(signin, { redirect: 'manual' });
    const callback = portal.headers.get('location');
    await page.fill('#onboard-callback', callback.replace(/state=[^&]+/, 'state=forged'));
    await page.click('#onboard-callback-submit');
    await page.locator('#onboard-error').waitFor();
    out.wrongPaste = await page.textContent('#onboard-error');
    await page.fill('#onboard-callback', callback);
    await page.click('#onboard-callback-submit');
    await page.locator('#onboard-result', { hasText: /Logged in/ }).waitFor();
    out.kiroResult = await page.textContent('#onboard-result');

    await page.fill('#onboard-name', 'browser-cancelled');
    await page.selectOption('#onboard-method', 'device');
    await page.click('#onboard-submit');
    await page.locator('#onboard-code').waitFor();
    await page.click('#onboard-cancel');
    await page.locator('#onboard-result', { hasText: /cancelled/ }).waitFor();
    out.cancelResult = await page.textContent('#onboard-result');
""")


class DashboardInBrowser(unittest.TestCase):
    def setUp(self):
        if why := browser_unavailable():  # a missing test dependency fails, never skips
            self.fail(f"{why}: run `make test-deps`")
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=1, extra_args=self.fake.daemon_args()).start()
        self.addCleanup(self.daemon.cleanup)
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()

    def test_sign_in_create_a_key_and_add_an_account(self):
        names = {
            # Markup in names must come out as text.
            "KEY_NAME": "browser <i>key</i>",
            "KEY_DESCRIPTION": "made by <b>the</b> browser test",
            "ACCOUNT_NAME": "browser <b>account</b>",
            "ACCOUNT_REFRESH_TOKEN": "rt-browser-secret-Zq9",
            "UPLOADED_NAME": "uploaded <b>file</b>",
            "GOOD_NAME": "good <b>file</b>",
        }
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, SCREENSHOTS=SCREENSHOTS, **names)
        seen = self.run_browser(BROWSER_SCRIPT, env)

        self.assertEqual(seen["errors"], [], "errors in the browser console (CSP, script)")
        # Only the wrong key's sign-in failed (and the browser's own favicon guess).
        failed = [f for f in seen["failed"] if not f.endswith("/favicon.ico")]
        self.assertEqual(failed, ["401 /admin/stats/api-keys", "400 /admin/accounts/upload-json"])
        self.assertIn("invalid API key", seen["wrongKeyError"])
        self.assertEqual(seen["keyInSession"], self.admin)
        self.assertEqual(seen["localStorageItems"], 0)

        # The one-time secret was a working key with the limits typed in, until revoked.
        secret = seen["secret"]
        self.assertTrue(secret.startswith("amq-"), secret)
        self.assertEqual(seen["secretLeftInPage"], "")
        self.assertEqual((seen["secretStatus"], seen["secretStatusAfterRevoke"]), (200, 401))
        self.assertIn(names["KEY_NAME"], seen["keyRow"])
        self.assertIn(names["KEY_DESCRIPTION"], seen["keyRow"])
        self.assertIn("7", seen["keyRow"])
        self.assertEqual(seen["markupInKeys"], 0, "a name became markup")
        self.assertNotIn(names["KEY_NAME"], self.keys(), "deleted from the dashboard")

        accounts = {a["name"]: a for a in self.admin_get("/admin/accounts")}
        self.assertEqual(set(accounts),
                         {names["ACCOUNT_NAME"], names["UPLOADED_NAME"], names["GOOD_NAME"]})
        added = accounts[names["ACCOUNT_NAME"]]
        self.assertEqual((added["requests_per_minute"], added["client_id"], added["is_active"]),
                         (12, "browser-client-id", False))
        self.assertIn(names["ACCOUNT_NAME"], seen["accountRow"])
        self.assertNotIn(names["ACCOUNT_REFRESH_TOKEN"], seen["accountRow"])
        self.assertEqual(seen["refreshTokenLeftInForm"], "")
        self.assertRegex(seen["quotaMessage"], r"0 of 1.?000 used, 1.?000 remaining")
        self.assertIn("Imported 1, skipped 0, refused 0.", seen["uploadResult"])
        self.assertIn(names["UPLOADED_NAME"], seen["uploadResult"])
        self.assertEqual(seen["uploadResultRole"], "status")  # announced when it changes
        self.assertIn("more than 1000 documents", seen["tooManyMessage"])
        self.assertTrue(seen["resultHiddenAfterError"], "the last report stayed up")
        self.assertEqual(seen["mixedSummary"], "Imported 1, skipped 0, refused 1.")
        added, refused = seen["mixedItems"]
        self.assertEqual(added, f"added good.json — {names['GOOD_NAME']}")
        self.assertRegex(refused, r"^refused broken\.json: malformed JSON at offset \d+: ")
        self.assertTrue(seen["messageHiddenAfterMixed"], "the error of the last upload stayed up")
        self.assertEqual(seen["markupInAccounts"], 0, "a name became markup")
        tokens = [r["body"]["refreshToken"] for r in self.fake.requests()["token"]]
        self.assertIn(names["ACCOUNT_REFRESH_TOKEN"], tokens, "the refresh reached the fake")
        self.assertIn("rt-uploaded-secret-Zq9", tokens, "the import refreshed its account")

        self.assertIn("7 days", seen["statsPeriod"])
        self.assertEqual(seen["statCards"], 12)  # every card on the page, Credits included
        self.assertIsNone(seen["keyAfterLogout"])
        self.assertTrue(seen["appHiddenAfterLogout"])

    def test_log_accounts_in_from_the_login_card(self):
        self.daemon.cleanup()
        self.daemon = Daemon(workers=1, extra_args=[
            *self.fake.daemon_args(), "--kiro-token-endpoint", self.fake.url + "/refreshToken",
            "--kiro-signin-url", self.fake.url + "/signin"]).start()
        self.addCleanup(self.daemon.cleanup)
        with open(os.path.join(self.daemon.state_dir, "initial-admin-key")) as f:
            self.admin = f.read().strip()
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, FAKE=self.fake.url)
        seen = self.run_browser(LOGIN_SCRIPT, env)
        self.assertEqual(seen["errors"], [])
        self.assertRegex(seen["code"], r"^[A-Z]{4}-[A-Z]{4}$")
        self.assertIn(f"user_code={seen['code']}", seen["deviceUrl"])
        self.assertEqual(seen["focusAfterStart"], "onboard-link")
        self.assertTrue(seen["codeRowHidden"])
        self.assertIn("another sign-in", seen["wrongPaste"])
        self.assertIn("cancelled", seen["cancelResult"])
        accounts = {a["name"]: a for a in self.admin_get("/admin/accounts")}
        self.assertEqual(set(accounts), {"browser-device", "browser-kiro"})
        self.assertIn(f"account {accounts['browser-device']['id']}", seen["deviceResult"])
        self.assertIn(f"account {accounts['browser-kiro']['id']}", seen["kiroResult"])
        self.assertEqual(accounts["browser-kiro"]["kind"], "social")
        self.assertEqual(accounts["browser-device"]["kind"], "idc")

    def run_browser(self, script, env):
        """What `script` saw, as the object it printed."""
        run = subprocess.run([shutil.which("node"), "-"], input=script, cwd=HERE, env=env,
                             capture_output=True, text=True, timeout=180)
        self.assertEqual(run.returncode, 0, f"stderr: {run.stderr}\nstdout: {run.stdout}\n"
                                            f"daemon: {self.daemon.logs()[-3000:]}")
        return json.loads(run.stdout)

    def admin_get(self, path):
        r = self.daemon.request("GET", path, headers={"Authorization": f"Bearer {self.admin}"})
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def keys(self):
        """Keys by name, over HTTP."""
        return {k["name"]: k for k in self.admin_get("/admin/api-keys")}


if __name__ == "__main__":
    unittest.main()

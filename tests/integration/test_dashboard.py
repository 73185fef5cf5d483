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

from harness import Daemon, FakeUpstream, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "..", "..", "daemon", "web")
CHROMIUM = os.environ.get("AMQ_CHROMIUM", "/usr/bin/chromium")
# Set to a directory to keep the browser test's screenshots there.
SCREENSHOTS = os.environ.get("AMQ_DASHBOARD_SCREENSHOTS", "")
if SCREENSHOTS:
    os.makedirs(SCREENSHOTS, exist_ok=True)

FILES = [
    ("/admin/dashboard", "text/html; charset=utf-8", "dashboard.html"),
    ("/admin/dashboard/", "text/html; charset=utf-8", "dashboard.html"),
    ("/admin/dashboard/dashboard.js", "application/javascript", "dashboard.js"),
    ("/admin/dashboard/dashboard.css", "text/css", "dashboard.css"),
    ("/admin/dashboard/favicon.svg", "image/svg+xml", "favicon.svg"),
    ("/admin/dashboard/dashboard-lib.js", "application/javascript", "dashboard-lib.js"),
    ("/admin/dashboard/dashboard-zh-CN.js", "application/javascript", "dashboard-zh-CN.js"),
    ("/admin/dashboard/uPlot.iife.min.js", "application/javascript", "uPlot.iife.min.js"),
    ("/admin/dashboard/uPlot.min.css", "text/css", "uPlot.min.css"),
]
# The modules dashboard.js imports, one concern each.
MODULES = ["base.js", "i18n.js", "page.js", "api.js", "actions.js", "theme.js", "tables.js",
           "overview.js", "accounts.js", "health.js", "login.js", "upload.js", "keys.js",
           "stats.js", "charts.js", "requests.js", "audit.js"]
FILES += [(f"/admin/dashboard/{m}", "application/javascript", m) for m in MODULES]

# What the script must call (the admin API routes behind each tab).
ROUTES_USED = [
    "/admin/accounts", "/admin/accounts/upload-json", "/refresh-token", "/quota",
    "/admin/api-keys", "/revoke", "/admin/stats/tokens?days=", "/admin/stats/accounts",
    "/admin/stats/api-keys", "/admin/stats/account-usage", "/admin/accounts/login",
    "/admin/usage?", "/events", "/reset-health", "/admin/audit?limit=",
]


def source(name):
    with open(os.path.join(WEB, name), "rb") as f:
        return f.read()


def page_script():
    """The page's own JavaScript: the entry module and every module it imports."""
    return "\n".join(source(m).decode() for m in ["dashboard.js", *MODULES])


class PageScan(html.parser.HTMLParser):
    """The parts of the page that matter to its Content-Security-Policy."""

    def __init__(self):
        super().__init__()
        self.scripts = []       # (src, inline text)
        self.modules = []       # the src of each <script type="module">
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
            if attrs.get("type") == "module":
                self.modules.append(attrs.get("src"))
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
        # dashboard.js last: it draws with uPlot, computes with the lib and reads the texts
        # (all deferred, modules too, so they run in this order).
        self.assertEqual([s for s, _ in page.scripts],
                         ["/admin/dashboard/uPlot.iife.min.js", "/admin/dashboard/dashboard-lib.js",
                          "/admin/dashboard/dashboard-zh-CN.js", "/admin/dashboard/dashboard.js"])
        self.assertEqual(page.modules, ["/admin/dashboard/dashboard.js"])
        self.assertEqual([text.strip() for _, text in page.scripts], [""] * 4, "inline script")
        self.assertEqual(page.stylesheets,
                         ["/admin/dashboard/uPlot.min.css", "/admin/dashboard/dashboard.css"])
        self.assertEqual(page.inline_handlers, [], "inline event handlers")
        self.assertEqual(page.inline_styles, [], "inline styles (the CSP blocks them)")
        self.assertNotRegex(source("dashboard.html").decode(), r"(src|href)=\"(https?:)?//",
                            "a file from another origin")

    def test_every_module_the_page_imports_is_served(self):
        imported = set()
        for name in ["dashboard.js", *MODULES]:
            imported |= set(re.findall(r"from '\./([\w-]+\.js)';", source(name).decode()))
        self.assertEqual(imported, set(MODULES), "a module imported but not served, or unused")
        on_disk = {f for f in os.listdir(WEB) if f.endswith(".js")}
        self.assertEqual(on_disk, {f for _, _, f in FILES if f.endswith(".js")})

    def test_the_script_writes_no_markup_and_keeps_the_key_per_tab(self):
        js = page_script()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "document.cookie"):
            self.assertNotIn(sink, js)
        # localStorage outlives the tab: it holds the colour theme and the language, nothing else.
        self.assertEqual(set(re.findall(r"localStorage\.\w+\((\w+)", js)),
                         {"THEME_STORAGE", "LANGUAGE_STORAGE"})
        self.assertNotRegex(js, r"['\"`]https?://", "a call to another origin")
        for needed in ("sessionStorage", "textContent", "Authorization: `Bearer ${key}`",
                       "FormData", "window.confirm"):
            self.assertIn(needed, js)

    def test_the_script_calls_the_admin_routes(self):
        js = page_script()
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
    r = subprocess.run([node, "-e", "require.resolve('axe-core/axe.min.js')"], cwd=HERE,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        return "node cannot find axe-core (npm install axe-core, or NODE_PATH)"
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
    // The aria-label of the focused control, once one has the focus (null after 5 s): a
    // dialog's close event, on which the page gives the focus back, comes a task after
    // close(). Polled from here: waitForFunction would evaluate a string, which the page's
    // CSP refuses.
    const focusedLabel = async () => {
      for (let i = 0; i < 100; i++) {
        const label = await page.evaluate(
          () => document.activeElement && document.activeElement.getAttribute('aria-label'));
        if (label) return label;
        await page.waitForTimeout(50);
      }
      return null;
    };
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
        await page.screenshot({ path: `${env.SCREENSHOTS}/dashboard-${name}.png`, fullPage: true, caret: 'initial' });
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
    out.statCards = await page.locator('#tab-stats .stat').count();
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
    await page.click('[data-tab=accounts]');
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

    // The same account signs in again from its edit dialog: a new code, the same account.
    await page.getByRole('button', { name: 'Edit account “browser-device”' }).click();
    await page.click('#account-edit-login');
    await page.locator('#account-edit').waitFor({ state: 'hidden' });
    await page.locator('#onboard-progress').waitFor();
    out.againFocus = await page.evaluate(() => document.activeElement.id);
    const again = await page.textContent('#onboard-code');
    out.againNewCode = again !== out.code;
    await fetch(`${env.FAKE}/_device`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_code: again, action: 'approve' }) });
    await page.locator('#onboard-result', { hasText: /Logged in/ }).waitFor();
    out.againResult = await page.textContent('#onboard-result');

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


# The request log: every request listed with its id, filtered, paged; at phone width too.
LOG_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    const rowTexts = () => page.locator('#log-body tr').allTextContents();
    // Live refreshes ask too: the search is done when rows of its own answer are drawn.
    const search = async (rows) => {
      await page.click('#log-search');
      for (let i = 0; i < 50 && (await page.locator('#log-body tr').count()) !== rows; ++i) {
        await page.waitForTimeout(100);
      }
    };

    await page.goto(`${env.BASE}/admin/dashboard#requests`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#log-body tr').first().waitFor();
    await page.selectOption('#log-limit', '10');
    await search(10);
    out.firstPage = await rowTexts();
    out.summary = await page.textContent('#log-summary');
    await page.click('#log-older');
    await page.locator('#log-summary', { hasText: 'Page 2' }).waitFor();
    out.secondPage = await rowTexts();
    out.olderDisabled = await page.isDisabled('#log-older');
    await page.click('#log-newest');
    await page.locator('#log-summary', { hasText: 'Page 1' }).waitFor();

    await page.fill('#log-request-id', env.FAILED_ID);
    await search(1);
    out.byId = await rowTexts();
    await page.fill('#log-request-id', '');
    await page.selectOption('#log-key', { label: env.KEY_NAME });
    await page.selectOption('#log-status', 'error');
    await search(1);
    out.keyErrors = await rowTexts();

    await page.click('#log-clear');
    await page.fill('#log-since', '2999-01-01T00:00');  // after now: refused by the daemon
    await page.click('#log-search');
    await page.locator('#log-error').waitFor();
    out.errorText = await page.textContent('#log-error');
    out.errorRole = await page.getAttribute('#log-error', 'role');
    const box = await page.locator('#log-error').boundingBox();
    out.errorInView = box.y >= 0 && box.y + box.height <= 900;
    out.sinceKept = await page.inputValue('#log-since');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#log-clear');
    await page.locator('#log-body tr').first().waitFor();
    out.pageWidthAt390 = await page.evaluate(() => document.documentElement.scrollWidth);
    if (env.SCREENSHOTS) {
      await page.screenshot({ path: `${env.SCREENSHOTS}/dashboard-requests-390.png`, fullPage: true, caret: 'initial' });
    }
""")


# Editing a key and an account in their dialogs; errors where the form is.
EDIT_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => out.errors.push(String(e)));
    const inView = async (selector) => {
      const box = await page.locator(selector).boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= 900;
    };
    const focusedId = () => page.evaluate(() => document.activeElement.id);

    await page.goto(`${env.BASE}/admin/dashboard#keys`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    const row = page.locator('#keys-body tr', { hasText: env.KEY_NAME });
    await row.waitFor();
    out.rowBefore = await row.textContent();

    const edit = page.getByRole('button', { name: `Edit key “${env.KEY_NAME}”` });
    await edit.click();
    await page.locator('#key-edit').waitFor();
    await page.fill('#edit-key-rpm', '1');
    await page.fill('#edit-key-models', 'claude-sonnet-4-5, claude-haiku-4-5');
    await page.click('#key-edit-save');
    await page.locator('#key-edit').waitFor({ state: 'hidden' });
    await page.locator('#message-text', { hasText: 'Saved key' }).waitFor();
    await page.locator('#keys-body tr', { hasText: 'claude-haiku-4-5' }).waitFor();
    out.rowAfter = await row.textContent();
    out.focusAfterSave = await focusedLabel();

    await edit.click();
    await page.fill('#edit-key-expires', '2001-01-01');
    await page.click('#key-edit-save');
    await page.locator('#key-edit-error').waitFor();
    out.editError = await page.textContent('#key-edit-error');
    out.editErrorRole = await page.getAttribute('#key-edit-error', 'role');
    out.editErrorInView = await inView('#key-edit-error');
    out.editErrorFocused = (await focusedId()) === 'key-edit-error';
    await page.click('#key-edit-cancel');
    out.focusAfterCancel = await focusedLabel();

    await page.click('#key-add summary');
    await page.fill('#key-name', env.KEY_NAME);  // taken
    await page.click('#key-submit');
    await page.locator('#key-error').waitFor();
    out.createError = await page.textContent('#key-error');
    out.createErrorInView = await inView('#key-error');
    out.createErrorFocused = (await focusedId()) === 'key-error';

    await page.click('[data-tab=accounts]');
    await page.getByRole('button', { name: 'Edit account “plain”' }).click();
    await page.fill('#edit-account-name', env.ACCOUNT_NAME);
    await page.fill('#edit-account-rpm', '5');
    await page.fill('#edit-account-notes', 'edited in the browser');
    await page.click('#account-edit-save');
    await page.locator('#accounts-body tr', { hasText: env.ACCOUNT_NAME }).waitFor();
    out.accountTokenLeft = await page.inputValue('#edit-account-token');
""")


# The statistics' breakdown, as the page shows it: every row and the total, by key and account.
STATS_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => out.errors.push(String(e)));
    const table = () => page.evaluate(() => {
      const cells = (row) => [...row.children].map((c) => c.textContent);
      return {
        rows: [...document.querySelectorAll('#breakdown-body tr')].map(cells),
        total: cells(document.querySelector('#breakdown-foot tr')),
      };
    });
    await page.goto(`${env.BASE}/admin/dashboard#stats`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#breakdown-body tr').first().waitFor();
    out.byKey = await table();
    await page.click('#breakdown-head button:text("Name")');
    out.sortedByName = (await table()).rows.map((r) => r[0]);
    out.nameSort = await page.getAttribute('#breakdown-head th:first-child', 'aria-sort');
    const answered = page.waitForResponse((r) => r.url().includes('by=account'));
    await page.selectOption('#stats-by', 'account');
    await answered;
    await page.locator('#breakdown-title', { hasText: 'account' }).waitFor();
    out.byAccount = await table();
    out.period = await page.textContent('#stats-period');
    await page.click('#chart-numbers summary');
    out.chartRows = await page.evaluate(() => [...document.querySelectorAll('#chart-table tr')]
      .map((r) => [...r.children].map((c) => c.textContent)));
    out.canvases = await page.locator('.chart canvas').count();
    out.chartLabel = await page.getAttribute('#chart-requests', 'aria-label');
    out.chartNote = await page.textContent('#chart-note');
""")


# axe-core's WCAG 2.1 A and AA rules on every view and dialog, at a desktop's width and a
# phone's; the tabs work from the keyboard. axe is injected, so this context ignores the CSP.
AXE_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    const axePath = require.resolve('axe-core/axe.min.js');
    out.violations = [];
    const context = await browser.newContext({ bypassCSP: true });
    const p = await context.newPage();
    p.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    p.on('pageerror', (e) => out.errors.push(String(e)));
    const audit = async (where) => {
      await p.addScriptTag({ path: axePath });
      const result = await p.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
      for (const v of result.violations) {
        out.violations.push(`${where}: ${v.id} (${v.impact}) ${v.nodes.length}× ` +
          `${v.nodes[0].target.join(' ')}: ${v.nodes[0].failureSummary.split('\n')[1] || ''}`);
      }
    };
    const views = {
      overview: '#overview-today .stat', accounts: '#accounts-body tr', keys: '#keys-body tr', stats: '#breakdown-body tr',
      requests: '#log-body tr', audit: '#audit-body tr',
    };
    // At a phone's width nothing scrolls sideways, and every row's buttons are in view.
    out.phone = [];
    const fitsPhone = async (where) => {
      const wide = await p.evaluate(() => [document.documentElement.scrollWidth,
        [...document.querySelectorAll('#app td.actions button')].filter((b) => b.offsetParent)
          .map((b) => b.getBoundingClientRect().right).filter((right) => right > 390).length]);
      if (wide[0] > 390) out.phone.push(`${where}: the page is ${wide[0]} px wide`);
      if (wide[1]) out.phone.push(`${where}: ${wide[1]} row buttons beyond the right edge`);
    };
    for (const [width, height] of [[1440, 900], [390, 844]]) {
      await p.setViewportSize({ width, height });
      await p.goto(`${env.BASE}/admin/dashboard`);
      if (await p.isVisible('#login-key')) {  // the tab keeps its key across the reload
        await p.fill('#login-key', env.ADMIN_KEY);
        await audit(`${width} sign-in`);
        await p.click('#login-submit');
      }
      await p.locator('#app').waitFor();
      for (const [view, ready] of Object.entries(views)) {
        await p.click(`[data-tab=${view}]`);
        await p.locator(ready).first().waitFor();
        for (const d of await p.locator(`#tab-${view} details`).all()) await d.evaluate((e) => { e.open = true; });
        await audit(`${width} ${view}`);
        if (width === 390) await fitsPhone(view);
      }
      await p.click('[data-tab=keys]');
      await p.locator('#keys-body button[aria-label^="Edit"]').first().click();
      await audit(`${width} key dialog`);
      await p.click('#key-edit-cancel');
      await p.click('[data-tab=accounts]');
      await p.locator('#accounts-body button[aria-label^="Edit"]').first().click();
      await audit(`${width} account dialog`);
      await p.click('#account-edit-cancel');
      await p.locator('#accounts-body button[aria-label^="Health"]').first().click();
      await p.locator('#account-events').waitFor();
      await audit(`${width} health dialog`);
      await p.click('#events-close');
      if (width === 390 && env.SCREENSHOTS) {
        await p.screenshot({ path: `${env.SCREENSHOTS}/dashboard-accounts-390.png`, fullPage: true, caret: 'initial' });
      }
    }
    // Dark, as the system asks (the theme is auto): the same rules, every view.
    await p.setViewportSize({ width: 1440, height: 900 });
    await p.emulateMedia({ colorScheme: 'dark' });
    await p.waitForTimeout(300);  // the media change reaches the page's listener
    out.darkTheme = await p.getAttribute('html', 'data-theme');
    for (const [view, ready] of Object.entries(views)) {
      await p.click(`[data-tab=${view}]`);
      await p.locator(ready).first().waitFor();
      await audit(`dark ${view}`);
      if (env.SCREENSHOTS) {
        await p.screenshot({ path: `${env.SCREENSHOTS}/dashboard-dark-${view}.png`, fullPage: true, caret: 'initial' });
      }
    }
    await p.click('#theme-toggle');  // auto → dark → light, kept for the next visit
    await p.click('#theme-toggle');
    out.lightChosen = [await p.getAttribute('html', 'data-theme'),
      await p.evaluate(() => localStorage.getItem('amq2api.theme'))];
    await p.reload();
    await p.locator('#app').waitFor();
    out.lightAfterReload = await p.getAttribute('html', 'data-theme');
    // The tabs from the keyboard: arrows move between them, Home and End to the ends.
    await p.focus('[data-tab=accounts]');
    await p.keyboard.press('ArrowRight');
    out.afterRight = await p.evaluate(() => [document.activeElement.dataset.tab,
      document.activeElement.getAttribute('aria-selected'),
      document.getElementById('tab-keys').hidden]);
    await p.keyboard.press('End');
    out.afterEnd = await p.evaluate(() => document.activeElement.dataset.tab);
    await p.keyboard.press('ArrowRight');
    out.wrapped = await p.evaluate(() => document.activeElement.dataset.tab);
    out.panelLabel = await p.getAttribute('#tab-accounts', 'aria-labelledby');
""")


# The landing view: today's traffic, accounts by state, the queue, quotas; and how a live
# view follows new requests without a click, keeping what is typed.
OVERVIEW_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(20000);
    page.on('pageerror', (e) => out.errors.push(String(e)));
    const cards = () => page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('#overview-today .stat')].map((c) => [
        c.querySelector('.label').textContent, c.querySelector('.value').textContent])));
    await page.goto(`${env.BASE}/admin/dashboard`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#overview-today .stat').first().waitFor();
    out.landing = await page.evaluate(() => location.hash);
    out.cards = await cards();
    out.states = await page.locator('#overview-states li').allTextContents();
    out.now = await page.locator('#overview-now').textContent();
    out.quotaBefore = await page.locator('#overview-quota li').allTextContents();
    await page.click('#overview-quota-check');
    await page.locator('#overview-quota meter').first().waitFor();
    out.meter = await page.evaluate(() => {
      const m = document.querySelector('#overview-quota meter');
      return [m.value, m.max, m.getAttribute('aria-label')];
    });
    out.quotaAfter = await page.locator('#overview-quota li').allTextContents();

    // Live: a request sent now shows up by itself; a half-typed filter stays.
    await fetch(`${env.BASE}/v1/messages`, { method: 'POST', headers: {
      'x-api-key': env.CLIENT_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }] }) });
    // Polled from here: the page's CSP forbids the eval a waitForFunction would need.
    for (let i = 0; i < 40 && (await cards()).Requests === out.cards.Requests; ++i) {
      await page.waitForTimeout(500);
    }
    out.cardsLive = await cards();
    await page.click('[data-tab=requests]');
    await page.locator('#log-body tr').first().waitFor();
    await page.fill('#log-request-id', 'req_half');
    await page.waitForTimeout(6000);  // a live refresh passes
    out.typedKept = await page.inputValue('#log-request-id');
""")


# An account's health history, and letting a quarantined one serve again; then the audit log.
HEALTH_AUDIT_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    await page.goto(`${env.BASE}/admin/dashboard#accounts`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.getByRole('button', { name: 'Health of account “locked”' }).click();
    await page.locator('#account-events').waitFor();
    out.title = await page.textContent('#events-title');
    out.stateBefore = await page.textContent('#events-state');
    out.eventsBefore = await page.locator('#events-body tr').allTextContents();
    out.resetShown = await page.isVisible('#events-reset-form');
    await page.fill('#events-note', env.NOTE);
    await page.click('#events-reset');
    await page.locator('#events-reset-form').waitFor({ state: 'hidden' });
    out.stateAfter = await page.textContent('#events-state');
    out.eventsAfter = await page.locator('#events-body tr').allTextContents();
    await page.click('#events-close');
    out.focusAfterClose = await focusedLabel();
    out.row = await page.locator('#accounts-body tr', { hasText: 'locked' }).textContent();

    await page.click('[data-tab=audit]');
    await page.locator('#audit-body tr').first().waitFor();
    out.audit = await page.evaluate(() => [...document.querySelectorAll('#audit-body tr')]
      .map((r) => [...r.children].map((c) => c.textContent)));
    await page.selectOption('#audit-limit', '50');
""")


# The account and key tables searched and paged, as the page shows them.
TABLES_SCRIPT = browser_script(r"""
    page.setDefaultTimeout(15000);
    page.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    const names = () => page.locator('#keys-body td.name:nth-child(2)').allTextContents();
    const state = async () => ({
      count: await page.textContent('#keys-count'), page: await page.textContent('#keys-page'),
      names: await names(), pager: await page.isVisible('#keys-pager'),
      prev: await page.isDisabled('#keys-prev'), next: await page.isDisabled('#keys-next'),
    });
    await page.goto(`${env.BASE}/admin/dashboard#keys`);
    await page.fill('#login-key', env.ADMIN_KEY);
    await page.click('#login-submit');
    await page.locator('#keys-body tr').first().waitFor();
    out.first = await state();
    await page.click('#keys-next');
    out.second = await state();
    await page.click('#keys-next');
    out.third = await state();
    await page.fill('#keys-search', 'BULK-11');
    out.search = await state();
    await page.waitForTimeout(6000);  // a live refresh passes: the search and its rows stay
    out.searchLive = await state();
    out.searchKept = await page.inputValue('#keys-search');
    await page.fill('#keys-search', 'no such key');
    out.none = await state();
    out.noneRow = await page.textContent('#keys-body');
    await page.click('[data-tab=accounts]');
    await page.fill('#accounts-search', 'quiet');
    await page.locator('#accounts-count', { hasText: 'match' }).waitFor();
    out.accounts = await page.locator('#accounts-body tr').allTextContents();
    out.accountsCount = await page.textContent('#accounts-count');
""")


# The page in Simplified Chinese, as a browser set to zh-CN opens it; the switch to English
# and back, kept for the next visit. axe runs here too (the page's lang changes).
LANGUAGE_SCRIPT = browser_script(r"""
    const axePath = require.resolve('axe-core/axe.min.js');
    const context = await browser.newContext({
      locale: 'zh-CN', bypassCSP: true, viewport: { width: 1440, height: 900 } });
    const p = await context.newPage();
    p.setDefaultTimeout(15000);
    p.on('console', (m) => { if (m.type() === 'error') out.errors.push(m.text()); });
    p.on('pageerror', (e) => out.errors.push(String(e)));
    out.violations = [];
    out.untranslated = {};
    const tabs = () => p.locator('[role=tab]').allTextContents();
    // English texts of the dictionary still showing: each should have been translated.
    const english = () => p.evaluate(() => {
      const zh = window.amqDashboardZhCN;
      const seen = new Set();
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.nodeValue.replace(/\s+/g, ' ').trim();
        if (n.parentElement.offsetParent !== null && text in zh && zh[text] !== text) seen.add(text);
      }
      return [...seen];
    });
    await p.goto(`${env.BASE}/admin/dashboard`);
    out.lang = await p.getAttribute('html', 'lang');
    out.signIn = await p.textContent('#login-submit');
    out.placeholderSearch = await p.getAttribute('#keys-search', 'placeholder');
    await p.fill('#login-key', env.ADMIN_KEY);
    await p.click('#login-submit');
    await p.locator('#overview-today .stat').first().waitFor();
    out.tabs = await tabs();
    out.cards = await p.locator('#overview-today .label').allTextContents();
    out.theme = await p.textContent('#theme-toggle');
    const views = {
      overview: '#overview-today .stat', accounts: '#accounts-body tr', keys: '#keys-body tr',
      stats: '#breakdown-body tr', requests: '#log-body tr', audit: '#audit-body tr',
    };
    for (const [view, ready] of Object.entries(views)) {
      await p.click(`[data-tab=${view}]`);
      await p.locator(ready).first().waitFor();
      await p.waitForTimeout(200);
      out.untranslated[view] = await english();
      await p.addScriptTag({ path: axePath });
      const result = await p.evaluate(() => axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
      for (const v of result.violations) out.violations.push(`${view}: ${v.id} ${v.nodes[0].target}`);
      if (env.SCREENSHOTS) {
        await p.screenshot({ path: `${env.SCREENSHOTS}/dashboard-zh-CN-${view}.png`, fullPage: true, caret: 'initial' });
      }
    }
    await p.click('[data-tab=keys]');
    const row = p.locator('#keys-body tr', { hasText: '团队' });
    out.keyRow = await row.textContent();
    out.keyButtons = await row.locator('button')
      .evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    out.keysCount = await p.textContent('#keys-count');

    await p.selectOption('#language', 'en');
    out.tabsEnglish = await tabs();
    out.keyRowEnglish = await row.textContent();
    out.stored = await p.evaluate(() => localStorage.getItem('amq2api.language'));
    await p.reload();
    await p.locator('#app').waitFor();
    out.langAfterReload = await p.getAttribute('html', 'lang');
    out.tabsAfterReload = await tabs();
    await p.selectOption('#language', 'zh-CN');
    out.tabsBack = await tabs();
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
        # Only the wrong key's sign-in failed: the page names its icon, so the browser does not
        # guess /favicon.ico.
        self.assertEqual(seen["failed"],
                         ["401 /admin/stats/api-keys", "400 /admin/accounts/upload-json"])
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
        self.assertEqual(seen["againResult"], f"Logged in: account {accounts['browser-device']['id']}.")
        self.assertTrue(seen["againNewCode"])
        self.assertEqual(seen["againFocus"], "onboard-link")
        logins = [e for e in self.admin_get("/admin/audit?limit=20")["entries"]
                  if e["command"] == "account.login"]
        self.assertEqual(len(logins), 3, logins)  # a new device account, again, the Kiro one
        self.assertEqual(accounts["browser-kiro"]["kind"], "social")
        self.assertEqual(accounts["browser-device"]["kind"], "idc")

    def test_editing_a_key_and_an_account_takes_effect(self):
        self.daemon.ctl_json("account", "add", "--name", "plain", "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        name = "edit <i>me</i>"
        key = self.daemon.ctl_json("key", "create", "--name", name)["key"]
        renamed = "renamed <b>account</b>"
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, KEY_NAME=name, ACCOUNT_NAME=renamed)
        seen = self.run_browser(EDIT_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        self.assertIn("no cap", seen["rowBefore"])
        self.assertIn("claude-sonnet-4-5, claude-haiku-4-5", seen["rowAfter"])
        self.assertEqual(seen["focusAfterSave"], f"Edit key “{name}”")
        stored = self.keys()[name]
        self.assertEqual((stored["requests_per_minute"], stored["allowed_models"]),
                         (1, ["claude-sonnet-4-5", "claude-haiku-4-5"]))
        # The new limit holds from the next request on.
        statuses = [self.ask(key).status for _ in range(2)]
        self.assertEqual(statuses, [200, 429])

        self.assertIn("in the past", seen["editError"])
        self.assertEqual(seen["editErrorRole"], "alert")
        self.assertTrue(seen["editErrorInView"], "the dialog's error is out of view")
        self.assertTrue(seen["editErrorFocused"], "the dialog's error did not take the focus")
        self.assertEqual(seen["focusAfterCancel"], f"Edit key “{name}”")
        self.assertIn("already", seen["createError"])
        self.assertTrue(seen["createErrorInView"], "the create form's error is out of view")
        self.assertTrue(seen["createErrorFocused"])

        account = next(a for a in self.admin_get("/admin/accounts") if a["name"] == renamed)
        self.assertEqual((account["requests_per_minute"], account["notes"]),
                         (5, "edited in the browser"))
        self.assertEqual(seen["accountTokenLeft"], "")

    def test_the_breakdown_adds_up_to_what_was_sent(self):
        self.daemon.ctl_json("account", "add", "--name", "acct", "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        main = self.daemon.ctl_json("key", "create", "--name", "main")["key"]
        low = self.daemon.ctl_json("key", "create", "--name", "low", "--rpm", "1")["key"]
        self.fake.script(generate=[{}, {"status": 400}, {}, {}])
        sent = []
        for key in (main, main, main, low, low):
            r = self.ask(key)
            sent.append(r.status)
        self.assertEqual(sent, [200, 400, 200, 200, 429])
        wait_until(lambda: self.daemon.ctl_json("stats", "--days", "1")["total"]["requests"] == 5)
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM)
        seen = self.run_browser(STATS_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        number = lambda text: int(text.replace(",", "").replace("\u202f", ""))
        rows = {r[0]: r for r in seen["byKey"]["rows"]}
        self.assertEqual(set(rows), {"main", "low"})
        self.assertEqual([number(c) for c in rows["main"][1:3]], [3, 1])
        self.assertEqual([number(c) for c in rows["low"][1:3]], [2, 1])
        self.assertEqual(rows["low"][3], "50.0%")
        total = seen["byKey"]["total"]
        self.assertEqual((total[0], number(total[1]), number(total[2])), ("Total", 5, 2))
        self.assertEqual(seen["sortedByName"], ["low", "main"])  # names sort A to Z first
        self.assertEqual(seen["nameSort"], "ascending")
        accounts = {r[0]: number(r[1]) for r in seen["byAccount"]["rows"]}
        self.assertEqual(accounts, {"acct": 4, "(none)": 1})  # the refused one reached none
        self.assertEqual(number(seen["byAccount"]["total"][1]), 5)
        self.assertIn("(7 days, UTC)", seen["period"])
        # The charts' numbers (the table beside them) are what was sent, in this hour.
        requests = [number(r[1]) for r in seen["chartRows"]]
        errors = [number(r[2]) for r in seen["chartRows"]]
        self.assertEqual(len(requests), 24)
        self.assertEqual((sum(requests), sum(errors)), (5, 2))
        self.assertEqual(requests[-1], 5)
        self.assertEqual(seen["canvases"], 3)
        self.assertIn("Requests: 5 at most", seen["chartLabel"])
        self.assertIn("5 requests in 24 hours", seen["chartNote"])

    def test_every_view_is_accessible_at_1440_and_390_px(self):
        self.daemon.ctl_json("account", "add", "--name", "a" * 128, "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        key = self.daemon.ctl_json("key", "create", "--name", "k" * 128, "--rpm", "1")["key"]
        for _ in range(2):  # one served, one refused
            self.ask(key)
        wait_until(lambda: self.daemon.ctl_json("stats", "--days", "1")["total"]["requests"] == 2)
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, SCREENSHOTS=SCREENSHOTS)
        seen = self.run_browser(AXE_SCRIPT, env)
        self.assertEqual(seen["errors"], [])
        self.assertEqual(seen["violations"], [], "\n".join(seen["violations"]))
        self.assertEqual(seen["afterRight"], ["keys", "true", False])
        self.assertEqual((seen["afterEnd"], seen["wrapped"]), ("audit", "overview"))
        self.assertEqual(seen["phone"], [], "\n".join(seen["phone"]))
        self.assertEqual(seen["panelLabel"], "tab-button-accounts")
        self.assertEqual(seen["darkTheme"], "dark")
        self.assertEqual(seen["lightChosen"], ["light", "light"])
        self.assertEqual(seen["lightAfterReload"], "light")

    def test_the_overview_shows_today_the_pool_and_quotas_and_stays_live(self):
        for name in ("serving", "resting"):
            self.daemon.ctl_json("account", "add", "--name", name, "--refresh-token",
                                 f"rt-{name}", "--client-id", "c", "--client-secret", "s")
        self.daemon.ctl_json("account", "disable", "resting")
        key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]
        self.fake.script(generate=[{}, {"status": 400}, {}])
        for _ in range(3):
            self.ask(key)
        wait_until(lambda: self.daemon.ctl_json("stats", "--days", "1")["total"]["requests"] == 3)
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, CLIENT_KEY=key)
        seen = self.run_browser(OVERVIEW_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        self.assertEqual(seen["landing"], "#overview")
        self.assertEqual((seen["cards"]["Requests"], seen["cards"]["Errors"],
                          seen["cards"]["Error rate"]), ("3", "1", "33.3%"))
        self.assertEqual(sorted(seen["states"]), ["disabled1", "healthy1"])
        self.assertIn("Waiting for an account0 of at most 1,000", seen["now"])
        self.assertEqual(seen["quotaBefore"], ["servingnot checked yet", "restingnot checked yet"])
        # The fake upstream counts the account's three requests against its 1000.
        self.assertEqual(seen["meter"], [3, 1000, "Quota of account “serving”"])
        self.assertIn("3 of 1,000 used", seen["quotaAfter"][0])
        self.assertIn("not checked yet", seen["quotaAfter"][1])  # disabled: not asked
        self.assertEqual(seen["cardsLive"]["Requests"], "4")
        self.assertEqual(seen["typedKept"], "req_half")

    def test_the_request_log_finds_a_request_by_its_id(self):
        self.daemon.ctl_json("account", "add", "--name", "a", "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        name = "log <b>key</b>"
        key = self.daemon.ctl_json("key", "create", "--name", name)["key"]
        self.fake.script(generate=[{}] * 5 + [{"status": 400}] + [{}] * 6)
        ids = []
        for _ in range(12):
            r = self.ask(key)
            ids.append((r.status, r.headers["request-id"]))
        self.assertEqual([s for s, _ in ids].count(400), 1)
        failed = next(i for s, i in ids if s == 400)
        wait_until(lambda: len(self.admin_get("/admin/usage?limit=20")["records"]) == 12)
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, SCREENSHOTS=SCREENSHOTS, FAILED_ID=failed, KEY_NAME=name)
        seen = self.run_browser(LOG_SCRIPT, env)

        newest_first = [i for _, i in reversed(ids)]
        self.assertEqual(len(seen["firstPage"]), 10)
        self.assertEqual(len(seen["secondPage"]), 2)
        shown = seen["firstPage"] + seen["secondPage"]
        self.assertEqual([next(i for i in newest_first if i in row) for row in shown], newest_first)
        self.assertIn("older ones follow", seen["summary"])
        self.assertTrue(seen["olderDisabled"])
        [row] = seen["byId"]
        self.assertIn(failed, row)
        self.assertIn("400", row)
        self.assertIn(name, row)  # as text: the name's markup stays text
        self.assertEqual(len(seen["keyErrors"]), 1)
        self.assertIn(failed, seen["keyErrors"][0])
        self.assertIn("since", seen["errorText"])
        self.assertEqual(seen["errorRole"], "alert")
        self.assertTrue(seen["errorInView"], "the error is out of view")
        self.assertEqual(seen["sinceKept"], "2999-01-01T00:00")
        self.assertLessEqual(seen["pageWidthAt390"], 390, "the page scrolls sideways at 390 px")
        # The refused search is the only failed call; the console stays clean of anything else.
        self.assertTrue(all("400" in e for e in seen["errors"]), seen["errors"])

    def test_an_account_health_history_and_the_audit_log(self):
        self.fake.script(token=[{"match_refresh_token": "rt-locked", "repeat": True,
                                 "access_token": "at-locked"}])
        self.daemon.ctl_json("account", "add", "--name", "locked", "--refresh-token",
                             "rt-locked", "--client-id", "c", "--client-secret", "s")
        key = self.daemon.ctl_json("key", "create", "--name", "ci", "--rpm", "5")["key"]
        self.daemon.ctl_json("key", "update", "ci", "--rpm", "7")
        self.fake.script(generate=[{"match_token": "at-locked", "repeat": True, "status": 403,
                                    "body": {"__type": "AccessDeniedException",
                                             "message": "We have locked your account",
                                             "reason": "TEMPORARILY_SUSPENDED"}}])
        self.ask(key)
        self.assertEqual(self.daemon.ctl_json("account", "show", "locked")["state"], "quarantined")
        note = "support unlocked it, <b>case</b> 1234"
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, NOTE=note)
        seen = self.run_browser(HEALTH_AUDIT_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        self.assertEqual(seen["title"], "Health of account “locked”")
        self.assertIn("quarantined", seen["stateBefore"])
        self.assertIn("locked your account", seen["stateBefore"])
        [event] = seen["eventsBefore"]
        self.assertIn("healthy", event)
        self.assertIn("quarantined", event)
        self.assertTrue(seen["resetShown"])
        self.assertIn("healthy", seen["stateAfter"])
        self.assertEqual(len(seen["eventsAfter"]), 2)
        self.assertIn(note, seen["eventsAfter"][0])  # the newest first, the note as text
        self.assertEqual(seen["focusAfterClose"], "Health of account “locked”")
        self.assertIn("healthy", seen["row"])
        self.assertEqual(self.daemon.ctl_json("account", "show", "locked")["state"], "healthy")

        # Newest first: the reset by the dashboard's key, then the changes made over ctl.
        time, actor, command, record, changes = seen["audit"][0]
        self.assertEqual((actor, command, record), ("admin key 1 (initial-admin)",
                                                    "account.reset-health", "#1 “locked”"))
        self.assertIn("state: quarantined → healthy", changes)
        update = next(r for r in seen["audit"] if r[2] == "key.update")
        self.assertEqual(update[3], "#2 “ci”")
        self.assertEqual(update[4], "requests_per_minute: 5 → 7")
        self.assertTrue(update[1].startswith("control socket"), update[1])
        created = next(r for r in seen["audit"] if r[2] == "key.create")
        self.assertIn("name: (none) → ci", created[4])
        self.assertIn("key_prefix: (none) → amq-", created[4])
        self.assertNotIn(key, "".join(created), "the secret in the audit view")
        entries = self.admin_get("/admin/audit?limit=2")["entries"]
        self.assertEqual([e["command"] for e in entries], ["key.update", "account.reset-health"])

    def test_searching_and_paging_the_key_and_account_tables(self):
        for i in range(120):
            r = self.daemon.request("POST", "/admin/api-keys", body={"name": f"bulk-{i:03d}"},
                                    headers={"Authorization": f"Bearer {self.admin}"})
            self.assertEqual(r.status, 200, r.body)
        for name in ("quiet one", "loud", "quiet two"):
            self.daemon.ctl_json("account", "add", "--name", name, "--refresh-token",
                                 f"rt-{name}", "--client-id", "c", "--client-secret", "s")
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM)
        seen = self.run_browser(TABLES_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        first, second, third = seen["first"], seen["second"], seen["third"]
        self.assertEqual(first["count"], "121 keys")  # and the initial admin key
        self.assertEqual(first["page"], "1–50 of 121, page 1 of 3")
        self.assertEqual((len(first["names"]), first["pager"], first["prev"], first["next"]),
                         (50, True, True, False))
        self.assertEqual(second["page"], "51–100 of 121, page 2 of 3")
        self.assertEqual(third["page"], "101–121 of 121, page 3 of 3")
        self.assertEqual((len(third["names"]), third["next"]), (21, True))
        shown = first["names"] + second["names"] + third["names"]
        self.assertEqual(sorted(shown), sorted(self.keys()), "every key once")
        # bulk-110 to bulk-119, whatever the case typed.
        self.assertEqual(sorted(seen["search"]["names"]), [f"bulk-11{i}" for i in range(10)])
        self.assertEqual(seen["search"]["count"], "10 of 121 keys match")
        self.assertFalse(seen["search"]["pager"])
        self.assertEqual(seen["searchLive"]["names"], seen["search"]["names"])
        self.assertEqual(seen["searchKept"], "BULK-11")
        self.assertEqual(seen["none"]["count"], "0 of 121 keys match")
        self.assertIn("Nothing matches the search.", seen["noneRow"])
        self.assertEqual(len(seen["accounts"]), 2)
        self.assertTrue(all("quiet" in row for row in seen["accounts"]), seen["accounts"])
        self.assertEqual(seen["accountsCount"], "2 of 3 accounts match")

    def test_the_page_in_chinese_and_the_language_switch(self):
        self.daemon.ctl_json("account", "add", "--name", "账号一", "--refresh-token", "rt",
                             "--client-id", "c", "--client-secret", "s")
        key = self.daemon.ctl_json("key", "create", "--name", "团队", "--rpm", "1")["key"]
        for _ in range(2):  # one served, one refused
            self.ask(key)
        env = dict(os.environ, BASE=f"http://127.0.0.1:{self.daemon.port}", ADMIN_KEY=self.admin,
                   CHROMIUM=CHROMIUM, SCREENSHOTS=SCREENSHOTS)
        seen = self.run_browser(LANGUAGE_SCRIPT, env)

        self.assertEqual(seen["errors"], [])
        self.assertEqual(seen["violations"], [], "\n".join(seen["violations"]))
        self.assertEqual(seen["lang"], "zh-CN")
        self.assertEqual(seen["signIn"], "登录")
        self.assertEqual(seen["placeholderSearch"], "名称、描述、模型、前缀")
        self.assertEqual(seen["tabs"], ["概览", "账号", "API 密钥", "统计", "请求", "审计日志"])
        self.assertEqual(seen["cards"], ["请求", "错误", "错误率", "Token", "积分"])
        self.assertEqual(seen["theme"], "主题：自动")
        for view, texts in seen["untranslated"].items():
            self.assertEqual(texts, [], f"English left in the {view} view")
        self.assertIn("团队", seen["keyRow"])
        self.assertIn("有效", seen["keyRow"])
        self.assertIn("编辑密钥“团队”", seen["keyButtons"])
        self.assertEqual(seen["keysCount"], "2 个密钥")
        self.assertEqual(seen["tabsEnglish"][0], "Overview")
        self.assertIn("active", seen["keyRowEnglish"])
        self.assertEqual(seen["stored"], "en")
        self.assertEqual((seen["langAfterReload"], seen["tabsAfterReload"][-1]), ("en", "Audit log"))
        self.assertEqual(seen["tabsBack"], seen["tabs"])

    def ask(self, key):
        """One small Messages request with `key`."""
        return self.daemon.request("POST", "/v1/messages", body={
            "model": "claude-sonnet-4-5", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}, headers={"x-api-key": key})

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

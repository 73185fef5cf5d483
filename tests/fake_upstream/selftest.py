#!/usr/bin/env python3
"""Self-test of fake_upstream: starts the binary, scripts it, and checks the answers on the
wire. The event stream is decoded here independently of the C++ code (zlib.crc32 for both
CRCs) so that the fake cannot agree with a broken encoder.

Usage: selftest.py [path/to/fake_upstream]   (or $FAKE_UPSTREAM)"""

import http.client
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
import zlib

FAKE = os.environ.get("FAKE_UPSTREAM", "build/tests/fake_upstream/fake_upstream")
GENERATE_TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
BAD_TOKEN = {"message": "The bearer token included in the request is invalid."}
MALFORMED = {"__type": "com.amazon.aws.codewhisperer#ValidationException",
             "message": "Improperly formed request."}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# What the daemon sends to register itself as an OIDC client.
REGISTRATION = {"clientName": "amq2api", "clientType": "public",
                "scopes": ["codewhisperer:completions", "codewhisperer:conversations"],
                "grantTypes": [DEVICE_GRANT, "refresh_token"],
                "issuerUrl": "https://identitycenter.amazonaws.com/ssoins-1"}
START_URL = "https://view.awsapps.com/start"


# ---- AWS event stream decoding (docs/upstream.md §2) ----

class FrameError(Exception):
    pass


def _header_value(data, pos, kind):
    fixed = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}
    if kind in (0, 1):
        return kind == 0, pos
    if kind in fixed:
        size = struct.calcsize(fixed[kind])
        return struct.unpack_from(fixed[kind], data, pos)[0], pos + size
    if kind in (6, 7):
        (size,) = struct.unpack_from(">H", data, pos)
        raw = data[pos + 2:pos + 2 + size]
        return (raw.decode() if kind == 7 else raw), pos + 2 + size
    if kind == 9:
        return data[pos:pos + 16], pos + 16
    raise FrameError(f"unknown header type {kind}")


def decode_headers(data):
    headers, pos = {}, 0
    while pos < len(data):
        size = data[pos]
        name = data[pos + 1:pos + 1 + size].decode()
        kind = data[pos + 1 + size]
        headers[name], pos = _header_value(data, pos + 2 + size, kind)
    return headers


def decode_frames(data):
    """Every frame in data as (headers, payload); raises FrameError on a bad CRC or a
    truncated frame."""
    frames, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 16:
            raise FrameError(f"truncated prelude at {pos}")
        total, headers_len, prelude_crc = struct.unpack_from(">III", data, pos)
        if zlib.crc32(data[pos:pos + 8]) != prelude_crc:
            raise FrameError(f"bad prelude CRC at {pos}")
        if total < 16 + headers_len or pos + total > len(data):
            raise FrameError(f"truncated frame at {pos}")
        (message_crc,) = struct.unpack_from(">I", data, pos + total - 4)
        if zlib.crc32(data[pos:pos + total - 4]) != message_crc:
            raise FrameError(f"bad message CRC at {pos}")
        headers = decode_headers(data[pos + 12:pos + 12 + headers_len])
        frames.append((headers, data[pos + 12 + headers_len:pos + total - 4]))
        pos += total
    return frames


# ---- the fake under test ----

class Fake:
    def __init__(self, *extra_args):
        self.proc = subprocess.Popen([FAKE, "--port", "0", *extra_args],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("listening on 127.0.0.1:"):
            self.proc.kill()
            raise AssertionError(f"fake_upstream did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=15)
        self.proc.stdout.close()
        return status

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def call(self, method, path, body=None, headers=None):
        """(status, headers, body bytes) of one request on a fresh connection."""
        conn = self.connect()
        try:
            data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def control(self, method, path, body=None):
        status, _, data = self.call(method, path, body)
        if status != 200:
            raise AssertionError(f"{method} {path}: {status} {data!r}")
        return json.loads(data)

    def script(self, **queues):
        return self.control("POST", "/_script", queues)

    def stats(self):
        return self.control("GET", "/_stats")

    def requests(self):
        return self.control("GET", "/_requests")

    def oidc(self, path, body):
        """(status, parsed answer) of one OIDC call."""
        status, _, data = self.call("POST", path, body, {"Content-Type": "application/json"})
        return status, json.loads(data)

    def token(self, refresh="rt-1", **extra):
        body = {"clientId": "cid", "clientSecret": "secret", "refreshToken": refresh,
                "grantType": "refresh_token", **extra}
        return self.oidc("/token", body)

    def register(self, **fields):
        """Registers an OIDC client; a field given as None is left out."""
        body = {k: v for k, v in {**REGISTRATION, **fields}.items() if v is not None}
        return self.oidc("/client/register", body)

    def client(self):
        status, answer = self.register()
        assert status == 200, answer
        return answer

    def authorize(self, client, start_url=START_URL, secret=None):
        return self.oidc("/device_authorization",
                         {"clientId": client["clientId"],
                          "clientSecret": secret or client["clientSecret"],
                          "startUrl": start_url})

    def login(self, client):
        """The device authorization answer of a fresh login."""
        status, answer = self.authorize(client)
        assert status == 200, answer
        return answer

    def poll(self, client, device_code, secret=None):
        return self.oidc("/token", {"clientId": client["clientId"],
                                    "clientSecret": secret or client["clientSecret"],
                                    "grantType": DEVICE_GRANT, "deviceCode": device_code})

    def device(self, **body):
        return self.control("POST", "/_device", body)

    def logins(self):
        return {x["device_code"]: x for x in self.control("GET", "/_device")["logins"]}

    def access_token(self):
        status, answer = self.token()
        assert status == 200, answer
        return answer["accessToken"]

    def generate(self, token, body=None, rest=False, headers=None):
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        if rest:
            path = "/generateAssistantResponse"
            all_headers.setdefault("Content-Type", "application/json")
        else:
            path = "/"
            all_headers.setdefault("Content-Type", "application/x-amz-json-1.0")
            all_headers.setdefault("X-Amz-Target", GENERATE_TARGET)
        return self.call("POST", path, body if body is not None else {"conversationState": {}},
                         all_headers)


def empty_frame():
    """A valid frame with no headers and no payload, built here rather than by the fake."""
    prelude = struct.pack(">II", 16, 0)
    prelude += struct.pack(">I", zlib.crc32(prelude))
    return prelude + struct.pack(">I", zlib.crc32(prelude))


def events(frames):
    return [h.get(":event-type") or h.get(":exception-type") for h, _ in frames]


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class FakeCase(unittest.TestCase):
    """One fake per test class, reset before every test."""

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake()

    @classmethod
    def tearDownClass(cls):
        # Under ASan a leak or an error at exit turns into a non-zero status.
        assert cls.fake.stop() == 0, "fake_upstream did not exit cleanly"

    def setUp(self):
        self.fake.control("POST", "/_reset")

    def assert_default_stream(self, status, headers, body):
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/vnd.amazon.eventstream")
        frames = decode_frames(body)
        self.assertEqual(events(frames), ["initial-response"] + ["assistantResponseEvent"] * 3
                         + ["metadataEvent"])
        for h, _ in frames:
            self.assertEqual(h[":message-type"], "event")
            self.assertEqual(h[":content-type"], "application/json")
        payloads = [json.loads(p) for _, p in frames]
        self.assertIn("conversationId", payloads[0])
        self.assertEqual("".join(p["content"] for p in payloads[1:4]),
                         "Hello from the fake upstream.")
        self.assertEqual(payloads[4]["stopReason"], "END_TURN")
        self.assertEqual(payloads[4]["tokenUsage"],
                         {"uncachedInputTokens": 12, "outputTokens": 7, "totalTokens": 19,
                          "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0,
                          "contextUsagePercentage": 0.006})


class FakeUpstreamTest(FakeCase):
    def test_default_answer_on_both_flavours(self):
        token = self.fake.access_token()
        self.assertRegex(token, r"^at-\d+$")
        self.assert_default_stream(*self.fake.generate(token))
        self.assert_default_stream(*self.fake.generate(token, rest=True))
        self.assertEqual(self.fake.stats()["open_streams"], 0)

    def test_refusals(self):
        status, _, body = self.fake.generate("never-issued")
        self.assertEqual((status, json.loads(body)), (403, BAD_TOKEN))
        token = self.fake.access_token()
        status, _, body = self.fake.generate(token, body=b'{"conversationState": ')
        self.assertEqual((status, json.loads(body)), (400, MALFORMED))
        status, _, _ = self.fake.generate(token, headers={"X-Amz-Target": "Nope.Nothing"})
        self.assertEqual(status, 400)

    def test_throttle_scripted_for_one_token(self):
        calm, busy = self.fake.access_token(), self.fake.access_token()
        self.fake.script(generate=[{"match_token": busy, "status": 429,
                                    "headers": {"Retry-After": "7"}}])
        self.assert_default_stream(*self.fake.generate(calm))  # not for this token
        status, headers, body = self.fake.generate(busy)
        self.assertEqual(status, 429)
        self.assertEqual(headers["Retry-After"], "7")
        self.assertIn("ThrottlingException", json.loads(body)["__type"])
        self.assert_default_stream(*self.fake.generate(busy))  # the step was consumed
        self.assertEqual(self.fake.stats()["pending_steps"]["generate"], 0)

    def test_stream_ending_in_an_exception(self):
        token = self.fake.access_token()
        self.fake.script(generate=[{"events": [
            {"event": "assistantResponseEvent", "payload": {"content": "partial"}},
            {"exception": "ThrottlingException", "payload": {"message": "slow down"}}]}])
        status, _, body = self.fake.generate(token)
        self.assertEqual(status, 200)
        (h1, p1), (h2, p2) = decode_frames(body)
        self.assertEqual(json.loads(p1), {"content": "partial"})
        self.assertEqual(h2[":message-type"], "exception")
        self.assertEqual(h2[":exception-type"], "ThrottlingException")
        self.assertEqual(json.loads(p2), {"message": "slow down"})

    def test_close_after_cuts_the_body(self):
        token = self.fake.access_token()
        self.fake.script(generate=[{"split_frames": True, "close_after": 2}])
        conn = self.fake.connect()
        conn.request("POST", "/", body="{}", headers={"Authorization": f"Bearer {token}",
                                                      "X-Amz-Target": GENERATE_TARGET})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        with self.assertRaises(http.client.IncompleteRead) as cut:
            resp.read()
        conn.close()
        self.assertEqual(events(decode_frames(cut.exception.partial)),
                         ["initial-response", "assistantResponseEvent"])
        wait_until(lambda: self.fake.stats()["open_streams"] == 0, what="stream end")

    def test_hang_until_the_client_leaves(self):
        token = self.fake.access_token()
        self.fake.script(generate=[{"hang_after": 1}])
        conn = self.fake.connect()
        conn.request("POST", "/", body="{}", headers={"Authorization": f"Bearer {token}",
                                                      "X-Amz-Target": GENERATE_TARGET})
        resp = conn.getresponse()
        (total,) = struct.unpack(">I", resp.read(4))
        first = decode_frames(struct.pack(">I", total) + resp.read(total - 4))
        self.assertEqual(events(first), ["initial-response"])
        self.assertEqual(self.fake.stats()["open_streams"], 1)
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()
        wait_until(lambda: self.fake.stats()["open_streams"] == 0, what="disconnect noticed")

    def test_delays_raw_bytes_and_corrupt_crc(self):
        token = self.fake.access_token()
        raw = empty_frame().hex()
        self.fake.script(generate=[{"events": [
            {"raw_hex": raw},
            {"event": "assistantResponseEvent", "payload": {"content": "late"},
             "delay_ms": 200},
            {"corrupt_crc": {"event": "assistantResponseEvent", "payload": {"content": "x"}}},
        ]}, {"status": 500, "delay_ms": 100}])
        started = time.monotonic()
        status, _, body = self.fake.generate(token)
        # libevent times with the coarse monotonic clock (a few ms per tick): its 200 ms may
        # end a tick early by ours (seen: 0.198 s).
        self.assertGreaterEqual(time.monotonic() - started, 0.19)
        self.assertEqual(status, 200)
        self.assertEqual(body[:16], bytes.fromhex(raw))
        with self.assertRaisesRegex(FrameError, "bad message CRC"):
            decode_frames(body)
        self.assertEqual(decode_frames(body[:16]), [({}, b"")])
        started = time.monotonic()
        status, headers, body = self.fake.generate(token)
        self.assertGreaterEqual(time.monotonic() - started, 0.09)  # the same coarse clock
        self.assertEqual(status, 500)
        self.assertEqual(headers["x-amzn-ErrorType"], "InternalServerException")

    def test_token_rotation_and_invalid_grant(self):
        self.fake.script(token=[
            {"match_refresh_token": "rt-dead", "status": 400,
             "body": {"error": "invalid_grant",
                      "error_description": "Invalid refresh token provided"}},
            {"match_refresh_token": "rt-old", "access_token": "at-rotated",
             "refresh_token": "rt-new", "expires_in": 900}])
        status, answer = self.fake.token("rt-old")
        self.assertEqual(status, 200)
        self.assertEqual(answer, {"accessToken": "at-rotated", "expiresIn": 900,
                                  "tokenType": "Bearer", "refreshToken": "rt-new"})
        self.assert_default_stream(*self.fake.generate("at-rotated"))
        status, answer = self.fake.token("rt-dead")
        self.assertEqual((status, answer["error"]), (400, "invalid_grant"))
        status, answer = self.fake.token("rt-new")  # defaults: fresh token, no rotation
        self.assertEqual(status, 200)
        self.assertNotIn("refreshToken", answer)
        status, answer = self.fake.token("rt-new", clientSecret="")
        self.assertEqual((status, answer["error"]), (400, "invalid_request"))
        recorded = self.fake.requests()["token"]
        self.assertEqual([r["body"]["refreshToken"] for r in recorded],
                         ["rt-old", "rt-dead", "rt-new", "rt-new"])
        self.assertEqual([r["status"] for r in recorded], [200, 400, 200, 400])

    def test_kiro_refresh(self):
        status, _, body = self.fake.call("POST", "/refreshToken", {"refreshToken": "k-1"})
        answer = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual(answer["refreshToken"], "k-1")
        self.assertTrue(answer["profileArn"].startswith("arn:aws:codewhisperer:"))
        self.assert_default_stream(*self.fake.generate(answer["accessToken"], rest=True))
        self.assertEqual(self.fake.stats()["kiro"], 1)

    def test_usage_counts_generate_calls(self):
        token = self.fake.access_token()
        for _ in range(2):
            self.fake.generate(token)
        status, _, body = self.fake.call("GET", "/getUsageLimits?origin=AI_EDITOR",
                                         headers={"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200)
        usage = json.loads(body)
        entry = usage["usageBreakdownList"][0]
        self.assertEqual((entry["usageLimit"], entry["currentUsage"]), (1000, 2))
        self.assertEqual(time.gmtime(entry["nextDateReset"]).tm_mday, 1)
        self.assertGreater(entry["nextDateReset"], time.time())
        self.assertEqual(usage["userInfo"]["email"], "fake@example.com")
        self.assertEqual(self.fake.requests()["usage"][0]["path"],
                         "/getUsageLimits?origin=AI_EDITOR")

    def test_requests_are_recorded(self):
        token = self.fake.access_token()
        self.fake.generate(token, body={"conversationState": {"chatTriggerType": "MANUAL"}},
                           headers={"Amz-Sdk-Invocation-Id": "abc"})
        recorded = self.fake.requests()
        (call,) = recorded["generate"]
        self.assertEqual(call["path"], "/")
        self.assertEqual(call["token"], token)
        self.assertEqual(call["body"], {"conversationState": {"chatTriggerType": "MANUAL"}})
        self.assertEqual(call["headers"]["amz-sdk-invocation-id"], "abc")
        self.assertEqual(call["headers"]["x-amz-target"], GENERATE_TARGET)
        self.assertEqual(recorded["token"][0]["body"]["clientId"], "cid")
        self.assertEqual(self.fake.stats()["generate"], 1)
        self.fake.control("POST", "/_reset")
        self.assertEqual(self.fake.requests()["generate"], [])
        self.assertEqual(self.fake.stats()["generate"], 0)

    def test_client_leaving_during_a_delay(self):
        token = self.fake.access_token()
        self.fake.script(generate=[{"events": [
            {"event": "assistantResponseEvent", "payload": {"content": "a"}},
            {"event": "assistantResponseEvent", "payload": {"content": "b"}, "delay_ms": 5000},
        ]}])
        conn = self.fake.connect()
        conn.request("POST", "/", body="{}", headers={"Authorization": f"Bearer {token}",
                                                      "X-Amz-Target": GENERATE_TARGET})
        resp = conn.getresponse()
        resp.read(4)
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()
        wait_until(lambda: self.fake.stats()["open_streams"] == 0, timeout=3,
                   what="disconnect noticed during a delay")

    def test_bad_script_is_rejected(self):
        status, _, body = self.fake.call("POST", "/_script",
                                         {"generate": [{"close_afer": 1}]})
        self.assertEqual(status, 400)
        self.assertIn("close_afer", json.loads(body)["error"])
        status, _, _ = self.fake.call("POST", "/_script",
                                      {"generate": [{"events": [{"raw_hex": "zz"}]}]})
        self.assertEqual(status, 400)

    def test_concurrent_streams(self):
        token = self.fake.access_token()
        failures = []

        def client():
            for _ in range(5):
                try:
                    self.assert_default_stream(*self.fake.generate(token))
                except Exception as e:  # collected: assertions in threads do not propagate
                    failures.append(e)

        threads = [threading.Thread(target=client) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(self.fake.stats()["generate"], 160)


class DeviceAuthTest(FakeCase):
    """AWS SSO OIDC device authorization: register, device_authorization, device-code polls
    on /token, steered through /_device."""

    def assert_oauth_error(self, reply, error, names=None):
        status, answer = reply
        self.assertEqual((status, answer["error"]), (400, error), answer)
        if names:
            self.assertIn(names, answer["error_description"])

    def test_register_is_strict(self):
        bad = [({"clientName": None}, "invalid_request", "clientName"),
               ({"clientName": ""}, "invalid_request", "clientName"),
               ({"clientName": 7}, "invalid_request", "clientName"),
               ({"clientType": "confidential"}, "invalid_request", "clientType"),
               ({"clientType": None}, "invalid_request", "clientType"),
               ({"scopes": []}, "invalid_scope", "scopes"),
               ({"scopes": None}, "invalid_scope", "scopes"),
               ({"scopes": "codewhisperer:completions"}, "invalid_scope", "scopes"),
               ({"scopes": [3]}, "invalid_scope", "scopes"),
               ({"scopes": ["codewhisperer:completions", "sso:account:access"]},
                "invalid_scope", "sso:account:access"),
               ({"grantTypes": ["refresh_token"]}, "invalid_request", "grantTypes"),
               ({"grantTypes": [DEVICE_GRANT]}, "invalid_request", "grantTypes"),
               ({"grantTypes": None}, "invalid_request", "grantTypes"),
               ({"grantTypes": DEVICE_GRANT}, "invalid_request", "grantTypes"),
               ({"issuerUrl": ""}, "invalid_request", "issuerUrl"),
               ({"issuerUrl": None}, "invalid_request", "issuerUrl")]
        for fields, error, names in bad:
            with self.subTest(fields=fields):
                self.assert_oauth_error(self.fake.register(**fields), error, names)
        self.assert_oauth_error(self.fake.oidc("/client/register", "{not json"),
                                "invalid_request")
        listing = self.fake.control("GET", "/_device")
        self.assertEqual(listing, {"registrations": [], "logins": []})
        self.assertEqual(self.fake.stats()["register"], len(bad) + 1)
        status, answer = self.fake.register(grantTypes=["authorization_code", "refresh_token",
                                                        DEVICE_GRANT])
        self.assertEqual(status, 200, answer)

    def test_full_login(self):
        self.fake.device(interval=0)  # poll at once, without slow_down
        before = int(time.time())
        client = self.fake.client()
        self.assertRegex(client["clientId"], r"^client-\d+$")
        self.assertRegex(client["clientSecret"], r"^secret-\d+$")
        self.assertLessEqual(before, client["clientIdIssuedAt"])
        self.assertLessEqual(client["clientIdIssuedAt"], time.time())
        self.assertEqual(client["clientSecretExpiresAt"] - client["clientIdIssuedAt"],
                         90 * 24 * 3600)
        login = self.fake.login(client)
        self.assertRegex(login["deviceCode"], r"^device-\d+$")
        self.assertRegex(login["userCode"], r"^[A-Z]{4}-[A-Z]{4}$")
        host = f"127.0.0.1:{self.fake.port}"
        self.assertEqual(login["verificationUri"], f"http://{host}/device")
        self.assertEqual(login["verificationUriComplete"],
                         f"http://{host}/device?user_code={login['userCode']}")
        self.assertEqual((login["expiresIn"], login["interval"]), (600, 0))
        code = login["deviceCode"]
        self.assert_oauth_error(self.fake.poll(client, code), "authorization_pending")
        self.assertEqual(self.fake.logins()[code]["state"], "pending")

        self.fake.device(user_code=login["userCode"], action="approve")
        self.assertEqual(self.fake.logins()[code]["state"], "approved")
        status, tokens = self.fake.poll(client, code)
        self.assertEqual(status, 200, tokens)
        self.assertEqual(set(tokens), {"accessToken", "tokenType", "expiresIn", "refreshToken"})
        self.assertRegex(tokens["accessToken"], r"^at-\d+$")
        self.assertEqual((tokens["tokenType"], tokens["expiresIn"]), ("Bearer", 3600))
        self.assertRegex(tokens["refreshToken"], r"^rt-device-\d+$")
        self.assert_default_stream(*self.fake.generate(tokens["accessToken"]))

        self.assert_oauth_error(self.fake.poll(client, code), "invalid_grant", code)
        self.assertEqual(self.fake.logins()[code]["state"], "consumed")
        self.assertEqual(self.fake.logins()[code]["polls"], 3)
        status, refreshed = self.fake.token(tokens["refreshToken"],
                                            clientId=client["clientId"],
                                            clientSecret=client["clientSecret"])
        self.assertEqual(status, 200, refreshed)
        self.assertNotEqual(refreshed["accessToken"], tokens["accessToken"])
        self.assert_default_stream(*self.fake.generate(refreshed["accessToken"], rest=True))

        recorded = self.fake.requests()
        self.assertEqual([r["path"] for r in recorded["oidc"]],
                         ["/client/register", "/device_authorization"] + ["/token"] * 3)
        self.assertEqual([r["status"] for r in recorded["oidc"]], [200, 200, 400, 200, 400])
        self.assertEqual(recorded["oidc"][2]["body"]["deviceCode"], code)
        self.assertEqual([r["body"]["refreshToken"] for r in recorded["token"]],
                         [tokens["refreshToken"]])
        stats = self.fake.stats()
        self.assertEqual((stats["register"], stats["device_authorization"], stats["token"]),
                         (1, 1, 1))

    def test_deny(self):
        client = self.fake.client()
        code = self.fake.login(client)["deviceCode"]
        self.fake.device(device_code=code, action="deny")
        self.assert_oauth_error(self.fake.poll(client, code), "access_denied")
        self.assertEqual(self.fake.logins()[code]["state"], "denied")

    def test_expire_by_control_and_by_time(self):
        client = self.fake.client()
        code = self.fake.login(client)["deviceCode"]
        self.fake.device(device_code=code, action="expire")
        self.assert_oauth_error(self.fake.poll(client, code), "expired_token")
        self.fake.device(expires_in=0)
        late = self.fake.login(client)
        self.assertEqual(late["expiresIn"], 0)
        self.fake.device(device_code=late["deviceCode"], action="approve")  # too late anyway
        self.assert_oauth_error(self.fake.poll(client, late["deviceCode"]), "expired_token")
        states = {c: x["state"] for c, x in self.fake.logins().items()}
        self.assertEqual(states, {code: "expired", late["deviceCode"]: "expired"})

    def test_slow_down_when_polling_too_fast(self):
        client = self.fake.client()
        login = self.fake.login(client)
        self.assertEqual(login["interval"], 1)
        code = login["deviceCode"]
        self.assert_oauth_error(self.fake.poll(client, code), "authorization_pending")
        self.assert_oauth_error(self.fake.poll(client, code), "slow_down")
        self.assertEqual(self.fake.logins()[code]["interval"], 6)
        self.fake.device(device_code=code, action="approve")
        self.assert_oauth_error(self.fake.poll(client, code), "slow_down")  # approved or not
        self.assertEqual(self.fake.logins()[code]["interval"], 11)

    def test_slow_down_by_control(self):
        self.fake.device(interval=0)
        client = self.fake.client()
        login = self.fake.login(client)
        code = login["deviceCode"]
        self.fake.device(user_code=login["userCode"], action="slow_down")
        self.assert_oauth_error(self.fake.poll(client, code), "slow_down")
        self.assertEqual(self.fake.logins()[code]["interval"], 5)
        time.sleep(4.9)  # the new interval, less the fake's 0.2 s of slack
        self.assert_oauth_error(self.fake.poll(client, code), "authorization_pending")
        self.assertEqual(self.fake.logins()[code]["interval"], 5)

    def test_invalid_client(self):
        mine, other = self.fake.client(), self.fake.client()
        self.assertNotEqual(mine["clientId"], other["clientId"])
        code = self.fake.login(mine)["deviceCode"]
        self.fake.device(device_code=code, action="approve")
        self.assert_oauth_error(self.fake.poll(other, code), "invalid_client")
        self.assert_oauth_error(self.fake.poll(mine, code, secret=other["clientSecret"]),
                                "invalid_client")
        self.assert_oauth_error(self.fake.authorize(mine, secret=other["clientSecret"]),
                                "invalid_client")
        self.assert_oauth_error(self.fake.authorize({"clientId": "client-0",
                                                     "clientSecret": "secret-0"}),
                                "invalid_client", "client-0")
        self.assert_oauth_error(self.fake.authorize(mine, start_url=""), "invalid_request",
                                "startUrl")
        self.assert_oauth_error(self.fake.poll(mine, "device-0"), "invalid_grant", "device-0")
        status, answer = self.fake.oidc("/token", {"clientId": mine["clientId"],
                                                   "clientSecret": mine["clientSecret"],
                                                   "grantType": DEVICE_GRANT})
        self.assert_oauth_error((status, answer), "invalid_request", "deviceCode")
        self.assertEqual(self.fake.logins()[code]["polls"], 0)  # none was its client's
        self.assertEqual(self.fake.poll(mine, code)[0], 200)

    def test_expired_registration(self):
        self.fake.device(registration_lifetime=1)
        client = self.fake.client()
        self.assertEqual(client["clientSecretExpiresAt"] - client["clientIdIssuedAt"], 1)
        self.assertEqual(self.fake.authorize(client)[0], 200)
        time.sleep(1.05)
        self.assert_oauth_error(self.fake.authorize(client), "invalid_client", "expired")

    def test_reset_clears_logins_and_settings(self):
        self.fake.device(interval=7, expires_in=60, registration_lifetime=5)
        client = self.fake.client()
        code = self.fake.login(client)["deviceCode"]
        self.fake.control("POST", "/_reset")
        self.assertEqual(self.fake.control("GET", "/_device"),
                         {"registrations": [], "logins": []})
        self.assertEqual(self.fake.requests()["oidc"], [])
        self.assertEqual(self.fake.stats()["register"], 0)
        self.assert_oauth_error(self.fake.authorize(client), "invalid_client")
        self.assert_oauth_error(self.fake.poll(client, code), "invalid_grant")
        fresh = self.fake.client()
        self.assertNotEqual(fresh["clientId"], client["clientId"])  # numbering goes on
        self.assertEqual(fresh["clientSecretExpiresAt"] - fresh["clientIdIssuedAt"], 7776000)
        login = self.fake.login(fresh)
        self.assertEqual((login["expiresIn"], login["interval"]), (600, 1))

    def test_device_listing(self):
        client = self.fake.client()
        self.fake.register(clientName="second", scopes=["codewhisperer:analysis"])
        login = self.fake.login(client)
        listing = self.fake.control("GET", "/_device")
        first, second = listing["registrations"]
        self.assertEqual(first, {"client_id": client["clientId"], "client_name": "amq2api",
                                 "issuer_url": REGISTRATION["issuerUrl"],
                                 "scopes": REGISTRATION["scopes"],
                                 "expires_at": client["clientSecretExpiresAt"]})
        self.assertEqual((second["client_name"], second["scopes"]),
                         ("second", ["codewhisperer:analysis"]))
        self.assertEqual(listing["logins"], [{
            "device_code": login["deviceCode"], "user_code": login["userCode"],
            "client_id": client["clientId"], "start_url": START_URL, "state": "pending",
            "polls": 0, "interval": 1}])

    def test_device_control_errors(self):
        self.fake.device(interval=0)
        client = self.fake.client()
        login = self.fake.login(client)
        refusals = [({"user_code": "ZZZZ-ZZZZ", "action": "approve"}, 404),
                    ({"device_code": "device-0", "action": "deny"}, 404),
                    ({"user_code": login["userCode"], "action": "allow"}, 400),
                    ({"user_code": login["userCode"]}, 400),
                    ({"user_code": login["userCode"], "device_code": login["deviceCode"],
                      "action": "approve"}, 400),
                    ({"user_code": login["userCode"], "action": "approve", "interval": 3}, 400),
                    ({"interval": -1}, 400),
                    ({"expires_in": "600"}, 400),
                    ({"action": "approve"}, 400)]
        for body, status in refusals:
            with self.subTest(body=body):
                code, _, answer = self.fake.call("POST", "/_device", body)
                self.assertEqual(code, status, answer)
                self.assertIn("error", json.loads(answer))
        self.assertEqual(self.fake.logins()[login["deviceCode"]]["state"], "pending")
        self.fake.device(device_code=login["deviceCode"], action="approve")
        self.assertEqual(self.fake.poll(client, login["deviceCode"])[0], 200)
        code, _, _ = self.fake.call("POST", "/_device", {"device_code": login["deviceCode"],
                                                         "action": "approve"})
        self.assertEqual(code, 400)  # its tokens were issued


class ShutdownTest(unittest.TestCase):
    def test_sigterm_with_work_in_flight(self):
        fake = Fake()
        token = fake.access_token()
        fake.script(generate=[{"hang_after": 1}], token=[{"delay_ms": 60000}])
        conn = fake.connect()
        conn.request("POST", "/", body="{}", headers={"Authorization": f"Bearer {token}",
                                                      "X-Amz-Target": GENERATE_TARGET})
        conn.getresponse().read(4)
        slow = fake.connect()  # a token refresh the fake is sitting on
        slow.request("POST", "/token", body=json.dumps({"refreshToken": "r"}))
        wait_until(lambda: fake.stats()["token"] == 2, what="the slow refresh")
        self.assertEqual(fake.stats()["open_streams"], 1)
        self.assertEqual(fake.stop(), 0)
        conn.close()
        slow.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        FAKE = sys.argv.pop(1)
    unittest.main(verbosity=2)

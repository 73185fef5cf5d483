"""POST /v1/messages end to end: the real daemon against tests/fake_upstream."""

import base64
import http.client
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from harness import Daemon, FakeUpstream, sse_events, wait_until

TEXT = {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Say hello"}]}


def text_event(text):
    return {"event": "assistantResponseEvent", "payload": {"content": text}}


def tool_events(tool_id, name, fragments):
    frames = [{"event": "toolUseEvent", "payload": {"toolUseId": tool_id, "name": name, "input": f}}
              for f in fragments]
    frames.append({"event": "toolUseEvent",
                   "payload": {"toolUseId": tool_id, "name": name, "stop": True}})
    return frames


def metadata(stop="END_TURN", inp=100, out=20, read=0, written=0):
    return {"event": "metadataEvent",
            "payload": {"tokenUsage": {"uncachedInputTokens": inp, "outputTokens": out,
                                       "totalTokens": inp + read + written + out,
                                       "cacheReadInputTokens": read,
                                       "cacheWriteInputTokens": written}, "stopReason": stop}}


class MessagesTestCase(unittest.TestCase):
    accounts = 1
    daemon_flags = ()

    def setUp(self):
        self.fake = FakeUpstream()
        self.addCleanup(self.fake.stop)
        self.daemon = Daemon(workers=2, extra_args=[*self.fake.daemon_args(), *self.daemon_flags])
        self.daemon.start()
        self.addCleanup(self.daemon.cleanup)
        for i in range(self.accounts):
            self.add_account(f"acct{i}")
        self.key = self.daemon.ctl_json("key", "create", "--name", "client")["key"]

    def add_account(self, name, refresh_token=None):
        return self.daemon.ctl_json("account", "add", "--name", name,
                                    "--refresh-token", refresh_token or f"rt-{name}",
                                    "--client-id", f"cid-{name}", "--client-secret", "cs",
                                    "--rpm", "1000")

    def post(self, body, key=None, headers=None, timeout=30):
        h = {"x-api-key": key or self.key, "content-type": "application/json",
             "anthropic-version": "2023-06-01"}
        h.update(headers or {})
        return self.daemon.request("POST", "/v1/messages?beta=true", body=body, headers=h,
                                   timeout=timeout)

    def stream(self, body, **kw):
        r = self.post(dict(body, stream=True), **kw)
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.headers["content-type"].startswith("text/event-stream"))
        return sse_events(r.body)

    def generate_requests(self):
        return self.fake.requests()["generate"]


class Basics(MessagesTestCase):
    def test_non_streamed_text(self):
        r = self.post(TEXT)
        self.assertEqual(r.status, 200, r.body)
        msg = r.json()
        self.assertEqual(msg["type"], "message")
        self.assertEqual(msg["model"], TEXT["model"])  # the client's name comes back
        self.assertEqual(msg["content"], [{"type": "text", "text": "Hello from the fake upstream."}])
        self.assertEqual(msg["stop_reason"], "end_turn")
        # The fake's cache counts are zeros, so the estimated cache speaks: a first prompt is
        # all written (docs/translation.md §9), the upstream's input count split accordingly.
        self.assertEqual(msg["usage"], {"input_tokens": 0, "cache_creation_input_tokens": 12,
                                        "cache_read_input_tokens": 0, "output_tokens": 7})
        sent = self.generate_requests()[0]
        self.assertEqual(sent["headers"]["x-amz-target"],
                         "AmazonCodeWhispererStreamingService.GenerateAssistantResponse")
        current = sent["body"]["conversationState"]["currentMessage"]["userInputMessage"]
        self.assertEqual(current["modelId"], "claude-sonnet-4.5")
        self.assertIn("Say hello", current["content"])

    def test_streamed_text(self):
        events = self.stream(TEXT)
        names = [e for e, _ in events]
        self.assertEqual(names[:2], ["message_start", "ping"])
        self.assertEqual(names[-2:], ["message_delta", "message_stop"])
        text = "".join(d["delta"]["text"] for e, d in events if e == "content_block_delta")
        self.assertEqual(text, "Hello from the fake upstream.")
        start = events[0][1]["message"]["usage"]
        self.assertGreater(start["input_tokens"] + start["cache_creation_input_tokens"], 0)
        self.assertEqual(events[-2][1]["delta"]["stop_reason"], "end_turn")

    def test_events_are_flushed_as_they_arrive(self):
        self.fake.script(generate=[{"events": [text_event("first"),
                                               dict(text_event("second"), delay_ms=1500),
                                               metadata()]}])
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        conn.request("POST", "/v1/messages", body=json.dumps(dict(TEXT, stream=True)),
                     headers={"x-api-key": self.key})
        r = conn.getresponse()
        t0 = time.monotonic()
        seen = b""
        while b"first" not in seen:
            seen += r.read1(65536)
        self.assertLess(time.monotonic() - t0, 1.0, "the first event waited for the second")
        rest = r.read()
        self.assertIn(b"second", rest)
        conn.close()

    def test_image_reaches_the_upstream(self):
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
        body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
            {"type": "text", "text": "What is this?"}]}]}
        self.assertEqual(self.post(body).status, 200)
        current = self.generate_requests()[0]["body"]["conversationState"]["currentMessage"]
        self.assertEqual(current["userInputMessage"]["images"],
                         [{"format": "png", "source": {"bytes": png}}])

    def test_tool_use_round_trip_keeps_system_prompt(self):
        tools = [{"name": "Bash", "description": "Run a command",
                  "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                                   "required": ["command"]}}]
        self.fake.script(generate=[{"events": [text_event("Let me look."),
                                               *tool_events("tu_1", "Bash", ['{"comm', 'and": "ls"}']),
                                               metadata(stop="TOOL_USE")]}])
        first = {"model": "claude-sonnet-4-5", "max_tokens": 100, "system": "You are terse.",
                 "tools": tools, "messages": [{"role": "user", "content": "list files"}]}
        events = self.stream(first)
        starts = [d for e, d in events if e == "content_block_start"]
        self.assertEqual([s["content_block"]["type"] for s in starts], ["text", "tool_use"])
        self.assertEqual([s["index"] for s in starts], [0, 1])
        self.assertEqual(starts[1]["content_block"]["name"], "Bash")
        args = "".join(d["delta"]["partial_json"] for e, d in events
                       if e == "content_block_delta" and d["delta"]["type"] == "input_json_delta")
        self.assertEqual(json.loads(args), {"command": "ls"})
        self.assertEqual([d for e, d in events if e == "message_delta"][0]["delta"]["stop_reason"],
                         "tool_use")

        second = dict(first, messages=[
            {"role": "user", "content": "list files"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "tu_1", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "tu_1", "content": "a.txt\nb.txt"}]}])
        self.assertEqual(self.post(second).status, 200)
        state = self.generate_requests()[-1]["body"]["conversationState"]
        context = state["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        self.assertEqual(context["toolResults"][0]["toolUseId"], "tu_1")
        self.assertEqual(context["toolResults"][0]["status"], "success")
        self.assertIn("a.txt", json.dumps(context["toolResults"][0]["content"]))
        self.assertIn("You are terse.", json.dumps(state["history"]))

    def test_web_searches_stop_at_max_uses(self):
        def search(n):
            return {"events": [*tool_events(f"s{n}", "web_search", ['{"query":"q"}']),
                               metadata(stop="TOOL_USE")]}
        self.fake.script(generate=[search(1), search(2), search(3)])
        r = self.post({"model": "claude-sonnet-4-5", "max_tokens": 100,
                       "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}],
                       "messages": [{"role": "user", "content": "search"}]})
        self.assertEqual(r.status, 200, r.body)
        content = r.json()["content"]
        self.assertEqual([b["type"] for b in content],
                         ["server_tool_use", "web_search_tool_result"] * 2 + ["server_tool_use"])
        self.assertEqual(content[3]["content"], {"type": "web_search_tool_result_error",
                                                 "error_code": "max_uses_exceeded"})
        self.assertEqual(len(self.fake.requests()["mcp"]), 1)
        bodies = self.generate_requests()
        self.assertEqual(len(bodies), 3)
        tool = bodies[-1]["body"]["conversationState"]["currentMessage"]["userInputMessage"][
            "userInputMessageContext"]["tools"][0]["toolSpecification"]
        self.assertIn("do not call it", tool["description"])

    def test_a_failed_search_is_told_to_the_model_and_the_client(self):
        self.fake.script(generate=[
            {"events": [*tool_events("s1", "web_search", ['{"query":"unavailable"}']), metadata(stop="TOOL_USE")]},
            {"events": [text_event("Search is down."), metadata()]}])
        r = self.post({"model": "claude-sonnet-4-5", "max_tokens": 100,
                       "tools": [{"type": "web_search_20250305", "name": "web_search"}],
                       "messages": [{"role": "user", "content": "search"}]})
        content = r.json()["content"]
        self.assertEqual(content[1]["content"]["error_code"], "unavailable")
        result = self.generate_requests()[-1]["body"]["conversationState"]["currentMessage"][
            "userInputMessage"]["userInputMessageContext"]["toolResults"][0]
        self.assertEqual(result["status"], "error")

    def test_exception_mid_stream_becomes_error_event(self):
        self.fake.script(generate=[{"events": [text_event("partial "), {
            "exception": "InternalServerException", "payload": {"message": "boom"}}]}])
        events = self.stream(TEXT)
        self.assertIn("content_block_delta", [e for e, _ in events])
        self.assertEqual(events[-1][0], "error")
        self.assertEqual(events[-1][1]["type"], "error")
        self.assertIn("type", events[-1][1]["error"])

    def test_exception_before_any_content_is_an_http_error(self):
        self.fake.script(generate=[{"events": [{"exception": "ValidationException",
                                                "payload": {"message": "Improperly formed request."}}]}])
        r = self.post(dict(TEXT, stream=True))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")

    def test_upstream_400_passes_its_reason_to_the_client(self):
        self.fake.script(generate=[{"status": 400, "body": json.dumps({
            "__type": "com.amazon.aws.codewhisperer#ValidationException",
            "message": "Improperly formed request.", "reason": "INVALID_CONVERSATION_ID"})}])
        r = self.post(TEXT)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
        self.assertIn("Improperly formed request", r.json()["error"]["message"])
        self.assertEqual(len(self.generate_requests()), 1)  # a request error is never retried

    def test_truncated_tool_call_is_an_error_not_empty_input(self):
        frames = [{"event": "toolUseEvent",
                   "payload": {"toolUseId": "tu_9", "name": "Write", "input": '{"content": "abc'}}]
        self.fake.script(generate=[{"events": frames}])
        r = self.post(TEXT)
        self.assertGreaterEqual(r.status, 500)
        self.assertNotIn(b'"input":{}', r.body)

    def test_client_errors_are_anthropic_shaped(self):
        r = self.daemon.request("POST", "/v1/messages", body=TEXT)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["type"], "authentication_error")
        r = self.post(TEXT, key="amq-not-a-real-key")
        self.assertEqual(r.status, 401)
        r = self.post(b"{not json")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
        r = self.post({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []})
        self.assertEqual(r.status, 400)
        self.assertIn("messages", r.json()["error"]["message"])
        huge = {"model": "claude-sonnet-4-5", "max_tokens": 1,
                "messages": [{"role": "user", "content": "x" * 700000}]}
        r = self.post(huge)
        self.assertEqual(r.status, 400)
        self.assertIn("prompt is too long", r.json()["error"]["message"])
        self.assertEqual(self.generate_requests(), [])

    def test_disabled_key_is_refused(self):
        self.daemon.ctl_json("key", "revoke", "client")
        r = self.post(TEXT)
        self.assertEqual(r.status, 401)
        self.assertIn("disabled", r.json()["error"]["message"])

    def test_bearer_header_works(self):
        r = self.daemon.request("POST", "/v1/messages", body=TEXT,
                                headers={"Authorization": f"Bearer {self.key}"})
        self.assertEqual(r.status, 200)

    def test_the_upstreams_cache_counts_reach_the_client_apart_from_the_input(self):
        self.fake.script(generate=[{"events": [text_event("cached"),
                                               metadata(inp=30, read=4000, written=500)]}] * 2)
        usage = self.post(TEXT).json()["usage"]
        self.assertEqual(usage, {"input_tokens": 30, "cache_creation_input_tokens": 500,
                                 "cache_read_input_tokens": 4000, "output_tokens": 20})
        streamed = self.post({**TEXT, "stream": True})
        final = [json.loads(line[6:]) for line in streamed.body.decode().splitlines()
                 if line.startswith("data: ") and '"message_delta"' in line][-1]
        self.assertEqual(final["usage"]["cache_read_input_tokens"], 4000)
        self.assertEqual(final["usage"]["input_tokens"], 30)

    def test_metered_credits_reach_usage_records_stats_and_metrics(self):
        metering = {"event": "meteringEvent", "payload": {"unit": "credit", "unitPlural": "credits",
                                                          "usage": 0.25}}
        self.fake.script(generate=[{"events": [text_event("a"), metering, metadata()]},
                                   {"events": [text_event("b"), metering, metering, metadata()]}])
        for _ in range(2):
            self.assertEqual(self.post(TEXT).status, 200)
        wait_until(lambda: self.daemon.ctl_json("stats", "--days", "1")["total"]["requests"] == 2)
        stats = self.daemon.ctl_json("stats", "--days", "1", "--by", "key")
        self.assertEqual(stats["total"]["credits"], 0.75)
        self.assertEqual(stats["rows"][0]["credits"], 0.75)
        metrics = self.daemon.request("GET", "/metrics").body.decode()
        self.assertIn('amq2api_credits_total{key="', metrics)
        self.assertIn('"} 0.75', metrics)
        rc, out, _ = self.daemon.ctl("usage", "export", "--since", "2020-01-01", "--format", "ndjson")
        records = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(sorted(r["credits_micros"] for r in records), [250000, 500000])
        self.assertIn("CREDITS", self.daemon.ctl("stats", "--days", "1", "--by", "key")[1])

    def test_usage_is_recorded(self):
        for _ in range(3):
            self.assertEqual(self.post(TEXT).status, 200)
        self.daemon.stop()
        dump = subprocess.run(["mdb_dump", "-p", "-s", "usage", self.daemon.state_dir],
                              capture_output=True, text=True, check=True).stdout
        self.assertEqual(dump.count('"endpoint":"/v1/messages"'), 3)
        self.assertIn('"client_model":"claude-sonnet-4-5-20250929"', dump)
        self.assertIn('"input_tokens":12', dump)


class EstimatedCache(MessagesTestCase):
    """docs/translation.md §9: without the upstream's cache counts, the part of the prompt the
    same key and session sent before is reported read, the rest written."""

    def conversation(self, turns):
        messages = []
        for i in range(turns):
            messages.append({"role": "user", "content": f"question {i}: " + "words " * 200})
            if i + 1 < turns:
                messages.append({"role": "assistant", "content": f"answer {i}"})
        return {**TEXT, "system": "You are terse. " * 50, "messages": messages}

    def usage(self, turns, session, stream=False):
        body = self.conversation(turns)
        headers = {"X-Claude-Code-Session-Id": session}
        if stream:
            events = self.stream(body, headers=headers)
            return [data for name, data in events if name == "message_delta"][-1]["usage"]
        r = self.post(body, headers=headers)
        self.assertEqual(r.status, 200, r.body)
        return r.json()["usage"]

    def test_each_turn_of_a_session_reads_what_the_last_one_sent(self):
        self.fake.script(generate=[{"events": [text_event("ok")]}] * 5)
        first = self.usage(1, "session-a")
        self.assertEqual(first["cache_read_input_tokens"], 0)
        self.assertGreater(first["cache_creation_input_tokens"], 200)
        self.assertEqual(first["input_tokens"], 0)
        sent = first["cache_creation_input_tokens"]
        for turns in (2, 3):
            usage = self.usage(turns, "session-a", stream=turns == 3)
            self.assertEqual(usage["cache_read_input_tokens"], sent, usage)
            self.assertGreater(usage["cache_creation_input_tokens"], 200)
            sent += usage["cache_creation_input_tokens"]
        other = self.usage(3, "session-b")  # the same prompt from another session: no hit
        self.assertEqual(other["cache_read_input_tokens"], 0)
        self.assertEqual(other["cache_creation_input_tokens"], sent)

    def test_zeros_from_the_upstream_are_no_cache_report(self):
        self.fake.script(generate=[{"events": [text_event("ok"), metadata(inp=500)]}] * 2)
        self.usage(1, "s")
        usage = self.usage(1, "s")
        self.assertEqual((usage["cache_read_input_tokens"], usage["input_tokens"]), (500, 0))

    def test_the_upstreams_own_counts_win(self):
        self.fake.script(generate=[{"events": [text_event("ok")]},
                                   {"events": [text_event("ok"), metadata(inp=5, read=9, written=1)]}])
        self.usage(2, "s")
        self.assertEqual(self.usage(2, "s")["cache_read_input_tokens"], 9)


class EstimatedCacheOff(MessagesTestCase):
    daemon_flags = ("--cache-estimate-ttl", "0")

    def test_no_estimate_when_turned_off(self):
        self.fake.script(generate=[{"events": [text_event("ok")]}] * 2)
        for _ in range(2):
            usage = self.post(TEXT, headers={"X-Claude-Code-Session-Id": "s"}).json()["usage"]
            self.assertEqual(usage["cache_read_input_tokens"], 0)
            self.assertEqual(usage["cache_creation_input_tokens"], 0)
            self.assertGreater(usage["input_tokens"], 0)


class Tokens(MessagesTestCase):
    def test_one_refresh_for_many_concurrent_requests(self):
        results = []
        def go():
            results.append(self.post(TEXT).status)
        threads = [threading.Thread(target=go) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 20)
        self.assertEqual(self.fake.stats()["token"], 1)
        self.assertEqual(self.fake.requests()["token"][0]["body"]["refreshToken"], "rt-acct0")

    def test_rejected_token_is_refreshed_and_the_call_retried(self):
        self.fake.script(generate=[{"status": 403, "body": json.dumps(
            {"message": "The bearer token included in the request is invalid."})}])
        r = self.post(TEXT)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.fake.stats()["token"], 2)
        tokens = [g["token"] for g in self.generate_requests()]
        self.assertEqual(len(tokens), 2)
        self.assertNotEqual(tokens[0], tokens[1])

    def test_rotated_refresh_token_survives_a_restart(self):
        self.fake.script(token=[
            {"match_refresh_token": "rt-acct0", "refresh_token": "rt-rotated", "expires_in": 60},
            {"match_refresh_token": "rt-acct0", "repeat": True, "status": 400,
             "body": json.dumps({"error": "invalid_grant"})}])
        self.assertEqual(self.post(TEXT).status, 200)
        self.daemon.stop()
        self.daemon.start()
        # expires_in 60 is inside the refresh lead: the next request refreshes again.
        self.assertEqual(self.post(TEXT).status, 200)
        used = [t["body"]["refreshToken"] for t in self.fake.requests()["token"]]
        self.assertEqual(used, ["rt-acct0", "rt-rotated"])


class Failover(MessagesTestCase):
    accounts = 2

    def setUp(self):
        super().setUp()
        self.fake.script(token=[
            {"match_refresh_token": "rt-acct0", "repeat": True, "access_token": "at-zero"},
            {"match_refresh_token": "rt-acct1", "repeat": True, "access_token": "at-one"}])

    def test_throttled_account_is_replaced_by_another(self):
        self.fake.script(generate=[{"match_token": "at-zero", "repeat": True, "status": 429,
                                    "headers": {"Retry-After": "30"},
                                    "body": json.dumps({"message": "Too many requests"})}])
        for _ in range(4):
            r = self.post(TEXT)
            self.assertEqual(r.status, 200, r.body)
        calls = [g["token"] for g in self.generate_requests()]
        served = [t for t in calls if t == "at-one"]
        self.assertEqual(len(served), 4)
        for i, t in enumerate(calls):
            if t == "at-zero":
                self.assertEqual(calls[i + 1], "at-one")

    def test_all_accounts_failing_gives_the_last_error(self):
        self.fake.script(generate=[{"repeat": True, "status": 500, "body": "oops"}])
        r = self.post(TEXT)
        self.assertIn(r.status, (502, 503))
        self.assertEqual(r.json()["type"], "error")
        self.assertLessEqual(len(self.generate_requests()), 3)

    def test_nothing_is_retried_after_the_first_byte(self):
        self.fake.script(generate=[{"events": [text_event("hello")], "close_after": 1}])
        events = self.stream(TEXT)
        self.assertEqual(len(self.generate_requests()), 1)
        self.assertEqual(events[-1][0], "error")


class NoAccount(MessagesTestCase):
    accounts = 0

    def test_no_account_is_503(self):
        r = self.post(TEXT)
        self.assertEqual(r.status, 503)
        self.assertIn("account", r.json()["error"]["message"])


class Streaming(MessagesTestCase):
    daemon_flags = ("--ping-interval", "1")

    def test_pings_keep_a_slow_stream_alive(self):
        self.fake.script(generate=[{"events": [dict(text_event("late"), delay_ms=2500), metadata()]}])
        events = self.stream(TEXT)
        names = [e for e, _ in events]
        first_content = names.index("content_block_start")
        self.assertGreaterEqual(names[:first_content].count("ping"), 2)

    def test_http10_client_gets_a_close_delimited_stream(self):
        sock = socket.create_connection(("127.0.0.1", self.daemon.port))
        body = json.dumps(dict(TEXT, stream=True)).encode()
        sock.sendall(b"POST /v1/messages HTTP/1.0\r\nx-api-key: " + self.key.encode() +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        sock.settimeout(10)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
        sock.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.0 200"))
        self.assertNotIn(b"chunked", head.lower())
        self.assertEqual(sse_events(payload)[-1][0], "message_stop")

    def test_client_that_leaves_closes_the_upstream(self):
        self.fake.script(generate=[{"events": [text_event("one")], "hang_after": 1}])
        sock = socket.create_connection(("127.0.0.1", self.daemon.port))
        body = json.dumps(dict(TEXT, stream=True)).encode()
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + self.key.encode() +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        got = b""
        while b"one" not in got:
            got += sock.recv(65536)
        self.assertEqual(self.fake.stats()["open_streams"], 1)
        sock.close()
        t0 = time.monotonic()
        wait_until(lambda: self.fake.stats()["open_streams"] == 0, timeout=1.0,
                   what="the upstream stream to close")
        self.assertLess(time.monotonic() - t0, 1.0)

    def test_slow_reader_pauses_the_upstream_with_bounded_memory(self):
        chunk = "x" * 8000
        frames = [text_event(chunk) for _ in range(3000)] + [metadata()]  # 24 MB of text
        self.fake.script(generate=[{"events": frames}])
        base = max(worker_rss_kb(pid) for pid in self.daemon.worker_pids())
        sock = socket.create_connection(("127.0.0.1", self.daemon.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        body = json.dumps(dict(TEXT, stream=True)).encode()
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + self.key.encode() +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(2)  # the client does not read: the worker must stop pulling from upstream
        rss = max(worker_rss_kb(pid) for pid in self.daemon.worker_pids())
        # Growth, not size: the sanitizers' shadow and quarantine make up most of a worker's
        # RSS. Holding the stream would take the 24 MB twice (the answer, the unsent bytes),
        # with growth by doubling on top.
        self.assertLess(rss - base, 96 * 1024, "a stalled client made a worker buffer the stream")
        total = 0
        sock.settimeout(20)
        while True:
            data = sock.recv(1 << 20)
            if not data:
                break
            total += data.count(b"x")
            if b"message_stop" in data:
                break
        sock.close()
        self.assertGreaterEqual(total, 3000 * 8000)


def worker_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    unittest.main()

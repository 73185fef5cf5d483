"""POST /v1/responses end to end: the real daemon against tests/fake_upstream, over raw HTTP.
(test_client_sdks.py drives the same route with the OpenAI SDK and the Codex CLI.)"""

import json
import unittest

from harness import serving_daemon, sse_events
from test_messages import metadata, text_event, tool_events

APPLY_PATCH = {"type": "custom", "name": "apply_patch", "description": "Edit files with a patch.",
               "format": {"type": "grammar", "syntax": "lark",
                          "definition": 'start: "*** Begin Patch" /(.|\\n)*/ "*** End Patch"'}}
SHELL = {"type": "function", "name": "shell", "description": "Run a command",
         "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                        "required": ["command"]}}
NAMESPACE = {"type": "namespace", "name": "crm", "description": "Customer records",
             "tools": [{"type": "function", "name": "lookup", "description": "Find a customer",
                        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]}


class Responses(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon, self.key = serving_daemon(self)

    def post(self, body):
        return self.daemon.request("POST", "/v1/responses", body=body,
                                   headers={"Authorization": f"Bearer {self.key}"})

    def stream(self, body):
        r = self.post(dict(body, stream=True))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["content-type"].split(";")[0], "text/event-stream")
        events = sse_events(r.body)
        for name, data in events:
            self.assertEqual(name, data["type"])
        self.assertEqual([d["sequence_number"] for _, d in events], list(range(len(events))))
        return events

    def upstream_state(self):
        return self.fake.requests()["generate"][-1]["body"]["conversationState"]

    def test_a_string_input_is_answered_with_a_response_object(self):
        r = self.post({"model": "gpt-5", "instructions": "Be brief.", "input": "Say hello"})
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertTrue(body["id"].startswith("resp_"))
        self.assertEqual((body["object"], body["status"], body["model"]), ("response", "completed", "gpt-5"))
        [message] = body["output"]
        self.assertEqual((message["type"], message["role"], message["status"]),
                         ("message", "assistant", "completed"))
        self.assertEqual(message["content"][0]["type"], "output_text")
        self.assertEqual(message["content"][0]["text"], "Hello from the fake upstream.")
        self.assertEqual(body["usage"]["input_tokens"] + body["usage"]["output_tokens"],
                         body["usage"]["total_tokens"])
        self.assertIn("Be brief.", json.dumps(self.upstream_state()))

    def test_the_stream_follows_the_event_grammar(self):
        self.fake.script(generate=[{"events": [text_event("Hel"), text_event("lo"),
                                               metadata(inp=30, out=5, read=70)]}])
        events = self.stream({"model": "gpt-5", "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]})
        self.assertEqual([n for n, _ in events], [
            "response.created", "response.in_progress", "response.output_item.added",
            "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.completed"])
        self.assertEqual(events[0][1]["response"]["status"], "in_progress")
        self.assertEqual("".join(d["delta"] for n, d in events if n == "response.output_text.delta"),
                         "Hello")
        item = events[8][1]["item"]
        self.assertEqual(item["content"][0]["text"], "Hello")
        self.assertEqual({d["item_id"] for n, d in events[3:8]}, {item["id"]})
        final = events[-1][1]["response"]
        self.assertEqual(final["output"], [item])
        self.assertEqual(final["usage"], {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 70},
                                          "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
                                          "total_tokens": 105})

    def test_a_prompt_cache_key_scopes_the_estimated_cache(self):
        # No cache counts from the upstream: the daemon's estimate (docs/translation.md §9).
        self.fake.script(generate=[{"events": [text_event("ok")]}] * 3)
        history = [{"role": "user", "content": "describe the repository " * 100}]
        turn = {"model": "gpt-5", "instructions": "Be brief.", "prompt_cache_key": "codex-1"}
        first = self.post({**turn, "input": history}).json()["usage"]
        self.assertEqual(first["input_tokens_details"]["cached_tokens"], 0)
        history += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "and now?"}]
        second = self.post({**turn, "input": history}).json()["usage"]
        self.assertEqual(second["input_tokens_details"]["cached_tokens"], first["input_tokens"])
        other = self.post({**turn, "prompt_cache_key": "codex-2", "input": history}).json()["usage"]
        self.assertEqual(other["input_tokens_details"]["cached_tokens"], 0)

    def test_a_function_call_and_its_output_round_trip(self):
        self.fake.script(generate=[{"events": [*tool_events("tu_1", "shell", ['{"command"', ': "ls"}']),
                                               metadata(stop="TOOL_USE")]}])
        events = self.stream({"model": "gpt-5", "input": "list files", "tools": [SHELL]})
        done = [d["item"] for n, d in events if n == "response.output_item.done"]
        self.assertEqual(len(done), 1)
        self.assertEqual((done[0]["type"], done[0]["call_id"], done[0]["name"]),
                         ("function_call", "tu_1", "shell"))
        self.assertEqual(json.loads(done[0]["arguments"]), {"command": "ls"})
        deltas = "".join(d["delta"] for n, d in events if n == "response.function_call_arguments.delta")
        self.assertEqual(deltas, done[0]["arguments"])

        second = {"model": "gpt-5", "tools": [SHELL], "input": [
            {"role": "user", "content": "list files"}, done[0],
            {"type": "function_call_output", "call_id": "tu_1", "output": "a.txt\nb.txt"}]}
        self.assertEqual(self.post(second).status, 200)
        state = self.upstream_state()
        [assistant] = [h["assistantResponseMessage"] for h in state["history"]
                       if "assistantResponseMessage" in h]
        self.assertEqual(assistant["toolUses"][0]["input"], {"command": "ls"})
        context = state["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        self.assertEqual(context["toolResults"][0]["toolUseId"], "tu_1")
        self.assertIn("a.txt", json.dumps(context["toolResults"][0]["content"]))

    def test_a_custom_tool_is_answered_as_a_custom_tool_call_with_its_raw_input(self):
        patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch"
        arguments = json.dumps({"input": patch})
        self.fake.script(generate=[{"events": [*tool_events("tu_p", "apply_patch",
                                                            [arguments[:20], arguments[20:]]),
                                               metadata(stop="TOOL_USE")]}])
        events = self.stream({"model": "gpt-5", "input": "add hello.txt", "tools": [APPLY_PATCH, SHELL]})
        [item] = [d["item"] for n, d in events if n == "response.output_item.done"]
        self.assertEqual((item["type"], item["name"], item["input"]), ("custom_tool_call", "apply_patch", patch))
        self.assertEqual([d["input"] for n, d in events if n == "response.custom_tool_call_input.done"], [patch])
        self.assertNotIn("response.function_call_arguments.delta", [n for n, _ in events])
        spec = next(t["toolSpecification"] for t in self.upstream_state()["currentMessage"]["userInputMessage"]
                    ["userInputMessageContext"]["tools"] if t["toolSpecification"]["name"] == "apply_patch")
        self.assertEqual(spec["inputSchema"]["json"]["required"], ["input"])
        self.assertIn("*** Begin Patch", spec["description"])

        second = {"model": "gpt-5", "tools": [APPLY_PATCH], "input": [
            {"role": "user", "content": "add hello.txt"}, item,
            {"type": "custom_tool_call_output", "call_id": "tu_p", "output": "Done!"}]}
        self.assertEqual(self.post(second).status, 200)
        history = self.upstream_state()["history"]
        uses = [h["assistantResponseMessage"]["toolUses"] for h in history if "assistantResponseMessage" in h]
        self.assertEqual(uses[0][0]["input"], {"input": patch})

    def test_namespaced_tools_are_flattened_up_and_restored_down(self):
        self.fake.script(generate=[{"events": [*tool_events("tu_n", "crm__lookup", ['{"q":"ada"}']),
                                               metadata(stop="TOOL_USE")]}])
        body = self.post({"model": "gpt-5", "input": "find ada", "tools": [NAMESPACE]}).json()
        [call] = body["output"]
        self.assertEqual((call["type"], call["name"], call["namespace"]), ("function_call", "lookup", "crm"))
        names = [t["toolSpecification"]["name"] for t in self.upstream_state()["currentMessage"]
                 ["userInputMessage"]["userInputMessageContext"]["tools"]]
        self.assertEqual(names, ["crm__lookup"])

    def test_roles_and_reasoning_items_in_the_input(self):
        r = self.post({"model": "gpt-5", "instructions": "First.", "input": [
            {"type": "message", "role": "developer", "content": "Second."},
            {"role": "user", "content": "q1"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thought"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "a1"}]},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"role": "user", "content": "q2"}], "tools": [{"type": "web_search"}]})
        self.assertEqual(r.status, 200, r.body)
        text = json.dumps(self.upstream_state())
        self.assertLess(text.index("First."), text.index("Second."))
        self.assertIn("thought", text)

    def test_reasoning_is_requested_answered_with_its_signature_and_replayed(self):
        from test_client_sdks import fake_signature, reasoning_event
        self.fake.script(generate=[{"events": [reasoning_event("Think first."), text_event("Done."), metadata()]}])
        body = self.post({"model": "claude-opus-4-6", "input": "q", "reasoning": {"effort": "xhigh"}}).json()
        reasoning, message = body["output"]
        self.assertEqual(reasoning["type"], "reasoning")
        self.assertEqual(reasoning["summary"], [{"type": "summary_text", "text": "Think first."}])
        self.assertEqual(reasoning["encrypted_content"], fake_signature("Think first."))
        self.assertEqual(body["reasoning"], {"effort": "xhigh"})
        self.assertGreater(body["usage"]["output_tokens_details"]["reasoning_tokens"], 0)
        first = self.fake.requests()["generate"][-1]["body"]
        self.assertEqual(first["additionalModelRequestFields"], {"output_config": {"effort": "high"}})

        second = {"model": "claude-opus-4-6", "reasoning": {"effort": "xhigh"},
                  "input": [{"role": "user", "content": "q"}, reasoning, message,
                            {"role": "user", "content": "q2"}]}
        self.assertEqual(self.post(second).status, 200)
        [assistant] = [h["assistantResponseMessage"] for h in self.upstream_state()["history"]
                       if "assistantResponseMessage" in h]
        self.assertEqual(assistant["reasoningContent"],
                         {"reasoningText": {"text": "Think first.", "signature": fake_signature("Think first.")}})

        # A model without native efforts thinks through prompt tags, and gets history as text.
        self.assertEqual(self.post(dict(second, model="gpt-5")).status, 200)
        state = self.upstream_state()
        self.assertIn("<thinking>Think first.</thinking>", json.dumps(state["history"]))
        self.assertIn("<thinking_mode>enabled", json.dumps(state))
        self.assertNotIn("additionalModelRequestFields", self.fake.requests()["generate"][-1]["body"])

    def search_then_answer(self, query="amq2api"):
        self.fake.script(generate=[
            {"events": [*tool_events("ws_1", "web_search", [json.dumps({"query": query})]),
                        metadata(stop="TOOL_USE")]},
            {"events": [text_event("Found it."), metadata()]}])

    def test_web_search_is_run_and_shown_as_a_web_search_call(self):
        self.search_then_answer()
        body = self.post({"model": "gpt-5", "input": "search amq2api", "tools": [{"type": "web_search"}]}).json()
        call, message = body["output"]
        self.assertEqual((call["type"], call["status"], call["action"]),
                         ("web_search_call", "completed", {"type": "search", "query": "amq2api"}))
        self.assertEqual(message["content"][0]["text"], "Found it.")
        self.assertEqual(len(self.fake.requests()["mcp"]), 1)

        self.search_then_answer()
        events = self.stream({"model": "gpt-5", "input": "search amq2api", "tools": [{"type": "web_search"}]})
        added = [d for n, d in events if n == "response.output_item.added"]
        self.assertEqual([(d["output_index"], d["item"]["type"]) for d in added],
                         [(0, "web_search_call"), (1, "message")])
        self.assertEqual(events[-1][1]["response"]["output"][0]["action"]["query"], "amq2api")

    def test_an_upstream_cut_is_announced_as_incomplete(self):
        self.fake.script(generate=[{"events": [text_event("partial"), metadata(stop="MAX_TOKENS")]}])
        events = self.stream({"model": "gpt-5", "input": "write a lot", "max_output_tokens": 50})
        name, data = events[-1]
        self.assertEqual(name, "response.incomplete")
        self.assertEqual(data["response"]["incomplete_details"], {"reason": "max_output_tokens"})
        self.assertEqual(data["response"]["max_output_tokens"], 50)

    def test_an_exception_mid_stream_fails_the_response(self):
        self.fake.script(generate=[{"events": [
            text_event("par"),
            {"exception": "ThrottlingException", "payload": {"message": "Too many requests"}}]}])
        events = self.stream({"model": "gpt-5", "input": "hi"})
        name, data = events[-1]
        self.assertEqual(name, "response.failed")
        self.assertEqual(data["response"]["status"], "failed")
        self.assertEqual(data["response"]["error"]["code"], "rate_limit_exceeded")

    def test_bad_requests_are_openai_shaped_400s(self):
        cases = [
            ({"input": "hi"}, "model"),
            ({"model": "gpt-5"}, "input"),
            ({"model": "gpt-5", "input": "hi", "previous_response_id": "resp_1"}, "previous_response_id"),
            ({"model": "gpt-5", "input": [{"type": "item_reference", "id": "x"}]}, "input.0"),
            ({"model": "gpt-5", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
             "input.0: needs a non-empty string 'call_id'"),
            ({"model": "gpt-5", "input": "hi", "tools": [{"type": "file_search"}]}, "tools.0"),
            ({"model": "gpt-5", "input": "hi", "tools": [SHELL, SHELL]}, "a second tool named 'shell'"),
            ({"model": "gpt-5", "input": "hi", "tool_choice": {"type": "function", "name": "nope"}},
             "tool_choice"),
            ({"model": "gpt-5", "input": "hi", "reasoning": {"effort": "max"}}, "reasoning.effort"),
            ({"model": "gpt-5", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}},
             "text.format.schema"),
            ({"model": "gpt-5", "input": "hi", "temperature": "hot"}, "temperature"),
            ({"model": "gpt-5", "input": [{"role": "user", "content": [
                {"type": "input_image", "image_url": "https://example.com/a.png"}]}]}, "data: URL"),
        ]
        for body, expected in cases:
            with self.subTest(body=body):
                r = self.post(body)
                self.assertEqual(r.status, 400, r.body)
                error = r.json()["error"]
                self.assertEqual(error["type"], "invalid_request_error")
                self.assertIn(expected, error["message"])

    def test_a_prompt_too_long_has_the_context_length_code(self):
        r = self.post({"model": "gpt-5", "input": "x" * (700 * 1024)})
        self.assertIn(r.status, (400, 413), r.body)
        self.assertEqual(r.json()["error"]["code"], "context_length_exceeded")

    def test_a_session_header_keeps_one_upstream_conversation_when_the_body_names_none(self):
        def conversation(headers):
            r = self.daemon.request("POST", "/v1/responses", body={"model": "gpt-5", "input": "hi"},
                                    headers={"Authorization": f"Bearer {self.key}", **headers})
            self.assertEqual(r.status, 200, r.body)
            return self.upstream_state()["conversationId"]
        first = conversation({"session-id": "thread-1"})
        self.assertEqual(conversation({"session-id": "thread-1"}), first)
        self.assertEqual(conversation({"session_id": "thread-1"}), first)
        # Longer than a session id needs: no session, a fresh conversation each time.
        self.assertNotEqual(conversation({"session-id": "x" * 257}),
                            conversation({"session-id": "x" * 257}))

    def test_the_session_key_keeps_one_upstream_conversation(self):
        for _ in range(2):
            self.assertEqual(self.post({"model": "gpt-5", "input": "hi", "prompt_cache_key": "s-1"}).status, 200)
        self.assertEqual(self.post({"model": "gpt-5", "input": "hi", "prompt_cache_key": "s-2"}).status, 200)
        ids = [g["body"]["conversationState"]["conversationId"] for g in self.fake.requests()["generate"]]
        self.assertEqual(ids[0], ids[1])
        self.assertNotEqual(ids[1], ids[2])


if __name__ == "__main__":
    unittest.main()

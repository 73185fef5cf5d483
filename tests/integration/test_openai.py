"""POST /v1/chat/completions end to end: the real daemon against tests/fake_upstream."""

import json
import unittest

from harness import serving_daemon, sse_events
from test_messages import metadata, text_event, tool_events

CHAT = {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Say hello"}]}
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


class ChatCompletions(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon, self.key = serving_daemon(self)

    def post(self, body, key=None):
        return self.daemon.request("POST", "/v1/chat/completions", body=body,
                                   headers={"Authorization": f"Bearer {key or self.key}"})

    def chunks(self, body):
        r = self.post(dict(body, stream=True))
        self.assertEqual(r.status, 200, r.body)
        events = sse_events(r.body)
        self.assertEqual(events[-1][1], "[DONE]")
        return [data for _, data in events[:-1]]

    def last_upstream_state(self):
        return self.fake.requests()["generate"][-1]["body"]["conversationState"]

    def test_non_streamed_is_the_default(self):
        r = self.post(CHAT)
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["object"], "chat.completion")
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["model"], "gpt-4o")
        choice = body["choices"][0]
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertEqual(choice["message"]["content"], "Hello from the fake upstream.")
        self.assertEqual(choice["finish_reason"], "stop")
        self.assertEqual(body["usage"], {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
                                         "prompt_tokens_details": {"cached_tokens": 0}})
        state = self.last_upstream_state()
        self.assertIn("Be brief.", json.dumps(state))
        self.assertEqual(state["currentMessage"]["userInputMessage"]["modelId"], "claude-sonnet-4.5")

    def test_streamed_chunks(self):
        chunks = self.chunks(CHAT)
        self.assertEqual(chunks[0]["object"], "chat.completion.chunk")
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        self.assertEqual(text, "Hello from the fake upstream.")
        finishing = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
        self.assertEqual([c["choices"][0]["finish_reason"] for c in finishing], ["stop"])
        self.assertEqual(len({c["id"] for c in chunks}), 1)

    def test_include_usage_adds_a_usage_chunk(self):
        chunks = self.chunks(dict(CHAT, stream_options={"include_usage": True}))
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(chunks[-1]["usage"]["prompt_tokens"], 12)
        self.assertEqual(chunks[-1]["usage"]["total_tokens"], 19)

    def test_tool_call_round_trip(self):
        self.fake.script(generate=[{"events": [
            *tool_events("tu_w1", "get_weather", ['{"city"', ': "Paris"}']),
            *tool_events("tu_w2", "get_weather", ['{"city": "Oslo"}']),
            metadata(stop="TOOL_USE")]}])
        chunks = self.chunks(dict(CHAT, tools=TOOLS))
        calls = {}
        for c in chunks:
            for tc in (c["choices"][0]["delta"].get("tool_calls") or []) if c["choices"] else []:
                entry = calls.setdefault(tc["index"], {"id": None, "name": None, "args": ""})
                if "id" in tc:
                    entry["id"] = tc["id"]
                    entry["name"] = tc["function"]["name"]
                entry["args"] += tc["function"].get("arguments", "")
        self.assertEqual(sorted(calls), [0, 1])
        self.assertEqual(calls[0]["id"], "tu_w1")
        self.assertEqual(calls[0]["name"], "get_weather")
        self.assertEqual(json.loads(calls[0]["args"]), {"city": "Paris"})
        self.assertEqual(json.loads(calls[1]["args"]), {"city": "Oslo"})
        finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
        self.assertEqual(finish, ["tool_calls"])

        follow_up = dict(CHAT, tools=TOOLS, messages=CHAT["messages"] + [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "tu_w1", "type": "function", "function": {"name": "get_weather", "arguments": calls[0]["args"]}},
                {"id": "tu_w2", "type": "function", "function": {"name": "get_weather", "arguments": calls[1]["args"]}}]},
            {"role": "tool", "tool_call_id": "tu_w1", "content": "18C sunny"},
            {"role": "tool", "tool_call_id": "tu_w2", "content": "3C snow"}])
        r = self.post(follow_up)
        self.assertEqual(r.status, 200, r.body)
        state = self.last_upstream_state()
        results = state["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"]
        self.assertEqual([t["toolUseId"] for t in results], ["tu_w1", "tu_w2"])
        self.assertIn("18C sunny", json.dumps(results))
        uses = state["history"][-1]["assistantResponseMessage"]["toolUses"]
        self.assertEqual(uses[0]["input"], {"city": "Paris"})

    def test_error_after_first_byte_is_a_final_chunk_then_done(self):
        self.fake.script(generate=[{"events": [text_event("partial"), {
            "exception": "InternalServerException", "payload": {"message": "boom"}}]}])
        chunks = self.chunks(CHAT)
        self.assertIn("error", chunks[-1])
        self.assertIn("message", chunks[-1]["error"])

    def test_malformed_requests_get_openai_shaped_400s(self):
        cases = [
            (b"{nope", "request body"),
            ({"model": "gpt-4o"}, "messages"),
            (dict(CHAT, n=2), "n"),
            ({"model": "gpt-4o", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}, "image_url"),
            (dict(CHAT, tool_choice={"type": "function", "function": {"name": "missing"}}, tools=TOOLS),
             "tool_choice"),
        ]
        for body, needle in cases:
            r = self.post(body)
            self.assertEqual(r.status, 400, (body, r.body))
            error = r.json()["error"]
            self.assertEqual(set(error), {"message", "type", "param", "code"})
            self.assertEqual(error["type"], "invalid_request_error")
            self.assertIn(needle, error["message"])
        self.assertEqual(self.fake.stats()["generate"], 0)

    def test_data_url_images_reach_the_upstream(self):
        png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is it"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}]}]}
        self.assertEqual(self.post(body).status, 200)
        images = self.last_upstream_state()["currentMessage"]["userInputMessage"]["images"]
        self.assertEqual(images, [{"format": "png", "source": {"bytes": png}}])

    def test_missing_or_wrong_key_is_401(self):
        r = self.daemon.request("POST", "/v1/chat/completions", body=CHAT)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["type"], "authentication_error")
        r = self.post(CHAT, key="amq-wrong")
        self.assertEqual(r.status, 401)
        self.assertIn("message", r.json()["error"])


if __name__ == "__main__":
    unittest.main()

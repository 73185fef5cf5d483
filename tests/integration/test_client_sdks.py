"""Real clients against the real daemon and tests/fake_upstream: the OpenAI Node SDK's
responses.create / responses.stream, the Anthropic Node SDK with native reasoning and
prompt-cache usage, and the Codex CLI (`codex exec`, wire_api "responses"). The clients come from npm at pinned versions
(`make test-deps` puts them under .deps/, and npm brings node); a missing one fails the test
with the command that installs it."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import serving_daemon
from test_messages import metadata, text_event, tool_events

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SDK_MODULES = os.environ.get("AMQ_SDK_NODE_PATH", os.path.join(ROOT, ".deps", "sdk", "node_modules"))
SCRIPTS = os.path.join(os.path.dirname(__file__), "sdk")
CODEX = os.environ.get("AMQ_CODEX", os.path.join(ROOT, ".deps", "codex", "node_modules", ".bin", "codex"))


def fake_signature(text):
    """The signature tests/fake_upstream gives reasoning it "made" (generate_checks.hpp)."""
    return "fake-sig:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def reasoning_event(text, signed=True):
    payload = {"text": text}
    if signed:
        payload["signature"] = fake_signature(text)
    return {"event": "reasoningContentEvent", "payload": payload}


def require_node():
    if not shutil.which("node"):
        raise AssertionError("node is not installed: run `make test-deps` (it installs npm and node)")


def require_node_module(name):
    if not os.path.isdir(os.path.join(SDK_MODULES, name)):
        raise AssertionError(f"{name} is not installed under {SDK_MODULES}: run `make test-deps`")


class ClientTestCase(unittest.TestCase):
    def setUp(self):
        self.fake, self.daemon, self.key = serving_daemon(self)

    def node(self, script, scenario):
        require_node()
        env = dict(os.environ, NODE_PATH=SDK_MODULES, AMQ_BASE_URL=f"http://127.0.0.1:{self.daemon.port}",
                   AMQ_KEY=self.key)
        r = subprocess.run(["node", os.path.join(SCRIPTS, script), scenario], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def generate_bodies(self):
        return [g["body"] for g in self.fake.requests()["generate"]]


class OpenAiSdkResponses(ClientTestCase):
    def setUp(self):
        require_node_module("openai")
        super().setUp()

    def test_create_returns_the_text_and_usage(self):
        self.fake.script(generate=[{"events": [text_event("Hello "), text_event("there."),
                                               metadata(inp=40, out=3, read=60)]}])
        out = self.node("openai_responses.js", "create")
        self.assertTrue(out["id"].startswith("resp_"))
        self.assertEqual(out["status"], "completed")
        self.assertEqual(out["output_text"], "Hello there.")
        self.assertEqual(out["usage"]["input_tokens"], 100)
        self.assertEqual(out["usage"]["input_tokens_details"]["cached_tokens"], 60)
        self.assertIn("Be brief.", json.dumps(self.generate_bodies()[-1]))

    def test_stream_delivers_the_events_and_the_final_response(self):
        self.fake.script(generate=[{"events": [text_event("Hel"), text_event("lo"), metadata()]}])
        out = self.node("openai_responses.js", "stream")
        self.assertEqual(out["types"][0], "response.created")
        self.assertEqual(out["types"][-1], "response.completed")
        self.assertEqual(out["types"].count("response.output_text.delta"), 2)
        self.assertEqual((out["deltas"], out["output_text"], out["status"]), ("Hello", "Hello", "completed"))

    def test_a_function_call_round_trip(self):
        self.fake.script(generate=[
            {"events": [*tool_events("tu_1", "shell", ['{"command":', '"ls"}']), metadata(stop="TOOL_USE")]},
            {"events": [text_event("There is a.txt."), metadata()]}])
        out = self.node("openai_responses.js", "tool_round_trip")
        self.assertEqual(out["call"], {"name": "shell", "call_id": "tu_1", "arguments": {"command": "ls"}})
        self.assertEqual(out["output_text"], "There is a.txt.")
        context = (self.generate_bodies()[-1]["conversationState"]["currentMessage"]
                   ["userInputMessage"]["userInputMessageContext"])
        self.assertEqual(context["toolResults"][0]["toolUseId"], "tu_1")

    def test_a_refused_field_is_an_sdk_error_with_the_reason(self):
        out = self.node("openai_responses.js", "bad_request")
        self.assertEqual(out["status"], 400)
        self.assertEqual(out["type"], "invalid_request_error")
        self.assertIn("previous_response_id", out["message"])



class AnthropicSdk(ClientTestCase):
    def setUp(self):
        require_node_module("@anthropic-ai/sdk")
        super().setUp()

    def script_thinking_turns(self):
        self.fake.script(generate=[
            {"events": [reasoning_event("Six sevens."), reasoning_event("Forty-two.", signed=False),
                        text_event("42."), metadata()]},
            {"events": [text_event("48."), metadata()]}])

    def test_thinking_is_requested_natively_streamed_with_signatures_and_replayed(self):
        self.script_thinking_turns()
        out = self.node("anthropic_messages.js", "thinking")
        self.assertNotIn("error", out)
        first = out["first"]
        # A signature ends its block: the unsigned reasoning after it is a block of its own.
        self.assertEqual([b["type"] for b in first], ["thinking", "thinking", "text"])
        self.assertEqual((first[0]["thinking"], first[1]["thinking"]), ("Six sevens.", "Forty-two."))
        self.assertEqual(first[0]["signature"], fake_signature("Six sevens."))
        self.assertFalse(first[1].get("signature"))
        self.assertIn("signature_delta", out["deltas"])
        self.assertEqual(out["second"], [{"type": "text", "text": "48.", "citations": None}]
                         if "citations" in out["second"][0] else [{"type": "text", "text": "48."}])
        bodies = self.generate_bodies()
        self.assertEqual(bodies[0]["additionalModelRequestFields"], {"output_config": {"effort": "medium"}})
        self.assertNotIn("thinking_mode", json.dumps(bodies[0]))
        # The fake refuses a signature it did not make for that text: its acceptance is the check.
        replayed = bodies[1]["conversationState"]["history"][-1]["assistantResponseMessage"]
        self.assertEqual(replayed["reasoningContent"]["reasoningText"]["signature"],
                         fake_signature("Six sevens."))
        self.assertEqual(replayed["content"], "<thinking>Forty-two.</thinking>\n\n42.")

    def test_a_tampered_signature_is_refused_upstream_with_its_reason(self):
        self.script_thinking_turns()
        out = self.node("anthropic_messages.js", "tampered")
        self.assertEqual(out["error"]["status"], 400)
        self.assertIn("THINKING_SIGNATURE_INVALID", out["error"]["message"])

    def test_a_web_search_runs_through_the_mcp_endpoint_and_the_turn_continues(self):
        self.fake.script(generate=[
            {"events": [text_event("Let me search."),
                        *tool_events("srv_1", "web_search", ['{"query": "amq2api news"}']),
                        metadata(stop="TOOL_USE")]},
            {"events": [text_event("It gained a Responses API [1]."), metadata()]}])
        out = self.node("anthropic_messages.js", "web_search")
        content = out["content"]
        self.assertEqual([b["type"] for b in content],
                         ["text", "server_tool_use", "web_search_tool_result", "text"])
        self.assertEqual(content[1]["input"], {"query": "amq2api news"})
        self.assertEqual(content[2]["tool_use_id"], "srv_1")
        self.assertEqual([r["url"] for r in content[2]["content"]],
                         ["https://example.com/1", "https://example.com/2"])
        self.assertEqual(content[3]["text"], "It gained a Responses API [1].")
        self.assertEqual(out["usage"]["server_tool_use"], {"web_search_requests": 1})
        self.assertEqual(out["stop_reason"], "end_turn")
        [search] = self.fake.requests()["mcp"]
        self.assertEqual(search["body"]["params"], {"name": "web_search",
                                                   "arguments": {"query": "amq2api news"}})
        first, second = self.generate_bodies()
        for body in (first, second):
            names = [t["toolSpecification"]["name"] for t in body["conversationState"]["currentMessage"]
                     ["userInputMessage"]["userInputMessageContext"]["tools"]]
            self.assertEqual(names, ["web_search"])
        context = second["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]
        self.assertEqual(context["toolResults"][0]["toolUseId"], "srv_1")
        self.assertIn("https://example.com/1", json.dumps(context["toolResults"]))
        self.assertEqual(second["conversationState"]["history"][-1]["assistantResponseMessage"]["toolUses"],
                         [{"toolUseId": "srv_1", "name": "web_search", "input": {"query": "amq2api news"}}])

    def test_cache_usage_is_consistent_over_a_session(self):
        self.fake.script(generate=[
            {"events": [text_event("1"), metadata(inp=50, out=2, read=0, written=1000)]},
            {"events": [text_event("2"), metadata(inp=20, out=2, read=1000, written=40)]},
            {"events": [text_event("3"), metadata(inp=10, out=2, read=1040, written=30)]}])
        usages = self.node("anthropic_messages.js", "cache_session")["usages"]
        reads = [u["cache_read_input_tokens"] for u in usages]
        writes = [u["cache_creation_input_tokens"] for u in usages]
        self.assertEqual(reads, [0, 1000, 1040])
        self.assertEqual(writes, [1000, 40, 30])
        self.assertEqual([u["input_tokens"] for u in usages], [50, 20, 10])
        totals = [u["input_tokens"] + r + w for u, r, w in zip(usages, reads, writes)]
        self.assertEqual(totals, sorted(totals))  # the context grows as Claude Code counts it
        ids = {b["conversationState"]["conversationId"] for b in self.generate_bodies()}
        self.assertEqual(len(ids), 1)



# A model entry of Codex's own catalog format: without one, Codex offers an unknown model no
# apply_patch tool. Short base instructions keep the requests small.
CODEX_CATALOG = {"models": [{
    "slug": "claude-sonnet-4", "display_name": "claude-sonnet-4", "apply_patch_tool_type": "freeform",
    "shell_type": "shell_command", "visibility": "list", "supported_in_api": True, "priority": 1,
    "context_window": 200000, "supported_reasoning_levels": [],
    "truncation_policy": {"mode": "tokens", "limit": 10000}, "supports_parallel_tool_calls": True,
    "input_modalities": ["text"], "experimental_supported_tools": [], "support_verbosity": False,
    "base_instructions": "You are a coding agent running in the Codex CLI. Use apply_patch to "
                         "edit files and exec_command to run commands."}]}

CODEX_CONFIG = """model_catalog_json = "{catalog}"
model = "claude-sonnet-4"
model_provider = "amq"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[model_providers.amq]
name = "amq2api"
base_url = "{base_url}/v1"
wire_api = "responses"
env_key = "AMQ_KEY"
request_max_retries = 0
stream_max_retries = 0
"""


class CodexCli(ClientTestCase):
    """codex exec against the daemon, as a user would point Codex at it: a custom provider with
    wire_api = "responses" (docs/translation.md §7)."""

    def setUp(self):
        if not os.access(CODEX, os.X_OK):
            raise AssertionError(f"the Codex CLI is not installed at {CODEX}: run `make test-deps`")
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="amq-codex-home-", dir=self.daemon.root)
        self.work = tempfile.mkdtemp(prefix="amq-codex-work-", dir=self.daemon.root)
        # Codex works in git repositories: give it one rather than switch its check off.
        subprocess.run(["git", "init", "-q", self.work], check=True)
        catalog = os.path.join(self.home, "catalog.json")
        with open(catalog, "w") as f:
            json.dump(CODEX_CATALOG, f)
        with open(os.path.join(self.home, "config.toml"), "w") as f:
            f.write(CODEX_CONFIG.format(catalog=catalog, base_url=f"http://127.0.0.1:{self.daemon.port}"))

    def codex(self, *args):
        env = dict(os.environ, CODEX_HOME=self.home, AMQ_KEY=self.key, NO_COLOR="1")
        r = subprocess.run([CODEX, "exec", *args], cwd=self.work, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        return r.stdout.strip()

    def test_a_plain_answer(self):
        self.fake.script(generate=[{"events": [text_event("Hello from "), text_event("amq2api."), metadata()]}])
        self.assertEqual(self.codex("say hello"), "Hello from amq2api.")
        [body] = self.generate_bodies()
        tools = [t["toolSpecification"]["name"] for t in body["conversationState"]["currentMessage"]
                 ["userInputMessage"]["userInputMessageContext"]["tools"]]
        self.assertIn("apply_patch", tools)
        self.assertIn("exec_command", tools)

    def test_a_function_call_runs_the_command(self):
        self.fake.script(generate=[
            {"events": [*tool_events("tu_sh", "exec_command", ['{"cmd": "echo codex-was-here > marker.txt"}']),
                        metadata(stop="TOOL_USE")]},
            {"events": [text_event("Wrote marker.txt."), metadata()]}])
        self.assertEqual(self.codex("write a marker"), "Wrote marker.txt.")
        with open(os.path.join(self.work, "marker.txt")) as f:
            self.assertEqual(f.read(), "codex-was-here\n")
        context = (self.generate_bodies()[-1]["conversationState"]["currentMessage"]
                   ["userInputMessage"]["userInputMessageContext"])
        self.assertEqual(context["toolResults"][0]["toolUseId"], "tu_sh")

    def test_an_apply_patch_edit_is_applied(self):
        patch = "*** Begin Patch\n*** Add File: hello.txt\n+Hello from apply_patch\n*** End Patch"
        arguments = json.dumps({"input": patch})
        self.fake.script(generate=[
            {"events": [*tool_events("tu_p", "apply_patch", [arguments[:25], arguments[25:]]),
                        metadata(stop="TOOL_USE")]},
            {"events": [text_event("Created hello.txt."), metadata()]}])
        self.assertEqual(self.codex("create hello.txt"), "Created hello.txt.")
        with open(os.path.join(self.work, "hello.txt")) as f:
            self.assertEqual(f.read(), "Hello from apply_patch\n")
        history = self.generate_bodies()[-1]["conversationState"]["history"]
        uses = [h["assistantResponseMessage"].get("toolUses") for h in history if "assistantResponseMessage" in h]
        self.assertIn([{"toolUseId": "tu_p", "name": "apply_patch", "input": {"input": patch}}], uses)

    def test_a_session_resumed_keeps_its_history_and_conversation(self):
        self.fake.script(generate=[{"events": [text_event("The first answer."), metadata()]},
                                   {"events": [text_event("The second answer."), metadata()]}])
        self.assertEqual(self.codex("first question"), "The first answer.")
        self.assertEqual(self.codex("resume", "--last", "second question"), "The second answer.")
        first, second = self.generate_bodies()
        self.assertIn("The first answer.", json.dumps(second["conversationState"]["history"]))
        self.assertIn("second question", second["conversationState"]["currentMessage"]["userInputMessage"]["content"])
        self.assertEqual(first["conversationState"]["conversationId"],
                         second["conversationState"]["conversationId"])


if __name__ == "__main__":
    unittest.main()

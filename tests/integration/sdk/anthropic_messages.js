// Drives POST /v1/messages with the real Anthropic Node SDK (CommonJS, found through
// NODE_PATH): node anthropic_messages.js <scenario>, with AMQ_BASE_URL and AMQ_KEY set. Prints
// one JSON object of what the SDK made of the answers; test_client_sdks.py checks it.
"use strict";
const Anthropic = require("@anthropic-ai/sdk");

const client = new Anthropic({ baseURL: process.env.AMQ_BASE_URL, apiKey: process.env.AMQ_KEY,
                               maxRetries: 0 });
const MODEL = "claude-opus-4-6";
const THINKING = { type: "enabled", budget_tokens: 10000 };

// A streamed first turn with thinking, then a second turn that replays its content — as is,
// or with the thinking signature altered.
async function two_turns(tamper) {
  const first_messages = [{ role: "user", content: "What is 6 x 7?" }];
  const stream = client.messages.stream({ model: MODEL, max_tokens: 2000, thinking: THINKING,
                                          messages: first_messages });
  const deltas = [];
  stream.on("streamEvent", (event) => {
    if (event.type === "content_block_delta") deltas.push(event.delta.type);
  });
  const first = await stream.finalMessage();
  const content = first.content.map((block) =>
    tamper && block.type === "thinking" ? { ...block, signature: block.signature + "x" } : block);
  const messages = [...first_messages, { role: "assistant", content },
                    { role: "user", content: "And 6 x 8?" }];
  try {
    const second = await client.messages.create({ model: MODEL, max_tokens: 2000,
                                                  thinking: THINKING, messages });
    return { first: first.content, deltas, second: second.content };
  } catch (e) {
    return { first: first.content, deltas, error: { status: e.status, message: e.message } };
  }
}

const scenarios = {
  async web_search() {
    const stream = client.messages.stream({
      model: "claude-sonnet-4-5", max_tokens: 1000,
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }],
      messages: [{ role: "user", content: "What is new in amq2api?" }] });
    const message = await stream.finalMessage();
    return { content: message.content, usage: message.usage, stop_reason: message.stop_reason };
  },
  thinking: () => two_turns(false),
  tampered: () => two_turns(true),
  async cache_session() {
    const messages = [];
    const usages = [];
    for (const question of ["one", "two", "three"]) {
      messages.push({ role: "user", content: question });
      const answer = await client.messages.create(
        { model: "claude-sonnet-4-5", max_tokens: 500, system: "Be brief.", messages },
        { headers: { "X-Claude-Code-Session-Id": "sess-cache-1" } });
      usages.push(answer.usage);
      messages.push({ role: "assistant", content: answer.content });
    }
    return { usages };
  },
};

scenarios[process.argv[2]]().then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });

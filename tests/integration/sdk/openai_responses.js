// Drives POST /v1/responses with the real OpenAI Node SDK (CommonJS, found through NODE_PATH):
// node openai_responses.js <scenario>, with AMQ_BASE_URL and AMQ_KEY set. Prints one JSON
// object of what the SDK made of the answer; test_client_sdks.py checks it.
"use strict";
const OpenAI = require("openai");

const client = new OpenAI({ baseURL: process.env.AMQ_BASE_URL + "/v1", apiKey: process.env.AMQ_KEY,
                            maxRetries: 0 });
const SHELL = { type: "function", name: "shell", description: "Run a command", strict: false,
                parameters: { type: "object", properties: { command: { type: "string" } },
                              required: ["command"] } };

// The text of a response's messages (the SDK adds output_text only to create()'s result).
function text_of(response) {
  return response.output.filter((item) => item.type === "message")
    .flatMap((item) => item.content).filter((part) => part.type === "output_text")
    .map((part) => part.text).join("");
}

const scenarios = {
  async create() {
    const r = await client.responses.create({ model: "gpt-5", instructions: "Be brief.",
                                              input: "Say hello" });
    return { id: r.id, status: r.status, output_text: r.output_text, usage: r.usage };
  },
  async stream() {
    const stream = client.responses.stream({ model: "gpt-5", input: "Say hello" });
    const types = [];
    let deltas = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    return { types, deltas, output_text: text_of(final), status: final.status,
             usage: final.usage };
  },
  async tool_round_trip() {
    const input = [{ role: "user", content: "list files" }];
    const first = await client.responses.create({ model: "gpt-5", input, tools: [SHELL],
                                                  stream: false });
    const call = first.output.find((item) => item.type === "function_call");
    input.push(call, { type: "function_call_output", call_id: call.call_id, output: "a.txt" });
    const second = await client.responses.stream({ model: "gpt-5", input, tools: [SHELL] })
                                         .finalResponse();
    return { call: { name: call.name, call_id: call.call_id, arguments: JSON.parse(call.arguments) },
             output_text: text_of(second) };
  },
  async bad_request() {
    try {
      await client.responses.create({ model: "gpt-5", input: "hi", previous_response_id: "resp_x" });
      return { error: null };
    } catch (e) {
      return { status: e.status, message: e.message, type: e.type };
    }
  },
};

scenarios[process.argv[2]]().then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });

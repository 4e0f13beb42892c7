// Loopback capture (harness/reporting/bug_repro_loopback.mjs, shared by the direct Node reproductions, put in place
// of their LOOPBACK line by harness/reporting/bug_repro.py): it records each request and answers a minimal valid
// completion (OpenAI SSE when the body streams, Anthropic SSE on /messages, JSON otherwise), so the
// library finishes its call normally; `loopbackFetch` sends a request meant for the real base URL there instead.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** A package from the install dir's node_modules (the command runs there), through its public entry point. */
async function load(name) {
  const root = join(process.cwd(), "node_modules", ...name.split("/"));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const entry = pkg.exports?.["."]?.import ?? pkg.exports?.["."]?.default ?? pkg.main ?? "index.js";
  return import(pathToFileURL(join(root, entry)).href);
}

const CAPTURED = [];
let CHUNKS = null; // the stream to answer with: a usage case's own chunks, else a minimal answer
const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
const chunk = (model, choice, extra = {}) => ({ id: "r", object: "chat.completion.chunk", created: 0, model, choices: [{ index: 0, ...choice }], ...extra });
function anthropicEvents(model) {
  const u = { input_tokens: 1, output_tokens: 1 };
  return [
    { type: "message_start", message: { id: "msg_r", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: u } },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } },
    { type: "message_stop" },
  ];
}
const server = createServer((req, res) => {
  const parts = [];
  req.on("data", (d) => parts.push(d));
  req.on("end", () => {
    const text = Buffer.concat(parts).toString("utf8");
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    CAPTURED.push(body);
    const model = body?.model ?? "";
    if (req.url.endsWith("/messages")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(anthropicEvents(model).map((ev) => `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`).join(""));
    } else if (body?.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunks = CHUNKS ?? [chunk(model, { delta: { role: "assistant", content: "ok" }, finish_reason: null }),
        chunk(model, { delta: {}, finish_reason: "stop" }, { usage })];
      res.end(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n");
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "r", object: "chat.completion", created: 0, model, usage,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] }));
    }
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const LOOPBACK = `http://127.0.0.1:${server.address().port}`;
const realFetch = globalThis.fetch;
// The library keeps its real base URL (it may decide by it); only the request goes to the loopback server.
const loopbackFetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const there = LOOPBACK + url.pathname + url.search;
  return input instanceof Request ? realFetch(new Request(there, input), init) : realFetch(there, init);
};

/** Runs the library call, then prints the one request body it sent (or `show` of the call's result) as JSON, and exits. */
async function printCaptured(call, show = () => CAPTURED[0]) {
  let failed; let result;
  try { result = await call(); } catch (e) { failed = e; } // the request left the library: it is what the report is about
  server.close();
  if (CAPTURED.length !== 1) {
    process.stderr.write(`expected one request on the loopback server, got ${CAPTURED.length} (${failed?.message ?? failed})\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(show(result) ?? null, null, 2) + "\n");
  process.exit(0);
}

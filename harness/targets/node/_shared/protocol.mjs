// kimi-conformance target protocol 2 for the Node workers, implemented once (imported by every
// harness/targets/node/<target>/worker.mjs as "../_shared/protocol.mjs"; the installer copies this
// folder beside the worker's, so the same relative import resolves in the install dir).
//
// Protocol (JSON lines): a worker starts as `node worker.mjs` with cwd = its install dir. One line
// {"ready": true, "protocol": 2, "versions": {...}} on stdout, then exactly one stdout line per stdin
// line, echoing its id (the harness pairs answers by id):
//   {"id", "op": "transform", "case"}                -> {"id", "ok": true, "result": OUTBOUND} | {"id", "ok": false, "error"}
//   {"id", "op": "usage", "model", "cost", "chunks"} -> {"id", "ok": true, "result": <the library's usage>}
//   (a worker may add ops, e.g. OpenClaw's "config"; "__hang" / "__exit" test the harness's timeout
//   and crash handling)
// error.type: "case_error" (malformed case), "unsupported" (the library cannot express it), "crash".
// Everything else (the library's logs, console.*) goes to stderr.
//
// This module also holds the loopback capture server: a worker sends the library's requests to
// loopbackUrl(token) (by redirecting the library's fetch, see toLoopback), the server records them in
// the slot of that token (capture) and answers with SSE.
import http from "node:http";
import readline from "node:readline";

// ---- stdout guard: only protocol lines go to stdout ---------------------------------------
// Installed on import, i.e. before the body of the worker that imports this module runs.
const rawStdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
for (const k of ["log", "info", "debug", "trace", "dir", "table"]) {
  console[k] = (...args) => console.error(...args);
}
export function emit(obj) {
  rawStdoutWrite(JSON.stringify(obj) + "\n");
}

export class Unsupported extends Error {}
export class CaseError extends Error {}
export const unsupported = (m) => { throw new Unsupported(m); };
export const caseError = (m) => { throw new CaseError(m); };
export const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// ---- one loopback server; requests routed by a per-call token --------------------------------
export const TOKEN_HEADER = "x-kimi-conformance-token";
const pending = new Map(); // token -> slot { captured: [], urls: [], chunks | events, ... }
let seq = 0;
const server = http.createServer((rq, rs) => {
  const m = /^\/k\/([^/]+)(\/.*)?$/.exec(rq.url ?? "");
  const slot = m && pending.get(m[1]);
  const parts = [];
  rq.on("data", (d) => parts.push(d));
  rq.on("end", () => {
    if (!slot) { rs.writeHead(404, { "content-type": "application/json" }); rs.end("{}"); return; }
    const text = Buffer.concat(parts).toString("utf8");
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    slot.captured.push({ method: rq.method, path: m[2] ?? "/", headers: rq.headers, body });
    if (slot.json) { // a non-streamed call (the Vercel AI SDK's generateText): one JSON completion
      rs.writeHead(200, { "content-type": "application/json" });
      rs.end(JSON.stringify(slot.json));
      return;
    }
    rs.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    if (slot.events) { // named events (Anthropic Messages): an event line and a data line each
      for (const ev of slot.events) rs.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
      rs.end();
      return;
    }
    for (const c of slot.chunks) rs.write(`data: ${JSON.stringify(c)}\n\n`);
    rs.end("data: [DONE]\n\n");
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const loopbackOrigin = `http://127.0.0.1:${server.address().port}`;

export const newToken = () => `t${++seq}`;
export const slotOf = (token) => pending.get(token);
export const loopbackUrl = (token) => `${loopbackOrigin}/k/${token}`;

/** Send a library request for `base` + path to the loopback slot of `token` through `fetchFn`. */
export function toLoopback(input, init, { base, token, fetchFn }) {
  const url = input instanceof Request ? input.url : String(input);
  pending.get(token)?.urls.push(url);
  if (!url.startsWith(base)) throw new Error(`worker: unexpected outbound URL ${url}`);
  const rewritten = loopbackUrl(token) + url.slice(base.length);
  if (input instanceof Request) return fetchFn(new Request(rewritten, input), init);
  return fetchFn(rewritten, init);
}

/** An OpenAI chat-completions stream answering one case: "ok", then stop with a small usage. */
export function defaultChunks(modelId) {
  return [
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: { role: "assistant", content: "ok" }, finish_reason: null }] },
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
  ];
}

/** Run one library call under `token`: `start()` returns the library's event stream; the slot
 * (its answer: `chunks` or `events`) receives what the library sent. -> {slot, final, error} */
export async function capture(token, slot, start) {
  slot.captured = [];
  slot.urls = [];
  pending.set(token, slot);
  let final; let error;
  try {
    const stream = await start();
    for await (const ev of stream) {
      if (ev.type === "done") final = ev.message;
      else if (ev.type === "error") error = ev.error;
    }
  } finally {
    pending.delete(token);
  }
  return { slot, final, error };
}

const SKIP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", TOKEN_HEADER]);
const REDACTED = { authorization: "Bearer <redacted>", "x-api-key": "<redacted>" };

/** The OUTBOUND of one captured request (hop-by-hop headers dropped, credentials redacted). */
export function buildOutbound(cap, url) {
  const headers = {};
  for (const [k, v] of Object.entries(cap.headers)) {
    const key = k.toLowerCase();
    if (SKIP_HEADERS.has(key)) continue;
    headers[key] = REDACTED[key] ?? v;
  }
  return { method: cap.method, url, headers, body: cap.body };
}

/** The "transform" result of a capture: the single request `lib` sent. stream_options belongs to
 * the library (`decider`): a case asking for something else than it sends cannot be expressed;
 * asking for exactly what it sends is fine (idempotence replays). */
export function transformResult({ slot, error }, asked, lib, decider = lib) {
  if (slot.captured.length === 0) caseError(`${lib} sent no request: ${error?.errorMessage ?? JSON.stringify(error ?? null)}`);
  if (slot.captured.length > 1) throw new Error(`${lib} sent ${slot.captured.length} requests for one case`);
  const out = buildOutbound(slot.captured[0], slot.urls[0]);
  const sent = JSON.stringify(out.body?.stream_options ?? null);
  if (asked !== undefined && sent !== JSON.stringify(asked)) {
    unsupported(`stream_options is decided by ${decider}: the request asks ${JSON.stringify(asked)}, ${lib} sends ${sent}`);
  }
  return out;
}

/** The "usage" op: the library's usage for a stream of `msg.chunks`, via `run(case, chunks)`. */
export async function usageResult(msg, lib, run) {
  if (!Array.isArray(msg.chunks)) caseError("usage: chunks must be an array");
  const c = { model: `moonshot/${msg.model ?? "kimi-k2.6"}`, request: { messages: [{ role: "user", content: "hi" }] }, __cost: msg.cost };
  const { final, error, slot } = await run(c, msg.chunks);
  if (!slot.captured.length) caseError(`${lib} sent no request: ${error?.errorMessage ?? "?"}`);
  const message = final ?? error;
  if (!message?.usage) caseError(`${lib} reported no usage (${error?.errorMessage ?? "no final message"})`);
  return message.usage;
}

// ---- main loop ------------------------------------------------------------------------------
const CASE_TIMEOUT_MS = Number(process.env.KIMI_CONFORMANCE_CASE_TIMEOUT_MS ?? 30000);

async function handle(line, ops) {
  let msg;
  try { msg = JSON.parse(line); } catch (e) {
    emit({ id: null, ok: false, error: { type: "case_error", message: `bad JSON line: ${e.message}` } });
    return;
  }
  const id = msg?.id ?? null;
  let timer;
  try {
    // __hang / __exit: test hooks for the harness's timeout and crash handling.
    const work = Object.hasOwn(ops, msg.op) ? Promise.resolve().then(() => ops[msg.op](msg))
      : msg.op === "__hang" ? (() => { for (;;) {} })() : msg.op === "__exit" ? process.exit(3)
      : Promise.reject(new CaseError(`unknown op ${JSON.stringify(msg.op)}`));
    const timeout = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`case timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS); });
    const result = await Promise.race([work, timeout]);
    emit({ id, ok: true, result });
  } catch (e) {
    const type = e instanceof Unsupported ? "unsupported" : e instanceof CaseError ? "case_error" : "crash";
    if (type === "crash") console.error(`[worker] crash on id ${id}:`, e?.stack ?? e);
    emit({ id, ok: false, error: { type, message: String(e?.message ?? e) } });
  } finally {
    clearTimeout(timer);
  }
}

/** Serve protocol 2: `ops` maps op names to async handlers of the parsed line; `warmUp` (optional)
 * runs before the ready line, so the start-up budget pays for lazy loading, not the first case. */
export async function serve({ ops, versions, warmUp }) {
  process.on("unhandledRejection", (e) => console.error("[worker] unhandledRejection:", e?.stack ?? e));
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    chain = chain.then(() => handle(line, ops));
  });
  rl.on("close", () => {
    chain.then(() => { server.close(); process.exit(0); });
  });
  if (warmUp) {
    try {
      await warmUp();
    } catch (e) {
      console.error("[worker] warm-up failed:", e?.stack ?? e);
    }
  }
  emit({ ready: true, protocol: 2, versions: { ...versions, node: process.versions.node } });
}

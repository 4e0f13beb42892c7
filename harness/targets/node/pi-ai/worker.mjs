// kimi-conformance worker for the REAL @mariozechner/pi-ai (npm, pinned in package.json).
//
// Protocol (JSON lines), the same as the OpenClaw worker: start as `node worker.mjs` with
// cwd = the install dir. One line {"ready": true, "protocol": 2, "versions": {...}} on stdout, then
// exactly one stdout line per stdin line, echoing its id (target protocol 2, paired by id):
//   {"id", "op": "transform", "case"}               -> {"id", "ok": true, "result": OUTBOUND} | {"id", "ok": false, "error"}
//   {"id", "op": "usage", "model", "cost", "chunks"} -> {"id", "ok": true, "result": <pi-ai usage>}
// error.type: "case_error" (malformed case), "unsupported" (pi-ai cannot express it), "crash".
//
// How a case is driven: pi-ai's own openai-completions provider (`streamSimpleOpenAICompletions`,
// what `streamSimple` dispatches to for api "openai-completions") with a Model object built
// from the case (real baseUrl, so pi-ai's URL-based Moonshot compat detection is the real one;
// `compat` only when the case's custom provider sets it). The /think level is pi-ai's
// `reasoning` option; temperature, max tokens and tool_choice are pi-ai options. Request fields
// pi-ai has no option for (top_p, n, stop, seed, thinking, store, user, ...) are set the only way a
// pi-ai caller can: the `onPayload` hook, which runs after pi-ai built the payload (pi-ai does
// no later processing). pi-ai has no configured params / extra body and no Moonshot thinking
// wrapper: cases with params.thinking or params.extra_body are "unsupported".
// kimi/ refs run through pi-ai's own kimi-coding model entry (getModel) and its Anthropic Messages
// transport (streamSimpleAnthropic); the loopback server answers those with Anthropic SSE events.
// The OpenAI SDK inside pi-ai fetches through globalThis.fetch; the worker rewrites the real
// URL onto one loopback server that captures the request and answers with SSE.
import http from "node:http";
import readline from "node:readline";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const rawStdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
for (const k of ["log", "info", "debug", "trace", "dir", "table"]) console[k] = (...a) => console.error(...a);
const emit = (obj) => rawStdoutWrite(JSON.stringify(obj) + "\n");

class Unsupported extends Error {}
class CaseError extends Error {}
const unsupported = (m) => { throw new Unsupported(m); };
const caseError = (m) => { throw new CaseError(m); };
const PKG_PATH = ["@mariozechner", "pi-ai"];
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// pi-ai is ESM-only (no "require" export): locate it in the install dir's node_modules.
const piRoot = join(process.cwd(), "node_modules", ...PKG_PATH);
const piVersion = JSON.parse(readFileSync(join(piRoot, "package.json"), "utf8")).version;
const completions = await import(pathToFileURL(join(piRoot, "dist", "providers", "openai-completions.js")).href);
const { streamSimpleOpenAICompletions } = completions;
// Kimi Coding: pi-ai's own model registry (provider "kimi-coding", api "anthropic-messages") and
// its Anthropic Messages transport, what `streamSimple` dispatches to for that api.
const { streamSimpleAnthropic } = await import(pathToFileURL(join(piRoot, "dist", "providers", "anthropic.js")).href);
// pi-ai's own model registry: kimi-coding, and the built-in Moonshot providers (global and China) a
// pi-ai user gets with getModel(); a custom provider is a Model object the user writes, as the worker does.
const { getModel } = await import(pathToFileURL(join(piRoot, "dist", "models.js")).href);
const REGISTRY_PROVIDER = { "https://api.moonshot.ai/v1": "moonshotai", "https://api.moonshot.cn/v1": "moonshotai-cn" };

// ---- one loopback server; requests routed by a per-call token ------------------------------
const pending = new Map();
let seq = 0;
const server = http.createServer((rq, rs) => {
  const m = /^\/k\/([^/]+)(\/.*)?$/.exec(rq.url ?? "");
  const slot = m && pending.get(m[1]);
  const parts = [];
  rq.on("data", (d) => parts.push(d));
  rq.on("end", () => {
    if (!slot) { rs.writeHead(404, { "content-type": "application/json" }); rs.end("{}"); return; }
    const text = Buffer.concat(parts).toString("utf8");
    let body; try { body = JSON.parse(text); } catch { body = text; }
    slot.captured.push({ method: rq.method, headers: rq.headers, body });
    rs.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    if (slot.anthropic) {  // Anthropic Messages events: event line + data line
      for (const ev of anthropicEvents(slot.modelId)) rs.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
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

const TOKEN_HEADER = "x-kimi-conformance-token";
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const h = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const token = h.get(TOKEN_HEADER);
  const slot = token && pending.get(token);
  if (!slot) throw new Error(`worker: refusing a real network request to ${url}`);
  slot.urls.push(url);
  if (!url.startsWith(slot.base)) throw new Error(`worker: unexpected outbound URL ${url}`);
  const rewritten = `${loopbackOrigin}/k/${token}` + url.slice(slot.base.length);
  if (input instanceof Request) return realFetch(new Request(rewritten, input), init);
  return realFetch(rewritten, init);
};

// ---- case -> pi-ai inputs -------------------------------------------------------------------
const NATIVE_BASE = "https://api.moonshot.ai/v1";
const ZERO_USAGE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };

function textOf(content, where) {
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content) && content.every((p) => isObj(p) && p.type === "text" && typeof p.text === "string")) return content.map((p) => p.text).join("");
  unsupported(`${where}: only string or text-part content can be expressed`);
}

function userContent(content, i) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) unsupported(`messages[${i}].content: must be a string or an array of parts`);
  return content.map((p, j) => {
    if (isObj(p) && p.type === "text" && typeof p.text === "string") return { type: "text", text: p.text };
    if (isObj(p) && p.type === "image_url") {
      const url = typeof p.image_url === "string" ? p.image_url : p.image_url?.url;
      const dm = /^data:([^;,]+);base64,(.*)$/s.exec(url ?? "");
      if (!dm) unsupported(`messages[${i}].content[${j}]: only data: image URLs can be expressed`);
      return { type: "image", mimeType: dm[1], data: dm[2] };
    }
    unsupported(`messages[${i}].content[${j}]: part type ${JSON.stringify(p?.type)} has no pi-ai equivalent`);
  });
}

function convertMessages(messages, model) {
  if (!Array.isArray(messages)) caseError("request.messages must be an array");
  let systemPrompt;
  const out = [];
  const toolNames = new Map();
  let ts = 1;
  messages.forEach((m, i) => {
    if (!isObj(m)) caseError(`messages[${i}] is not an object`);
    const allowed = { system: ["role", "content"], developer: ["role", "content"], user: ["role", "content"],
      assistant: ["role", "content", "tool_calls", "reasoning_content"], tool: ["role", "content", "tool_call_id", "name"] }[m.role];
    if (!allowed) unsupported(`messages[${i}].role ${JSON.stringify(m.role)} has no pi-ai equivalent`);
    const extra = Object.keys(m).filter((k) => !allowed.includes(k));
    if (extra.length) unsupported(`messages[${i}] (${m.role}) fields ${extra.join(", ")} have no pi-ai equivalent`);
    if (m.role === "system" || m.role === "developer") {
      if (out.length || systemPrompt !== undefined) unsupported(`messages[${i}]: pi-ai has a single system prompt (Context.systemPrompt); only one leading system/developer message can be expressed`);
      systemPrompt = textOf(m.content, `messages[${i}]`);
      return;
    }
    if (m.role === "user") { out.push({ role: "user", content: userContent(m.content, i), timestamp: ts++ }); return; }
    if (m.role === "assistant") {
      const content = [];
      if (m.reasoning_content != null) {
        if (typeof m.reasoning_content !== "string") caseError(`messages[${i}].reasoning_content must be a string`);
        content.push({ type: "thinking", thinking: m.reasoning_content, thinkingSignature: "reasoning_content" });
      }
      const text = textOf(m.content, `messages[${i}]`);
      if (text) content.push({ type: "text", text });
      const calls = m.tool_calls ?? [];
      if (!Array.isArray(calls)) caseError(`messages[${i}].tool_calls must be an array`);
      calls.forEach((tc, j) => {
        if (!isObj(tc) || (tc.type ?? "function") !== "function" || !isObj(tc.function)) unsupported(`messages[${i}].tool_calls[${j}]: only function tool calls can be expressed`);
        let args = tc.function.arguments ?? "{}";
        if (typeof args === "string") {
          try { args = JSON.parse(args || "{}"); } catch { unsupported(`messages[${i}].tool_calls[${j}]: arguments are not JSON (pi-ai stores parsed arguments)`); }
        }
        if (!isObj(args)) unsupported(`messages[${i}].tool_calls[${j}]: arguments must be a JSON object`);
        toolNames.set(tc.id, tc.function.name);
        content.push({ type: "toolCall", id: tc.id, name: tc.function.name, arguments: args });
      });
      // Same provider/api/model as the target model: pi-ai replays its own turns unchanged.
      out.push({ role: "assistant", content, api: model.api, provider: model.provider, model: model.id,
        usage: ZERO_USAGE, stopReason: calls.length ? "toolUse" : "stop", timestamp: ts++ });
      return;
    }
    const text = textOf(m.content, `messages[${i}]`);
    out.push({ role: "toolResult", toolCallId: m.tool_call_id, toolName: m.name ?? toolNames.get(m.tool_call_id) ?? "tool",
      content: [{ type: "text", text }], isError: false, timestamp: ts++ });
  });
  return { systemPrompt, messages: out };
}

function convertTools(tools) {
  if (tools == null) return undefined;
  if (!Array.isArray(tools)) caseError("request.tools must be an array");
  return tools.map((t, i) => {
    if (!isObj(t) || t.type !== "function" || !isObj(t.function)) unsupported(`tools[${i}]: only {"type": "function"} tools can be expressed`);
    const extra = Object.keys(t.function).filter((k) => !["name", "description", "parameters"].includes(k));
    if (extra.length) unsupported(`tools[${i}].function fields ${extra.join(", ")} are decided by pi-ai, not expressible`);
    return { name: t.function.name, ...(t.function.description !== undefined ? { description: t.function.description } : {}), parameters: t.function.parameters ?? { type: "object", properties: {} } };
  });
}

// request fields with a pi-ai option
const OPTION_FIELDS = { temperature: "temperature", max_tokens: "maxTokens", max_completion_tokens: "maxTokens", tool_choice: "toolChoice" };
const HANDLED = new Set(["model", "messages", "tools", "stream", "stream_options", ...Object.keys(OPTION_FIELDS)]);
const SKIP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", TOKEN_HEADER]);

function buildOutbound(cap, url) {
  const headers = {};
  for (const [k, v] of Object.entries(cap.headers)) {
    const key = k.toLowerCase();
    if (SKIP_HEADERS.has(key)) continue;
    headers[key] = key === "authorization" ? "Bearer <redacted>" : key === "x-api-key" ? "<redacted>" : v;
  }
  return { method: cap.method, url, headers, body: cap.body };
}

function anthropicEvents(modelId) {
  const usage = { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  return [
    { type: "message_start", message: { id: "msg_kc", type: "message", role: "assistant", model: modelId, content: [], stop_reason: null, stop_sequence: null, usage } },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } },
    { type: "message_stop" },
  ];
}

const KIMI_PREFIXES = new Set(["kimi", "kimi-coding"]);
// streamSimpleAnthropic keeps only buildBaseOptions' fields: no toolChoice among them, so a
// tool_choice cannot reach pi-ai's Anthropic transport through its public stream API.
const ANTHROPIC_HANDLED = new Set(["model", "messages", "tools", "stream", "max_tokens", "max_completion_tokens", "temperature"]);

// kimi/* refs: pi-ai's kimi-coding provider through its anthropic-messages transport.
async function runKimiCoding(c, modelId, token) {
  const registered = getModel("kimi-coding", modelId);
  if (!registered) unsupported(`pi-ai ${piVersion}'s kimi-coding provider has no model ${JSON.stringify(modelId)}`);
  if (c.provider != null) unsupported("a custom provider on a kimi/ ref: the worker drives pi-ai's own kimi-coding provider");
  const params = c.params ?? null;
  if (params && Object.values(params).some((v) => v !== null && v !== undefined)) unsupported("pi-ai has no configured per-model params");
  const request = c.request ?? {};
  if (!isObj(request)) caseError("case.request must be an object");
  if (request.stream === false) unsupported("stream: false — pi-ai's Anthropic transport always streams");
  const extra = Object.keys(request).filter((k) => !ANTHROPIC_HANDLED.has(k) && request[k] !== undefined && request[k] !== null);
  if (extra.length) unsupported(`request fields ${extra.join(", ")}: pi-ai's Anthropic transport has no option for them`);
  if (request.model !== undefined && request.model !== modelId) unsupported(`request.model ${JSON.stringify(request.model)} differs from the case model id ${modelId}`);
  const level = c.thinking ?? undefined;
  if (level !== undefined && !["off", "minimal", "low", "medium", "high", "xhigh"].includes(level)) caseError(`invalid thinking level ${JSON.stringify(level)}`);
  const model = { ...registered, headers: { ...(registered.headers ?? {}), [TOKEN_HEADER]: token } };
  const conv = convertMessages(request.messages ?? [], model);
  const context = { messages: conv.messages, ...(conv.systemPrompt !== undefined ? { systemPrompt: conv.systemPrompt } : {}) };
  const tools = convertTools(request.tools);
  if (tools) context.tools = tools;
  const options = { apiKey: "sk-kimi-conformance-0000", maxRetries: 0, ...(level && level !== "off" ? { reasoning: level } : {}) };
  if (request.max_tokens != null && request.max_completion_tokens != null && request.max_tokens !== request.max_completion_tokens) {
    unsupported("max_tokens and max_completion_tokens differ: the transport has a single maxTokens option");
  }
  const maxTokens = request.max_tokens ?? request.max_completion_tokens;
  if (maxTokens != null) options.maxTokens = maxTokens;
  if (request.temperature != null) options.temperature = request.temperature;
  const slot = { captured: [], urls: [], base: model.baseUrl.replace(/\/+$/, ""), anthropic: true, modelId };
  pending.set(token, slot);
  let final; let error;
  try {
    const stream = streamSimpleAnthropic(model, context, options);
    for await (const ev of stream) {
      if (ev.type === "done") final = ev.message;
      else if (ev.type === "error") error = ev.error;
    }
  } finally {
    pending.delete(token);
  }
  return { slot, final, error, request };
}

function defaultChunks(modelId) {
  return [
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: { role: "assistant", content: "ok" }, finish_reason: null }] },
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
  ];
}

async function runThroughPiAi(c, chunks) {
  if (!isObj(c)) caseError("case must be an object");
  const ref = c.model;
  if (typeof ref !== "string" || !ref) caseError(`case.model must be a model ref, got ${JSON.stringify(ref)}`);
  if (!ref.includes("/")) unsupported(`model alias ${JSON.stringify(ref)}: pi-ai has no alias table`);
  const slash = ref.indexOf("/");
  const refProvider = ref.slice(0, slash);
  const modelId = ref.slice(slash + 1);
  const prov = c.provider ?? null;
  if (prov !== null && !isObj(prov)) caseError("case.provider must be an object or null");
  if (KIMI_PREFIXES.has(refProvider) && (prov === null || KIMI_PREFIXES.has(prov.id))) return runKimiCoding(c, modelId, `t${++seq}`);
  if (prov === null && refProvider !== "moonshot") unsupported(`provider ${JSON.stringify(refProvider)}: pi-ai has no Kimi Coding provider; only moonshot/ refs (and custom providers) are driven`);
  const providerId = prov?.id ?? "moonshot";
  const api = prov?.api ?? "openai-completions";
  if (api !== "openai-completions") unsupported(`provider api ${JSON.stringify(api)}: the worker drives only openai-completions`);
  if (prov?.sanitizeToolCallIds === true) unsupported("provider.sanitizeToolCallIds: pi-ai has no tool-call id sanitization setting (false is its behaviour)");
  const extraProv = prov ? Object.keys(prov).filter((k) => !["id", "baseUrl", "api", "compat", "sanitizeToolCallIds"].includes(k)) : [];
  if (extraProv.length) unsupported(`provider fields ${extraProv.join(", ")} are not expressible`);
  const baseUrl = String(prov?.baseUrl ?? NATIVE_BASE).replace(/\/+$/, "");
  const level = c.thinking ?? undefined;
  if (level !== undefined && !["off", "minimal", "low", "medium", "high", "xhigh"].includes(level)) caseError(`invalid thinking level ${JSON.stringify(level)}`);
  const params = c.params ?? null;
  if (params !== null && !isObj(params)) caseError("case.params must be an object or null");
  if (params) {
    const set = Object.entries(params).filter(([, v]) => v !== null && v !== undefined).map(([k]) => k);
    if (set.length) unsupported(`params.${set.join(", params.")}: pi-ai has no configured per-model params (OpenClaw's agents.defaults.models[ref].params)`);
  }
  const request = c.request ?? {};
  if (!isObj(request)) caseError("case.request must be an object");
  if (request.stream === false) unsupported("stream: false — pi-ai's openai-completions provider always streams");
  if (request.model !== undefined && request.model !== modelId) unsupported(`request.model ${JSON.stringify(request.model)} differs from the case model id ${modelId}`);

  const token = `t${++seq}`;
  const registryProvider = providerId === "moonshot" && !prov?.compat ? REGISTRY_PROVIDER[baseUrl] : undefined;
  let model;
  if (registryProvider) {
    const registered = getModel(registryProvider, modelId);
    if (!registered) unsupported(`pi-ai's model registry has no ${registryProvider}/${modelId}`);
    model = { ...registered, headers: { ...(registered.headers ?? {}), [TOKEN_HEADER]: token },
      ...(c.__cost ? { cost: c.__cost } : {}) };
  } else {
    model = {
      id: modelId, name: modelId, api: "openai-completions", provider: providerId, baseUrl,
      reasoning: true, input: ["text", "image"],
      cost: c.__cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      contextWindow: 262144, maxTokens: 262144,
      headers: { [TOKEN_HEADER]: token },
      ...(prov?.compat ? { compat: structuredClone(prov.compat) } : {}),
    };
  }
  const conv = convertMessages(request.messages ?? [], model);
  const context = { messages: conv.messages, ...(conv.systemPrompt !== undefined ? { systemPrompt: conv.systemPrompt } : {}) };
  const tools = convertTools(request.tools);
  if (tools) context.tools = tools;

  const options = { apiKey: "sk-kimi-conformance-0000", maxRetries: 0, ...(level && level !== "off" ? { reasoning: level } : {}) };
  if (request.max_tokens != null && request.max_completion_tokens != null && request.max_tokens !== request.max_completion_tokens) {
    unsupported("max_tokens and max_completion_tokens differ: the transport has a single maxTokens option");
  }
  for (const [field, opt] of Object.entries(OPTION_FIELDS)) {
    if (request[field] !== undefined && request[field] !== null) options[opt] = request[field];
  }
  const injected = Object.fromEntries(Object.entries(request).filter(([k]) => !HANDLED.has(k)));
  if (Object.keys(injected).length) {
    options.onPayload = (payload) => { if (isObj(payload)) Object.assign(payload, structuredClone(injected)); return undefined; };
  }
  const slot = { captured: [], urls: [], base: baseUrl, chunks: chunks ?? defaultChunks(modelId) };
  pending.set(token, slot);
  let final; let error;
  try {
    const stream = streamSimpleOpenAICompletions(model, context, options);
    for await (const ev of stream) {
      if (ev.type === "done") final = ev.message;
      else if (ev.type === "error") error = ev.error;
    }
  } finally {
    pending.delete(token);
  }
  return { slot, final, error, request };
}

async function opTransform(msg) {
  const { slot, error } = await runThroughPiAi(msg.case, undefined);
  if (slot.captured.length === 0) caseError(`pi-ai sent no request: ${error?.errorMessage ?? JSON.stringify(error ?? null)}`);
  if (slot.captured.length > 1) throw new Error(`pi-ai sent ${slot.captured.length} requests for one case`);
  const out = buildOutbound(slot.captured[0], slot.urls[0]);
  // stream_options is pi-ai's (compat.supportsUsageInStreaming): a request asking for something
  // else cannot be expressed; asking for exactly what pi-ai sends is fine (idempotence replays).
  const asked = msg.case?.request?.stream_options;
  if (asked !== undefined && JSON.stringify(out.body?.stream_options ?? null) !== JSON.stringify(asked)) {
    unsupported(`stream_options is decided by pi-ai: the request asks ${JSON.stringify(asked)}, pi-ai sends ${JSON.stringify(out.body?.stream_options ?? null)}`);
  }
  return out;
}

async function opUsage(msg) {
  if (!Array.isArray(msg.chunks)) caseError("usage: chunks must be an array");
  const c = { model: `moonshot/${msg.model ?? "kimi-k2.6"}`, request: { messages: [{ role: "user", content: "hi" }] }, __cost: msg.cost };
  const { final, error, slot } = await runThroughPiAi(c, msg.chunks);
  if (!slot.captured.length) caseError(`pi-ai sent no request: ${error?.errorMessage ?? "?"}`);
  const message = final ?? error;
  if (!message?.usage) caseError(`pi-ai reported no usage (${error?.errorMessage ?? "no final message"})`);
  return message.usage;
}

const CASE_TIMEOUT_MS = Number(process.env.KIMI_CONFORMANCE_CASE_TIMEOUT_MS ?? 30000);
async function handle(line) {
  let msg;
  try { msg = JSON.parse(line); } catch (e) {
    emit({ id: null, ok: false, error: { type: "case_error", message: `bad JSON line: ${e.message}` } });
    return;
  }
  const id = msg?.id ?? null;
  let timer;
  try {
    const work = msg.op === "transform" ? opTransform(msg) : msg.op === "usage" ? opUsage(msg)
      : msg.op === "__hang" ? (() => { for (;;) {} })() : msg.op === "__exit" ? process.exit(3)
      : Promise.reject(new CaseError(`unknown op ${JSON.stringify(msg.op)}`));
    const timeout = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`case timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS); });
    emit({ id, ok: true, result: await Promise.race([work, timeout]) });
  } catch (e) {
    const type = e instanceof Unsupported ? "unsupported" : e instanceof CaseError ? "case_error" : "crash";
    if (type === "crash") console.error(`[worker] crash on id ${id}:`, e?.stack ?? e);
    emit({ id, ok: false, error: { type, message: String(e?.message ?? e) } });
  } finally {
    clearTimeout(timer);
  }
}

process.on("unhandledRejection", (e) => console.error("[worker] unhandledRejection:", e?.stack ?? e));
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let chain = Promise.resolve();
rl.on("line", (line) => { if (line.trim()) chain = chain.then(() => handle(line)); });
rl.on("close", () => { chain.then(() => { server.close(); process.exit(0); }); });
emit({ ready: true, protocol: 2, versions: { "@mariozechner/pi-ai": piVersion, node: process.versions.node } });

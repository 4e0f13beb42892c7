// kimi-conformance worker for the REAL OpenClaw (npm openclaw@2026.9.6).
//
// Protocol (JSON lines): start as `node worker.mjs` with cwd = the install dir. One line
// {"ready": true, "protocol": 2, "versions": {...}} on stdout, then exactly one stdout line per stdin
// line, echoing its id (kimi-conformance target protocol 2; the harness pairs answers by id):
//   {"id", "op": "transform", "case"}            -> {"id", "ok": true, "result": OUTBOUND} | {"id", "ok": false, "error"}
//   {"id", "op": "usage", "model", "cost", "chunks"} -> {"id", "ok": true, "result": <OpenClaw usage>}
//   {"id", "op": "config", "case"}               -> {"id", "ok": true, "result": {cfg, providerId, modelId, params}}
//                                                   (the OpenClaw config a case becomes; the fidelity test runs it)
// Everything else (OpenClaw's logs, console.*) goes to stderr.
//
// How a case is driven (OpenClaw's embedded agent runner, through its own configuration):
//   config = an OpenClaw config built from the case: models.providers[<provider>] (baseUrl, api,
//            the model with its compat) and agents.defaults (model.primary, models[ref].params);
//   model  = OpenClaw's model resolver (resolveModelAsync) on that config: unknown refs are
//            rejected by OpenClaw, compat / params / maxTokens are OpenClaw's;
//   plugin = the provider plugin that owns the provider. @openclaw/moonshot-provider is not on npm:
//            for provider `moonshot` the worker attaches the hooks its index.ts consists of (its
//            buildReplayPolicy over the SDK's buildOpenAICompatibleReplayPolicy, and the SDK's
//            MOONSHOT_THINKING_STREAM_HOOKS) as the model's runtime plugin handle; any other
//            provider is unowned;
//   history= OpenClaw's sanitizeSessionHistory with the replay policy OpenClaw resolves (the plugin's,
//            or buildUnownedProviderTransportReplayFallback: strict tool-call ids);
//   stream = @openclaw/ai managed openai-completions transport (createBoundaryAwareStreamFnForModel),
//            wrapped by OpenClaw's applyExtraParamsToAgent() (which applies the plugin's wrapStreamFn);
//   inner  = request fields with no OpenClaw input are set on the payload where the transport
//            builds it (innermost onPayload patch) — a simulation, listed in the target's capabilities.
// The model keeps its REAL baseUrl (so endpoint classification, compat and SSRF policy are the
// real ones); only the transport host's fetch is redirected to this worker's loopback server.
import http from "node:http";
import readline from "node:readline";
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

// ---- stdout guard: only protocol lines go to stdout ------------------------------------
const rawStdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
for (const k of ["log", "info", "debug", "trace", "dir", "table"]) {
  console[k] = (...args) => console.error(...args);
}
function emit(obj) {
  rawStdoutWrite(JSON.stringify(obj) + "\n");
}

class Unsupported extends Error {}
class CaseError extends Error {}
const unsupported = (m) => { throw new Unsupported(m); };
const caseError = (m) => { throw new CaseError(m); };

// ---- load OpenClaw ------------------------------------------------------------------------
const req = createRequire(join(process.cwd(), "package.json"));
const distDir = join(dirname(req.resolve("openclaw/plugin-sdk/llm")), "..");
const ocRoot = join(distDir, "..");
const openclawVersion = JSON.parse(readFileSync(join(ocRoot, "package.json"), "utf8")).version;
const importDist = (re, pick) => {
  const files = readdirSync(distDir).filter((f) => re.test(f));
  return (async () => {
    for (const f of files) {
      const m = await import(pathToFileURL(join(distDir, f)).href);
      const v = pick(m);
      if (v) return v;
    }
    throw new Error(`openclaw internal module ${re} not found (openclaw ${openclawVersion})`);
  })();
};
const resolveFrom = (spec) => pathToFileURL(req.resolve(spec, { paths: [ocRoot] })).href;

const { buildOpenAICompatibleReplayPolicy } = await import(resolveFrom("openclaw/plugin-sdk/provider-model-shared"));
// src/agents/embedded-agent-runner/run/helpers.ts: resolveTranscriptPolicy (minified export "h")
const resolveTranscriptPolicy = await importDist(/^helpers-[\w-]{8}\.mjs$/, (m) => {
  const f = m.h; return typeof f === "function" && f.name === "resolveTranscriptPolicy" ? f : undefined;
});
const { MOONSHOT_THINKING_STREAM_HOOKS } = await import(resolveFrom("openclaw/plugin-sdk/provider-stream-family"));
// src/agents/embedded-agent-runner/model.ts: resolveModelAsync (minified export "n")
const resolveModelAsync = await importDist(/^model-[\w-]{8}\.mjs$/, (m) => {
  const f = m.n; return typeof f === "function" && f.name === "resolveModelAsync" ? f : undefined;
});
// src/plugins/provider-hook-runtime.ts: attach/getModelProviderRuntimePluginHandle (minified "t" / "r")
const [attachPluginHandle, getPluginHandle] = await importDist(/^provider-hook-runtime-.*\.mjs$/, (m) =>
  typeof m.t === "function" && m.t.name === "attachModelProviderRuntimePluginHandle" && typeof m.r === "function" ? [m.t, m.r] : undefined);
// the embedded runner's sanitizeSessionHistory (minified export "Z" of the builtin agent harness)
const sanitizeSessionHistory = await importDist(/^builtin-openclaw-[\w-]{8}\.mjs$/, (m) => {
  const f = m.Z; return typeof f === "function" && f.name === "sanitizeSessionHistory" ? f : undefined;
});
// src/agents/embedded-agent-runner/extra-params.ts: applyExtraParamsToAgent (minified export "t")
const applyExtraParamsToAgent = await importDist(/^extra-params-.*\.mjs$/, (m) => {
  const f = m.t; return typeof f === "function" && f.name === "applyExtraParamsToAgent" ? f : undefined;
});
await importDist(/^ai-transport-runtime-host-.*\.mjs$/, (m) => m.configureAiTransportRuntimeHost).then((f) => f());
const ai = await import(resolveFrom("@openclaw/ai"));
const transports = await import(resolveFrom("@openclaw/ai/transports"));

// ---- one loopback server; requests routed by a per-call token ------------------------------
const pending = new Map(); // token -> { captured: [], chunks }
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
    rs.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const c of slot.chunks) rs.write(`data: ${JSON.stringify(c)}\n\n`);
    rs.end("data: [DONE]\n\n");
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const loopbackOrigin = `http://127.0.0.1:${server.address().port}`;

// Redirect the transport host's model fetch: the model keeps its real baseUrl; only the wire
// goes to loopback. The original guarded fetch is built for a loopback clone of the model.
const host = ai.getAiTransportHost();
const originalBuildModelFetch = host.buildModelFetch;
ai.configureAiTransportHost({
  ...host,
  buildModelFetch(model, ...rest) {
    const token = model?.headers?.["x-kimi-conformance-token"];
    if (!token) return originalBuildModelFetch.call(host, model, ...rest);
    const base = String(model.baseUrl).replace(/\/+$/, "");
    const loop = `${loopbackOrigin}/k/${token}`;
    // A plain clone (no route-fact symbols of the real host), so the guarded fetch treats it as loopback.
    const inner = originalBuildModelFetch.call(host, { ...Object.fromEntries(Object.entries(model)), baseUrl: loop }, ...rest);
    return async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const slot = pending.get(token);
      if (slot) slot.urls.push(url);
      if (!url.startsWith(base)) throw new Error(`worker: unexpected outbound URL ${url}`);
      const rewritten = loop + url.slice(base.length);
      if (input instanceof Request) return inner(new Request(rewritten, input), init);
      return inner(rewritten, init);
    };
  },
});

// ---- case -> OpenClaw inputs ------------------------------------------------------------
const NATIVE_BASE = "https://api.moonshot.ai/v1";
const ZERO_USAGE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function textOf(content, where) {
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content) && content.every((p) => isObj(p) && p.type === "text" && typeof p.text === "string")) {
    return content.map((p) => p.text).join("");
  }
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
      if (!dm) unsupported(`messages[${i}].content[${j}]: only data: image URLs can be expressed (OpenClaw sends inline images)`);
      return { type: "image", mimeType: dm[1], data: dm[2] };
    }
    unsupported(`messages[${i}].content[${j}]: part type ${JSON.stringify(p?.type)} has no OpenClaw equivalent`);
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
    if (!allowed) unsupported(`messages[${i}].role ${JSON.stringify(m.role)} has no OpenClaw equivalent`);
    const extra = Object.keys(m).filter((k) => !allowed.includes(k));
    if (extra.length) unsupported(`messages[${i}] (${m.role}) fields ${extra.join(", ")} have no OpenClaw equivalent`);
    if (m.role === "system" || m.role === "developer") {
      if (out.length || systemPrompt !== undefined) unsupported(`messages[${i}]: OpenClaw has a single system prompt; only one leading system/developer message can be expressed`);
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
          try { args = JSON.parse(args || "{}"); } catch { unsupported(`messages[${i}].tool_calls[${j}]: arguments are not JSON (OpenClaw stores parsed arguments)`); }
        }
        if (!isObj(args)) unsupported(`messages[${i}].tool_calls[${j}]: arguments must be a JSON object`);
        toolNames.set(tc.id, tc.function.name);
        content.push({ type: "toolCall", id: tc.id, name: tc.function.name, arguments: args });
      });
      out.push({ role: "assistant", content, api: model.api, provider: model.provider, model: model.id,
        usage: ZERO_USAGE, stopReason: calls.length ? "toolUse" : "stop", timestamp: ts++ });
      return;
    }
    // tool
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
    if (!isObj(t) || t.type !== "function" || !isObj(t.function)) unsupported(`tools[${i}]: only {"type": "function"} tools can be expressed (type ${JSON.stringify(t?.type)})`);
    const extra = Object.keys(t.function).filter((k) => !["name", "description", "parameters"].includes(k));
    if (extra.length) unsupported(`tools[${i}].function fields ${extra.join(", ")} are decided by OpenClaw, not expressible`);
    return { name: t.function.name, ...(t.function.description !== undefined ? { description: t.function.description } : {}), parameters: t.function.parameters ?? { type: "object", properties: {} } };
  });
}

// request field -> how it reaches OpenClaw
const OPTION_FIELDS = { // transport options (StreamOptions)
  temperature: "temperature", top_p: "topP", presence_penalty: "presencePenalty", frequency_penalty: "frequencyPenalty",
  seed: "seed", max_tokens: "maxTokens", max_completion_tokens: "maxTokens", tool_choice: "toolChoice",
  response_format: "responseFormat", reasoning_effort: "reasoningEffort",
};
const HANDLED = new Set(["model", "messages", "tools", "stream", "stream_options", "stop", ...Object.keys(OPTION_FIELDS)]);
// everything else (n, logprobs, top_logprobs, thinking, store, parallel_tool_calls, user, ...) is
// set on the payload where the transport builds it (innermost onPayload patch).

const SKIP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "x-kimi-conformance-token"]);

function buildOutbound(cap, url) {
  const headers = {};
  for (const [k, v] of Object.entries(cap.headers)) {
    const key = k.toLowerCase();
    if (SKIP_HEADERS.has(key)) continue;
    headers[key] = key === "authorization" ? "Bearer <redacted>" : v;
  }
  return { method: cap.method, url, headers, body: cap.body };
}

function defaultChunks(modelId) {
  return [
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: { role: "assistant", content: "ok" }, finish_reason: null }] },
    { id: "kc", object: "chat.completion.chunk", created: 0, model: modelId,
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
  ];
}

// Providers whose owning plugin is @openclaw/moonshot-provider (its id and aliases).
const MOONSHOT_PLUGIN_PROVIDERS = new Set(["moonshot", "moonshotai", "moonshot-ai"]);
// extensions/moonshot/index.ts (OpenClaw's source): its replay policy and stream hooks, the same
// as harness/targets/node/openclaw/moonshot-plugin/index.mjs (the fidelity test loads that one).
const MOONSHOT_PLUGIN = {
  id: "moonshot",
  buildReplayPolicy: ({ modelApi, modelId }) => buildOpenAICompatibleReplayPolicy(modelApi, {
    modelId, sanitizeToolCallIds: modelApi === "openai-completions", duplicateToolCallIdStyle: "openai",
    dropReasoningFromHistory: false,
  }),
  ...MOONSHOT_THINKING_STREAM_HOOKS,
};
// Built-in base URLs of the providers a case may name without a baseUrl.
const DEFAULT_BASE = { moonshot: NATIVE_BASE, kimi: "https://api.kimi.com/coding/v1" };
const API_KEY = "sk-kimi-conformance-0000";
const agentDir = join(process.env.OPENCLAW_STATE_DIR ?? process.cwd(), "agents", "main", "agent");
const noSession = { getBranch: () => [], getEntries: () => [], appendCustomEntry: () => {} };

/** The OpenClaw config a user would write for this case (models.providers + agents.defaults). */
function openclawConfig(c) {
  const ref = c.model;
  if (typeof ref !== "string" || !ref) caseError(`case.model must be a model ref, got ${JSON.stringify(ref)}`);
  if (!ref.includes("/")) unsupported(`model alias ${JSON.stringify(ref)}: the case carries no alias table for OpenClaw's agents.defaults.models[ref].alias`);
  const slash = ref.indexOf("/");
  const refProvider = ref.slice(0, slash);
  const modelId = ref.slice(slash + 1);
  const prov = c.provider ?? null;
  if (prov !== null && !isObj(prov)) caseError("case.provider must be an object or null");
  const providerId = prov?.id ?? refProvider;
  const knownProv = ["id", "baseUrl", "api", "compat", "sanitizeToolCallIds"];
  const extraProv = prov ? Object.keys(prov).filter((k) => !knownProv.includes(k)) : [];
  if (extraProv.length) unsupported(`provider fields ${extraProv.join(", ")} are not expressible`);
  // OpenClaw has no per-provider switch: its replay policy decides (strict ids for openai-completions).
  if (prov?.sanitizeToolCallIds === false) unsupported("provider.sanitizeToolCallIds: false — OpenClaw has no such setting; its replay policy sanitizes tool-call ids of every openai-completions provider");
  const api = prov?.api ?? "openai-completions";
  if (api !== "openai-completions") unsupported(`provider api ${JSON.stringify(api)}: the worker drives only openai-completions`);
  const baseUrl = String(prov?.baseUrl ?? DEFAULT_BASE[providerId] ?? "").replace(/\/+$/, "");
  if (!baseUrl) unsupported(`provider ${JSON.stringify(providerId)} has no baseUrl and is not built in`);
  const params = c.params ?? undefined;
  if (params !== undefined && !isObj(params)) caseError("case.params must be an object or null");
  const modelRef = `${providerId}/${modelId}`;
  const cfg = {
    models: { mode: "replace", providers: { [providerId]: {
      baseUrl, api, apiKey: API_KEY,
      models: [{ id: modelId, name: modelId, reasoning: true, input: ["text", "image"],
        cost: c.__cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        // no contextWindow / maxTokens: a request's max tokens come from the case, not from the config
        ...(prov?.compat ? { compat: structuredClone(prov.compat) } : {}) }],
    } } },
    agents: { defaults: { model: { primary: modelRef },
      models: { [modelRef]: params ? { params: structuredClone(params) } : {} } } },
  };
  return { cfg, providerId, modelId, params };
}

async function runThroughOpenClaw(c, chunks) {
  if (!isObj(c)) caseError("case must be an object");
  const { cfg, providerId, modelId, params } = openclawConfig(c);
  const level = c.thinking ?? undefined;
  if (level !== undefined && !["off", "minimal", "low", "medium", "high", "xhigh"].includes(level)) caseError(`invalid thinking level ${JSON.stringify(level)}`);
  const request = c.request ?? {};
  if (!isObj(request)) caseError("case.request must be an object");
  if (request.stream === false) unsupported("stream: false — OpenClaw's transport always streams (stream: true)");
  for (const key of ["thinking", "store"]) {
    if (key in request) unsupported(`request.${key}: OpenClaw takes it only from its config (params.thinking, params.extra_body, compat), not from a request`);
  }
  if (request.model !== undefined && request.model !== modelId) unsupported(`request.model ${JSON.stringify(request.model)} differs from the case model id ${modelId}; OpenClaw sends the model id`);

  const resolved = await resolveModelAsync(providerId, modelId, agentDir, cfg);
  if (!resolved?.model) caseError(`OpenClaw rejects the model: ${resolved?.error ?? "unknown model"}`);
  let model = resolved.model;
  if (MOONSHOT_PLUGIN_PROVIDERS.has(providerId)) {
    model = attachPluginHandle(model, { provider: providerId, modelId, config: cfg, plugin: MOONSHOT_PLUGIN });
  }
  const token = `t${++seq}`;
  model = { ...model, headers: { ...(model.headers ?? {}), "x-kimi-conformance-token": token } };

  const conv = convertMessages(request.messages ?? [], model);
  const tools = convertTools(request.tools);
  // History replay exactly as the embedded runner prepares it (replay policy, tool-call ids, ...).
  // The policy of the plugin attached to the model (the runner resolves the loaded plugin the same way).
  const policy = resolveTranscriptPolicy({ modelApi: model.api, provider: providerId, modelId, config: cfg, model,
    runtimeHandle: getPluginHandle(model) });
  const messages = await sanitizeSessionHistory({
    policy, messages: conv.messages, modelApi: model.api, provider: providerId, modelId, config: cfg, model,
    sessionManager: noSession, sessionId: "kimi-conformance",
    ...(tools ? { allowedToolNames: new Set(tools.map((t) => t.name)) } : {}),
  });
  const context = { messages, ...(conv.systemPrompt !== undefined ? { systemPrompt: conv.systemPrompt } : {}) };
  if (tools) context.tools = tools;

  const options = { apiKey: API_KEY, ...(level && level !== "off" ? { reasoning: level } : {}) };
  if (request.max_tokens != null && request.max_completion_tokens != null && request.max_tokens !== request.max_completion_tokens) {
    unsupported("max_tokens and max_completion_tokens differ: the transport has a single maxTokens option");
  }
  for (const [field, opt] of Object.entries(OPTION_FIELDS)) {
    if (request[field] !== undefined && request[field] !== null) options[opt] = request[field];
  }
  if (request.stop !== undefined && request.stop !== null) {
    const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
    if (!Array.isArray(stop) || stop.length === 0 || !stop.every((s) => typeof s === "string" && s)) unsupported("stop: only a non-empty string or list of non-empty strings can be expressed");
    options.stop = request.stop;
  }
  const injected = Object.fromEntries(Object.entries(request).filter(([k]) => !HANDLED.has(k)));

  // base transport + innermost patch for fields with no OpenClaw input
  const base = transports.createBoundaryAwareStreamFnForModel(model);
  if (!base) throw new Error("managed openai-completions transport unavailable");
  const inner = Object.keys(injected).length === 0 ? base : (m, ctx, opts) => base(m, ctx, {
    ...opts,
    onPayload: (payload, pm) => {
      if (isObj(payload)) Object.assign(payload, structuredClone(injected));
      return opts?.onPayload?.(payload, pm);
    },
  });
  const agent = { streamFn: inner };
  // OpenClaw's configured-params wrappers and the owning plugin's wrapStreamFn, as the runner applies them.
  applyExtraParamsToAgent(agent, cfg, providerId, modelId, undefined, level, undefined, undefined, model);
  void params;

  const slot = { captured: [], urls: [], chunks: chunks ?? defaultChunks(modelId) };
  pending.set(token, slot);
  let final; let error;
  try {
    const stream = await agent.streamFn(model, context, options);
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
  const { slot, error, request } = await runThroughOpenClaw(msg.case, undefined);
  if (slot.captured.length === 0) {
    caseError(`OpenClaw sent no request: ${error?.errorMessage ?? JSON.stringify(error ?? null)}`);
  }
  if (slot.captured.length > 1) throw new Error(`OpenClaw sent ${slot.captured.length} requests for one case`);
  const out = buildOutbound(slot.captured[0], slot.urls[0]);
  // stream_options is owned by the transport (compat.supportsUsageInStreaming): a request that asks
  // for something else cannot be expressed.
  if (request.stream_options !== undefined) {
    const sent = out.body?.stream_options;
    if (JSON.stringify(sent ?? null) !== JSON.stringify(request.stream_options)) {
      unsupported(`stream_options is decided by OpenClaw's transport: the request asks ${JSON.stringify(request.stream_options)}, OpenClaw sends ${JSON.stringify(sent ?? null)}`);
    }
  }
  return out;
}

async function opUsage(msg) {
  if (!Array.isArray(msg.chunks)) caseError("usage: chunks must be an array");
  const c = {
    model: `moonshot/${msg.model ?? "kimi-k2.6"}`, thinking: null, params: null, provider: null,
    request: { messages: [{ role: "user", content: "hi" }] }, __cost: msg.cost,
  };
  const { final, error, slot } = await runThroughOpenClaw(c, msg.chunks);
  if (!slot.captured.length) caseError(`OpenClaw sent no request: ${error?.errorMessage ?? "?"}`);
  const message = final ?? error;
  if (!message?.usage) caseError(`OpenClaw reported no usage (${error?.errorMessage ?? "no final message"})`);
  return message.usage;
}

// ---- main loop ------------------------------------------------------------------------------
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
    // __hang / __exit: test hooks for the harness's timeout and crash handling.
    const work = msg.op === "transform" ? opTransform(msg) : msg.op === "usage" ? opUsage(msg)
      : msg.op === "config" ? Promise.resolve().then(() => openclawConfig(msg.case))
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

process.on("unhandledRejection", (e) => console.error("[worker] unhandledRejection:", e?.stack ?? e));
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let chain = Promise.resolve();
rl.on("line", (line) => {
  if (!line.trim()) return;
  chain = chain.then(() => handle(line));
});
rl.on("close", () => {
  chain.then(() => { server.close(); process.exit(0); });
});
// Warm up (OpenClaw loads its resolver, plugin metadata and agent harness lazily, ~20 s on a
// busy machine): the start-up budget pays for it, not the first case's timeout.
try {
  await runThroughOpenClaw({ model: "moonshot/kimi-k2.6", request: { messages: [{ role: "user", content: "warm-up" }] } }, undefined);
} catch (e) {
  console.error("[worker] warm-up failed:", e?.stack ?? e);
}
emit({ ready: true, protocol: 2, versions: { openclaw: openclawVersion, node: process.versions.node } });

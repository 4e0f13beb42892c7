// kimi-conformance worker for the REAL @mariozechner/pi-ai (npm, pinned in package.json).
//
// Speaks target protocol 2 through ../_shared/protocol.mjs (the JSON-lines loop, the stdout guard,
// the loopback capture server): ops "transform" and "usage".
//
// How a case is driven: pi-ai's own openai-completions provider (`streamSimpleOpenAICompletions`,
// what `streamSimple` dispatches to for api "openai-completions") with a Model object built
// from the case (real baseUrl, so pi-ai's URL-based Moonshot compat detection is the real one;
// `compat` only when the case's custom provider sets it). The /think level is pi-ai's
// `reasoning` option; temperature, max tokens and tool_choice are pi-ai options. Request fields
// pi-ai has no option for and never decides (top_p, n, stop, seed, thinking, user, ...) are set the
// only way a pi-ai caller can: the `onPayload` hook, which runs after pi-ai built the payload (pi-ai
// does no later processing). Fields pi-ai decides itself (store, reasoning_effort) are "unsupported". pi-ai has no configured params / extra body and no Moonshot thinking
// wrapper: cases with params.thinking or params.extra_body are "unsupported".
// kimi/ refs run through pi-ai's own kimi-coding model entry (getModel) and its Anthropic Messages
// transport (streamSimpleAnthropic); the loopback server answers those with Anthropic SSE events.
// The OpenAI SDK inside pi-ai fetches through globalThis.fetch; the worker rewrites the real
// URL onto one loopback server that captures the request and answers with SSE.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { capture, caseError, defaultChunks, isObj, newToken, serve, slotOf, toLoopback, TOKEN_HEADER, transformResult,
  unsupported, usageResult } from "../_shared/protocol.mjs";
import { caseRequest, contextOf, converters, sameModel, splitRef, streamOptions, thinkingLevel } from "../_shared/pi-context.mjs";

const PKG_PATH = ["@mariozechner", "pi-ai"];
// pi-ai is ESM-only (no "require" export): locate it in the install dir's node_modules.
const piRoot = join(process.cwd(), "node_modules", ...PKG_PATH);
const piVersion = JSON.parse(readFileSync(join(piRoot, "package.json"), "utf8")).version;
const piModule = (path) => import(pathToFileURL(join(piRoot, "dist", path)).href);
const { streamSimpleOpenAICompletions } = await piModule("providers/openai-completions.js");
// Kimi Coding: pi-ai's own model registry (provider "kimi-coding", api "anthropic-messages") and
// its Anthropic Messages transport, what `streamSimple` dispatches to for that api.
const { streamSimpleAnthropic } = await piModule("providers/anthropic.js");
// pi-ai's own model registry: kimi-coding, and the built-in Moonshot providers (global and China) a
// pi-ai user gets with getModel(); a custom provider is a Model object the user writes, as the worker does.
const { getModel } = await piModule("models.js");
const NATIVE_BASE = "https://api.moonshot.ai/v1";
const REGISTRY_PROVIDER = { [NATIVE_BASE]: "moonshotai", "https://api.moonshot.cn/v1": "moonshotai-cn" };

// Every request goes to the loopback slot named by its token header; nothing else leaves.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const h = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const token = h.get(TOKEN_HEADER);
  const slot = token && slotOf(token);
  if (!slot) throw new Error(`worker: refusing a real network request to ${input instanceof Request ? input.url : String(input)}`);
  return toLoopback(input, init, { base: slot.base, token, fetchFn: realFetch });
};

// ---- case -> pi-ai inputs -------------------------------------------------------------------
const { convertMessages, convertTools } = converters("pi-ai", { system: " (Context.systemPrompt)" });
const API_KEY = "sk-kimi-conformance-0000";
// request fields with a pi-ai option
const OPTION_FIELDS = { temperature: "temperature", max_tokens: "maxTokens", max_completion_tokens: "maxTokens", tool_choice: "toolChoice" };
const HANDLED = new Set(["model", "messages", "tools", "stream", "stream_options", ...Object.keys(OPTION_FIELDS)]);
// Fields pi-ai decides itself (compat.supportsStore -> store: false; the `reasoning` level ->
// reasoning_effort under compat.supportsReasoningEffort): a caller's own value could only be written
// over pi-ai's body through onPayload, after the fact, so it is not expressible.
const DECIDED_BY_PI_AI = {
  store: "pi-ai sends store only as compat.supportsStore decides (store: false), never a caller's",
  reasoning_effort: "pi-ai derives reasoning_effort from the `reasoning` level (the /think level) under compat.supportsReasoningEffort; it has no reasoning_effort option",
};

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
const ANTHROPIC_OPTION_FIELDS = { temperature: "temperature", max_tokens: "maxTokens", max_completion_tokens: "maxTokens" };
const ANTHROPIC_HANDLED = new Set(["model", "messages", "tools", "stream", ...Object.keys(ANTHROPIC_OPTION_FIELDS)]);
const noParams = (params) => !params || Object.values(params).every((v) => v === null || v === undefined);

// kimi/* refs: pi-ai's kimi-coding provider through its anthropic-messages transport.
async function runKimiCoding(c, modelId, token) {
  const registered = getModel("kimi-coding", modelId);
  if (!registered) unsupported(`pi-ai ${piVersion}'s kimi-coding provider has no model ${JSON.stringify(modelId)}`);
  if (c.provider != null) unsupported("a custom provider on a kimi/ ref: the worker drives pi-ai's own kimi-coding provider");
  if (!noParams(c.params ?? null)) unsupported("pi-ai has no configured per-model params");
  const request = caseRequest(c, "pi-ai's Anthropic transport always streams");
  const extra = Object.keys(request).filter((k) => !ANTHROPIC_HANDLED.has(k) && request[k] !== undefined && request[k] !== null);
  if (extra.length) unsupported(`request fields ${extra.join(", ")}: pi-ai's Anthropic transport has no option for them`);
  sameModel(request, modelId);
  const level = thinkingLevel(c);
  const model = { ...registered, headers: { ...(registered.headers ?? {}), [TOKEN_HEADER]: token } };
  const conv = convertMessages(request.messages ?? [], model);
  const context = contextOf(conv.messages, conv.systemPrompt, convertTools(request.tools));
  const options = streamOptions(request, level, ANTHROPIC_OPTION_FIELDS, { apiKey: API_KEY, maxRetries: 0 });
  const slot = { base: model.baseUrl.replace(/\/+$/, ""), events: anthropicEvents(modelId) };
  return capture(token, slot, () => streamSimpleAnthropic(model, context, options));
}

async function runThroughPiAi(c, chunks) {
  if (!isObj(c)) caseError("case must be an object");
  const { refProvider, modelId, prov } = splitRef(c, "pi-ai has no alias table");
  if (KIMI_PREFIXES.has(refProvider) && (prov === null || KIMI_PREFIXES.has(prov.id))) return runKimiCoding(c, modelId, newToken());
  if (prov === null && refProvider !== "moonshot") unsupported(`provider ${JSON.stringify(refProvider)}: pi-ai has no Kimi Coding provider; only moonshot/ refs (and custom providers) are driven`);
  const providerId = prov?.id ?? "moonshot";
  const api = prov?.api ?? "openai-completions";
  if (api !== "openai-completions") unsupported(`provider api ${JSON.stringify(api)}: the worker drives only openai-completions`);
  if (prov?.sanitizeToolCallIds === true) unsupported("provider.sanitizeToolCallIds: pi-ai has no tool-call id sanitization setting (false is its behaviour)");
  const extraProv = prov ? Object.keys(prov).filter((k) => !["id", "baseUrl", "api", "compat", "sanitizeToolCallIds"].includes(k)) : [];
  if (extraProv.length) unsupported(`provider fields ${extraProv.join(", ")} are not expressible`);
  const baseUrl = String(prov?.baseUrl ?? NATIVE_BASE).replace(/\/+$/, "");
  const level = thinkingLevel(c);
  const params = c.params ?? null;
  if (params !== null && !isObj(params)) caseError("case.params must be an object or null");
  if (!noParams(params)) {
    const set = Object.entries(params).filter(([, v]) => v !== null && v !== undefined).map(([k]) => k);
    unsupported(`params.${set.join(", params.")}: pi-ai has no configured per-model params (OpenClaw's agents.defaults.models[ref].params)`);
  }
  const request = caseRequest(c, "pi-ai's openai-completions provider always streams");
  sameModel(request, modelId);
  for (const [key, why] of Object.entries(DECIDED_BY_PI_AI)) {
    if (request[key] !== undefined && request[key] !== null) unsupported(`request.${key}: ${why}`);
  }

  const token = newToken();
  const registryProvider = providerId === "moonshot" && !prov?.compat ? REGISTRY_PROVIDER[baseUrl] : undefined;
  let model;
  if (registryProvider) {
    const registered = getModel(registryProvider, modelId);
    if (!registered) unsupported(`pi-ai's model registry has no ${registryProvider}/${modelId}`);
    model = { ...registered, headers: { ...(registered.headers ?? {}), [TOKEN_HEADER]: token },
      ...(c.__cost ? { cost: c.__cost } : {}) };
  } else {
    // The Model object a pi-ai user writes: the catalog's facts of the model (case.__row, from
    // harness.targets.openclaw.catalog_row) where it knows it; the compat only from the case.
    const row = isObj(c.__row) ? c.__row : {};
    model = {
      id: modelId, name: row.name ?? modelId, api: "openai-completions", provider: providerId, baseUrl,
      reasoning: row.reasoning ?? true, input: row.input ?? ["text", "image"],
      cost: c.__cost ?? row.cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      contextWindow: row.contextWindow ?? 262144, maxTokens: row.maxTokens ?? 262144,
      headers: { [TOKEN_HEADER]: token },
      ...(prov?.compat ? { compat: structuredClone(prov.compat) } : {}),
    };
  }
  const conv = convertMessages(request.messages ?? [], model);
  const context = contextOf(conv.messages, conv.systemPrompt, convertTools(request.tools));
  const options = streamOptions(request, level, OPTION_FIELDS, { apiKey: API_KEY, maxRetries: 0 });
  const injected = Object.fromEntries(Object.entries(request).filter(([k]) => !HANDLED.has(k)));
  if (Object.keys(injected).length) {
    options.onPayload = (payload) => { if (isObj(payload)) Object.assign(payload, structuredClone(injected)); return undefined; };
  }
  const slot = { base: baseUrl, chunks: chunks ?? defaultChunks(modelId) };
  return capture(token, slot, () => streamSimpleOpenAICompletions(model, context, options));
}

await serve({
  ops: {
    transform: async (msg) => transformResult(await runThroughPiAi(msg.case, undefined), msg.case?.request?.stream_options, "pi-ai"),
    usage: (msg) => usageResult(msg, "pi-ai", runThroughPiAi),
  },
  versions: { "@mariozechner/pi-ai": piVersion },
});

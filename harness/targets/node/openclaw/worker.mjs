// kimi-conformance worker for the REAL OpenClaw (npm openclaw@2026.9.6).
//
// Speaks target protocol 2 through ../_shared/protocol.mjs (the JSON-lines loop, the stdout guard,
// the loopback capture server), with one op of its own:
//   {"id", "op": "config", "case"} -> {"id", "ok": true, "result": {cfg, providerId, modelId, params}}
//                                     (the OpenClaw config a case becomes; the fidelity test runs it)
//
// How a case is driven (OpenClaw's embedded agent runner, through its own configuration):
//   config = an OpenClaw config built from the case: models.providers[<provider>] (baseUrl, api,
//            the catalog's row of the model, case.__row, with the case's provider compat over its
//            own) and agents.defaults (model.primary, models[ref].params);
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
import module, { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
// Imports run before this body: the stdout guard is in place before OpenClaw loads.
import { capture, caseError, defaultChunks, isObj, loopbackUrl, newToken, serve, toLoopback, TOKEN_HEADER, transformResult,
  unsupported, usageResult } from "../_shared/protocol.mjs";
import { caseRequest, contextOf, converters, sameModel, splitRef, streamOptions, thinkingLevel } from "../_shared/pi-context.mjs";

// ---- load OpenClaw ------------------------------------------------------------------------
// V8's code cache on disk, enabled the way the `openclaw` CLI enables its own (openclaw.mjs calls
// module.enableCompileCache): a reproduction (harness/reporting/bug_repro_node.mjs) starts this worker
// without NODE_COMPILE_CACHE, and would otherwise compile OpenClaw's modules afresh every time. Here,
// before the dist imports below; a no-op when worker_env's NODE_COMPILE_CACHE already enabled it. It
// caches compiled code only: nothing OpenClaw does to a request changes.
module.enableCompileCache?.();
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
// src/auto-reply/thinking.ts: resolveThinkingSelectionForModel (minified export "d"), the check behind
// `openclaw agent --thinking <level>` ("Thinking level \"low\" is not supported for moonshot/kimi-k2.6")
const resolveThinkingSelection = await importDist(/^thinking-[\w-]{8}\.mjs$/, (m) => {
  const f = m.d; return typeof f === "function" && f.name === "resolveThinkingSelectionForModel" ? f : undefined;
});
await importDist(/^ai-transport-runtime-host-.*\.mjs$/, (m) => m.configureAiTransportRuntimeHost).then((f) => f());
const ai = await import(resolveFrom("@openclaw/ai"));
const transports = await import(resolveFrom("@openclaw/ai/transports"));

// Redirect the transport host's model fetch: the model keeps its real baseUrl; only the wire
// goes to loopback. The original guarded fetch is built for a loopback clone of the model.
const host = ai.getAiTransportHost();
const originalBuildModelFetch = host.buildModelFetch;
ai.configureAiTransportHost({
  ...host,
  buildModelFetch(model, ...rest) {
    const token = model?.headers?.[TOKEN_HEADER];
    if (!token) return originalBuildModelFetch.call(host, model, ...rest);
    const base = String(model.baseUrl).replace(/\/+$/, "");
    // A plain clone (no route-fact symbols of the real host), so the guarded fetch treats it as loopback.
    const inner = originalBuildModelFetch.call(host, { ...Object.fromEntries(Object.entries(model)), baseUrl: loopbackUrl(token) }, ...rest);
    return async (input, init) => toLoopback(input, init, { base, token, fetchFn: inner });
  },
});

// ---- case -> OpenClaw inputs ------------------------------------------------------------
const { convertMessages, convertTools } = converters("OpenClaw", { image: " (OpenClaw sends inline images)", toolType: true });
// request field -> how it reaches OpenClaw
const OPTION_FIELDS = { // transport options (StreamOptions)
  temperature: "temperature", top_p: "topP", presence_penalty: "presencePenalty", frequency_penalty: "frequencyPenalty",
  seed: "seed", max_tokens: "maxTokens", max_completion_tokens: "maxTokens", tool_choice: "toolChoice",
  response_format: "responseFormat", reasoning_effort: "reasoningEffort",
};
const HANDLED = new Set(["model", "messages", "tools", "stream", "stream_options", "stop", ...Object.keys(OPTION_FIELDS)]);
// everything else (n, logprobs, top_logprobs, thinking, store, parallel_tool_calls, user, ...) is
// set on the payload where the transport builds it (innermost onPayload patch).

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
const DEFAULT_BASE = { moonshot: "https://api.moonshot.ai/v1", kimi: "https://api.kimi.com/coding/v1" };
const API_KEY = "sk-kimi-conformance-0000";
const agentDir = join(process.env.OPENCLAW_STATE_DIR ?? process.cwd(), "agents", "main", "agent");
const noSession = { getBranch: () => [], getEntries: () => [], appendCustomEntry: () => {} };

/** The OpenClaw config a user would write for this case (models.providers + agents.defaults). */
function openclawConfig(c) {
  const { refProvider, modelId, prov } = splitRef(c, "the case carries no alias table for OpenClaw's agents.defaults.models[ref].alias");
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
  // The row a user copies from the catalog (harness.targets.openclaw.catalog_row: reasoning, input,
  // context window, max tokens, cost, the model's own compat — nix-openclaw's for kimi/kimi-k2p5);
  // the case's provider compat is written over it. No row for a model the catalog does not know:
  // OpenClaw's resolver then rejects the ref itself ("Unknown model"), as for any user.
  const row = c.__row ?? undefined;
  if (row !== undefined && !isObj(row)) caseError("case.__row must be an object");
  const compat = row?.compat || prov?.compat ? { ...structuredClone(row?.compat ?? {}), ...structuredClone(prov?.compat ?? {}) } : undefined;
  const models = row ? [{ ...structuredClone(row), id: modelId, ...(c.__cost ? { cost: c.__cost } : {}),
    ...(compat ? { compat } : {}) }] : [];
  const cfg = {
    models: { mode: "replace", providers: { [providerId]: { baseUrl, api, apiKey: API_KEY, models } } },
    agents: { defaults: { model: { primary: modelRef },
      models: { [modelRef]: params ? { params: structuredClone(params) } : {} } } },
  };
  return { cfg, providerId, modelId, params };
}

async function runThroughOpenClaw(c, chunks) {
  if (!isObj(c)) caseError("case must be an object");
  const { cfg, providerId, modelId } = openclawConfig(c);
  const level = thinkingLevel(c);
  const request = caseRequest(c, "OpenClaw's transport always streams (stream: true)");
  for (const key of ["thinking", "store"]) {
    if (key in request) unsupported(`request.${key}: OpenClaw takes it only from its config (params.thinking, params.extra_body, compat), not from a request`);
  }
  sameModel(request, modelId, "; OpenClaw sends the model id");

  const resolved = await resolveModelAsync(providerId, modelId, agentDir, cfg);
  if (!resolved?.model) caseError(`OpenClaw rejects the model: ${resolved?.error ?? "unknown model"}`);
  let model = resolved.model;
  if (level !== undefined) {
    // OpenClaw refuses a /think level its thinking profile of the model lacks (a row with reasoning
    // false has only "off"): such a case is not expressible, as `openclaw agent --thinking` is not.
    const entry = { provider: providerId, id: modelId, name: model.name, reasoning: model.reasoning, api: model.api,
      ...(model.compat ? { compat: model.compat } : {}), ...(model.thinkingLevelMap ? { thinkingLevelMap: model.thinkingLevelMap } : {}) };
    const selection = resolveThinkingSelection({ provider: providerId, model: modelId, level, catalog: [entry] });
    if (!selection.supported) unsupported(`/think ${level}: OpenClaw refuses it for ${providerId}/${modelId} (Thinking level "${level}" is not supported; the row's reasoning is ${model.reasoning})`);
  }
  if (MOONSHOT_PLUGIN_PROVIDERS.has(providerId)) {
    model = attachPluginHandle(model, { provider: providerId, modelId, config: cfg, plugin: MOONSHOT_PLUGIN });
  }
  const token = newToken();
  model = { ...model, headers: { ...(model.headers ?? {}), [TOKEN_HEADER]: token } };

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
  const context = contextOf(messages, conv.systemPrompt, tools);

  const options = streamOptions(request, level, OPTION_FIELDS, { apiKey: API_KEY });
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

  const slot = { chunks: chunks ?? defaultChunks(modelId) };
  return capture(token, slot, () => agent.streamFn(model, context, options));
}

await serve({
  ops: {
    transform: async (msg) => transformResult(await runThroughOpenClaw(msg.case, undefined), msg.case?.request?.stream_options,
      "OpenClaw", "OpenClaw's transport"),
    // the row of the catalog model the usage is priced for comes with the message (OpenClawTarget._call)
    usage: (msg) => usageResult(msg, "OpenClaw", (c, chunks) => runThroughOpenClaw({ ...c, __row: msg.row }, chunks)),
    config: (msg) => openclawConfig(msg.case),
  },
  versions: { openclaw: openclawVersion },
  // OpenClaw loads its resolver, plugin metadata and agent harness lazily (~20 s on a busy
  // machine): the start-up budget pays for it, not the first case's timeout.
  warmUp: async () => {
    try {
      await runThroughOpenClaw({ model: "moonshot/kimi-k2.6", request: { messages: [{ role: "user", content: "warm-up" }] },
        __row: { id: "kimi-k2.6", name: "warm-up", reasoning: false, input: ["text"], contextWindow: 262144, maxTokens: 262144 } }, undefined);
    } finally {
      // Node writes the code cache at a normal exit only; a reproduction ends this worker with SIGTERM
      // (bug_repro_node.mjs), so without this flush its cache would stay empty. Everything loaded by now.
      module.flushCompileCache?.();
    }
  },
});

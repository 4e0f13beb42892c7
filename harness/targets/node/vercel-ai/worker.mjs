// kimi-conformance worker for the REAL Vercel AI SDK Moonshot provider: npm `@ai-sdk/moonshotai`
// with the `ai` package's generateText / streamText (both pinned in package.json).
//
// Speaks target protocol 2 through ../_shared/protocol.mjs (the JSON-lines loop, the stdout guard,
// the loopback capture server): op "transform".
//
// How a case is driven, only through the SDK's public API (harness/targets/vercel_ai.py says what
// cannot be expressed and why):
//   model       createMoonshotAI({ apiKey, baseURL, fetch })(modelId): the provider's documented
//               `fetch` setting sends the request to the loopback slot of the case;
//   stream      request.stream true -> streamText, otherwise generateText (answered with JSON);
//   messages    ModelMessage[] (system / user / assistant / tool) with allowSystemInMessages;
//   tools       tool({ description, inputSchema: jsonSchema(parameters), strict }) without execute,
//               so one call is one step; tool_choice -> toolChoice;
//   /think      the call's unified `reasoning` option (off -> "none");
//   thinking    request.thinking {type} -> providerOptions.moonshotai.thinking, keep "all" ->
//               reasoningHistory "preserved"; reasoning_effort -> providerOptions.moonshotai.reasoningEffort;
//   fields      call settings (temperature, topP, penalties, maxOutputTokens, stopSequences, seed),
//               provider options (logprobs, topLogprobs, prediction, promptCacheKey, safetyIdentifier),
//               response_format json_object -> Output.json(). Nothing is added to the body afterwards.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createMoonshotAI } from "@ai-sdk/moonshotai";
import { generateText, jsonSchema, Output, streamText, tool } from "ai";
import { capture, caseError, defaultChunks, isObj, newToken, serve, toLoopback, transformResult,
  unsupported } from "../_shared/protocol.mjs";
import { thinkingLevel } from "../_shared/pi-context.mjs";

globalThis.AI_SDK_LOG_WARNINGS = false; // the SDK's warnings would only flood stderr
const versionOf = (name) => {
  const require = createRequire(join(process.cwd(), "package.json"));
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
};
const VERSIONS = { "@ai-sdk/moonshotai": versionOf("@ai-sdk/moonshotai"), ai: versionOf("ai") };
const LIB = "the Vercel AI SDK";

// The SDK may fetch on its own (downloading an image URL): nothing but the provider's capture leaves.
const passThrough = globalThis.fetch;
globalThis.fetch = (input) => Promise.reject(new Error(`worker: refusing a real network request to ${input instanceof Request ? input.url : String(input)}`));

const NATIVE_BASE = "https://api.moonshot.ai/v1";
const API_KEY = "sk-kimi-conformance-0000";
const LEVEL_TO_REASONING = { off: "none", minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "xhigh" };
// request field -> generateText / streamText call setting
const CALL_SETTINGS = { temperature: "temperature", top_p: "topP", presence_penalty: "presencePenalty",
  frequency_penalty: "frequencyPenalty", seed: "seed" };
// request field -> providerOptions.moonshotai option
const PROVIDER_OPTIONS = { logprobs: "logprobs", top_logprobs: "topLogprobs", prediction: "prediction",
  prompt_cache_key: "promptCacheKey", safety_identifier: "safetyIdentifier" };
const OWNED = new Set(["model", "messages", "tools", "tool_choice", "stream", "stream_options", "thinking",
  "reasoning_effort", "max_tokens", "max_completion_tokens", "stop", "response_format"]);
const MESSAGE_FIELDS = { system: ["role", "content", "name"], user: ["role", "content", "name"],
  assistant: ["role", "content", "tool_calls", "reasoning_content", "name"], tool: ["role", "content", "tool_call_id", "name"] };
const REASONING_EFFORTS = ["low", "high", "max"]; // moonshotaiLanguageModelOptions.reasoningEffort

const present = (v) => v !== undefined && v !== null;
const named = (m) => (present(m.name) ? { providerOptions: { moonshotai: { name: m.name } } } : {});

function stringContent(content, where) {
  if (typeof content === "string") return content;
  if (content == null) return "";
  unsupported(`${where}.content: ${LIB} takes a string here (parts would be sent as one string)`);
}

function userContent(content, i) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) unsupported(`messages[${i}].content: must be a string or an array of parts`);
  return content.map((p, j) => {
    if (isObj(p) && p.type === "text" && typeof p.text === "string" && Object.keys(p).length === 2) return { type: "text", text: p.text };
    // image_url {url} only: a `detail` has no file-part counterpart
    const plain = isObj(p) && Object.keys(p).length === 2 && (typeof p.image_url === "string" || (isObj(p.image_url) && Object.keys(p.image_url).length === 1));
    const url = plain && p.type === "image_url" ? (typeof p.image_url === "string" ? p.image_url : p.image_url.url) : undefined;
    const data = /^data:([^;,]+);base64,/.exec(url ?? "");
    // An http(s) image would be downloaded by the SDK (it inlines URL files): only data: URLs.
    if (data) return { type: "file", mediaType: data[1], data: url };
    unsupported(`messages[${i}].content[${j}]: only text parts and data: image URLs can be expressed`);
  });
}

function assistantMessage(m, i, toolNames) {
  const content = [];
  if (present(m.reasoning_content)) {
    if (typeof m.reasoning_content !== "string") caseError(`messages[${i}].reasoning_content must be a string`);
    content.push({ type: "reasoning", text: m.reasoning_content });
  }
  const text = stringContent(m.content, `messages[${i}]`);
  if (text) content.push({ type: "text", text });
  const calls = m.tool_calls ?? [];
  if (!Array.isArray(calls)) caseError(`messages[${i}].tool_calls must be an array`);
  calls.forEach((tc, j) => {
    const where = `messages[${i}].tool_calls[${j}]`;
    // a tool call written without its function (a malformed case): the part with no toolName or input
    if (isObj(tc) && tc.function === undefined) return void content.push({ type: "tool-call", toolCallId: tc.id });
    if (!isObj(tc) || (tc.type ?? "function") !== "function" || !isObj(tc.function)) unsupported(`${where}: only function tool calls can be expressed`);
    if (typeof tc.id !== "string") unsupported(`${where}.id: ${LIB} takes a string toolCallId`);
    let input;
    try { input = JSON.parse(tc.function.arguments ?? ""); } catch { unsupported(`${where}: arguments are not JSON (${LIB} holds a tool call's input as a value)`); }
    toolNames.set(tc.id, tc.function.name);
    content.push({ type: "tool-call", toolCallId: tc.id, toolName: tc.function.name, input });
  });
  return { role: "assistant", content, ...named(m) };
}

/** request.messages -> the SDK's ModelMessage[]. What a well-formed case cannot hold (messages
 * that are no array, an unknown role, a tool result without an id) goes to the SDK as a user
 * would write it: the SDK's own prompt validation is what the `errors` rule judges. */
function convertMessages(messages) {
  if (!Array.isArray(messages)) return messages;
  const toolNames = new Map();
  return messages.map((m, i) => {
    if (!isObj(m)) return m;
    const allowed = MESSAGE_FIELDS[m.role];
    if (!allowed) return { ...m };
    const extra = Object.keys(m).filter((k) => !allowed.includes(k));
    if (extra.length) unsupported(`messages[${i}] (${m.role}) fields ${extra.join(", ")} have no ${LIB} equivalent`);
    if (m.role === "system") return { role: "system", content: stringContent(m.content, `messages[${i}]`), ...named(m) };
    if (m.role === "user") return { role: "user", content: userContent(m.content, i), ...named(m) };
    if (m.role === "assistant") return assistantMessage(m, i, toolNames);
    if (m.tool_call_id === undefined) return { role: "tool", content: [{ type: "tool-result", toolName: m.name ?? "tool", output: { type: "text", value: stringContent(m.content, `messages[${i}]`) } }] };
    if (typeof m.tool_call_id !== "string") unsupported(`messages[${i}].tool_call_id: ${LIB} takes a string`);
    const toolName = m.name ?? toolNames.get(m.tool_call_id) ?? "tool";
    const value = stringContent(m.content, `messages[${i}]`);
    return { role: "tool", content: [{ type: "tool-result", toolCallId: m.tool_call_id, toolName, output: { type: "text", value } }] };
  });
}

/** request.tools -> the SDK's tool set (an object keyed by name, in the request's order). */
function convertTools(tools) {
  if (tools == null) return undefined;
  if (!Array.isArray(tools)) caseError("request.tools must be an array");
  const set = {};
  tools.forEach((t, i) => {
    if (!isObj(t) || t.type !== "function" || !isObj(t.function)) unsupported(`tools[${i}]: only {"type": "function"} tools can be expressed (the SDK drops provider tools)`);
    const { name, description, parameters, strict } = t.function;
    const extra = Object.keys(t.function).filter((k) => !["name", "description", "parameters", "strict"].includes(k));
    if (extra.length) unsupported(`tools[${i}].function fields ${extra.join(", ")} have no ${LIB} equivalent`);
    // A tool set is a JS object: a name seen twice, or an integer-like name (sorted first), loses the order.
    if (typeof name !== "string" || Object.hasOwn(set, name) || /^(0|[1-9]\d*)$/.test(name)) unsupported(`tools[${i}].function.name ${JSON.stringify(name)}: not a distinct tool-set key`);
    if (!isObj(parameters)) unsupported(`tools[${i}].function.parameters: ${LIB} always sends an input schema`);
    if (present(strict) && typeof strict !== "boolean") unsupported(`tools[${i}].function.strict: ${LIB} takes a boolean`);
    set[name] = tool({ ...(present(description) ? { description } : {}), inputSchema: jsonSchema(parameters), ...(present(strict) ? { strict } : {}) });
  });
  return set;
}

function toolChoiceOf(choice) {
  if (!present(choice)) return undefined;
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (isObj(choice) && choice.type === "function" && typeof choice.function?.name === "string" && Object.keys(choice).length === 2) {
    return { type: "tool", toolName: choice.function.name };
  }
  unsupported(`tool_choice ${JSON.stringify(choice)}: ${LIB} takes auto, none, required or one tool`);
}

function moonshotOptions(request) {
  const options = {};
  for (const [field, opt] of Object.entries(PROVIDER_OPTIONS)) if (present(request[field])) options[opt] = request[field];
  if ("thinking" in request) {
    const { type, keep, ...rest } = isObj(request.thinking) ? request.thinking : unsupported(`thinking ${JSON.stringify(request.thinking)}: providerOptions.moonshotai.thinking is an object`);
    if (Object.keys(rest).length || (type !== undefined && type !== "enabled" && type !== "disabled")) unsupported(`thinking ${JSON.stringify(request.thinking)}: the provider option takes {type: enabled | disabled}`);
    if (keep !== undefined && keep !== "all") unsupported(`thinking.keep ${JSON.stringify(keep)}: only reasoningHistory "preserved" (keep "all") is an option`);
    options.thinking = type !== undefined ? { type } : {};
    if (keep === "all") options.reasoningHistory = "preserved";
  }
  if (present(request.reasoning_effort)) {
    if (!REASONING_EFFORTS.includes(request.reasoning_effort)) unsupported(`reasoning_effort ${JSON.stringify(request.reasoning_effort)}: the provider option takes ${REASONING_EFFORTS.join(", ")}`);
    options.reasoningEffort = request.reasoning_effort;
  }
  return options;
}

/** What a user of the SDK passes to generateText / streamText for the case. */
function callOf(request, level) {
  const extra = Object.keys(request).filter((k) => !OWNED.has(k) && !(k in CALL_SETTINGS) && !(k in PROVIDER_OPTIONS) && present(request[k]));
  if (extra.length) unsupported(`request fields ${extra.join(", ")}: ${LIB} has no setting or provider option for them`);
  const call = { messages: convertMessages(request.messages ?? []), allowSystemInMessages: true, maxRetries: 0 };
  for (const [field, setting] of Object.entries(CALL_SETTINGS)) if (present(request[field])) call[setting] = request[field];
  const limits = [request.max_tokens, request.max_completion_tokens].filter(present);
  if (limits.length === 2 && limits[0] !== limits[1]) unsupported("max_tokens and max_completion_tokens differ: the SDK has one maxOutputTokens");
  if (limits.length) call.maxOutputTokens = limits[0];
  // stopSequences is a list: one stop string is the one-element list a caller writes for it.
  if (present(request.stop)) call.stopSequences = Array.isArray(request.stop) ? request.stop : typeof request.stop === "string" ? [request.stop] : unsupported(`stop ${JSON.stringify(request.stop)}: stopSequences is a list of strings`);
  if (present(request.response_format)) {
    if (JSON.stringify(request.response_format) !== '{"type":"json_object"}') unsupported(`response_format ${JSON.stringify(request.response_format)}: only json_object (Output.json()) is expressed`);
    call.output = Output.json();
  }
  const tools = convertTools(request.tools);
  if (tools) call.tools = tools;
  const toolChoice = toolChoiceOf(request.tool_choice);
  if (toolChoice !== undefined) call.toolChoice = toolChoice;
  if (level !== undefined) call.reasoning = LEVEL_TO_REASONING[level] ?? level; // an unknown level as written
  const options = moonshotOptions(request);
  if (Object.keys(options).length) call.providerOptions = { moonshotai: options };
  return call;
}

/** A chat.completion answering a non-streamed case. */
const completion = (modelId) => ({ id: "kc", object: "chat.completion", created: 0, model: modelId,
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

/** One SDK call as the event stream protocol.capture reads: "done" with the result, or "error". */
async function* events(run) {
  try {
    const result = await run();
    yield { type: "done", message: result };
  } catch (e) {
    yield { type: "error", error: { errorMessage: String(e?.message ?? e), errorName: String(e?.name ?? "Error") } };
  }
}

async function runThroughSdk(c) {
  if (!isObj(c)) caseError("case must be an object");
  const ref = c.model;
  if (typeof ref !== "string" || !ref) unsupported(`no model: the provider is called with a model id (createMoonshotAI(...)(modelId)), got ${JSON.stringify(ref)}`);
  if (!ref.includes("/")) unsupported(`model alias ${JSON.stringify(ref)}: ${LIB} has no alias table`);
  const prov = c.provider ?? null;
  if (prov !== null && !isObj(prov)) caseError("case.provider must be an object or null");
  const modelId = ref.slice(ref.indexOf("/") + 1);
  if (prov === null && !ref.startsWith("moonshot/")) unsupported(`${ref}: @ai-sdk/moonshotai has no Kimi Coding provider; only moonshot/ refs (and custom providers) are driven`);
  // sanitizeToolCallIds false is the SDK's own behaviour (ids go out as given); true has no counterpart.
  const extraProv = prov ? Object.keys(prov).filter((k) => !["id", "baseUrl", "api"].includes(k) && present(prov[k]) && !(k === "sanitizeToolCallIds" && prov[k] === false)) : [];
  if (extraProv.length) unsupported(`provider fields ${extraProv.join(", ")}: createMoonshotAI takes only a baseURL`);
  if ((prov?.api ?? "openai-completions") !== "openai-completions") unsupported(`provider api ${JSON.stringify(prov.api)}: the provider speaks chat completions`);
  const params = c.params ?? null;
  if (params !== null && !isObj(params)) caseError("case.params must be an object or null");
  const set = Object.keys(params ?? {}).filter((k) => present(params[k]));
  if (set.length) unsupported(`params.${set.join(", params.")}: ${LIB} has no configured per-model params`);
  const request = c.request ?? {};
  if (!isObj(request)) caseError("case.request must be an object");
  if (present(request.model) && request.model !== modelId) unsupported(`request.model ${JSON.stringify(request.model)} differs from the case model id ${modelId}`);
  if (present(request.stream) && typeof request.stream !== "boolean") unsupported(`stream ${JSON.stringify(request.stream)}: the SDK streams (streamText) or not (generateText)`);
  // a level the SDK's `reasoning` option does not name goes to it as written (untyped at runtime)
  const level = typeof c.thinking === "string" && !(c.thinking in LEVEL_TO_REASONING) ? c.thinking : thinkingLevel(c);
  const call = callOf(request, level);

  const token = newToken();
  const base = String(prov?.baseUrl ?? NATIVE_BASE).replace(/\/+$/, "");
  const fetch = (input, init) => toLoopback(input, init, { base, token, fetchFn: passThrough });
  const model = createMoonshotAI({ apiKey: API_KEY, baseURL: base, fetch })(modelId);
  const stream = request.stream === true;
  const slot = stream ? { chunks: defaultChunks(modelId) } : { json: completion(modelId) };
  return capture(token, slot, () => events(async () => {
    if (!stream) return generateText({ model, ...call });
    let failed;
    const result = streamText({ model, ...call, onError: ({ error }) => { failed = error; } });
    await result.consumeStream();
    if (failed) throw failed;
    return result;
  }));
}

await serve({
  ops: {
    transform: async (msg) => {
      const run = await runThroughSdk(msg.case);
      // The SDK refused the call before sending anything: for a malformed case (the driver says so:
      // harness.targets.malformed) that is the SDK's rejection of it, else the case is not expressible.
      if (run.slot.captured.length === 0 && run.error) {
        if (msg.case?.__malformed === true) caseError(`${LIB} rejected the case: ${run.error.errorName}: ${run.error.errorMessage.slice(0, 300)}`);
        unsupported(`${LIB} refuses: ${run.error.errorMessage}`);
      }
      const asked = msg.case?.request?.stream_options;
      return transformResult(run, asked === null ? undefined : asked, "@ai-sdk/moonshotai");
    },
  },
  versions: VERSIONS,
});

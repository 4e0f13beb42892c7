// A case (OpenAI chat-completions request + thinking level) as the inputs of a pi-ai style
// transport: a Context ({systemPrompt, messages, tools}) and stream options. pi-ai and OpenClaw's
// @openclaw/ai (a pi-ai fork) share that model; each worker names its library (`lib`) in the reasons
// of what it cannot express.
import { caseError, isObj, unsupported } from "./protocol.mjs";

const ZERO_USAGE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
const THINKING_LEVELS = ["off", "minimal", "low", "medium", "high", "xhigh"];
const MESSAGE_FIELDS = { system: ["role", "content"], developer: ["role", "content"], user: ["role", "content"],
  assistant: ["role", "content", "tool_calls", "reasoning_content"], tool: ["role", "content", "tool_call_id", "name"] };

/** case.model "provider/id" -> {refProvider, modelId, prov (case.provider or null)}. */
export function splitRef(c, aliasReason) {
  const ref = c.model;
  if (typeof ref !== "string" || !ref) caseError(`case.model must be a model ref, got ${JSON.stringify(ref)}`);
  if (!ref.includes("/")) unsupported(`model alias ${JSON.stringify(ref)}: ${aliasReason}`);
  const slash = ref.indexOf("/");
  const prov = c.provider ?? null;
  if (prov !== null && !isObj(prov)) caseError("case.provider must be an object or null");
  return { refProvider: ref.slice(0, slash), modelId: ref.slice(slash + 1), prov };
}

export function thinkingLevel(c) {
  const level = c.thinking ?? undefined;
  if (level !== undefined && !THINKING_LEVELS.includes(level)) caseError(`invalid thinking level ${JSON.stringify(level)}`);
  return level;
}

/** case.request, checked: an object, streamed (`streams` says why it must be). */
export function caseRequest(c, streams) {
  const request = c.request ?? {};
  if (!isObj(request)) caseError("case.request must be an object");
  if (request.stream === false) unsupported(`stream: false — ${streams}`);
  return request;
}

/** A request.model other than the case's model id cannot be expressed: the library sends its own. */
export function sameModel(request, modelId, note = "") {
  if (request.model !== undefined && request.model !== modelId) unsupported(`request.model ${JSON.stringify(request.model)} differs from the case model id ${modelId}${note}`);
}

/** Stream options: `base` + the thinking level as `reasoning` + request fields named in `fields`. */
export function streamOptions(request, level, fields, base) {
  const options = { ...base, ...(level && level !== "off" ? { reasoning: level } : {}) };
  if (request.max_tokens != null && request.max_completion_tokens != null && request.max_tokens !== request.max_completion_tokens) {
    unsupported("max_tokens and max_completion_tokens differ: the transport has a single maxTokens option");
  }
  for (const [field, opt] of Object.entries(fields)) {
    if (request[field] !== undefined && request[field] !== null) options[opt] = request[field];
  }
  return options;
}

/** The Context of converted messages (+ tools when the request has some). */
export function contextOf(messages, systemPrompt, tools) {
  const context = { messages, ...(systemPrompt !== undefined ? { systemPrompt } : {}) };
  if (tools) context.tools = tools;
  return context;
}

function textOf(content, where) {
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content) && content.every((p) => isObj(p) && p.type === "text" && typeof p.text === "string")) {
    return content.map((p) => p.text).join("");
  }
  unsupported(`${where}: only string or text-part content can be expressed`);
}

/**
 * Converters naming `lib`; `notes.system` / `notes.image` are appended to the reasons for a second
 * system prompt / a non-data image URL, `notes.toolType` adds the rejected tool type to its reason.
 */
export function converters(lib, notes = {}) {
  function userContent(content, i) {
    if (typeof content === "string") return content;
    if (!Array.isArray(content)) unsupported(`messages[${i}].content: must be a string or an array of parts`);
    return content.map((p, j) => {
      if (isObj(p) && p.type === "text" && typeof p.text === "string") return { type: "text", text: p.text };
      if (isObj(p) && p.type === "image_url") {
        const url = typeof p.image_url === "string" ? p.image_url : p.image_url?.url;
        const dm = /^data:([^;,]+);base64,(.*)$/s.exec(url ?? "");
        if (!dm) unsupported(`messages[${i}].content[${j}]: only data: image URLs can be expressed${notes.image ?? ""}`);
        return { type: "image", mimeType: dm[1], data: dm[2] };
      }
      unsupported(`messages[${i}].content[${j}]: part type ${JSON.stringify(p?.type)} has no ${lib} equivalent`);
    });
  }

  function assistantMessage(m, i, model, ts) {
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
        try { args = JSON.parse(args || "{}"); } catch { unsupported(`messages[${i}].tool_calls[${j}]: arguments are not JSON (${lib} stores parsed arguments)`); }
      }
      if (!isObj(args)) unsupported(`messages[${i}].tool_calls[${j}]: arguments must be a JSON object`);
      content.push({ type: "toolCall", id: tc.id, name: tc.function.name, arguments: args });
    });
    // Same provider/api/model as the target model: the library replays its own turns unchanged.
    return { role: "assistant", content, api: model.api, provider: model.provider, model: model.id,
      usage: ZERO_USAGE, stopReason: calls.length ? "toolUse" : "stop", timestamp: ts };
  }

  /** request.messages -> {systemPrompt, messages} (one leading system/developer message at most). */
  function convertMessages(messages, model) {
    if (!Array.isArray(messages)) caseError("request.messages must be an array");
    let systemPrompt;
    const out = [];
    const toolNames = new Map();
    let ts = 1;
    messages.forEach((m, i) => {
      if (!isObj(m)) caseError(`messages[${i}] is not an object`);
      const allowed = MESSAGE_FIELDS[m.role];
      if (!allowed) unsupported(`messages[${i}].role ${JSON.stringify(m.role)} has no ${lib} equivalent`);
      const extra = Object.keys(m).filter((k) => !allowed.includes(k));
      if (extra.length) unsupported(`messages[${i}] (${m.role}) fields ${extra.join(", ")} have no ${lib} equivalent`);
      if (m.role === "system" || m.role === "developer") {
        if (out.length || systemPrompt !== undefined) unsupported(`messages[${i}]: ${lib} has a single system prompt${notes.system ?? ""}; only one leading system/developer message can be expressed`);
        systemPrompt = textOf(m.content, `messages[${i}]`);
      } else if (m.role === "user") {
        out.push({ role: "user", content: userContent(m.content, i), timestamp: ts++ });
      } else if (m.role === "assistant") {
        const msg = assistantMessage(m, i, model, ts++);
        for (const part of msg.content) if (part.type === "toolCall") toolNames.set(part.id, part.name);
        out.push(msg);
      } else { // tool
        const text = textOf(m.content, `messages[${i}]`);
        out.push({ role: "toolResult", toolCallId: m.tool_call_id, toolName: m.name ?? toolNames.get(m.tool_call_id) ?? "tool",
          content: [{ type: "text", text }], isError: false, timestamp: ts++ });
      }
    });
    return { systemPrompt, messages: out };
  }

  /** request.tools -> the library's tools (function tools only), or undefined. */
  function convertTools(tools) {
    if (tools == null) return undefined;
    if (!Array.isArray(tools)) caseError("request.tools must be an array");
    return tools.map((t, i) => {
      if (!isObj(t) || t.type !== "function" || !isObj(t.function)) unsupported(`tools[${i}]: only {"type": "function"} tools can be expressed${notes.toolType ? ` (type ${JSON.stringify(t?.type)})` : ""}`);
      const extra = Object.keys(t.function).filter((k) => !["name", "description", "parameters"].includes(k));
      if (extra.length) unsupported(`tools[${i}].function fields ${extra.join(", ")} are decided by ${lib}, not expressible`);
      return { name: t.function.name, ...(t.function.description !== undefined ? { description: t.function.description } : {}), parameters: t.function.parameters ?? { type: "object", properties: {} } };
    });
  }

  return { convertMessages, convertTools };
}

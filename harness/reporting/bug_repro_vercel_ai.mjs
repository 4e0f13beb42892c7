// Reproduction of a known divergence found by kimi-conformance (written from harness/reporting/bug_repro_vercel_ai.mjs;
// harness/reporting/bug_repro.py fills the constants below with the minimal case as the SDK's own inputs).
//
// Run it from a directory where `ai` and `@ai-sdk/moonshotai` are installed (node_modules/):
//   cd <install dir> && node repro.mjs
// It calls the Vercel AI SDK's public `generateText` / `streamText` on `createMoonshotAI(...)(modelId)` with the call
// below; the provider's `fetch` setting sends the request to a loopback HTTP server (nothing leaves the machine).
// It prints the request body the SDK sent as JSON, and exits.
/*@LOOPBACK@*/

const DIVERGENCE = /*@DIVERGENCE@*/ "divergence";
const { createMoonshotAI } = await load("@ai-sdk/moonshotai");
const { generateText, jsonSchema, Output, streamText, tool } = await load("ai");
globalThis.AI_SDK_LOG_WARNINGS = false;

const BASE_URL = /*@BASE_URL@*/ "https://api.moonshot.ai/v1";
const MODEL_ID = /*@MODEL_ID@*/ "kimi-k2.6";
const model = createMoonshotAI({ apiKey: "repro-not-a-key", baseURL: BASE_URL, fetch: loopbackFetch })(MODEL_ID);
const call = /*@CALL@*/ { messages: [] };
const tools = /*@TOOLS@*/ undefined;
if (tools) call.tools = tools;
// response_format json_object -> Output.json(); stream: true -> streamText, else generateText
const JSON_OUTPUT = /*@JSON_OUTPUT@*/ false;
if (JSON_OUTPUT) call.output = Output.json();
const STREAM = /*@STREAM@*/ false;

await printCaptured(async () => {
  if (!STREAM) return generateText({ model, ...call });
  const result = streamText({ model, ...call, onError: ({ error }) => process.stderr.write(`${DIVERGENCE}: ${error?.message ?? error}\n`) });
  await result.consumeStream();
});

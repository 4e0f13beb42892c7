// Reproduction of a known divergence found by kimi-conformance (written from harness/reporting/bug_repro_pi_ai.mjs;
// harness/reporting/bug_repro.py fills the constants below with the minimal case as pi-ai's own inputs).
//
// Run it from a directory where @mariozechner/pi-ai is installed (node_modules/@mariozechner/pi-ai):
//   cd <install dir> && node repro.mjs
// It calls pi-ai's public `streamSimple(model, context, options)` with the model, context and options below, its
// request going to a loopback HTTP server (nothing leaves the machine), prints the request body pi-ai sent (for a
// usage case: the usage pi-ai reads from the answer) as JSON, and exits.
/*@LOOPBACK@*/

const DIVERGENCE = /*@DIVERGENCE@*/ "divergence";
const { getModel, streamSimple } = await load("@mariozechner/pi-ai");
globalThis.fetch = loopbackFetch; // pi-ai's OpenAI / Anthropic clients fetch through globalThis.fetch

const model = /*@MODEL@*/ {};
const context = /*@CONTEXT@*/ { messages: [] };
// The library replays its own turns: an assistant message carries the model's api, provider and id.
for (const m of context.messages) if (m.role === "assistant") Object.assign(m, { api: model.api, provider: model.provider, model: model.id });
const options = /*@OPTIONS@*/ { apiKey: "repro-not-a-key", maxRetries: 0 };
// Request fields pi-ai has no option for: set the only way a pi-ai caller can, its onPayload hook.
const PAYLOAD_FIELDS = /*@PAYLOAD@*/ {};
if (Object.keys(PAYLOAD_FIELDS).length) options.onPayload = (payload) => { Object.assign(payload, structuredClone(PAYLOAD_FIELDS)); };

// A usage case: the server answers with the case's chunks; the file prints the usage pi-ai reads from them.
CHUNKS = /*@CHUNKS@*/ null;
await printCaptured(async () => {
  let final;
  for await (const event of streamSimple(model, context, options)) {
    if (event.type === "done") final = event.message;
    if (event.type === "error") {
      final = event.error;
      process.stderr.write(`${DIVERGENCE}: pi-ai reports ${event.error?.errorMessage}\n`);
    }
  }
  return final;
}, CHUNKS ? (final) => final?.usage : undefined);

// Stand-in for @openclaw/moonshot-provider, which is not published on npm. Its provider entry
// (extensions/moonshot/index.ts in OpenClaw's source) is defineSingleProviderPluginEntry with an
// OpenAI-compatible replay policy (strict tool-call ids, OpenAI-style duplicate ids, reasoning kept
// in history) and the Moonshot thinking stream hooks; both come from OpenClaw's own plugin SDK, so
// the wire behaviour is OpenClaw's. Catalog, onboarding, web search and
// media understanding are left out: the harness configures the provider itself.
import { defineSingleProviderPluginEntry } from "openclaw/plugin-sdk/provider-entry";
import { buildOpenAICompatibleReplayPolicy } from "openclaw/plugin-sdk/provider-model-shared";
import { MOONSHOT_THINKING_STREAM_HOOKS } from "openclaw/plugin-sdk/provider-stream-family";

export default defineSingleProviderPluginEntry({
  id: "moonshot",
  name: "Moonshot Provider (kimi-conformance stand-in)",
  description: "The stream and replay hooks of @openclaw/moonshot-provider",
  provider: {
    label: "Moonshot",
    docsPath: "/providers/moonshot",
    auth: [],
    // no catalog of its own: the provider and its models come from models.providers in the config
    catalog: { run: async () => null },
    buildReplayPolicy: ({ modelApi, modelId }) => buildOpenAICompatibleReplayPolicy(modelApi, {
      modelId, sanitizeToolCallIds: modelApi === "openai-completions", duplicateToolCallIdStyle: "openai",
      dropReasoningFromHistory: false,
    }),
    ...MOONSHOT_THINKING_STREAM_HOOKS,
  },
});

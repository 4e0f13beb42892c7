// Reproduction of a known divergence found by kimi-conformance (written from harness/reporting/bug_repro_node.mjs,
// the template of every Node target without a direct one, and of the cases a direct one does not write:
// harness/reporting/bug_repro.py fills the three constants below).
//
// Run it from the target's install dir (where the library and kimi-conformance's worker for it are installed):
//   cd <install dir> && node repro.mjs
// It starts the worker (worker.mjs: it turns the case into the library's own inputs, calls the library's public
// API and captures the outbound request on a loopback HTTP server — nothing leaves the machine), hands it the
// minimal case below, prints the request body the library sent as JSON, and exits.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const LIBRARY = /*@LIBRARY@*/ "library";
const DIVERGENCE = /*@DIVERGENCE@*/ "divergence";
const MESSAGE = /*@MESSAGE@*/ { id: 1, op: "transform", case: {} };

// Scratch state for the library (an OpenClaw-style state dir, a HOME of its own) and no provider keys:
// the reproduction never reads or writes the user's real configuration.
const scratch = mkdtempSync(join(tmpdir(), "kimi-repro-"));
for (const dir of ["home", "state"]) mkdirSync(join(scratch, dir));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.endsWith("_API_KEY")));
Object.assign(env, {
  HOME: join(scratch, "home"), OPENCLAW_STATE_DIR: join(scratch, "state"),
  OPENCLAW_CONFIG_PATH: join(scratch, "state", "openclaw.json"), NO_PROXY: "127.0.0.1,localhost,::1",
  no_proxy: "127.0.0.1,localhost,::1", NO_COLOR: "1",
});
delete env.NODE_OPTIONS;

const worker = spawn(process.execPath, ["worker.mjs"], { cwd: process.cwd(), env, stdio: ["pipe", "pipe", "ignore"] });
const done = (code, text) => {
  (code === 0 ? process.stdout : process.stderr).write(text + "\n");
  worker.kill();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
};
const timer = setTimeout(() => done(1, `${DIVERGENCE}: no answer from ${LIBRARY} within 120 s`), 120_000);
worker.on("exit", (code) => done(1, `${DIVERGENCE}: the ${LIBRARY} worker exited (${code}) before answering`));
for await (const line of createInterface({ input: worker.stdout })) {
  let answer;
  try { answer = JSON.parse(line); } catch { continue; }
  // The case goes in after the ready line: the worker has loaded the library (and warmed it up) by then.
  if (answer.ready) { worker.stdin.write(JSON.stringify(MESSAGE) + "\n"); continue; }
  if (answer.id !== MESSAGE.id) continue;
  clearTimeout(timer);
  if (!answer.ok) done(1, `${DIVERGENCE}: ${LIBRARY} could not run the case: ${answer.error?.message}`);
  // transform: the request body the library sent; usage: the usage the library read from the answer
  done(0, JSON.stringify(MESSAGE.op === "transform" ? answer.result.body : answer.result, null, 2));
}

// Preloaded (`node --require offline-guard.cjs`) into the Allure 3 CLI by harness.reporting.build:
// generating the report must not talk to any host but loopback. Every outbound connection,
// DNS lookup or fetch to another host is refused and written (one JSON line) to the file named
// by KIMI_OFFLINE_GUARD_LOG; the build fails when that file is not empty.
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const dns = require("node:dns");

const LOG = process.env.KIMI_OFFLINE_GUARD_LOG;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|0\.0\.0\.0|::ffff:127(?:\.\d{1,3}){3})$/i;

function isLocal(host) {
  return host === undefined || host === null || host === "" || LOOPBACK.test(String(host));
}

function record(kind, host, port) {
  const line = JSON.stringify({ kind, host: String(host), port: port ?? null, pid: process.pid }) + "\n";
  if (LOG) {
    try { fs.appendFileSync(LOG, line); } catch (_) { /* best effort */ }
  }
  process.stderr.write(`[offline-guard] blocked ${kind} to ${host}${port ? ":" + port : ""}\n`);
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0];
  let host, port;
  if (opts && typeof opts === "object") {
    if (opts.path) return origConnect.apply(this, args); // unix socket
    host = opts.host ?? "localhost";
    port = opts.port;
  } else {
    port = opts;
    host = typeof args[1] === "string" ? args[1] : "localhost";
  }
  if (!isLocal(host)) {
    record("connect", host, port);
    const err = new Error(`offline-guard: connection to ${host}:${port} refused (report generation is offline)`);
    err.code = "ECONNREFUSED";
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return origConnect.apply(this, args);
};

for (const mod of [dns, dns.promises]) {
  for (const name of ["lookup", "resolve", "resolve4", "resolve6", "resolveAny"]) {
    const orig = mod[name];
    if (typeof orig !== "function") continue;
    mod[name] = function (host, ...rest) {
      if (!isLocal(host)) {
        record(`dns.${name}`, host);
        const err = new Error(`offline-guard: DNS lookup of ${host} refused`);
        err.code = "ENOTFOUND";
        const cb = rest.find((a) => typeof a === "function");
        if (cb) { process.nextTick(() => cb(err)); return undefined; }
        return Promise.reject(err);
      }
      return orig.call(this, host, ...rest);
    };
  }
}

if (typeof globalThis.fetch === "function") {
  const origFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    let url;
    try { url = new URL(typeof input === "string" ? input : input.url ?? String(input)); } catch (_) { url = null; }
    if (url && /^https?:$/.test(url.protocol) && !isLocal(url.hostname)) {
      record("fetch", url.hostname, url.port || null);
      return Promise.reject(new TypeError(`offline-guard: fetch ${url.origin} refused`));
    }
    return origFetch.call(this, input, init);
  };
}

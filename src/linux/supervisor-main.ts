// The per-node pod server (see supervisor.ts for the design). Started by the python
// stub with the pods' listening sockets inherited; PODNET_FDS maps fds to listeners.
// What each listener answers is in pod-server.ts. The stub stays as this process's
// parent and restarts it when it dies (PODNET_RESTARTS counts the restarts): the
// listening sockets, held by the stub too, survive a crash.

import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync } from "node:fs";
import { appendNoFollow, replaceFile } from "./safe-fs.js";
import { join } from "node:path";
import type { SupervisorConfig, SupervisorReady } from "./supervisor.js";
import { guardServer, rateLimitedLog, serveDatagram, serveStream } from "./pod-server.js";
import { apiserverCert, serveApiserver } from "./apiserver.js";

const cfgPath = process.argv[2];
const cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as SupervisorConfig;
const fds = JSON.parse(process.env.PODNET_FDS ?? "[]") as {
  pod: number;
  listener: number;
  fd?: number;
  error?: string;
}[];
const eventsPath = join(cfg.stateDir, `events-${cfg.node}.jsonl`);

const ready: SupervisorReady = { pid: process.pid, serving: [], events: [] };
const base = join(cfg.stateDir, `supervisor-${cfg.node}${cfg.generation ? "." + cfg.generation : ""}`);
/** Per pod ("ns/name"): how to close its sockets when the pod is deleted (SIGUSR2 + <base>.removed). */
const closers = new Map<string, (() => void)[]>();
const onClose = (key: string, f: () => void) => closers.set(key, [...(closers.get(key) ?? []), f]);

const log = rateLimitedLog((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
const restarts = Number(process.env.PODNET_RESTARTS ?? 0);

// Last line of defence: every handler catches its own errors, so this is a bug; the stub
// restarts the process (the listening sockets stay open meanwhile).
process.on("uncaughtException", (e) => {
  process.stderr.write(`${new Date().toISOString()} uncaught: ${e?.stack ?? e}\n`);
  process.exit(70);
});

for (const e of fds) {
  const pod = cfg.pods[e.pod];
  const l = pod.listeners[e.listener];
  if (e.error !== undefined || e.fd === undefined) {
    // Kubernetes: the container that cannot bind exits and kubelet backs off restarting it.
    const ev = {
      type: "Warning" as const,
      reason: "BackOff",
      object: `pod/${pod.namespace}/${pod.name}`,
      message: `Back-off restarting failed container ${l.container} in pod ${pod.name}_${pod.namespace}: ${e.error}`,
    };
    ready.events.push(ev);
    // Recorded once: a restarted server meets the same bind errors.
    if (restarts === 0) appendNoFollow(eventsPath, JSON.stringify(ev) + "\n");
    continue;
  }
  if (pod.host) {
    // The node's kube-apiserver (apiserver.ts); no certificate (no openssl): an event, not served.
    let srv: ReturnType<typeof serveApiserver>;
    try {
      srv = serveApiserver(e.fd, apiserverCert(cfg.stateDir, pod.node, pod.host.sans), (err) =>
        process.stderr.write(`apiserver ${pod.node}:${l.port}: ${err.message}\n`),
      );
    } catch (err) {
      const ev = {
        type: "Warning" as const,
        reason: "Failed",
        object: `pod/${pod.namespace}/${pod.name}`,
        message: `kube-apiserver: no serving certificate: ${(err as Error).message}`,
      };
      ready.events.push(ev);
      appendNoFollow(eventsPath, JSON.stringify(ev) + "\n");
      continue;
    }
    onClose(`${pod.namespace}/${pod.name}`, () => srv.close());
  } else if (l.protocol === "UDP") {
    const u = createSocket("udp4");
    u.on("message", (msg, r) => serveDatagram(pod, u, msg, r, log));
    u.on("error", (err) => log(`udp ${pod.namespace}/${pod.name}:${l.port}: ${err.message}`));
    u.bind({ fd: e.fd });
    onClose(`${pod.namespace}/${pod.name}`, () => u.close());
  } else {
    const http = l.protocol === "TCP";
    const srv = createServer((s) => serveStream(pod, l, s, http, log));
    guardServer(srv, `${l.protocol} ${pod.namespace}/${pod.name}:${l.port}`, log);
    srv.listen({ fd: e.fd });
    onClose(`${pod.namespace}/${pod.name}`, () => srv.close());
  }
  ready.serving.push({
    pod: `${pod.namespace}/${pod.name}`,
    container: l.container,
    port: l.port,
    protocol: l.protocol,
  });
}

// A pod deleted from the running cluster: close its sockets (its namespace can then go).
process.on("SIGUSR2", () => {
  let keys: string[] = [];
  try {
    keys = JSON.parse(readFileSync(`${base}.removed`, "utf8")) as string[];
  } catch {
    return;
  }
  for (const k of keys) {
    for (const f of closers.get(k) ?? []) f();
    closers.delete(k);
  }
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
// A safety net for crashes of `podnet up`/`down`: with the cluster's state gone, stop.
setInterval(() => {
  if (!existsSync(cfg.stateDir) || !existsSync(`/run/netns/${cfg.nodeNetns}`)) process.exit(0);
}, 1000);

// Atomically: the starter polls for the file and must never read it half-written.
const readyPath = `${base}.ready`;
replaceFile(readyPath, JSON.stringify(ready));
process.stdout.write(
  `podnet supervisor ${cfg.cluster}/${cfg.node} pid ${process.pid}${restarts ? ` (restart ${restarts})` : ""}: ${ready.serving.length} listeners, ${ready.events.length} errors\n`,
);

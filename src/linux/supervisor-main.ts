// The per-node pod server (see supervisor.ts for the design). Started by the python
// stub with the pods' listening sockets inherited; PODNET_FDS maps fds to listeners.
//
// TCP: HTTP like Kubernetes' agnhost netexec — `/hostname` (the pod name),
// `/clientip` ("ip:port"), `/echo?msg=…`, anything else a JSON body with pod, pod IP,
// node, container, port and the client's address and port; a TCP stream that does
// not start with an HTTP request line is echoed. UDP: echo, and "hostname" answers
// the pod name as agnhost's UDP server does. SCTP: echo.

import { createServer, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SupervisorConfig, SupervisorPod, SupervisorReady } from "./supervisor.js";
import type { Listener } from "../ir/types.js";
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

function describe(pod: SupervisorPod, l: Listener, client: { address?: string; port?: number }) {
  return {
    pod: pod.name,
    namespace: pod.namespace,
    podIP: pod.ip,
    node: pod.node,
    container: l.container,
    port: l.port,
    protocol: l.protocol,
    clientIP: client.address ?? "",
    clientPort: client.port ?? 0,
  };
}

const REQ_LINE = /^([A-Z]{3,10}) (\S+) HTTP\/1\.[01]\r?\n/;

function httpAnswer(
  pod: SupervisorPod,
  l: Listener,
  s: Socket,
  target: string,
): { status: number; type: string; body: string } {
  const url = new URL(target, "http://x");
  const client = `${s.remoteAddress}:${s.remotePort}`;
  switch (url.pathname) {
    case "/hostname":
      return { status: 200, type: "text/plain", body: pod.name };
    case "/clientip":
      return { status: 200, type: "text/plain", body: client };
    case "/echo":
      return { status: 200, type: "text/plain", body: url.searchParams.get("msg") ?? "" };
    case "/healthz":
      return { status: 200, type: "text/plain", body: "ok" };
    default:
      return {
        status: 200,
        type: "application/json",
        body: JSON.stringify(describe(pod, l, { address: s.remoteAddress, port: s.remotePort })) + "\n",
      };
  }
}

function serveStream(pod: SupervisorPod, l: Listener, s: Socket, http: boolean) {
  let buf = Buffer.alloc(0);
  let mode: "sniff" | "http" | "echo" = http ? "sniff" : "echo";
  s.on("error", () => s.destroy());
  s.on("data", (chunk: Buffer) => {
    if (mode === "echo") {
      s.write(chunk);
      return;
    }
    buf = Buffer.concat([buf, chunk]);
    const head = buf.toString("latin1", 0, Math.min(buf.length, 8192));
    if (mode === "sniff") {
      if (REQ_LINE.test(head)) mode = "http";
      else if (/^[A-Z]{0,10}( \S*)?$/.test(head) && buf.length < 8192)
        return; // maybe a request line in parts
      else {
        mode = "echo";
        s.write(buf);
        return;
      }
    }
    const end = head.indexOf("\r\n\r\n");
    if (end < 0 && buf.length < 8192) return;
    const m = REQ_LINE.exec(head)!;
    const a = httpAnswer(pod, l, s, m[2]);
    const body = Buffer.from(a.body);
    s.end(
      `HTTP/1.1 ${a.status} OK\r\nContent-Type: ${a.type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
        (m[1] === "HEAD" ? "" : a.body),
    );
  });
}

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
    appendFileSync(eventsPath, JSON.stringify(ev) + "\n");
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
      appendFileSync(eventsPath, JSON.stringify(ev) + "\n");
      continue;
    }
    onClose(`${pod.namespace}/${pod.name}`, () => srv.close());
  } else if (l.protocol === "UDP") {
    const u = createSocket("udp4");
    u.on("message", (msg, r) => {
      const text = msg.toString().trim();
      const reply = text === "hostname" ? Buffer.from(pod.name) : msg;
      u.send(reply, r.port, r.address);
    });
    u.on("error", (err) => process.stderr.write(`udp ${pod.name}:${l.port}: ${err.message}\n`));
    u.bind({ fd: e.fd });
    onClose(`${pod.namespace}/${pod.name}`, () => u.close());
  } else {
    const http = l.protocol === "TCP";
    const srv = createServer((s) => serveStream(pod, l, s, http));
    srv.on("error", (err) => process.stderr.write(`${l.protocol} ${pod.name}:${l.port}: ${err.message}\n`));
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
writeFileSync(readyPath + ".tmp", JSON.stringify(ready));
renameSync(readyPath + ".tmp", readyPath);
process.stdout.write(
  `podnet supervisor ${cfg.cluster}/${cfg.node} pid ${process.pid}: ${ready.serving.length} listeners, ${ready.events.length} errors\n`,
);

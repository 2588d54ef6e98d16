// What a pod's listener answers (run by supervisor-main.ts, one process per node).
//
// TCP: HTTP like Kubernetes' agnhost netexec — `/hostname` (the pod name),
// `/clientip` ("ip:port"), `/echo?msg=…`, `/healthz`, anything else a JSON body with pod,
// pod IP, node, container, port, the Services it backs and the client's address and port
// (every 200 also names the pod and those Services in X-Podnet-Pod / X-Podnet-Services, so
// a client behind a proxy, the ingress controller's nginx, can tell which backend served); a TCP stream that
// does not start with an HTTP request line is echoed. UDP: echo, and "hostname" answers
// the pod name as agnhost's UDP server does. SCTP: echo.
//
// Every handler is total (issue 19: one malformed request used to kill every listener
// of every pod on the node): a malformed request gets a 4xx and its connection is
// closed; an exception inside a handler closes that one connection; nothing a client
// sends reaches another socket. Bounds: the request head must arrive whole within
// HEAD_DEADLINE_MS of accept (bytes do not extend it: slowloris) and within
// MAX_HEAD_BYTES (Go's net/http answers 431 beyond its limit); the body is never parsed
// (the answer closes the connection: a smuggled second request is never read); an echo
// stream stops reading while its client does not read; each listener serves at most
// MAX_CONNECTIONS at once.

import type { Server, Socket } from "node:net";
import type { Socket as UdpSocket, RemoteInfo } from "node:dgram";
import type { Listener } from "../ir/types.js";
import type { SupervisorPod } from "./supervisor.js";

export const MAX_HEAD_BYTES = 16 * 1024;
export const HEAD_DEADLINE_MS = 10_000;
/** An echo stream (or an answered request being drained) idle this long is closed. */
export const IDLE_MS = 120_000;
/** Open connections per listener (net.Server maxConnections: beyond it a new one is closed). */
export const MAX_CONNECTIONS = 512;

export type Log = (line: string) => void;

/** Writes at most `perSecond` lines a second (a flood of bad requests must not fill the disk). */
export function rateLimitedLog(write: (line: string) => void, perSecond = 20): Log {
  let second = 0;
  let n = 0;
  let dropped = 0;
  return (line) => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      if (dropped) write(`(${dropped} more log lines dropped)`);
      second = now;
      n = 0;
      dropped = 0;
    }
    if (++n <= perSecond) write(line);
    else dropped++;
  };
}

function describe(pod: SupervisorPod, l: Listener, client: { address?: string; port?: number }) {
  return {
    pod: pod.name,
    namespace: pod.namespace,
    podIP: pod.ip,
    node: pod.node,
    container: l.container,
    port: l.port,
    protocol: l.protocol,
    services: pod.services ?? [],
    clientIP: client.address ?? "",
    clientPort: client.port ?? 0,
  };
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

interface Answer {
  status: number;
  type: string;
  body: string;
  headers?: [string, string][];
}

/** Which backend answered: the pod and the Services whose endpoints it is. */
function whoHeaders(pod: SupervisorPod): [string, string][] {
  const h: [string, string][] = [["X-Podnet-Pod", `${pod.namespace}/${pod.name}`]];
  if (pod.services?.length) h.push(["X-Podnet-Services", pod.services.join(", ")]);
  return h;
}

const bad = (status: number, why: string): Answer => ({ status, type: "text/plain", body: `${why}\n` });

/** A request line as podnet serves it: a method token, a target, HTTP/1.0 or 1.1 (RFC 9112 §3). */
const REQ_LINE = /^([A-Z]{3,10}) (\S+) HTTP\/(\d)\.(\d)\r?$/;
/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The HTTP answer to a complete request head (the lines after the request line). */
export function httpAnswer(
  pod: SupervisorPod,
  l: Listener,
  client: { address?: string; port?: number },
  method: string,
  target: string,
  version: string,
  headerLines: string[],
): Answer {
  if (version !== "1.0" && version !== "1.1") return bad(505, "HTTP version not supported");
  // Header fields (RFC 9112 §5): a name is a token with no space before the colon; no
  // obs-fold; no control characters in values.
  const fields = new Map<string, string[]>();
  for (const line of headerLines) {
    if (/^[ \t]/.test(line)) return bad(400, "obsolete line folding");
    const colon = line.indexOf(":");
    if (colon <= 0) return bad(400, "malformed header field");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return bad(400, "malformed header field name");
    const value = line.slice(colon + 1).trim();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return bad(400, "control character in a header field");
    const k = name.toLowerCase();
    fields.set(k, [...(fields.get(k) ?? []), value]);
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with more than one, is a 400.
  const host = fields.get("host");
  if (version === "1.1" && host?.length !== 1) return bad(400, "missing or repeated Host header");
  // Message framing (RFC 9112 §6): ambiguous framing is what request smuggling uses.
  const te = fields.get("transfer-encoding");
  const cl = fields.get("content-length");
  if (te && cl) return bad(400, "both Transfer-Encoding and Content-Length");
  if (cl) {
    const values = cl.flatMap((v) => v.split(",").map((x) => x.trim()));
    if (!values.every((v) => /^\d{1,15}$/.test(v)) || new Set(values).size !== 1)
      return bad(400, "invalid Content-Length");
  }
  if (te) {
    if (version === "1.0") return bad(400, "Transfer-Encoding in HTTP/1.0");
    const codings = te
      .join(",")
      .split(",")
      .map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] !== "chunked") return bad(400, "Transfer-Encoding does not end in chunked");
    if (codings.some((c) => !["chunked", "gzip", "deflate", "compress"].includes(c)))
      return bad(501, "unknown transfer coding");
  }
  // podnet tunnels nothing.
  if (method === "CONNECT") return bad(405, "CONNECT is not served");
  // Origin-form, absolute-form, or "*" for OPTIONS (RFC 9112 §3.2).
  let url: URL;
  if (target === "*" && method === "OPTIONS") return { status: 200, type: "text/plain", body: "" };
  if (!target.startsWith("/") && !/^https?:\/\//i.test(target)) return bad(400, "malformed request target");
  try {
    url = new URL(target, "http://x");
  } catch {
    return bad(400, "malformed request target");
  }
  const a = answerFor(pod, l, client, url);
  if (a.status === 200) a.headers = whoHeaders(pod);
  return a;
}

function answerFor(pod: SupervisorPod, l: Listener, client: { address?: string; port?: number }, url: URL): Answer {
  switch (url.pathname) {
    case "/hostname":
      return { status: 200, type: "text/plain", body: pod.name };
    case "/clientip":
      return { status: 200, type: "text/plain", body: `${client.address}:${client.port}` };
    case "/echo":
      return { status: 200, type: "text/plain", body: url.searchParams.get("msg") ?? "" };
    case "/healthz":
      return { status: 200, type: "text/plain", body: "ok" };
    default:
      return {
        status: 200,
        type: "application/json",
        body: JSON.stringify(describe(pod, l, client)) + "\n",
      };
  }
}

function response(a: Answer, head: boolean): Buffer {
  const body = Buffer.from(a.body);
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 ${a.status} ${STATUS_TEXT[a.status] ?? "Error"}\r\nContent-Type: ${a.type}\r\nContent-Length: ${body.length}\r\n${(a.headers ?? []).map(([k, v]) => `${k}: ${v}\r\n`).join("")}Connection: close\r\n\r\n`,
      "latin1",
    ),
    head ? Buffer.alloc(0) : body,
  ]);
}

/** Where the head ends (index after the blank line), or -1. Lines end in CRLF or LF (RFC 9112 §2.2). */
function headEnd(buf: Buffer): number {
  for (let i = buf.indexOf(10); i >= 0 && i < buf.length; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}

/** Serves one accepted stream connection. Never throws; an error closes this connection only. */
export function serveStream(
  pod: SupervisorPod,
  l: Listener,
  s: Socket,
  http: boolean,
  log: Log,
  headDeadlineMs = HEAD_DEADLINE_MS,
): void {
  let buf: Buffer = Buffer.alloc(0);
  let mode: "sniff" | "http" | "echo" | "done" = http ? "sniff" : "echo";
  const client = { address: s.remoteAddress, port: s.remotePort };
  s.on("error", () => s.destroy());
  s.setTimeout(IDLE_MS, () => s.destroy());
  // The head's deadline runs from accept; bytes do not extend it (slowloris).
  const deadline = http
    ? setTimeout(() => {
        if (mode === "sniff" || mode === "http") finish(bad(408, "request head not received in time"), false);
      }, headDeadlineMs)
    : undefined;
  s.on("close", () => clearTimeout(deadline));
  const finish = (a: Answer, head: boolean) => {
    mode = "done";
    clearTimeout(deadline);
    buf = Buffer.alloc(0);
    s.end(response(a, head));
    // Whatever the client still sends (a body, a smuggled request) is read and dropped;
    // a client that does not close is closed.
    s.setTimeout(2000, () => s.destroy());
  };
  const echo = (chunk: Buffer) => {
    if (!s.write(chunk)) {
      s.pause();
      s.once("drain", () => s.resume());
    }
  };
  s.on("data", (chunk: Buffer) => {
    try {
      if (mode === "done") return;
      if (mode === "echo") return echo(chunk);
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (mode === "sniff") {
        // A request line is a method, a space, a target, a space, a version: decided on
        // its first line; a stream that cannot start one is echoed.
        const nl = buf.indexOf(10);
        const method = /^[A-Z]{1,10} /.test(buf.toString("latin1", 0, 11));
        if (nl < 0) {
          if (buf.length > MAX_HEAD_BYTES && method) return finish(bad(431, "request line too long"), false);
          if (buf.length <= MAX_HEAD_BYTES && (method || /^[A-Z]{0,10}$/.test(buf.toString("latin1", 0, 11)))) return;
        } else if (REQ_LINE.test(buf.toString("latin1", 0, nl))) mode = "http";
        if (mode === "sniff") {
          mode = "echo";
          clearTimeout(deadline);
          const all = buf;
          buf = Buffer.alloc(0);
          return echo(all);
        }
      }
      const end = headEnd(buf);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) finish(bad(431, "request head too large"), false);
        return;
      }
      if (end > MAX_HEAD_BYTES) return finish(bad(431, "request head too large"), false);
      const lines = buf.toString("latin1", 0, end).split(/\r?\n/);
      const m = REQ_LINE.exec(lines[0])!;
      const fields = lines.slice(1).filter((x, i, a) => i < a.length - 2 || x !== "");
      finish(httpAnswer(pod, l, client, m[1], m[2], `${m[3]}.${m[4]}`, fields), m[1] === "HEAD");
    } catch (e) {
      // A bug here costs this connection, never the process.
      log(`${pod.namespace}/${pod.name}:${l.port}: ${(e as Error)?.message ?? e}`);
      s.destroy();
    }
  });
}

/** UDP: echo, "hostname" answers the pod name. */
export function serveDatagram(pod: SupervisorPod, u: UdpSocket, msg: Buffer, r: RemoteInfo, log: Log): void {
  try {
    const reply = msg.length <= 64 && msg.toString("latin1").trim() === "hostname" ? Buffer.from(pod.name) : msg;
    u.send(reply, r.port, r.address, (err) => {
      if (err) log(`udp ${pod.namespace}/${pod.name}: ${err.message}`);
    });
  } catch (e) {
    log(`udp ${pod.namespace}/${pod.name}: ${(e as Error)?.message ?? e}`);
  }
}

/** A listener's stream server settings: bounded connections, errors logged. */
export function guardServer(srv: Server, what: string, log: Log): void {
  srv.maxConnections = MAX_CONNECTIONS;
  srv.on("error", (err) => log(`${what}: ${err.message}`));
}

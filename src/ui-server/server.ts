// The web view's HTTP edge (node:http): the built static app (ui/dist) and a JSON API
// over api.ts. Loopback only. No endpoint runs a command unless the caller passes an
// `exec` function (the CLI does so only for `podnet ui --name N --allow-exec`).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelSession } from "../questions/trace.js";
import type { FlowsReply } from "./types.js";
import {
  ApiInputError,
  fieldText,
  inspectNode,
  mapModel,
  reachModel,
  runTrace,
  type ExecRequest,
  type ExecResult,
  type LiveInfo,
  type MapModel,
  type TraceQuery,
} from "./api.js";

export type { ExecRequest, ExecResult, LiveInfo };
export type { FlowsReply } from "./types.js";

export interface UiServerOptions {
  /** The model asked: its state and IR are drawn, its traces answer /api/trace. */
  session: ModelSession;
  port?: number;
  /** Directory with the built app (default: ui/dist next to the package). */
  staticDir?: string;
  live?: () => LiveInfo;
  exec?: (r: ExecRequest) => Promise<ExecResult>;
  /** The running cluster's last N flows (`podnet ui --name N` as root); absent: /api/flows answers 409. */
  flows?: (last: number) => Promise<FlowsReply>;
}

export interface UiServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export const HOST = "127.0.0.1";

export function defaultStaticDir(): string {
  // dist/src/ui-server/server.js → <package>/ui/dist
  return fileURLToPath(new URL("../../../ui/dist/", import.meta.url));
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

const SECURITY_HEADERS = {
  // Scripts only from this origin: a name that slipped into markup still could not run.
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function send(res: ServerResponse, code: number, body: string | Buffer, type: string): void {
  res.writeHead(code, { "Content-Type": type, "Cache-Control": "no-store", ...SECURITY_HEADERS });
  res.end(body);
}
const json = (res: ServerResponse, code: number, v: unknown) =>
  send(res, code, JSON.stringify(v), "application/json; charset=utf-8");
const text = (res: ServerResponse, code: number, s: string) => send(res, code, s, "text/plain; charset=utf-8");

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new ApiInputError("request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
    throw new ApiInputError("POST bodies must be application/json");
  const b = await readBody(req);
  try {
    const v = JSON.parse(b || "{}");
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ApiInputError(`invalid JSON body: ${(e as Error).message}`);
  }
}

/** Commands /api/exec runs at once; more get 429. */
export const EXEC_CONCURRENCY = 4;

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  let execRunning = 0;
  const staticDir = o.staticDir ?? defaultStaticDir();
  const { state, ir } = o.session;
  let model: MapModel | undefined;
  const getModel = () => (model ??= mapModel(state, ir));
  let port = 0;

  async function serveStatic(res: ServerResponse, path: string): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return text(res, 400, "bad path\n");
    }
    if (rel.endsWith("/")) rel += "index.html";
    const full = normalize(join(staticDir, rel));
    if (!full.startsWith(normalize(staticDir + sep)) && full !== normalize(staticDir))
      return text(res, 403, "forbidden\n");
    try {
      const st = await stat(full);
      if (!st.isFile()) return text(res, 404, "not found\n");
      send(res, 200, await readFile(full), TYPES[extname(full)] ?? "application/octet-stream");
    } catch {
      if (rel === "/index.html")
        return text(res, 500, `the web app is not built (no ${join(staticDir, "index.html")}): run npm run build\n`);
      text(res, 404, "not found\n");
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS-rebinding guard: only our own loopback names may address us.
    const host = String(req.headers.host ?? "");
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) return text(res, 421, "misdirected request\n");
    const url = new URL(req.url ?? "/", `http://${HOST}:${port}`);
    const p = url.pathname;
    const method = req.method ?? "GET";
    if (!p.startsWith("/api/")) {
      if (method !== "GET" && method !== "HEAD") return text(res, 405, "method not allowed\n");
      return serveStatic(res, p);
    }
    const q = Object.fromEntries(url.searchParams) as Record<string, string>;
    try {
      if (p === "/api/state" && method === "GET") {
        const live = o.live?.() ?? {
          allowExec: false,
          status: "not attached (start with podnet ui --name NAME to attach to a running cluster)",
        };
        return json(res, 200, { ...getModel(), live: { ...live, allowExec: !!o.exec && live.allowExec } });
      }
      const m = /^\/api\/ir\/node\/([^/]+)(?:\/(links|addrs|routes|neigh|fdb|rules))?$/.exec(p);
      if (m && method === "GET") {
        let name: string;
        try {
          name = decodeURIComponent(m[1]);
        } catch {
          throw new ApiInputError(`bad node name in the path: ${JSON.stringify(m[1].slice(0, 80))}`);
        }
        const ins = inspectNode(ir, name);
        if (!ins)
          return json(res, 404, {
            error: `unknown node "${name}" (nodes: ${ir.nodes.map((n) => n.name).join(", ")})`,
          });
        if (m[2]) return text(res, 200, ins[m[2] as "links"]);
        return json(res, 200, ins);
      }
      if (p === "/api/trace" && (method === "GET" || method === "POST")) {
        const tq: TraceQuery = method === "POST" ? ((await jsonBody(req)) as TraceQuery) : q;
        return json(res, 200, runTrace(o.session, tq));
      }
      if (p === "/api/reach" && method === "GET") return json(res, 200, reachModel(state, q.namespace));
      if (p === "/api/live" && method === "GET")
        return json(res, 200, o.live?.() ?? { allowExec: false, status: "not attached" });
      if (p === "/api/flows" && method === "GET") {
        if (!o.flows)
          return json(res, 409, { error: "the flow log needs a running cluster: start podnet ui --name NAME as root" });
        const last = q.last === undefined ? 50 : Number(q.last);
        if (!Number.isInteger(last) || last < 1 || last > 1000)
          throw new ApiInputError(
            `last: ${JSON.stringify(String(q.last).slice(0, 20))} is not a number of flows (1 to 1000)`,
          );
        return json(res, 200, await o.flows(last));
      }
      if (p === "/api/exec" && method === "POST") {
        if (!o.exec)
          return json(res, 403, {
            error: "running commands is disabled: start podnet ui --name NAME --allow-exec on a running cluster",
          });
        const b = await jsonBody(req);
        const r: ExecRequest = { from: fieldText(b.from, "from"), to: fieldText(b.to, "to") };
        const port = fieldText(b.port, "port");
        const protocol = fieldText(b.protocol, "protocol");
        if (port !== "") r.port = Number(port);
        if (protocol) r.protocol = protocol;
        if (!r.from || !r.to) throw new ApiInputError("from and to are required");
        if (r.port !== undefined && (!/^[0-9]{1,5}$/.test(port) || r.port < 1 || r.port > 65535))
          throw new ApiInputError(`port must be an integer 1-65535: ${JSON.stringify(port.slice(0, 80))}`);
        if (r.protocol !== undefined && !["tcp", "udp", "icmp"].includes(r.protocol))
          throw new ApiInputError(`protocol must be tcp, udp or icmp: ${JSON.stringify(r.protocol.slice(0, 80))}`);
        // Each exec runs a process in a pod for up to 15 s: a few at once, the rest wait their turn.
        if (execRunning >= EXEC_CONCURRENCY)
          return json(res, 429, { error: `busy: ${EXEC_CONCURRENCY} commands are running, try again` });
        execRunning++;
        try {
          return json(res, 200, await o.exec(r));
        } finally {
          execRunning--;
        }
      }
      return json(res, 404, { error: `no such endpoint: ${method} ${p}` });
    } catch (e) {
      if (e instanceof ApiInputError) return json(res, 400, { error: e.message });
      return json(res, 500, { error: (e as Error).message });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) json(res, 500, { error: String((e as Error)?.message ?? e) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 7080, HOST, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === "object" && addr ? addr.port : (o.port ?? 7080);
  return {
    url: `http://${HOST}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

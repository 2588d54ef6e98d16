// The web view's HTTP edge (node:http): the built static app (ui/dist) and a JSON API
// over api.ts. Loopback only. No endpoint runs a command unless the caller passes an
// `exec` function (the CLI does so only for `podnet ui --name N --allow-exec`).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiInputError, inspectNode, mapModel, reachModel, runTrace, } from "./api.js";
export const HOST = "127.0.0.1";
export function defaultStaticDir() {
    // dist/src/ui-server/server.js → <package>/ui/dist
    return fileURLToPath(new URL("../../../ui/dist/", import.meta.url));
}
const TYPES = {
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
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
};
function send(res, code, body, type) {
    res.writeHead(code, { "Content-Type": type, "Cache-Control": "no-store", ...SECURITY_HEADERS });
    res.end(body);
}
const json = (res, code, v) => send(res, code, JSON.stringify(v), "application/json; charset=utf-8");
const text = (res, code, s) => send(res, code, s, "text/plain; charset=utf-8");
async function readBody(req, limit = 64 * 1024) {
    let size = 0;
    const chunks = [];
    for await (const c of req) {
        size += c.length;
        if (size > limit)
            throw new ApiInputError("request body too large");
        chunks.push(c);
    }
    return Buffer.concat(chunks).toString("utf8");
}
async function jsonBody(req) {
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
        throw new ApiInputError("POST bodies must be application/json");
    const b = await readBody(req);
    try {
        const v = JSON.parse(b || "{}");
        if (typeof v !== "object" || v === null || Array.isArray(v))
            throw new Error("not an object");
        return v;
    }
    catch (e) {
        throw new ApiInputError(`invalid JSON body: ${e.message}`);
    }
}
export async function startUiServer(o) {
    const staticDir = o.staticDir ?? defaultStaticDir();
    const { state, ir } = o.session;
    let model;
    const getModel = () => (model ??= mapModel(state, ir));
    let port = 0;
    async function serveStatic(res, path) {
        let rel;
        try {
            rel = decodeURIComponent(path);
        }
        catch {
            return text(res, 400, "bad path\n");
        }
        if (rel.endsWith("/"))
            rel += "index.html";
        const full = normalize(join(staticDir, rel));
        if (!full.startsWith(normalize(staticDir + sep)) && full !== normalize(staticDir))
            return text(res, 403, "forbidden\n");
        try {
            const st = await stat(full);
            if (!st.isFile())
                return text(res, 404, "not found\n");
            send(res, 200, await readFile(full), TYPES[extname(full)] ?? "application/octet-stream");
        }
        catch {
            if (rel === "/index.html")
                return text(res, 500, `the web app is not built (no ${join(staticDir, "index.html")}): run npm run build\n`);
            text(res, 404, "not found\n");
        }
    }
    async function handle(req, res) {
        // DNS-rebinding guard: only our own loopback names may address us.
        const host = String(req.headers.host ?? "");
        if (host !== `${HOST}:${port}` && host !== `localhost:${port}`)
            return text(res, 421, "misdirected request\n");
        const url = new URL(req.url ?? "/", `http://${HOST}:${port}`);
        const p = url.pathname;
        const method = req.method ?? "GET";
        if (!p.startsWith("/api/")) {
            if (method !== "GET" && method !== "HEAD")
                return text(res, 405, "method not allowed\n");
            return serveStatic(res, p);
        }
        const q = Object.fromEntries(url.searchParams);
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
                const name = decodeURIComponent(m[1]);
                const ins = inspectNode(ir, name);
                if (!ins)
                    return json(res, 404, {
                        error: `unknown node "${name}" (nodes: ${ir.nodes.map((n) => n.name).join(", ")})`,
                    });
                if (m[2])
                    return text(res, 200, ins[m[2]]);
                return json(res, 200, ins);
            }
            if (p === "/api/trace" && (method === "GET" || method === "POST")) {
                const tq = method === "POST" ? (await jsonBody(req)) : q;
                return json(res, 200, runTrace(o.session, tq));
            }
            if (p === "/api/reach" && method === "GET")
                return json(res, 200, reachModel(state, q.namespace));
            if (p === "/api/live" && method === "GET")
                return json(res, 200, o.live?.() ?? { allowExec: false, status: "not attached" });
            if (p === "/api/exec" && method === "POST") {
                if (!o.exec)
                    return json(res, 403, {
                        error: "running commands is disabled: start podnet ui --name NAME --allow-exec on a running cluster",
                    });
                const b = await jsonBody(req);
                const r = { from: String(b.from ?? ""), to: String(b.to ?? "") };
                if (b.port !== undefined && b.port !== "")
                    r.port = Number(b.port);
                if (b.protocol)
                    r.protocol = String(b.protocol);
                if (!r.from || !r.to)
                    throw new ApiInputError("from and to are required");
                if (r.port !== undefined && (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535))
                    throw new ApiInputError(`port must be an integer 1-65535: "${b.port}"`);
                return json(res, 200, await o.exec(r));
            }
            return json(res, 404, { error: `no such endpoint: ${method} ${p}` });
        }
        catch (e) {
            if (e instanceof ApiInputError)
                return json(res, 400, { error: e.message });
            return json(res, 500, { error: e.message });
        }
    }
    const server = createServer((req, res) => {
        handle(req, res).catch((e) => {
            if (!res.headersSent)
                json(res, 500, { error: String(e?.message ?? e) });
            else
                res.end();
        });
    });
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(o.port ?? 7080, HOST, () => resolve());
    });
    const addr = server.address();
    port = typeof addr === "object" && addr ? addr.port : (o.port ?? 7080);
    return {
        url: `http://${HOST}:${port}/`,
        port,
        server,
        close: () => new Promise((resolve) => {
            server.closeAllConnections?.();
            server.close(() => resolve());
        }),
    };
}
//# sourceMappingURL=server.js.map
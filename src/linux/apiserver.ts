// What answers on a control-plane node's kube-apiserver port (the IR's node listener
// "kube-apiserver", 6443) on the running cluster: a small HTTPS server with a self-signed
// certificate, served by the node's supervisor from the socket it inherited (see
// supervisor.ts), answering like an API server to a client without credentials:
//   - anonymous requests (no Authorization header; kubeadm leaves --anonymous-auth on) are
//     user "system:anonymous", group "system:unauthenticated". The ClusterRole
//     system:public-info-viewer (bound to system:authenticated and system:unauthenticated)
//     allows GET /healthz, /livez, /readyz, /version and /version/
//     (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go); everything else is 403
//     Forbidden with a Status whose message is the authorizer's
//     (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
//     forbiddenMessage, staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go NewForbidden);
//   - a request with credentials the server cannot check (any bearer token or basic
//     auth here: podnet issues none) is 401 Unauthorized.
// /version is version.Info written with json.MarshalIndent (responsewriters.WriteRawJSON);
// Status bodies are pretty-printed for curl, Wget and browsers, compact otherwise
// (endpoints/handlers/negotiation/negotiate.go isPrettyPrint).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { join } from "node:path";

/**
 * The version the cluster reports: the nodes' kubelet version (a kind v0.24 node,
 * kindest/node:v1.31.0; views/common.ts DEFAULT_NODE_INFO), as `kubectl version` reads it
 * from the v1.31.0 release's kube-apiserver.
 */
export const APISERVER_VERSION = {
  major: "1",
  minor: "31",
  gitVersion: "v1.31.0",
  gitCommit: "9edcffcde5595e8a5b1a35f88c421764e575afce",
  gitTreeState: "clean",
  buildDate: "2024-08-13T07:28:49Z",
  goVersion: "go1.22.5",
  compiler: "gc",
  platform: "linux/amd64",
};

export interface ApiAnswer {
  status: number;
  type: string;
  body: string;
}

const PUBLIC_INFO = new Set(["/healthz", "/livez", "/readyz", "/version", "/version/"]);

/** The RBAC verb of a request (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go). */
function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case "POST":
      return "create";
    case "GET":
    case "HEAD":
      return watch ? "watch" : named ? "get" : "list";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return named ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

/**
 * A resource request's parts (/api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]] and
 * /apis/GROUP/VERSION/…), undefined for a non-resource path.
 */
function resourceOf(path: string) {
  const parts = path.split("/").filter(Boolean);
  let rest: string[];
  let group = "";
  if (parts[0] === "api" && parts.length >= 3) rest = parts.slice(2);
  else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1];
    rest = parts.slice(3);
  } else return undefined;
  let namespace = "";
  // "namespaces/NS" is a namespace's scope unless it is the namespace object itself.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name = "", sub = ""] = rest;
  if (!resource) return undefined;
  return { group, namespace, resource, name, sub };
}

/** metav1.Status as the API server writes it (field order of the Go struct). */
function status(code: number, reason: string, message: string, details: Record<string, string> | undefined) {
  const s: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
  };
  if (details) s.details = details;
  s.code = code;
  return s;
}

const json = (o: unknown, pretty: boolean) => (pretty ? JSON.stringify(o, null, 2) : `${JSON.stringify(o)}\n`);

/** The answer to one request of a client that presents no valid credentials. */
export function apiserverAnswer(
  method: string,
  target: string,
  headers: Record<string, string | string[] | undefined>,
): ApiAnswer {
  const url = new URL(target, "https://x");
  const ua = String(headers["user-agent"] ?? "");
  const q = url.searchParams.get("pretty");
  const pretty = q !== null && q !== "" ? q === "true" || q === "1" : /^(curl|Wget|Mozilla\/5\.0)/.test(ua);
  const type = "application/json";
  if (headers.authorization)
    return { status: 401, type, body: json(status(401, "Unauthorized", "Unauthorized", undefined), pretty) };
  const path = url.pathname;
  if ((method === "GET" || method === "HEAD") && PUBLIC_INFO.has(path)) {
    if (path.startsWith("/version")) return { status: 200, type, body: JSON.stringify(APISERVER_VERSION, null, 2) };
    return { status: 200, type: "text/plain; charset=utf-8", body: "ok" };
  }
  const user = `User "system:anonymous"`;
  const r = resourceOf(path);
  if (!r) {
    const message = `forbidden: ${user} cannot ${method.toLowerCase()} path ${JSON.stringify(path)}`;
    return { status: 403, type, body: json(status(403, "Forbidden", message, {}), pretty) };
  }
  const verb = verbOf(method, r.name !== "", url.searchParams.get("watch") === "true");
  const resource = r.sub ? `${r.resource}/${r.sub}` : r.resource;
  const scope = r.namespace ? `in the namespace ${JSON.stringify(r.namespace)}` : "at the cluster scope";
  const why = `${user} cannot ${verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(r.group)} ${scope}`;
  const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
  const message = r.name ? `${gr} ${JSON.stringify(r.name)} is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
  const details: Record<string, string> = {};
  if (r.name) details.name = r.name;
  if (r.group) details.group = r.group;
  details.kind = r.resource;
  return { status: 403, type, body: json(status(403, "Forbidden", message, details), pretty) };
}

/**
 * The serving certificate and key (PEM) in `dir`, made on first use with openssl: a
 * self-signed RSA 2048 certificate, as kube-apiserver makes one when given none
 * (client-go util/cert GenerateSelfSignedCertKey), for the names kubeadm puts in
 * apiserver.crt (cmd/kubeadm/app/util/pkiutil/pki_helpers.go GetAPIServerAltNames).
 */
export function apiserverCert(dir: string, node: string, sans: string[]): { key: string; cert: string } {
  const key = join(dir, `apiserver-${node}.key`);
  const cert = join(dir, `apiserver-${node}.crt`);
  if (!existsSync(key) || !existsSync(cert)) {
    const alt = sans.map((s) => (/^\d+\.\d+\.\d+\.\d+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(",");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "365",
        "-subj",
        "/CN=kube-apiserver",
        "-addext",
        `subjectAltName=${alt}`,
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  }
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

/**
 * The first five bytes of a connection that Go's HTTPS server takes for plain HTTP
 * (net/http server.go tlsRecordHeaderLooksLikeHTTP): it answers those with a bare 400.
 */
const HTTP_STARTS = new Set(["GET /", "HEAD ", "POST ", "PUT /", "OPTIO"]);
/** Go's answer to them, written on the raw connection, which it then closes (server.go, conn.serve). */
const PLAIN_HTTP_ANSWER = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
/** kube-apiserver's ReadHeaderTimeout, which bounds its TLS handshakes too (apiserver/pkg/server/secure_serving.go). */
const HANDSHAKE_MS = 32_000;

/**
 * The API server's TLS port, not yet listening: each connection's first five bytes are
 * read first; plain HTTP gets Go's 400, anything else goes on to the TLS server (Node's
 * TLSSocket takes the bytes read back with unshift, _tls_wrap.js initRead).
 */
export function apiserverListener(tls: { key: string; cert: string }, onError: (e: Error) => void): NetServer {
  const https = createServer({ ...tls, handshakeTimeout: HANDSHAKE_MS }, (req, res) => {
    const a = apiserverAnswer(req.method ?? "GET", req.url ?? "/", req.headers);
    res.writeHead(a.status, { "Content-Type": a.type, "Content-Length": Buffer.byteLength(a.body) });
    res.end(req.method === "HEAD" ? undefined : a.body);
  });
  https.on("error", onError);
  // Other non-TLS bytes: Go closes the connection without an answer.
  https.on("tlsClientError", (_e, s) => s.destroy());
  const srv = createNetServer((s) => {
    let head = Buffer.alloc(0);
    s.setTimeout(HANDSHAKE_MS, () => s.destroy());
    s.on("error", () => s.destroy());
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      if (head.length < 5) return;
      s.off("data", onData);
      s.pause();
      s.setTimeout(0);
      if (HTTP_STARTS.has(head.subarray(0, 5).toString("latin1"))) {
        s.end(PLAIN_HTTP_ANSWER);
        return;
      }
      s.unshift(head);
      https.emit("connection", s);
    };
    s.on("data", onData);
  });
  srv.on("error", onError);
  return srv;
}

/** Serves the API server's answers on an inherited listening socket. */
export function serveApiserver(fd: number, tls: { key: string; cert: string }, onError: (e: Error) => void): NetServer {
  return apiserverListener(tls, onError).listen({ fd });
}

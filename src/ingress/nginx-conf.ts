// nginx.conf for the ingress controller pods, generated from the router's servers
// (nginx.ts) the way ingress-nginx's template shapes it (kubernetes/ingress-nginx
// rootfs/etc/nginx/template/nginx.tmpl, internal/ingress/controller/template/template.go):
//  - one `server` per host (`server_name _` is the default server answering 404 from the
//    controller's default backend); a wildcard host `*.foo.com` becomes the regex
//    `~^(?<subdomain>[\w-]+)\.foo\.com$` (buildServerName);
//  - locations as buildLocation writes them: `= /p` for Exact, `/p/` and `= /p` for Prefix,
//    the plain prefix for ImplementationSpecific, `~* "^/p"` for every path of a server in
//    use-regex mode (the router already holds them in that form and order);
//  - every server listens on 80 and on 443 with its certificate (the TLS Secret's, else the
//    controller's fake certificate); a host with TLS redirects http to https with 308
//    (ssl-redirect, http-redirect-code), permanent-/temporal-redirect annotations `return`;
//  - the proxy headers nginx.tmpl sets (X-Request-ID, X-Real-IP, X-Forwarded-For/-Host/
//    -Port/-Proto/-Scheme, X-Scheme) and `proxy_pass` to an upstream of the Service's ready
//    endpoints (ingress-nginx balances over endpoints, not the ClusterIP). A backend with
//    no ready endpoint goes to an internal server answering 503, as ingress-nginx's does.
// Pure: the caller (src/linux/ingress-proxy.ts) writes the files and runs nginx.
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import {
  backendIndex,
  FAKE_CERTIFICATE,
  type IngressRouter,
  type Location,
  resolveBackend,
  type Server,
} from "./nginx.js";

const ANN = "nginx.ingress.kubernetes.io/";
/** The controller's default backend (ingress-nginx's runs on 127.0.0.1:8181 too) and the 503 one. */
export const DEFAULT_BACKEND_PORT = 8181;
export const NO_ENDPOINTS_PORT = 8182;
/** ingress-nginx's status server (nginx.tmpl: listen 127.0.0.1:10246, /nginx_status). */
export const STATUS_PORT = 10246;

/** A certificate the configuration needs: a TLS Secret's, or the controller's fake one. */
export interface CertificateNeed {
  /** "ns/name" of the Secret, or FAKE_CERTIFICATE. */
  id: string;
  /** The hosts it serves (the certificate's names when it must be generated). */
  hosts: string[];
  /** The Secret's own PEM (tls.crt / tls.key decoded), when it has real ones. */
  pem?: { cert: string; key: string };
}

export interface NginxFiles {
  /** Directory of the instance: pid, logs, temp directories. */
  dir: string;
  /** Certificate and key files per CertificateNeed.id (FAKE_CERTIFICATE must be present). */
  certificates: ReadonlyMap<string, { cert: string; key: string }>;
  /** Worker processes (ingress-nginx: auto; podnet keeps it small). */
  workers?: number;
}

/** The certificates the servers use (the fake one always: the default server serves it). */
export function certificateNeeds(router: IngressRouter, state: ClusterState): CertificateNeed[] {
  const secrets = new Map<string, KubeObject>();
  for (const o of state.objects ?? [])
    if (o.kind === "Secret") secrets.set(`${o.metadata.namespace ?? "default"}/${o.metadata.name}`, o);
  const needs = new Map<string, CertificateNeed>([[FAKE_CERTIFICATE, { id: FAKE_CERTIFICATE, hosts: [] }]]);
  for (const s of router.servers.values()) {
    if (!s.certificate || s.certificate === FAKE_CERTIFICATE) continue;
    let n = needs.get(s.certificate);
    if (!n) {
      n = { id: s.certificate, hosts: [] };
      const pem = secretPem(secrets.get(s.certificate));
      if (pem) n.pem = pem;
      needs.set(s.certificate, n);
    }
    n.hosts.push(s.host);
  }
  return [...needs.values()];
}

/** tls.crt and tls.key of a Secret when both decode to PEM blocks (else podnet generates a pair). */
export function secretPem(secret: KubeObject | undefined): { cert: string; key: string } | null {
  const data = (secret?.data ?? {}) as Record<string, unknown>;
  const str = (secret?.stringData ?? {}) as Record<string, unknown>;
  const read = (k: string): string | null => {
    if (typeof str[k] === "string") return str[k] as string;
    if (typeof data[k] !== "string") return null;
    try {
      return Buffer.from(data[k] as string, "base64").toString("utf8");
    } catch {
      return null;
    }
  };
  const cert = read("tls.crt");
  const key = read("tls.key");
  if (!cert || !key) return null;
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(cert)) return null;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/.test(key)) return null;
  return { cert, key };
}

/** nginx's double-quoted string: `"` and `\` escaped; `$` through the $dollar variable (no literal `$` in nginx strings). */
export function q(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\$/g, "${dollar}")}"`;
}

/** A location's argument quoted (the regex source as ingress-nginx writes it, `~* "^/p"`). */
function locationArg(l: Location): string {
  if (l.regex) return `~* ${q(`^${l.path}`)}`;
  return l.exact ? `= ${q(l.path)}` : q(l.path);
}

/** buildServerName: `*.foo.com` → `~^(?<subdomain>[\w-]+)\.foo\.com$`. */
export function serverName(host: string): string {
  if (!host.startsWith("*.")) return host;
  return `~^(?<subdomain>[\\w-]+)${host.slice(1).replace(/\./g, "\\.")}$`;
}

// Host names as the API validates them (a DNS-1123 subdomain, a leading `*.` allowed):
// anything else would not be a server_name nginx reads as a name.
const HOST_OK = /^(\*\.)?[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;

/** upstreamName: namespace-service-port. */
const upstreamName = (ns: string, name: string, port: number | string) => `${ns}-${name}-${port}`;

/** The whole nginx.conf. */
export function nginxConf(router: IngressRouter, state: ClusterState, files: NginxFiles): string {
  const idx = backendIndex(state);
  const upstreams = new Map<string, string[]>();
  const cert = (id: string | null) =>
    files.certificates.get(id ?? FAKE_CERTIFICATE) ?? files.certificates.get(FAKE_CERTIFICATE)!;
  const d = files.dir;
  const out: string[] = [
    `# Generated by podnet from the Ingresses of IngressClass ${router.controller.ingressClass}`,
    "# (shaped as ingress-nginx's rootfs/etc/nginx/template/nginx.tmpl writes nginx.conf).",
    ...nginxHead(d, files.workers ?? 2, ["    multi_accept on;"]),
    "    # a literal $ inside quoted strings (nginx strings have no escape for it)",
    '    geo $dollar { default "$"; }',
    "    # nginx.tmpl: the request id is the client's X-Request-ID, else a new one",
    "    map $http_x_request_id $req_id {",
    "        default $http_x_request_id;",
    '        "" $request_id;',
    "    }",
    "    map $http_host $best_http_host {",
    "        default $http_host;",
    '        "" $host;',
    "    }",
    "    map $http_upgrade $connection_upgrade {",
    "        default upgrade;",
    "        '' '';",
    "    }",
    "    # hsts (on by default): on https answers of hosts with TLS only",
    "    map $scheme $hsts_header {",
    '        https "max-age=31536000; includeSubDomains";',
    '        default "";',
    "    }",
  ];
  const servers: string[] = [];
  for (const s of router.servers.values()) {
    if (s.host !== "_" && !HOST_OK.test(s.host)) {
      servers.push(`    # host ${JSON.stringify(s.host.slice(0, 80))} skipped: not a DNS name nginx can serve`);
      continue;
    }
    servers.push(...serverBlock(s, cert(s.certificate), idx, upstreams));
  }
  for (const [name, eps] of upstreams) {
    out.push(`    upstream ${name} {`);
    for (const e of eps) out.push(`        server ${e} max_fails=0;`);
    out.push("    }");
  }
  out.push(
    "    upstream upstream-default-backend {",
    `        server 127.0.0.1:${DEFAULT_BACKEND_PORT};`,
    "    }",
    "    upstream upstream-no-endpoints {",
    `        server 127.0.0.1:${NO_ENDPOINTS_PORT};`,
    "    }",
    ...servers,
    "    # the controller's default backend: 404 for what no Ingress serves",
    "    server {",
    `        listen 127.0.0.1:${DEFAULT_BACKEND_PORT};`,
    '        location / { default_type text/plain; return 404 "default backend - 404\\n"; }',
    "    }",
    "    # ingress-nginx answers 503 when a backend Service has no ready endpoint",
    "    server {",
    `        listen 127.0.0.1:${NO_ENDPOINTS_PORT};`,
    '        location / { default_type text/plain; return 503 "503 Service Temporarily Unavailable\\n"; }',
    "    }",
    "    # the status server (nginx.tmpl); /configuration-hash tells a reload is done",
  );
  return nginxTail(out);
}

/**
 * Ends the configurations of nginxHead: the status server (stub_status, and the hash of the
 * whole text on /configuration-hash, so a reload can be seen to be done), the http block's
 * end, and the text with its hash filled in.
 */
export function nginxTail(out: string[]): string {
  out.push(
    "    server {",
    `        listen 127.0.0.1:${STATUS_PORT};`,
    "        location = /nginx_status { stub_status on; }",
    '        location = /configuration-hash { default_type text/plain; return 200 "@HASH@"; }',
    "    }",
    "}",
  );
  const text = `${out.join("\n")}\n`;
  return text.replace("@HASH@", confHash(text));
}

/** The hash a configuration's status server answers on /configuration-hash. */
export function configurationHash(conf: string): string | null {
  return /location = \/configuration-hash \{[^}]*return 200 "([0-9a-f]{16})"/.exec(conf)?.[1] ?? null;
}

/** FNV-1a 64 of the text (hex): which configuration a running nginx serves. */
export function confHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

function serverBlock(
  s: Server,
  cert: { cert: string; key: string },
  idx: ReturnType<typeof backendIndex>,
  upstreams: Map<string, string[]>,
): string[] {
  const catchAll = s.host === "_";
  const out = [
    `    ## start server ${s.host}`,
    "    server {",
    `        server_name ${catchAll ? "_" : serverName(s.host)};`,
    `        listen 80${catchAll ? " default_server reuseport backlog=4096" : ""};`,
    `        listen 443${catchAll ? " default_server reuseport backlog=4096" : ""} ssl;`,
    `        ssl_certificate ${cert.cert};`,
    `        ssl_certificate_key ${cert.key};`,
  ];
  if (s.certificate) out.push("        add_header Strict-Transport-Security $hsts_header always;");
  for (const l of s.locations) out.push(...locationBlock(s, l, idx, upstreams));
  out.push("    }", `    ## end server ${s.host}`);
  return out;
}

function locationBlock(
  s: Server,
  l: Location,
  idx: ReturnType<typeof backendIndex>,
  upstreams: Map<string, string[]>,
): string[] {
  const out = [`        location ${locationArg(l)} {`];
  const body = (line: string) => out.push(`            ${line}`);
  if (l.ingress)
    body(
      `# ${l.ingress.metadata.namespace ?? "default"}/${l.ingress.metadata.name} rule ${l.rule ?? "-"}: ${l.match ?? ""}`,
    );
  const ann = l.annotations;
  const perm = l.ingress ? ann[`${ANN}permanent-redirect`] : undefined;
  const temp = l.ingress ? ann[`${ANN}temporal-redirect`] : undefined;
  if (perm) {
    const code = Number(ann[`${ANN}permanent-redirect-code`] ?? 301);
    body(`return ${code >= 300 && code <= 308 ? code : 301} ${q(perm)};`);
  } else if (temp) body(`return 302 ${q(temp)};`);
  else if (!l.backend) body("proxy_pass http://upstream-default-backend;");
  else {
    const force = ann[`${ANN}force-ssl-redirect`] === "true";
    if (force || (ann[`${ANN}ssl-redirect`] !== "false" && s.certificate !== null))
      body("if ($scheme = http) { return 308 https://$host$request_uri; }");
    const r = resolveBackend(idx, l.backend);
    let upstream = "upstream-no-endpoints";
    if (r.endpoints.length) {
      upstream = upstreamName(l.backend.namespace, l.backend.name, r.port);
      upstreams.set(upstream, r.endpoints);
    }
    body(`set $service_name ${q(l.backend.name)};`);
    body(`set $service_port ${q(String(r.port))};`);
    body("proxy_http_version 1.1;");
    body("proxy_set_header Host $best_http_host;");
    body("proxy_set_header Upgrade $http_upgrade;");
    body("proxy_set_header Connection $connection_upgrade;");
    body("proxy_set_header X-Request-ID $req_id;");
    body("proxy_set_header X-Real-IP $remote_addr;");
    body("proxy_set_header X-Forwarded-For $remote_addr;");
    body("proxy_set_header X-Forwarded-Host $best_http_host;");
    body("proxy_set_header X-Forwarded-Port $server_port;");
    body("proxy_set_header X-Forwarded-Proto $scheme;");
    body("proxy_set_header X-Forwarded-Scheme $scheme;");
    body("proxy_set_header X-Scheme $scheme;");
    body('proxy_set_header Proxy "";');
    body("proxy_connect_timeout 5s;");
    body(`proxy_pass http://${upstream};`);
  }
  out.push("        }");
  return out;
}

/**
 * The process settings and the start of the http block that the ingress controller's and
 * the Gateway's configurations share: every path under the pod's directory `d`.
 */
export function nginxHead(d: string, workers: number, events: string[] = []): string[] {
  return [
    "daemon off;",
    "master_process on;",
    `worker_processes ${workers};`,
    `pid ${d}/nginx.pid;`,
    `error_log ${d}/error.log notice;`,
    "worker_shutdown_timeout 240s;",
    "events {",
    "    worker_connections 16384;",
    ...events,
    "}",
    "http {",
    `    client_body_temp_path ${d}/tmp/client-body;`,
    `    proxy_temp_path ${d}/tmp/proxy;`,
    `    fastcgi_temp_path ${d}/tmp/fastcgi;`,
    `    uwsgi_temp_path ${d}/tmp/uwsgi;`,
    `    scgi_temp_path ${d}/tmp/scgi;`,
    "    access_log off;",
    "    server_tokens off;",
    "    server_names_hash_bucket_size 128;",
    "    server_names_hash_max_size 65536;",
    "    map_hash_bucket_size 128;",
    "    keepalive_timeout 75s;",
  ];
}

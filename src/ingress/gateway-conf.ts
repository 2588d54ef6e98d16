// nginx.conf for podnet's Gateway pods (controller podnet.dev/gateway), generated from the
// router's listener tables (gateway.ts) the way NGINX Gateway Fabric shapes its
// configuration (https://github.com/nginx/nginx-gateway-fabric, internal/mode/static/nginx/
// config: servers.go, maps.go, split_clients.go, upstreams.go):
//  - one `server` per listener (port, protocol, hostname as `server_name`; a listener
//    without hostname is the port's default server, else a default server answers 404);
//    HTTPS listeners terminate TLS with their first certificateRef's Secret;
//  - every HTTPRoute match becomes an internal location (`/_podnet-gw/N`, NGF's
//    `/_ngf-internal-ruleR-routeN`) holding the rule's filters and its proxy_pass;
//  - which match wins: NGF asks njs (httpmatches.js) to test method, headers and query
//    parameters. Without njs one `map` per listener does it: its source joins the request's
//    host, method, normalized path, raw query and the headers the matches name (with a
//    0x1F byte between them, which none of them carries); each match is one anchored regular
//    expression, written in the router's precedence order — nginx tries a map's regular
//    expressions in the order they appear (https://nginx.org/en/docs/http/ngx_http_map_module.html),
//    so the first that matches is the match the specification's precedence picks.
//    `location /` rewrites to the winner's internal location; none: 404;
//  - backendRefs: one upstream per Service port of the ready endpoints (NGF proxies to
//    endpoints, not ClusterIPs); several weighted backends are split with `split_clients`
//    by weight, as NGF does; an invalid backend's share answers 500, one without
//    endpoints 503; a rule with no usable backend, or an ExtensionRef filter, 500;
//  - RequestRedirect → `return 301|302`, URLRewrite → the proxied path and Host,
//    RequestHeaderModifier → proxy_set_header (add appends to the client's value, as NGF's
//    maps do).
//  - query parameters compare decoded, as httpmatches.js reads them from njs's r.args: the map
//    matches their raw forms (regex.ts); an empty or absent header or parameter never matches;
//    a RegularExpression is rewritten from its tokens so it stays inside its field.
// Known differences from the model (said, not hidden): a RegularExpression with a
// backreference or lookbehind is written as given (ECMAScript read as PCRE) and could reach
// across fields; a query one with those or a word boundary is tested on values sent without
// `%` or `+` only.
// Pure: src/linux/ingress-proxy.ts writes the files and runs nginx.
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import type { GatewayRouter, ListenerTable, RouteMatch } from "./gateway.js";
import { backendIndex, FAKE_CERTIFICATE, resolveBackend } from "./nginx.js";
import { type CertificateNeed, nginxHead, nginxTail, q, secretPem } from "./nginx-conf.js";
import { fieldPattern, rawLiteral, rawQueryPattern, userSource } from "./regex.js";

/** Local servers answering the statuses a split can send a share to. */
export const GW_500_PORT = 10247;
export const GW_503_PORT = 10248;

export interface GatewayFiles {
  dir: string;
  certificates: ReadonlyMap<string, { cert: string; key: string }>;
  workers?: number;
}

const SEP = "\x1f";
const nsOf = (o: KubeObject) => o.metadata.namespace ?? "default";
const keyOf = (o: KubeObject) => `${nsOf(o)}/${o.metadata.name}`;
const HOST_OK = /^(\*\.)?[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;
const TOKEN = /^[A-Za-z0-9!#%&'*+.^_`|~-]+$/;

/** A regular expression as an nginx string: `\\` and `"` escaped, `$` kept (map keys and `if` patterns take no variables). */
const qr = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** A literal inside a PCRE pattern. */
const lit = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);

/** A user's pattern as a whole-field group: a leading ^ and trailing $ dropped (the field is anchored). */
function group(src: string): string {
  let s = src.startsWith("^") ? src.slice(1) : src;
  if (s.endsWith("$") && !s.endsWith("\\$")) s = s.slice(0, -1);
  return `(?:${s})`;
}

/** A user's pattern kept inside its field (regex.ts); as written when it cannot be rewritten. */
const fieldRegex = (src: string) => fieldPattern(src) ?? group(src);

/** nginx's variable for a request header: lower case, `-` as `_`. */
const headerVar = (name: string) => `$http_${name.toLowerCase().replace(/-/g, "_")}`;

/** The listener's certificate: its first certificateRef (a Secret), else the fake one. */
function listenerCertificate(router: GatewayRouter, l: ListenerTable): string {
  const gw = router.gateways.find((g) => keyOf(g) === l.gateway);
  const spec = (Array.isArray(gw?.spec?.listeners) ? gw.spec.listeners : []).find(
    (x: { name?: unknown }) => x?.name === l.name,
  );
  const ref = Array.isArray(spec?.tls?.certificateRefs) ? spec.tls.certificateRefs[0] : undefined;
  if (!ref || typeof ref.name !== "string" || (ref.kind ?? "Secret") !== "Secret" || (ref.group ?? "") !== "")
    return FAKE_CERTIFICATE;
  return `${typeof ref.namespace === "string" ? ref.namespace : l.gateway.split("/")[0]}/${ref.name}`;
}

/** The listeners nginx serves: HTTP/HTTPS, one per port and hostname (the first, as the router picks). */
function servedListeners(router: GatewayRouter): { l: ListenerTable; skipped: string | null }[] {
  const out: { l: ListenerTable; skipped: string | null }[] = [];
  const protocolOf = new Map<number, string>();
  const seen = new Set<string>();
  for (const l of router.listeners) {
    let skipped: string | null = null;
    if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") skipped = `protocol ${l.protocol} is not HTTP or HTTPS`;
    else if (l.port < 1 || l.port > 65535) skipped = `port ${l.port}`;
    else if (l.hostname !== null && !HOST_OK.test(l.hostname)) skipped = "hostname is not a DNS name";
    else if ((protocolOf.get(l.port) ?? l.protocol) !== l.protocol)
      skipped = `port ${l.port} is already served as ${protocolOf.get(l.port)}`;
    else if (seen.has(`${l.port} ${l.hostname ?? ""}`))
      skipped = "an earlier listener has the same port and hostname (it takes the requests)";
    if (!skipped) {
      protocolOf.set(l.port, l.protocol);
      seen.add(`${l.port} ${l.hostname ?? ""}`);
    }
    out.push({ l, skipped });
  }
  return out;
}

/** The certificates the HTTPS listeners use (the fake one always). */
export function gatewayCertificateNeeds(router: GatewayRouter, state: ClusterState): CertificateNeed[] {
  const secrets = new Map<string, KubeObject>();
  for (const o of state.objects ?? []) if (o.kind === "Secret") secrets.set(keyOf(o), o);
  const needs = new Map<string, CertificateNeed>([[FAKE_CERTIFICATE, { id: FAKE_CERTIFICATE, hosts: [] }]]);
  for (const { l, skipped } of servedListeners(router)) {
    if (skipped || l.protocol !== "HTTPS") continue;
    const id = listenerCertificate(router, l);
    if (id === FAKE_CERTIFICATE) continue;
    let n = needs.get(id);
    if (!n) {
      n = { id, hosts: [] };
      const pem = secretPem(secrets.get(id));
      if (pem) n.pem = pem;
      needs.set(id, n);
    }
    const hosts = l.hostname ? [l.hostname] : [...l.exact.keys(), ...[...l.wildcard.keys()].map((s) => `*${s}`)];
    for (const h of hosts) if (HOST_OK.test(h) && !n.hosts.includes(h)) n.hosts.push(h);
  }
  return [...needs.values()];
}

interface Ctx {
  idx: ReturnType<typeof backendIndex>;
  ids: Map<RouteMatch, number>;
  upstreams: Map<string, string[]>;
  splits: string[];
  maps: string[];
}

/** The whole nginx.conf of the Gateway pods. */
export function gatewayConf(router: GatewayRouter, state: ClusterState, files: GatewayFiles): string {
  const d = files.dir;
  const ctx: Ctx = { idx: backendIndex(state), ids: new Map(), upstreams: new Map(), splits: [], maps: [] };
  const cert = (id: string) => files.certificates.get(id) ?? files.certificates.get(FAKE_CERTIFICATE)!;
  const servers: string[] = [];
  const listeners = servedListeners(router);
  const defaults = new Map<number, string>();
  listeners.forEach(({ l, skipped }, i) => {
    if (skipped) {
      servers.push(`    # listener ${l.gateway}/${l.name} skipped: ${skipped}`);
      return;
    }
    if (l.hostname === null) defaults.set(l.port, l.protocol);
    servers.push(...serverBlock(router, l, i, ctx, cert(listenerCertificate(router, l))));
  });
  // A port whose listeners all have hostnames: a request for another host meets no listener (404).
  for (const { l, skipped } of listeners) {
    if (skipped || defaults.has(l.port)) continue;
    defaults.set(l.port, l.protocol);
    const ssl = l.protocol === "HTTPS";
    servers.push(
      `    # port ${l.port}: no listener takes other hosts`,
      "    server {",
      `        listen ${l.port} default_server${ssl ? " ssl" : ""};`,
      "        server_name _;",
      ...(ssl
        ? [
            `        ssl_certificate ${cert(FAKE_CERTIFICATE).cert};`,
            `        ssl_certificate_key ${cert(FAKE_CERTIFICATE).key};`,
          ]
        : []),
      '        location / { default_type text/plain; return 404 "404 no listener for this host\\n"; }',
      "    }",
    );
  }
  const out: string[] = [
    `# Generated by podnet for the Gateways of controller ${router.controllerName}`,
    "# (shaped as NGINX Gateway Fabric's internal/mode/static/nginx/config writes it, without njs).",
    ...nginxHead(d, files.workers ?? 2),
    '    geo $dollar { default "$"; }',
    "    # the path as the client sent it (a redirect keeps it)",
    "    map $request_uri $gw_raw_path {",
    '        "~^(?<p>[^?]*)" $p;',
    "    }",
    "    map $http_upgrade $connection_upgrade {",
    "        default upgrade;",
    "        '' close;",
    "    }",
    ...ctx.maps,
    ...ctx.splits,
  ];
  for (const [name, eps] of ctx.upstreams) {
    out.push(`    upstream ${name} {`);
    for (const e of eps) out.push(`        server ${e} max_fails=0;`);
    out.push("    }");
  }
  out.push(
    `    upstream podnet-gw-500 { server 127.0.0.1:${GW_500_PORT}; }`,
    `    upstream podnet-gw-503 { server 127.0.0.1:${GW_503_PORT}; }`,
    ...servers,
    "    # a backend share that is invalid (the spec: 500) or has no ready endpoint (503)",
    "    server {",
    `        listen 127.0.0.1:${GW_500_PORT};`,
    '        location / { default_type text/plain; return 500 "500 invalid backendRef\\n"; }',
    "    }",
    "    server {",
    `        listen 127.0.0.1:${GW_503_PORT};`,
    '        location / { default_type text/plain; return 503 "503 no ready endpoints\\n"; }',
    "    }",
  );
  return nginxTail(out);
}

/** The listener's matches in the order the router tries them (see the header). */
function orderedMatches(l: ListenerTable): { host: string; m: RouteMatch }[] {
  const out: { host: string; m: RouteMatch }[] = [];
  for (const [h, list] of l.exact) for (const m of list) out.push({ host: lit(h), m });
  const wild = [...l.wildcard].sort((a, b) => b[0].length - a[0].length);
  for (const [suffix, list] of wild) for (const m of list) out.push({ host: `[^\\x1f]+${lit(suffix)}`, m });
  for (const m of l.any) out.push({ host: "[^\\x1f]*", m });
  return out;
}

function pathPattern(m: RouteMatch): string {
  if (m.pathKind === 0) return lit(m.path);
  if (m.pathKind === 1) return fieldRegex(m.regex ? userSource(m.regex) : m.path);
  return m.path === "/" ? "/[^\\x1f]*" : `${lit(m.path)}(?:/[^\\x1f]*)?`;
}

/**
 * The query field: the first parameter of that name has that value (HTTPQueryParamMatch),
 * both compared decoded as the model and httpmatches.js do. nginx's `$args` is raw, so the
 * name and value are written to match their percent-encoded forms (regex.ts); a pattern that
 * cannot be rewritten so is tested on values sent without `%` or `+` only. An empty value
 * never matches.
 */
function queryPattern(m: RouteMatch): string {
  if (m.query.length === 0) return "[^\\x1f]*";
  // Each parameter as a lookahead on the whole raw query.
  const parts = m.query.map((p) => {
    const n = rawLiteral(p.name, true);
    let v: string;
    if (p.exact !== null) v = rawLiteral(p.exact);
    else {
      const src = userSource(p.re!);
      v = rawQueryPattern(src) ?? `(?=[^%+&\\x1f]*(?:&|\\x1f|$))${group(src)}`;
    }
    return `(?=(?:(?!${n}(?:[=&\\x1f]|$))[^&\\x1f]*&)*${n}=(?=[^&\\x1f])${v}(?:&|\\x1f|$))`;
  });
  return `${parts.join("")}[^\\x1f]*`;
}

function serverBlock(
  router: GatewayRouter,
  l: ListenerTable,
  li: number,
  ctx: Ctx,
  cert: { cert: string; key: string },
): string[] {
  const matches = orderedMatches(l);
  // The headers this listener's matches name: fields of the map's source.
  const headers: string[] = [];
  for (const { m } of matches)
    for (const h of m.headers) if (TOKEN.test(h.name) && !headers.includes(h.name)) headers.push(h.name);
  const v = `$gw_match_${li}`;
  const source = ["$host", "$request_method", "$uri", "$args", ...headers.map(headerVar)].join(SEP);
  ctx.maps.push(`    # listener ${l.gateway}/${l.name}: the first match in precedence order`);
  ctx.maps.push(`    map "${source}" ${v} {`, '        default "none";');
  const used: RouteMatch[] = [];
  for (const { host, m } of matches) {
    if (m.headers.some((h) => !TOKEN.test(h.name))) continue;
    let id = ctx.ids.get(m);
    if (id === undefined) ctx.ids.set(m, (id = ctx.ids.size));
    const fields = [host, m.method ? lit(m.method) : "[^\\x1f]*", pathPattern(m), queryPattern(m)];
    for (const name of headers) {
      const h = m.headers.find((x) => x.name === name);
      // An absent or empty header never matches (matchOne in gateway-route.ts).
      if (!h) fields.push("[^\\x1f]*");
      else if (h.exact !== null) fields.push(`(?=[^\\x1f])${lit(h.exact)}`);
      else fields.push(`(?=[^\\x1f])${fieldRegex(userSource(h.re!))}`);
    }
    ctx.maps.push(
      `        ${qr(`~^${fields.join("\\x1f")}$`)} ${id}; # ${m.routeKey} rule ${m.rule}: ${m.text.replace(/[\r\n]/g, " ")}`,
    );
    if (!used.includes(m)) used.push(m);
  }
  ctx.maps.push("    }");
  const ssl = l.protocol === "HTTPS";
  const out = [
    `    ## listener ${l.gateway}/${l.name} (${l.protocol} ${l.port}${l.hostname ? ` ${l.hostname}` : ""})`,
    "    server {",
    `        listen ${l.port}${l.hostname === null ? " default_server" : ""}${ssl ? " ssl" : ""};`,
    `        server_name ${l.hostname ?? "_"};`,
  ];
  if (ssl) out.push(`        ssl_certificate ${cert.cert};`, `        ssl_certificate_key ${cert.key};`);
  out.push(
    "        location / {",
    "            set $gw_uri $uri;",
    `            rewrite ^ /_podnet-gw/${v} last;`,
    "        }",
    "        location = /_podnet-gw/none {",
    "            internal;",
    '            default_type text/plain; return 404 "404 no HTTPRoute matches\\n";',
    "        }",
  );
  for (const m of used) out.push(...matchLocation(l, m, ctx));
  out.push("    }");
  return out;
}

const wellKnown = (scheme: string) => (scheme === "https" ? 443 : 80);

/** The rewritten path into $gw_path (URLRewrite / RequestRedirect path: HTTPPathModifier); false when none. */
function pathModifier(mod: unknown, m: RouteMatch, body: (s: string) => void): boolean {
  const p = mod as { type?: unknown; replaceFullPath?: unknown; replacePrefixMatch?: unknown } | undefined;
  if (!p || typeof p !== "object") return false;
  if (p.type === "ReplaceFullPath" && typeof p.replaceFullPath === "string") {
    body(`set $gw_path ${q(p.replaceFullPath)};`);
    return true;
  }
  if (p.type === "ReplacePrefixMatch" && typeof p.replacePrefixMatch === "string" && m.pathKind === 2) {
    const base = p.replacePrefixMatch.replace(/\/+$/, "");
    const prefix = m.path === "/" ? "" : lit(m.path);
    body(`set $gw_path "";`);
    body(`if ($gw_uri ~ ${qr(`^${prefix}(.*)$`)}) { set $gw_path ${q(base).slice(0, -1)}$1"; }`);
    body('if ($gw_path = "") { set $gw_path /; }');
    return true;
  }
  return false;
}

function matchLocation(l: ListenerTable, m: RouteMatch, ctx: Ctx): string[] {
  const id = ctx.ids.get(m)!;
  const out = [`        location = /_podnet-gw/${id} {`, "            internal;"];
  const body = (s: string) => out.push(`            ${s}`);
  body(`# ${m.routeKey} rule ${m.rule} match ${m.index}: ${m.text.replace(/[\r\n]/g, " ")}`);
  const a = m.action;
  const done = () => {
    out.push("        }");
    return out;
  };
  if (a.unsupported) {
    body(`return 500; # ${a.unsupported.replace(/[\r\n]/g, " ")}`);
    return done();
  }
  if (a.redirect) {
    const r = a.redirect;
    const scheme = r.scheme === "http" || r.scheme === "https" ? r.scheme : l.protocol === "HTTPS" ? "https" : "http";
    const port = Number.isInteger(r.port) ? r.port : typeof r.scheme === "string" ? wellKnown(scheme) : l.port;
    const host = typeof r.hostname === "string" ? q(r.hostname).slice(1, -1) : "$host";
    const path = pathModifier(r.path, m, body) ? "$gw_path" : "$gw_raw_path";
    const code = r.statusCode === 301 ? 301 : 302;
    body(`return ${code} "${scheme}://${host}${port === wellKnown(scheme) ? "" : `:${port}`}${path}$is_args$args";`);
    return done();
  }
  const live = a.backends.filter((b) => b.weight > 0);
  if (!a.chosen || live.length === 0) {
    body("return 500; # no backendRef with a weight");
    return done();
  }
  const target = (b: (typeof live)[number]): string => {
    if (b.invalid) return "podnet-gw-500";
    const r = resolveBackend(ctx.idx, { namespace: b.namespace, name: b.name, port: { number: b.port } });
    if (!r.endpoints.length) return "podnet-gw-503";
    const name = `${b.namespace}-${b.name}-${b.port}`;
    ctx.upstreams.set(name, r.endpoints);
    return name;
  };
  const targets = live.map(target);
  let upstream: string;
  if (new Set(targets).size === 1) upstream = targets[0];
  else {
    // split_clients by weight (NGF's split_clients.go): percentages of the total, the last one `*`.
    const total = live.reduce((s, b) => s + b.weight, 0);
    upstream = `$gw_split_${id}`;
    ctx.splits.push(`    split_clients $request_id $gw_split_${id} {`);
    live.forEach((b, i) => {
      const pct = i === live.length - 1 ? "*" : `${(Math.floor((b.weight / total) * 10000) / 100).toFixed(2)}%`;
      ctx.splits.push(`        ${pct} ${targets[i]}; # ${b.service}:${b.port} weight ${b.weight}`);
    });
    ctx.splits.push("    }");
  }
  if (upstream === "podnet-gw-500" || upstream === "podnet-gw-503") {
    const why = upstream === "podnet-gw-500" ? live[0].message || "invalid backendRef" : "no ready endpoints";
    body(`return ${upstream.slice(-3)}; # ${why.replace(/[\r\n]/g, " ")}`);
    return done();
  }
  const set = new Map<string, string>([
    ["Host", "$host"],
    ["X-Forwarded-For", "$proxy_add_x_forwarded_for"],
    ["X-Real-IP", "$remote_addr"],
    ["X-Forwarded-Proto", "$scheme"],
    ["X-Forwarded-Host", "$host"],
    ["X-Forwarded-Port", "$server_port"],
    ["Upgrade", "$http_upgrade"],
    ["Connection", "$connection_upgrade"],
  ]);
  const setH = (name: string, value: string) => {
    for (const k of set.keys()) if (k.toLowerCase() === name.toLowerCase()) set.delete(k);
    set.set(name, value);
  };
  const hm = a.headerModifier;
  const list = (v: unknown): { name?: unknown; value?: unknown }[] => (Array.isArray(v) ? v : []);
  if (hm) {
    for (const h of list(hm.set))
      if (typeof h?.name === "string" && TOKEN.test(h.name)) setH(h.name, q(String(h.value ?? "")));
    for (const h of list(hm.add))
      if (typeof h?.name === "string" && TOKEN.test(h.name)) {
        // The client's value, then the added one (NGF: a map per added header).
        const mv = `$gw_add_${id}_${h.name.toLowerCase().replace(/[^a-z0-9]/g, "_")}`;
        ctx.maps.push(
          `    map ${headerVar(h.name)} ${mv} {`,
          `        default "${headerVar(h.name)},${q(String(h.value ?? "")).slice(1, -1)}";`,
          `        "" ${q(String(h.value ?? ""))};`,
          "    }",
        );
        setH(h.name, mv);
      }
    for (const n of Array.isArray(hm.remove) ? hm.remove : [])
      if (typeof n === "string" && TOKEN.test(n)) setH(n, '""');
  }
  let uri = "$request_uri";
  if (a.rewrite) {
    if (typeof a.rewrite.hostname === "string") setH("Host", q(a.rewrite.hostname));
    if (pathModifier(a.rewrite.path, m, body)) uri = "$gw_path$is_args$args";
  }
  body("proxy_http_version 1.1;");
  for (const [k, val] of set) body(`proxy_set_header ${k} ${val};`);
  body("proxy_connect_timeout 5s;");
  body(`proxy_pass http://${upstream}${uri};`);
  return done();
}

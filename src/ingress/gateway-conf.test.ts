// The Gateway API table (testing.ts, written from the spec) against the model `podnet route`
// answers from, and the nginx configuration generated for the Gateway pods: its shape and
// `nginx -t` (when nginx is installed; no sockets, no namespaces).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { opensslSelfSigned } from "../linux/ingress-proxy.js";
import { toolSkip } from "../testing/tools.js";
import { type GatewayRouter, gatewayRouter } from "./gateway.js";
import { gatewayCertificateNeeds, gatewayConf } from "./gateway-conf.js";
import { FAKE_CERTIFICATE } from "./nginx.js";
import { configurationHash } from "./nginx-conf.js";
import { normalizeUri, parseRouteRequest } from "./request.js";
import { GATEWAY_SPEC_MANIFESTS, GATEWAY_SPEC_TABLE, ingressCluster } from "./testing.js";

const state = ingressCluster(GATEWAY_SPEC_MANIFESTS);
const router = gatewayRouter(state) as GatewayRouter;

test("the spec table through the model (what podnet route answers)", () => {
  assert.equal(typeof router, "object");
  for (const row of GATEWAY_SPEC_TABLE) {
    const p = parseRouteRequest(row.url, row.method, row.headers);
    assert.equal(typeof p, "object", row.url);
    if (typeof p === "string") continue;
    const d = router.route(p).decision;
    const got =
      d.status === 200
        ? (d.backend?.service ?? "?")
        : d.redirect
          ? `${d.status} ${d.redirect.location}`
          : String(d.status);
    // With a weighted split the model names the heaviest backend: one of those allowed.
    assert.ok(
      row.want.split("|").includes(got),
      `${row.method} ${row.url} ${row.headers.join(";")}: ${got}, want ${row.want} (${row.why})`,
    );
  }
});

const certs = new Map([[FAKE_CERTIFICATE, { cert: "/x/fake.crt", key: "/x/fake.key" }]]);
const conf = gatewayConf(router, state, { dir: "/run/podnet/t/gw", certificates: certs });

test("one server per listener, one map entry per match in precedence order, internal locations", () => {
  assert.match(conf, /listen 80 default_server;\n\s+server_name _;/);
  assert.match(conf, /listen 443 ssl;\n\s+server_name secure\.example\.com;/);
  const http = conf.slice(conf.indexOf('map "$host'), conf.indexOf("    }", conf.indexOf('map "$host')));
  const order = [...http.matchAll(/# (\S+) rule (\d+): (.*)/g)].map((m) => `${m[1]} ${m[2]}`);
  // shop.example.com: Exact, RegularExpression, then the longest prefixes (/search, /later),
  // /api with a method, with a header (the older route first), plain, and / last.
  const shop = order.filter((o) => o.startsWith("default/shop"));
  assert.deepEqual(shop, [
    "default/shop 2",
    "default/shop 6",
    "default/shop 5",
    "default/shop-later 1",
    "default/shop 4",
    "default/shop 3",
    "default/shop-later 0",
    "default/shop 1",
    "default/shop 0",
  ]);
  // Exact hosts first, the wildcard after them.
  assert.ok(order.indexOf("default/wild 0") > order.lastIndexOf("default/split 1"));
  assert.match(
    conf,
    /split_clients \$request_id \$gw_split_\d+ \{\n\s+75\.00% default-v1-80;[^\n]*\n\s+\* default-v2-80;/,
  );
  assert.match(conf, /return 301 "http:\/\/shop\.example\.com\$gw_raw_path\$is_args\$args";/);
  assert.match(conf, /return 302 "https:\/\/secure\.example\.com\$gw_path\$is_args\$args";/);
  assert.match(conf, /return 500; # backendRef Service default\/missing not found/);
  assert.match(conf, /proxy_set_header X-Via "podnet";/);
  assert.match(conf, /proxy_set_header X-Drop "";/);
  assert.match(conf, /proxy_pass http:\/\/default-web-80\$gw_path\$is_args\$args;/);
  assert.match(conf, /upstream default-web-80 \{\n(\s+server 10\.[\d.]+:8080 max_fails=0;\n){2}/);
  assert.ok(configurationHash(conf));
});

/**
 * The map nginx evaluates, read back from the configuration: its regular expressions in
 * order (nginx tries them as written), each with the route and rule of its comment.
 */
function mapOf(text: string, listener: number): { re: RegExp; what: string }[] {
  const start = text.indexOf(`$gw_match_${listener} {`);
  const block = text.slice(start, text.indexOf("\n    }", start));
  return [...block.matchAll(/^\s+"~(.*)" \d+; # (\S+ rule \d+):/gm)].map((m) => ({
    re: new RegExp(m[1].replace(/\\([\\"])/g, "$1")),
    what: m[2],
  }));
}

/** A string as nginx's PCRE reads it: one character per UTF-8 byte. */
const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

test("the generated map picks the model's match for every row (its expressions run here in JS)", () => {
  const wrong: string[] = [];
  for (const row of GATEWAY_SPEC_TABLE) {
    const p = parseRouteRequest(row.url, row.method, row.headers);
    if (typeof p === "string") throw new Error(p);
    const r = p.request;
    const listener = r.scheme === "https" ? 1 : 0;
    const names = [...conf.matchAll(new RegExp(`map "([^"]*)" \\$gw_match_${listener} `, "g"))][0][1].split("\x1f");
    const fields = names.map((v) =>
      v === "$host"
        ? r.host
        : v === "$request_method"
          ? r.method
          : v === "$uri"
            ? bytes(normalizeUri(r.path) ?? "")
            : v === "$args"
              ? r.query
              : (r.headers[v.slice(6).replace(/_/g, "-")] ?? ""),
    );
    const source = fields.join("\x1f");
    const hit = mapOf(conf, listener).find((e) => e.re.test(source))?.what ?? "none";
    const d = router.route(p).decision;
    const want = d.via ? `${d.via.name} rule ${d.rule}` : "none";
    if (hit !== want) wrong.push(`${row.method} ${row.url} ${row.headers.join(";")}: map ${hit}, model ${want}`);
  }
  assert.deepEqual(wrong, []);
});

const nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));
// nginx -t opens the configuration's listening sockets (ports 80 and 443): only root may.
const nginxSkip = (): string | false =>
  toolSkip(["nginx", "openssl"], { path: `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin` }) ||
  (process.getuid?.() === 0 ? false : "skipped: nginx -t binds ports 80 and 443 (not root)");
test("nginx -t takes the configuration", { skip: nginxSkip() }, () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-gwconf-"));
  try {
    mkdirSync(join(dir, "tmp"));
    const files = new Map<string, { cert: string; key: string }>();
    for (const n of gatewayCertificateNeeds(router, state)) {
      const f = { cert: join(dir, `${files.size}.crt`), key: join(dir, `${files.size}.key`) };
      opensslSelfSigned(f, "/CN=t", 1);
      files.set(n.id, f);
    }
    assert.ok(files.has("default/gw-tls"));
    const text = gatewayConf(router, state, { dir, certificates: files });
    writeFileSync(join(dir, "nginx.conf"), text);
    execFileSync(nginx!, ["-t", "-q", "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

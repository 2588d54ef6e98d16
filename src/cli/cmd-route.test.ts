// `podnet route` run as a user runs it: the JSON contract of issue 18 and usage errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { app, gateway, HTTP_LISTENER, httpRoute, ingress } from "../ingress/testing.js";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "bin", "podnet.js");

const MANIFESTS =
  app("api", 1, "default", { port: 8080 }) +
  ingress("shop", "shop.example.com", [{ path: "/api", type: "Prefix", service: "api", port: "http" }]);

async function route(dir: string, ...args: string[]) {
  return run(process.execPath, [BIN, "route", "-f", join(dir, "m.yaml"), ...args]);
}

test("podnet route: -o json is the contract; text names the Ingress, rule, backend and endpoints", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-route-"));
  try {
    writeFileSync(join(dir, "m.yaml"), MANIFESTS);
    const { stdout } = await route(dir, "http://shop.example.com/api/items", "-o", "json");
    const d = JSON.parse(stdout);
    assert.deepEqual(Object.keys(d), ["status", "via", "rule", "match", "backend", "endpoints", "redirect"]);
    assert.deepEqual(
      { ...d, endpoints: d.endpoints.map((e: string) => e.replace(/^10\.244\.\d+\.\d+/, "POD")) },
      {
        status: 200,
        via: { kind: "Ingress", name: "default/shop" },
        rule: 0,
        match: "Prefix /api",
        backend: { service: "default/api", port: 8080 },
        endpoints: ["POD:8080"],
        redirect: null,
      },
    );
    const miss = JSON.parse((await route(dir, "http://shop.example.com/nothing", "-o", "json")).stdout);
    assert.deepEqual([miss.status, miss.via, miss.backend], [404, null, null]);
    const txt = (await route(dir, "http://shop.example.com/api")).stdout;
    assert.match(txt, /^GET http:\/\/shop\.example\.com\/api -> 200$/m);
    assert.match(txt, /via: +Ingress default\/shop/);
    assert.match(txt, /rule: +0, match Prefix \/api/);
    assert.match(txt, /backend: +Service default\/api port 8080/);
    assert.match(txt, /endpoints: +10\.244\.\d+\.\d+:8080/);
    assert.match(txt, /X-Forwarded-Proto: http/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("podnet route: a bad URL, header or flag is a usage error (exit 1) naming the value", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-route-"));
  try {
    writeFileSync(join(dir, "m.yaml"), MANIFESTS);
    const cases: [string[], RegExp][] = [
      [["shop.example.com/api"], /"shop\.example\.com\/api"/],
      [["http://shop.example.com/", "-H", "NoColon"], /"NoColon"/],
      [["http://shop.example.com/", "-o", "yaml"], /--output must be text\|json: "yaml"/],
      [["http://shop.example.com/", "--ingress-class", "traefik"], /no IngressClass "traefik"/],
      [["http://shop.example.com/", "--gateway", "default/gw"], /--gateway default\/gw: no Gateway "default\/gw"/],
    ];
    for (const [args, re] of cases) {
      await assert.rejects(route(dir, ...args), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1, args.join(" "));
        assert.match(e.stderr, re);
        assert.doesNotMatch(e.stderr, /\n\s+at /); // no stack trace
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const GATEWAY =
  gateway(HTTP_LISTENER) +
  httpRoute(
    "store",
    `  parentRefs: [{name: gw}]
  hostnames: [store.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v1}}]
    backendRefs: [{name: api, port: 8080}]
  - matches: [{path: {type: Exact, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]`,
  );

test("podnet route --gateway: via HTTPRoute in the JSON contract; without flags the host picks the proxy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-route-"));
  try {
    writeFileSync(join(dir, "m.yaml"), MANIFESTS + GATEWAY);
    const j = async (...a: string[]) => JSON.parse((await route(dir, ...a, "-o", "json")).stdout);
    const d = await j("http://store.example.com/v1/items", "--gateway", "default/gw");
    assert.deepEqual(Object.keys(d), ["status", "via", "rule", "match", "backend", "endpoints", "redirect"]);
    assert.deepEqual(
      { ...d, endpoints: d.endpoints.map((e: string) => e.replace(/^10\.244\.\d+\.\d+/, "POD")) },
      {
        status: 200,
        via: { kind: "HTTPRoute", name: "default/store" },
        rule: 0,
        match: "PathPrefix /v1",
        backend: { service: "default/api", port: 8080 },
        endpoints: ["POD:8080"],
        redirect: null,
      },
    );
    const redirect = await j("http://store.example.com/old");
    assert.deepEqual(
      [redirect.status, redirect.via?.kind, redirect.backend, redirect.redirect],
      [301, "HTTPRoute", null, { location: "https://store.example.com/old", status: 301 }],
    );
    // A host no HTTPRoute names goes to the Ingress controller.
    assert.equal((await j("http://shop.example.com/api")).via.kind, "Ingress");
    assert.equal((await j("http://store.example.com/nothing")).status, 404);
    const txt = (await route(dir, "http://store.example.com/v1")).stdout;
    assert.match(txt, /gateway: +default\/gw, listener http/);
    assert.match(txt, /backendRefs: +default\/api:8080 weight 1 <- chosen/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

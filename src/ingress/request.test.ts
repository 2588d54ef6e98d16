// Reading `podnet route`'s URL, method and headers: RFC 9110 tokens and field values,
// RFC 3986 URLs; nginx's URI normalisation (ngx_http_parse_complex_uri).
import { test } from "node:test";
import assert from "node:assert/strict";
import { QUOTE_MAX } from "../manifest/diag.js";
import { normalizeUri, parseRouteRequest } from "./request.js";

test("a URL becomes the request: scheme, lower-cased host, default port, path and query", () => {
  const p = parseRouteRequest("HTTPS://Shop.Example.com/api/v1?x=1&y=2#frag", "post", ["X-A: 1", "x-a: 2"]);
  assert.ok(typeof p !== "string");
  assert.deepEqual(p.request, {
    scheme: "https",
    host: "shop.example.com",
    port: 443,
    path: "/api/v1",
    query: "x=1&y=2",
    method: "POST",
    headers: { "x-a": "1, 2" },
  });
  assert.equal(p.sni, "shop.example.com");
  assert.equal(p.requestUri, "/api/v1?x=1&y=2");
  const bare = parseRouteRequest("http://example.com:8080");
  assert.ok(typeof bare !== "string");
  assert.deepEqual([bare.request.port, bare.request.path, bare.sni], [8080, "/", null]);
});

test("a Host header chooses the server; SNI stays the URL's host", () => {
  const p = parseRouteRequest("https://192.168.1.240/", "GET", ["Host: shop.example.com"]);
  assert.ok(typeof p !== "string");
  assert.equal(p.request.host, "shop.example.com");
  assert.equal(p.sni, "192.168.1.240");
});

test("bad URLs, methods and headers are errors naming the value", () => {
  const bad: [string, string, string[], RegExp][] = [
    ["ftp://example.com/", "GET", [], /must be http:\/\/HOST.*"ftp:\/\/example\.com\/"/],
    ["example.com/x", "GET", [], /"example\.com\/x"/],
    ["http://exa mple.com/", "GET", [], /not a valid host name/],
    ["http://example.com:99999/", "GET", [], /the host must be|not 1-65535/],
    ["http://u:p@example.com/", "GET", [], /user information/],
    ["http://example.com/a b", "GET", [], /percent-encode/],
    ["http://example.com/", "GE T", [], /method must be an HTTP token.*: "GE T"/],
    ["http://example.com/", "GET", ["NoColon"], /'Name: value'.*"NoColon"/],
    ["http://example.com/", "GET", ["Bad Name: x"], /"Bad Name: x"/],
    ["http://example.com/", "GET", ["Host: not a host"], /not a valid host name/],
  ];
  for (const [url, method, headers, re] of bad) {
    const r = parseRouteRequest(url, method, headers);
    assert.equal(typeof r, "string", url);
    assert.match(r as string, re, url);
  }
});

test("a long bad value is quoted cut short, as every input-echoing message (QUOTE_MAX)", () => {
  const url = `ftp://example.com/${"a".repeat(500)}`;
  const r = parseRouteRequest(url) as string;
  assert.ok(r.endsWith(`${JSON.stringify(`${url.slice(0, QUOTE_MAX)}…`)}`), r);
});

test("normalizeUri: as nginx before location matching", () => {
  assert.equal(normalizeUri("/a//b///c"), "/a/b/c");
  assert.equal(normalizeUri("/a/./b/../c"), "/a/c");
  assert.equal(normalizeUri("/a/b/.."), "/a/");
  assert.equal(normalizeUri("/%41%2Fb"), "/A/b");
  assert.equal(normalizeUri("/.."), null);
  assert.equal(normalizeUri("/"), "/");
});

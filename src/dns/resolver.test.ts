// Expected walks: glibc's res_search (resolv/res_query.c) and musl's name_from_dns_search
// (src/network/lookup_name.c) (ndots:5, search list, trailing dot, NODATA handling).
import { test } from "node:test";
import assert from "node:assert/strict";
import { walk, resolveFromPod } from "./resolver.js";
import { demoFixture } from "./testing.js";
import { createZone } from "./zone.js";

const st = demoFixture();
const zone = createZone(st);

test("user-service from default: found at the first try", () => {
  const r = resolveFromPod(st, "default/order-app-1", "user-service");
  assert.deepEqual(
    r.queries.map((q) => q.name),
    ["user-service.default.svc.cluster.local."],
  );
  assert.equal(r.result.status, "found");
  assert.deepEqual(r.result.values, ["10.96.20.1"]);
});

test("user-service.production: NXDOMAIN under default, found on the second query", () => {
  const r = resolveFromPod(st, "order-app-1", "user-service.production");
  assert.deepEqual(
    r.queries.map((q) => [q.name, q.rcode]),
    [
      ["user-service.production.default.svc.cluster.local.", "NXDOMAIN"],
      ["user-service.production.svc.cluster.local.", "NOERROR"],
    ],
  );
  assert.deepEqual(r.result.values, ["10.96.30.1"]);
});

test("api.example.com: three search queries, then the absolute name (ndots:5 amplification)", () => {
  const r = resolveFromPod(st, "order-app-1", "api.example.com");
  assert.deepEqual(
    r.queries.map((q) => [q.name, q.rcode]),
    [
      ["api.example.com.default.svc.cluster.local.", "NXDOMAIN"],
      ["api.example.com.svc.cluster.local.", "NXDOMAIN"],
      ["api.example.com.cluster.local.", "NXDOMAIN"],
      ["api.example.com.", "NOERROR"],
    ],
  );
  assert.deepEqual(r.result.values, ["192.168.1.240"]);
});

test("a trailing dot skips the search list", () => {
  const r = resolveFromPod(st, "order-app-1", "api.example.com.");
  assert.deepEqual(
    r.queries.map((q) => q.name),
    ["api.example.com."],
  );
  const r2 = resolveFromPod(st, "order-app-1", "user-service.");
  assert.deepEqual(
    r2.queries.map((q) => q.name),
    ["user-service."],
  );
  assert.equal(r2.result.status, "NXDOMAIN");
});

test("dots ≥ ndots: glibc tries the name first, then the search list", () => {
  const conf =
    "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:2\n";
  const q = (n: string, t: string) => zone.answer({ name: n, type: t });
  const g = walk(conf, "user-service.default.svc", "A", "glibc", q);
  assert.deepEqual(
    g.queries.map((x) => x.name),
    [
      "user-service.default.svc.",
      "user-service.default.svc.default.svc.cluster.local.",
      "user-service.default.svc.svc.cluster.local.",
      "user-service.default.svc.cluster.local.",
    ],
  );
  assert.equal(g.result.status, "found");
  // musl never searches when dots ≥ ndots
  const m = walk(conf, "user-service.default.svc", "A", "musl", q);
  assert.deepEqual(
    m.queries.map((x) => x.name),
    ["user-service.default.svc."],
  );
  assert.equal(m.result.status, "NXDOMAIN");
});

test("NODATA: glibc goes on down the list, musl stops", () => {
  // AAAA for a Service with only an IPv4 cluster IP: NODATA at the first search domain.
  const g = resolveFromPod(st, "order-app-1", "user-service", { type: "AAAA", libc: "glibc" });
  assert.deepEqual(
    g.queries.map((x) => [x.name, x.rcode]),
    [
      ["user-service.default.svc.cluster.local.", "NOERROR"],
      ["user-service.svc.cluster.local.", "NXDOMAIN"],
      ["user-service.cluster.local.", "NXDOMAIN"],
      ["user-service.", "NXDOMAIN"],
    ],
  );
  assert.equal(g.result.status, "NODATA");
  const m = resolveFromPod(st, "order-app-1", "user-service", { type: "AAAA", libc: "musl" });
  assert.deepEqual(
    m.queries.map((x) => x.name),
    ["user-service.default.svc.cluster.local."],
  );
  assert.equal(m.result.status, "NODATA");
});

test("SRV through the walk", () => {
  const r = resolveFromPod(st, "order-app-1", "_http._tcp.user-service", { type: "SRV" });
  assert.equal(r.queries.length, 1);
  assert.deepEqual(r.result.values, ["0 100 80 user-service.default.svc.cluster.local."]);
});

test("a pod with dnsPolicy Default asks the node's resolver, which knows no cluster names", () => {
  const s2 = demoFixture();
  s2.pods[0].spec.dnsPolicy = "Default";
  const r = resolveFromPod(s2, "order-app-1", "user-service");
  assert.equal(r.result.status, "NXDOMAIN");
  assert.equal(resolveFromPod(s2, "order-app-1", "api.example.com").result.status, "found");
});

test("files before dns: hostAliases and the pod's own name answer from /etc/hosts, no query sent", async () => {
  const { cluster, statefulSet } = await import("../control/testing.js");
  const s = cluster(`
apiVersion: v1
kind: Pod
metadata: {name: hostaliases-pod}
spec:
  hostAliases: [{ip: "10.1.2.3", hostnames: [foo.remote, bar.remote]}]
  containers: [{name: c, image: busybox}]
---${statefulSet("web", 1)}`);
  const r = resolveFromPod(s, "hostaliases-pod", "foo.remote");
  assert.equal(r.result.status, "found");
  assert.deepEqual(r.result.values, ["10.1.2.3"]);
  assert.deepEqual(r.queries, []);
  assert.equal(r.hosts?.[0].line, 11);
  for (const libc of ["glibc", "musl"] as const)
    assert.deepEqual(resolveFromPod(s, "hostaliases-pod", "bar.remote", { libc }).result.values, ["10.1.2.3"]);
  const web = s.pods.find((p) => p.name === "web-0")!;
  const own = resolveFromPod(s, "web-0", "web-0");
  assert.deepEqual(own.result.values, [web.podIP]);
  assert.deepEqual(own.queries, []);
  assert.deepEqual(resolveFromPod(s, "web-0", "web-0.nginx.default.svc.cluster.local").result.values, [web.podIP]);
  // Not in the file: the DNS walk as before; SRV never reads the file.
  assert.ok(resolveFromPod(s, "hostaliases-pod", "foo.remote.").queries.length > 0);
  assert.equal(resolveFromPod(s, "hostaliases-pod", "foo.remote", { type: "SRV" }).hosts, undefined);
});

// Nameservers nobody serves. Expected times from glibc's resolv/res_send.c (send_dg waits
// `retrans << ns` seconds for server ns, divided by nscount when ns > 0, at least 1, for
// each of `attempts` rounds; RES_TIMEOUT 5, RES_DFLRETRY 2 in resolv.h; resolv.conf(5)) and
// musl's res_msend.c (all servers at once, `timeout` in all). Measured on glibc 2.36 (Debian
// 12) with getaddrinfo: 1 server timeout:1 attempts:2 → 2 s; 2 servers → 4 s; 3 servers
// timeout:2 attempts:2 → 10 s; 3 servers timeout:3 attempts:1 → 9 s.
import { glibcServerWait, nameserverRole, nameserverWait, resolverTiming } from "./resolver.js";

const withResolvConf = (text: string) => {
  const s = demoFixture();
  s.pods[0].resolvConf = text;
  return s;
};

test("resolv.conf timing: glibc and musl defaults and caps", () => {
  assert.deepEqual(resolverTiming([], "glibc"), { timeout: 5, attempts: 2, rotate: false });
  assert.deepEqual(resolverTiming([], "musl"), { timeout: 5, attempts: 2, rotate: false });
  assert.deepEqual(resolverTiming(["timeout:99", "attempts:9", "rotate"], "glibc"), {
    timeout: 30,
    attempts: 5,
    rotate: true,
  });
  assert.deepEqual(resolverTiming(["timeout:99", "attempts:99", "rotate"], "musl"), {
    timeout: 60,
    attempts: 10,
    rotate: false,
  });
});

test("glibc's per-server wait and the totals measured on a real resolver", () => {
  assert.deepEqual(
    [0, 1, 2].map((i) => glibcServerWait(2, i, 3)),
    [2, 1, 2],
  );
  const none = () => false;
  const t = (timeout: number, attempts: number) => ({ timeout, attempts, rotate: false });
  assert.equal(nameserverWait(["a"], none, t(1, 2), "glibc").waited, 2);
  assert.equal(nameserverWait(["a", "b"], none, t(1, 2), "glibc").waited, 4);
  assert.equal(nameserverWait(["a", "b", "c"], none, t(2, 2), "glibc").waited, 10);
  assert.equal(nameserverWait(["a", "b", "c"], none, t(3, 1), "glibc").waited, 9);
  // The default: one server that never answers costs 5 s × 2.
  assert.equal(nameserverWait(["a"], none, resolverTiming([], "glibc"), "glibc").waited, 10);
  // musl asks all at once and gives up after `timeout`.
  assert.equal(nameserverWait(["a", "b", "c"], none, t(5, 2), "musl").waited, 5);
  // A server that answers after one that does not: the first one's wait, then the answer.
  assert.deepEqual(
    nameserverWait(["a", "b"], (i) => i === 1, t(1, 2), "glibc"),
    { server: 1, waited: 1 },
  );
  assert.deepEqual(
    nameserverWait(["a", "b"], (i) => i === 1, t(1, 2), "musl"),
    { server: 1, waited: 0 },
  );
  // rotate: the second query starts at the second server.
  assert.deepEqual(
    nameserverWait(["a", "b"], (i) => i === 1, { ...t(1, 2), rotate: true }, "glibc", 1),
    {
      server: 1,
      waited: 0,
    },
  );
});

test("who serves an address: the cluster DNS, the node's resolver; nobody else", () => {
  const s = demoFixture();
  assert.equal(nameserverRole(s, "10.96.0.10"), "cluster");
  assert.equal(nameserverRole(s, s.config.hostDNS.nameservers[0]), "node");
  assert.equal(nameserverRole(s, "1.2.3.4"), undefined);
});

test("a dnsConfig nameserver nobody serves: TIMEOUT after timeout × attempts, the name as is still tried", () => {
  const s = withResolvConf("search example.org\nnameserver 1.2.3.4\noptions ndots:5\n");
  const r = resolveFromPod(s, "order-app-1", "api.example.com");
  // glibc: the timeout ends the search list ("done"), then the name as is (res_query.c).
  assert.deepEqual(
    r.queries.map((q) => [q.name, q.rcode, q.waited]),
    [
      ["api.example.com.example.org.", "TIMEOUT", 10],
      ["api.example.com.", "TIMEOUT", 10],
    ],
  );
  assert.equal(r.result.status, "TIMEOUT");
  assert.equal(r.waited, 20);
  assert.equal(r.nameserver, "1.2.3.4");
  // musl: the first timeout ends the walk, after `timeout` seconds.
  const m = resolveFromPod(s, "order-app-1", "api.example.com", { libc: "musl" });
  assert.deepEqual(
    m.queries.map((q) => [q.name, q.rcode, q.waited]),
    [["api.example.com.example.org.", "TIMEOUT", 5]],
  );
  assert.equal(m.result.status, "TIMEOUT");
});

test("an unserved nameserver before the cluster DNS: every query waits, then the cluster DNS answers", () => {
  const s = withResolvConf(
    "search default.svc.cluster.local\nnameserver 1.2.3.4\nnameserver 10.96.0.10\noptions timeout:1 attempts:2\n",
  );
  const r = resolveFromPod(s, "order-app-1", "user-service");
  assert.deepEqual(
    r.queries.map((q) => [q.name, q.rcode, q.server, q.waited]),
    [["user-service.default.svc.cluster.local.", "NOERROR", "10.96.0.10", 1]],
  );
  assert.equal(r.nameserver, "10.96.0.10");
  assert.deepEqual(r.result.values, ["10.96.20.1"]);
});

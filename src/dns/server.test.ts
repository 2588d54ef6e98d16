// The server on a loopback port, queried by real clients: dig (BIND's dnsutils) and Node's
// c-ares resolver. Expected answers come from the DNS spec (RFC 1035/6891/2181) and the
// Kubernetes DNS spec / CoreDNS's kubernetes plugin behaviour, not from podnet's output.
import { test, before, after } from "node:test";
import { toolSkip } from "../testing/tools.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { promises as dnsp } from "node:dns";
import dgram from "node:dgram";
import net from "node:net";
import dnsPacket from "dns-packet";
import { startDnsServer, type DnsServer } from "./server.js";
import { createZone } from "./zone.js";
import { demoFixture, fixtureState } from "./testing.js";

// The dig tests skip (naming dnsutils) where dig is missing, and fail under PODNET_REQUIRE_KERNEL=1.
const DIG = toolSkip(["dig"]);

const run = promisify(execFile);
let srv: DnsServer;
let port: number;

function bigState() {
  const base = demoFixture();
  const big = fixtureState({
    services: [
      {
        name: "big-headless",
        clusterIP: "None",
        ports: [{ name: "web", port: 80 }],
        endpoints: Array.from({ length: 100 }, (_, i) => ({ ip: `10.244.${5 + (i >> 8)}.${(i % 250) + 1}` })),
      },
    ],
  });
  base.services.push(big.services.find((s) => s.name === "big-headless")!);
  base.endpointSlices.push(...big.endpointSlices.filter((s) => s.serviceName === "big-headless"));
  return base;
}

before(async () => {
  srv = await startDnsServer({
    zone: createZone(bigState(), { ttl: 30, pods: "insecure" }),
    listen: "127.0.0.1:0",
    limits: { tcpIdleMs: 2000 },
  });
  port = srv.address.port;
});
after(async () => {
  await srv.close();
});

interface Dig {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
}
async function dig(name: string, type = "A", ...extra: string[]): Promise<Dig> {
  const { stdout } = await run("dig", [`@127.0.0.1`, "-p", String(port), name, type, "+time=2", "+tries=1", ...extra]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? "";
  const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? "").trim().split(/\s+/);
  const out: Dig = { status, flags, answer: [], authority: [], additional: [] };
  let sec: keyof Dig | null = null;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(";; ANSWER SECTION")) sec = "answer";
    else if (line.startsWith(";; AUTHORITY SECTION")) sec = "authority";
    else if (line.startsWith(";; ADDITIONAL SECTION")) sec = "additional";
    else if (line.trim() === "" || line.startsWith(";")) {
      if (line.trim() === "") sec = null;
    } else if (sec) (out[sec] as string[][]).push(line.split(/\s+/));
  }
  return out;
}

test("dig: A of a ClusterIP Service = its cluster IP, aa set, TTL 30", { skip: DIG }, async () => {
  const r = await dig("auth-service.default.svc.cluster.local");
  assert.equal(r.status, "NOERROR");
  assert.ok(r.flags.includes("aa"));
  assert.deepEqual(r.answer, [["auth-service.default.svc.cluster.local.", "30", "IN", "A", "10.96.12.34"]]);
});

test("dig: the question's case is preserved in the answer (also from the cache)", { skip: DIG }, async () => {
  await dig("user-service.default.svc.cluster.local");
  const r = await dig("User-Service.DEFAULT.svc.cluster.local");
  assert.equal(r.answer[0][0], "User-Service.DEFAULT.svc.cluster.local.");
  assert.equal(r.answer[0][4], "10.96.20.1");
});

test("dig: NXDOMAIN and NODATA carry the SOA in authority", { skip: DIG }, async () => {
  const nx = await dig("nope.default.svc.cluster.local");
  assert.equal(nx.status, "NXDOMAIN");
  assert.equal(nx.answer.length, 0);
  assert.deepEqual(nx.authority[0].slice(0, 6), [
    "cluster.local.",
    "30",
    "IN",
    "SOA",
    "ns.dns.cluster.local.",
    "hostmaster.cluster.local.",
  ]);
  assert.deepEqual(nx.authority[0].slice(7), ["7200", "1800", "86400", "30"]);
  const nd = await dig("auth-service.default.svc.cluster.local", "AAAA");
  assert.equal(nd.status, "NOERROR");
  assert.equal(nd.answer.length, 0);
  assert.equal(nd.authority[0][3], "SOA");
  const ns = await dig("default.svc.cluster.local");
  assert.equal(ns.status, "NOERROR");
  assert.equal(ns.answer.length, 0);
});

test("dig: apex NS with kube-dns's A as additional; SOA", { skip: DIG }, async () => {
  const r = await dig("cluster.local", "NS");
  assert.deepEqual(r.answer, [["cluster.local.", "30", "IN", "NS", "kube-dns.kube-system.svc.cluster.local."]]);
  assert.deepEqual(
    r.additional.filter((x) => x[3] === "A"),
    [["kube-dns.kube-system.svc.cluster.local.", "30", "IN", "A", "10.96.0.10"]],
  );
  const s = await dig("cluster.local", "SOA");
  assert.equal(s.answer[0][3], "SOA");
});

test("dig: SRV, headless, PTR, ExternalName CNAME, dns-version TXT, pod A", { skip: DIG }, async () => {
  const srvr = await dig("_http._tcp.user-service.default.svc.cluster.local", "SRV");
  assert.deepEqual(srvr.answer[0].slice(3), ["SRV", "0", "100", "80", "user-service.default.svc.cluster.local."]);
  const h = await dig("my-headless-service.default.svc.cluster.local");
  assert.deepEqual(h.answer.map((a) => a[4]).sort(), ["10.244.1.10", "10.244.2.11"]);
  const w = await dig("web-0.my-headless-service.default.svc.cluster.local");
  assert.deepEqual(
    w.answer.map((a) => a[4]),
    ["10.244.1.10"],
  );
  const p = await dig("-x", "10.96.0.10");
  assert.equal(p.answer[0][4], "kube-dns.kube-system.svc.cluster.local.");
  const c = await dig("ext-in.default.svc.cluster.local");
  assert.deepEqual(
    c.answer.map((a) => [a[3], a[4]]),
    [
      ["CNAME", "auth-service.default.svc.cluster.local."],
      ["A", "10.96.12.34"],
    ],
  );
  const t = await dig("dns-version.cluster.local", "TXT");
  assert.deepEqual(t.answer[0].slice(1), ["28800", "IN", "TXT", '"1.1.0"']);
  const pod = await dig("10-244-1-5.default.pod.cluster.local");
  assert.equal(pod.answer[0][4], "10.244.1.5");
  const ext = await dig("api.example.com");
  assert.equal(ext.answer[0][4], "192.168.1.240");
});

test("dig: AXFR is refused", { skip: DIG }, async () => {
  const { stdout } = await run("dig", [
    "@127.0.0.1",
    "-p",
    String(port),
    "cluster.local",
    "AXFR",
    "+time=2",
    "+tries=1",
  ]).catch((e) => e);
  assert.match(stdout, /Transfer failed/);
  const r = await dig("cluster.local", "AXFR", "+notcp");
  void r;
  // Also over UDP with a raw query: rcode REFUSED (5).
  const resp = await udpQuery(
    dnsPacket.encode({ type: "query", id: 7, flags: 0, questions: [{ type: "AXFR", name: "cluster.local" }] }),
  );
  assert.equal(resp.readUInt16BE(2) & 0xf, 5);
});

test("TC over UDP for a big headless answer; the full answer over TCP", { skip: DIG }, async () => {
  const u = await dig("big-headless.default.svc.cluster.local", "A", "+noedns", "+ignore");
  assert.ok(u.flags.includes("tc"), `flags ${u.flags}`);
  assert.ok(u.answer.length < 100);
  const e = await dig("big-headless.default.svc.cluster.local", "A", "+bufsize=4096", "+ignore");
  assert.ok(e.flags.includes("tc")); // 100 × 16 bytes does not fit the offered 1232 either
  const t = await dig("big-headless.default.svc.cluster.local", "A", "+tcp");
  assert.ok(!t.flags.includes("tc"));
  assert.equal(t.answer.length, 100);
  const auto = await dig("big-headless.default.svc.cluster.local", "A", "+noedns"); // dig retries over TCP
  assert.equal(auto.answer.length, 100);
});

test("EDNS0: the OPT record is echoed with our payload size; without EDNS a 512-byte limit", async () => {
  const q = dnsPacket.encode({
    type: "query",
    id: 9,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: "A", name: "my-headless-service.default.svc.cluster.local" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096 } as any],
  });
  const r = dnsPacket.decode(await udpQuery(q));
  const opt = (r.additionals ?? []).find((a) => a.type === "OPT") as any;
  assert.ok(opt);
  assert.equal(opt.udpPayloadSize, 1232);
  const big = await udpQuery(
    dnsPacket.encode({
      type: "query",
      id: 10,
      questions: [{ type: "A", name: "big-headless.default.svc.cluster.local" }],
    }),
  );
  assert.ok(big.length <= 512);
  assert.ok(dnsPacket.decode(big).flag_tc);
});

test("Node's resolver: every record kind, NXDOMAIN vs NODATA", async () => {
  const r = new dnsp.Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  assert.deepEqual(await r.resolve4("user-service.production.svc.cluster.local"), ["10.96.30.1"]);
  assert.deepEqual(await r.resolveSrv("_http._tcp.user-service.default.svc.cluster.local"), [
    { name: "user-service.default.svc.cluster.local", port: 80, priority: 0, weight: 100 },
  ]);
  assert.deepEqual(await r.resolvePtr("10.0.96.10.in-addr.arpa"), ["kube-dns.kube-system.svc.cluster.local"]);
  assert.deepEqual(await r.resolveTxt("dns-version.cluster.local"), [["1.1.0"]]);
  assert.deepEqual(await r.resolveCname("ext.default.svc.cluster.local"), ["api.example.com"]);
  assert.deepEqual(await r.resolveNs("cluster.local"), ["kube-dns.kube-system.svc.cluster.local"]);
  const soa = await r.resolveSoa("cluster.local");
  assert.equal(soa.nsname, "ns.dns.cluster.local");
  assert.equal(soa.hostmaster, "hostmaster.cluster.local");
  assert.deepEqual([soa.refresh, soa.retry, soa.expire, soa.minttl], [7200, 1800, 86400, 30]);
  assert.deepEqual((await r.resolve4("my-headless-service.default.svc.cluster.local")).sort(), [
    "10.244.1.10",
    "10.244.2.11",
  ]);
  await assert.rejects(r.resolve4("nope.default.svc.cluster.local"), { code: "ENOTFOUND" });
  await assert.rejects(r.resolve6("auth-service.default.svc.cluster.local"), { code: "ENODATA" });
  await assert.rejects(r.resolve4("unready-headless.default.svc.cluster.local"), { code: "ENOTFOUND" });
  // Node's resolver retries a truncated answer over TCP by itself.
  assert.equal((await r.resolve4("big-headless.default.svc.cluster.local")).length, 100);
});

test("malformed requests: FORMERR; unknown opcode: NOTIMP; responses are never answered", async () => {
  const bad = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]); // label runs past the end
  const r = await udpQuery(bad);
  assert.equal(r.readUInt16BE(0), 0x1234);
  assert.equal(r.readUInt16BE(2) & 0x800f, 0x8001);
  const status = dnsPacket.encode({ type: "query", id: 5, questions: [{ type: "A", name: "a.b" }] });
  status.writeUInt16BE(2 << 11, 2); // opcode STATUS
  assert.equal((await udpQuery(status)).readUInt16BE(2) & 0xf, 4);
  const resp = dnsPacket.encode({ type: "response", id: 6, questions: [{ type: "A", name: "a.b" }] });
  await assert.rejects(udpQuery(resp, 300));
});

test("TCP: several queries on one connection, answered in turn", async () => {
  const names = [
    "auth-service.default.svc.cluster.local",
    "user-service.default.svc.cluster.local",
    "nope.default.svc.cluster.local",
  ];
  const frames = names.map((n, i) =>
    dnsPacket.streamEncode({ type: "query", id: 100 + i, questions: [{ type: "A", name: n }] }),
  );
  const replies = await tcpExchange(Buffer.concat(frames), 3);
  const byId = new Map(
    replies.map((b) => {
      const d = dnsPacket.decode(b);
      return [d.id, d];
    }),
  );
  assert.equal((byId.get(100)!.answers![0] as any).data, "10.96.12.34");
  assert.equal((byId.get(101)!.answers![0] as any).data, "10.96.20.1");
  assert.equal((byId.get(102) as any).rcode, "NXDOMAIN");
});

test("setState swaps the zone atomically (live reload); the serial grows", { skip: DIG }, async () => {
  const before = srv.zone.serial;
  const st = demoFixture();
  st.services.push({
    ...st.services.find((s) => s.name === "auth-service")!,
    name: "fresh-service",
    clusterIP: "10.96.99.99",
  });
  srv.setState(st);
  assert.ok(srv.zone.serial > before);
  const r = await dig("fresh-service.default.svc.cluster.local");
  assert.equal(r.answer[0][4], "10.96.99.99");
  srv.setZone(createZone(bigState(), { ttl: 30, pods: "insecure" }));
  assert.equal((await dig("fresh-service.default.svc.cluster.local")).status, "NXDOMAIN");
});

function udpQuery(buf: Buffer, timeout = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      reject(new Error("timeout"));
    }, timeout);
    s.on("message", (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(buf, port, "127.0.0.1");
  });
}

function tcpExchange(data: Buffer, n: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(data));
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error("timeout"));
    }, 3000);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === n) {
        clearTimeout(t);
        s.destroy();
        resolve(out);
      }
    });
    s.on("error", reject);
  });
}

test("--upstream: outside names and reverse misses are forwarded; an ExternalName's outside target is chased", {
  skip: DIG,
}, async () => {
  // The "upstream" is another server whose externalDNS knows www.upstream.test.
  const upState = demoFixture();
  upState.config.externalDNS = [{ name: "www.upstream.test", type: "A", value: "192.0.2.7" }];
  const up = await startDnsServer({ zone: createZone(upState), listen: "127.0.0.1:0" });
  const st = demoFixture();
  st.services.push({
    ...st.services.find((s) => s.name === "ext")!,
    name: "ext-up",
    externalName: "www.upstream.test",
  });
  const main = await startDnsServer({
    zone: createZone(st),
    listen: "127.0.0.1:0",
    upstreams: [`127.0.0.1:${up.address.port}`],
  });
  try {
    const r = new dnsp.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${main.address.port}`]);
    assert.deepEqual(await r.resolve4("www.upstream.test"), ["192.0.2.7"]);
    await assert.rejects(r.resolve4("nothing.upstream.test"), { code: "ENOTFOUND" });
    // api.example.com is in this server's externalDNS but, with an upstream, CoreDNS forwards.
    await assert.rejects(r.resolve4("api.example.com"), { code: "ENOTFOUND" });
    assert.deepEqual(await r.resolve4("user-service.default.svc.cluster.local"), ["10.96.20.1"]);
    const { stdout } = await run("dig", [
      "@127.0.0.1",
      "-p",
      String(main.address.port),
      "ext-up.default.svc.cluster.local",
      "A",
      "+noall",
      "+answer",
    ]);
    assert.match(stdout, /ext-up\.default\.svc\.cluster\.local\.\s+30\s+IN\s+CNAME\s+www\.upstream\.test\./);
    assert.match(stdout, /www\.upstream\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.7/);
    assert.ok(up.stats.udp >= 3);
  } finally {
    await main.close();
    await up.close();
  }
});

test("dns-upstream-down: outside names get SERVFAIL once the forward gives up; the zones still answer; back after setState", async () => {
  // CoreDNS's forward plugin with every upstream silent answers SERVFAIL at its deadline
  // (coredns/coredns plugin/forward/forward.go); the kubernetes plugin's zones are its own.
  const st = demoFixture();
  st.config.externalDNS = [{ name: "api.example.com", type: "A", value: "203.0.113.10" }];
  const down = { ...st, config: { ...st.config, faults: [{ kind: "dns-upstream-down" as const }] } };
  const srv2 = await startDnsServer({
    zone: createZone(down),
    upstreamDown: true,
    listen: "127.0.0.1:0",
    limits: { forwardDeadlineMs: 200 },
  });
  try {
    const r = new dnsp.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${srv2.address.port}`]);
    await assert.rejects(r.resolve4("api.example.com"), { code: "ESERVFAIL" });
    assert.deepEqual(await r.resolve4("user-service.default.svc.cluster.local"), ["10.96.20.1"]);
    await assert.rejects(r.resolve4("nope.default.svc.cluster.local"), { code: "ENOTFOUND" });
    // fault clear: the state without the fault answers the outside name again.
    srv2.setState(st);
    assert.deepEqual(await r.resolve4("api.example.com"), ["203.0.113.10"]);
    // …and fault add again, through setState alone.
    srv2.setState(down);
    await assert.rejects(r.resolve4("api.example.com"), { code: "ESERVFAIL" });
  } finally {
    await srv2.close();
  }
});

test("a chosen port whose TCP side is taken: EADDRINUSE, and the UDP side is let go", async () => {
  // CoreDNS serves UDP and TCP on one port; a port it cannot hold both ways is an error.
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
  const busy = (taken.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startDnsServer({ zone: createZone(demoFixture()), listen: `127.0.0.1:${busy}` }), {
      code: "EADDRINUSE",
    });
    const u = dgram.createSocket("udp4");
    await new Promise<void>((r) => u.bind(busy, "127.0.0.1", () => r()));
    u.close();
  } finally {
    taken.close();
  }
});

test("port 0 whose TCP side is taken: another port is tried, and no error is reported", async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
  const busy = (taken.address() as net.AddressInfo).port;
  // The kernel's first UDP pick is a port whose TCP side is taken (forced here).
  const bind = dgram.Socket.prototype.bind;
  let first = true;
  dgram.Socket.prototype.bind = function (this: dgram.Socket, port: unknown, ...rest: unknown[]) {
    if (first && port === 0) {
      first = false;
      port = busy;
    }
    return (bind as (...a: unknown[]) => dgram.Socket).call(this, port, ...rest);
  } as typeof bind;
  const errors: string[] = [];
  try {
    const srv = await startDnsServer({
      zone: createZone(demoFixture()),
      listen: "127.0.0.1:0",
      onError: (e) => errors.push((e as Error).message),
    });
    try {
      assert.equal(first, false, "the forced pick was used");
      assert.notEqual(srv.address.port, busy);
      assert.equal(srv.stats.errors, 0);
      assert.deepEqual(errors, []);
    } finally {
      await srv.close();
    }
  } finally {
    dgram.Socket.prototype.bind = bind;
    taken.close();
  }
});

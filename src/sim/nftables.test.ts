// The nftables evaluator on big sets and maps (kube-proxy nftables mode at 5,000 Services):
// a lookup finds the element the kernel's set lookup finds — the one whose key equals the
// packet's value, or whose prefix/interval contains it — and, where elements overlap, the
// first in element order, as a scan of the list would.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { NftChain, NftExprObj, NftSet } from "../ir/types.js";
import { evalNftChain, type NftView } from "./nftables.js";
import { lit, matchOne, nftRuleText } from "./nft-expr.js";
import type { NfEnv } from "./nfenv.js";
import type { Step } from "./trace.js";
import { ipToInt, intToIp } from "../net/ipv4.js";

const DADDR = { payload: { protocol: "ip", field: "daddr" } };
const SADDR = { payload: { protocol: "ip", field: "saddr" } };
const L4 = { meta: { key: "l4proto" } };
const DPORT = { payload: { protocol: "th", field: "dport" } };
const goto_ = (target: string) => ({ goto: { target } });

function env(
  pkt: { src: string; dst: string; proto: "tcp" | "udp"; dport: number },
  opts: { choose?: number; recent?: Record<string, number[]> } = {},
): NfEnv & { chosen: { labels: string[]; what: string }[] } {
  const p = {
    src: ipToInt(pkt.src),
    dst: ipToInt(pkt.dst),
    proto: pkt.proto,
    sport: 40000,
    dport: pkt.dport,
    ttl: 64,
    size: 100,
    df: false,
    mark: 0,
  };
  const chosen: { labels: string[]; what: string }[] = [];
  return {
    chosen,
    pkt: p,
    bridged: false,
    ctState: "NEW",
    ctDnat: false,
    ctSnat: false,
    ctMark: 0,
    isReplyPacket: false,
    isLocal: () => false,
    isBroadcast: () => false,
    choose(o, what) {
      chosen.push({ labels: o.map((x) => x.label), what });
      return opts.choose ?? 0;
    },
    ipsetHas: () => false,
    noteChoice() {},
    recentHas: () => false,
    recentSet() {},
    recentRemove() {},
    recentList: (name) => opts.recent?.[name] ?? [],
    nat: () => "",
    notrack: false,
    verbose: false,
    view: () => ({ src: intToIp(p.src), dst: intToIp(p.dst), proto: p.proto }) as any,
    snapshot: () => () => ({}) as any,
  };
}

/** A table whose base chain dispatches `ip daddr . meta l4proto . th dport` through @service-ips;
 *  each target chain accepts, so the accepting rule's chain names the element found. */
function serviceTable(n: number): { view: NftView; base: NftChain; svcIP: (i: number) => string } {
  const svcIP = (i: number) => intToIp(ipToInt("10.96.0.0") + 10 + i);
  const elem: NftSet["elem"] = [];
  const chains = new Map<string, NftChain>();
  const target = (name: string) => {
    chains.set(name, { name, rules: [{ expr: [{ accept: null }] }] });
    return goto_(name);
  };
  for (let i = 0; i < n; i++) {
    elem.push({ key: { concat: [svcIP(i), i % 3 === 2 ? "udp" : "tcp", 80 + (i % 5)] }, value: target(`svc-${i}`) });
    // An interval element among the exact ones: 10.200.0.0/16 . tcp . 8080, before an
    // exact element it contains (the first in order wins, as the scan would find it).
    if (i === 100)
      elem.push({
        key: { concat: [{ prefix: { addr: "10.200.0.0", len: 16 } }, "tcp", 8080] },
        value: target("svc-prefix"),
      });
    if (i === 200)
      elem.push({ key: { concat: ["10.201.0.0", "tcp", { range: [9000, 9100] }] }, value: target("svc-range") });
  }
  elem.push({ key: { concat: ["10.200.1.1", "tcp", 8080] }, value: target("svc-shadowed") });
  elem.push({ key: { concat: ["10.200.1.1", "udp", 8080] }, value: target("svc-after-prefix") });
  // A duplicate key later in the list: never reached (the first element wins).
  elem.push({ key: { concat: [svcIP(7), "tcp", 82] }, value: target("svc-duplicate") });
  const base: NftChain = {
    name: "services",
    type: "nat",
    hook: "prerouting",
    prio: -100,
    rules: [{ expr: [{ vmap: { key: { concat: [DADDR, L4, DPORT] }, data: "@service-ips" } }] }],
  };
  chains.set("services", base);
  const sets = new Map<string, NftSet>([
    [
      "service-ips",
      {
        name: "service-ips",
        kind: "map",
        type: ["ipv4_addr", "inet_proto", "inet_service"],
        map: "verdict",
        flags: ["interval"],
        elem,
      },
    ],
  ]);
  return { view: { family: "ip", name: "kube-proxy", chains, sets, owners: new Map() }, base, svcIP };
}

function found(view: NftView, chain: NftChain, e: NfEnv): string | undefined {
  const steps: Step[] = [];
  const r = evalNftChain(view, chain, e, steps);
  return r.verdict === "accept" && r.object ? r.object.chain : undefined;
}

test("big concatenated vmap (5,000 services): each service's element, prefix and range elements, misses", () => {
  const { view, base, svcIP } = serviceTable(5000);
  for (const i of [0, 1, 2, 7, 99, 100, 101, 2500, 4999]) {
    const proto = i % 3 === 2 ? "udp" : "tcp";
    assert.equal(
      found(view, base, env({ src: "10.244.1.5", dst: svcIP(i), proto, dport: 80 + (i % 5) })),
      `svc-${i}`,
      `service ${i}`,
    );
  }
  // Wrong protocol or port: no element, the chain returns without a verdict (no accepting rule).
  assert.equal(found(view, base, env({ src: "10.244.1.5", dst: svcIP(0), proto: "udp", dport: 80 })), undefined);
  assert.equal(found(view, base, env({ src: "10.244.1.5", dst: svcIP(0), proto: "tcp", dport: 81 })), undefined);
  // The prefix element contains 10.200.1.1 and precedes its exact element.
  assert.equal(
    found(view, base, env({ src: "10.244.1.5", dst: "10.200.1.1", proto: "tcp", dport: 8080 })),
    "svc-prefix",
  );
  assert.equal(
    found(view, base, env({ src: "10.244.1.5", dst: "10.200.77.3", proto: "tcp", dport: 8080 })),
    "svc-prefix",
  );
  assert.equal(
    found(view, base, env({ src: "10.244.1.5", dst: "10.200.1.1", proto: "udp", dport: 8080 })),
    "svc-after-prefix",
  );
  assert.equal(
    found(view, base, env({ src: "10.244.1.5", dst: "10.201.0.0", proto: "tcp", dport: 9050 })),
    "svc-range",
  );
  assert.equal(found(view, base, env({ src: "10.244.1.5", dst: "10.201.0.0", proto: "tcp", dport: 9101 })), undefined);
  // Duplicate key: the first element.
  assert.equal(found(view, base, env({ src: "10.244.1.5", dst: svcIP(7), proto: "tcp", dport: 82 })), "svc-7");
});

test("the step object and text of a rule are the same for every packet", () => {
  const { view, base, svcIP } = serviceTable(50);
  const a: Step[] = [];
  const b: Step[] = [];
  evalNftChain(view, base, env({ src: "10.244.1.5", dst: svcIP(3), proto: "tcp", dport: 83 }), a);
  evalNftChain(view, base, env({ src: "10.244.1.6", dst: svcIP(4), proto: "tcp", dport: 84 }), b);
  assert.equal(a[0].object?.text, "ip daddr . meta l4proto . th dport vmap @service-ips");
  assert.deepEqual(a[0].object, {
    kind: "nft-rule",
    text: "ip daddr . meta l4proto . th dport vmap @service-ips",
    table: "ip kube-proxy",
    chain: "services",
    index: 0,
    layer: undefined,
  });
  assert.equal(a[0].detail, "kube-proxy services: → goto svc-3");
  assert.equal(b[0].detail, "kube-proxy services: → goto svc-4");
  assert.deepEqual(a[0].object, b[0].object);
});

test("big address sets: named set with prefixes and ranges, anonymous set, dynamic members", () => {
  const elem: NftSet["elem"] = [];
  for (let i = 0; i < 5000; i++) elem.push({ key: intToIp(ipToInt("10.244.0.0") + i * 4) });
  elem.splice(
    10,
    0,
    { key: { prefix: { addr: "192.168.0.0", len: 24 } } },
    { key: { range: ["172.16.0.10", "172.16.0.20"] } },
  );
  const anon = Array.from({ length: 3000 }, (_, i) => intToIp(ipToInt("10.250.0.0") + i));
  anon.push({ range: ["10.251.0.0", "10.251.0.255"] } as any);
  const chains = new Map<string, NftChain>();
  const base: NftChain = {
    name: "filter",
    type: "filter",
    hook: "forward",
    prio: 0,
    policy: "accept",
    rules: [
      { expr: [{ match: { op: "==", left: SADDR, right: "@allowed" } }, { accept: null }], comment: "allowed source" },
      {
        expr: [
          { match: { op: "==", left: SADDR, right: { set: anon } } },
          { match: { op: "==", left: DPORT, right: { set: [80, { range: [1000, 2000] }] } } },
          { accept: null },
        ],
        comment: "anon",
      },
      { expr: [{ match: { op: "==", left: SADDR, right: "@affinity-x" } }, { accept: null }], comment: "affinity" },
      { expr: [{ drop: null }] },
    ],
  };
  chains.set("filter", base);
  const sets = new Map<string, NftSet>([
    ["allowed", { name: "allowed", kind: "set", type: "ipv4_addr", flags: ["interval"], elem }],
    ["affinity-x", { name: "affinity-x", kind: "set", type: "ipv4_addr", flags: ["dynamic", "timeout"], elem: [] }],
  ]);
  const view: NftView = { family: "inet", name: "t", chains, sets, owners: new Map() };
  const verdict = (src: string, dport = 80, recent?: Record<string, number[]>) => {
    const steps: Step[] = [];
    const r = evalNftChain(view, base, env({ src, dst: "10.0.0.1", proto: "tcp", dport }, { recent }), steps);
    return r.verdict === "accept" ? steps[0]?.detail : r.verdict;
  };
  assert.equal(verdict("10.244.0.0"), 't filter: "allowed source" → accept');
  assert.equal(verdict("10.244.78.4"), 't filter: "allowed source" → accept'); // element 5,009
  assert.equal(verdict("10.244.0.1"), "drop"); // between elements
  assert.equal(verdict("192.168.0.77"), 't filter: "allowed source" → accept');
  assert.equal(verdict("172.16.0.15"), 't filter: "allowed source" → accept');
  assert.equal(verdict("172.16.0.21"), "drop");
  assert.equal(verdict("10.250.11.183"), 't filter: "anon" → accept'); // 10.250.0.0 + 3000 - 1
  assert.equal(verdict("10.250.11.184"), "drop");
  assert.equal(verdict("10.250.0.5", 1500), 't filter: "anon" → accept');
  assert.equal(verdict("10.250.0.5", 2001), "drop");
  assert.equal(verdict("10.251.0.200", 80), 't filter: "anon" → accept');
  // Members added by `update @affinity-x` during the trace are in the set.
  assert.equal(verdict("10.9.9.9"), "drop");
  assert.equal(verdict("10.9.9.9", 80, { "affinity-x": [ipToInt("10.9.9.9")] }), 't filter: "affinity" → accept');
});

test("numgen vmap: one option per element with its probability, the chosen element's verdict", () => {
  const n = 40;
  const chains = new Map<string, NftChain>();
  const set = Array.from({ length: n }, (_, i) => [i, goto_(`ep-${i}`)]);
  for (let i = 0; i < n; i++) chains.set(`ep-${i}`, { name: `ep-${i}`, rules: [{ expr: [{ accept: null }] }] });
  const base: NftChain = {
    name: "svc",
    type: "nat",
    hook: "prerouting",
    prio: -100,
    rules: [{ expr: [{ vmap: { key: { numgen: { mode: "random", mod: n, offset: 0 } }, data: { set } } }] }],
  };
  chains.set("svc", base);
  const view: NftView = { family: "ip", name: "kube-proxy", chains, sets: new Map(), owners: new Map() };
  for (const k of [0, 17, 39]) {
    const e = env({ src: "10.244.1.5", dst: "10.96.0.10", proto: "tcp", dport: 80 }, { choose: k });
    assert.equal(found(view, base, e), `ep-${k}`);
    assert.equal(e.chosen[0].what, `numgen random mod ${n}`);
    assert.equal(e.chosen[0].labels.length, n);
    assert.equal(e.chosen[0].labels[k], `ep-${k} (p=${(1 / n).toFixed(4)})`);
  }
});

test("concatenated keys that share an index bucket are told apart", () => {
  // Two address . port keys chosen so that podnet's index hashes them alike: each must still
  // find its own element (and a duplicate key the first one).
  const a = intToIp(1382856208);
  const b = intToIp(578580664);
  const chains = new Map<string, NftChain>();
  const elem: NftSet["elem"] = [];
  const add = (ip: string, port: number, name: string) => {
    chains.set(name, { name, rules: [{ expr: [{ accept: null }] }] });
    elem.push({ key: { concat: [ip, port] }, value: goto_(name) });
  };
  for (let i = 0; i < 20; i++) add(`10.0.0.${i}`, 80, `filler-${i}`);
  add(a, 38153, "a");
  add(b, 16017, "b");
  add(a, 38153, "a-again");
  const base: NftChain = {
    name: "c",
    type: "filter",
    hook: "forward",
    prio: 0,
    rules: [{ expr: [{ vmap: { key: { concat: [DADDR, DPORT] }, data: "@m" } }] }],
  };
  chains.set("c", base);
  const view: NftView = {
    family: "ip",
    name: "t",
    chains,
    sets: new Map([["m", { name: "m", kind: "map", type: ["ipv4_addr", "inet_service"], map: "verdict", elem }]]),
    owners: new Map(),
  };
  assert.equal(found(view, base, env({ src: "10.1.1.1", dst: a, proto: "tcp", dport: 38153 })), "a");
  assert.equal(found(view, base, env({ src: "10.1.1.1", dst: b, proto: "tcp", dport: 16017 })), "b");
  assert.equal(found(view, base, env({ src: "10.1.1.1", dst: a, proto: "tcp", dport: 16017 })), undefined);
  assert.equal(found(view, base, env({ src: "10.1.1.1", dst: "10.0.0.7", proto: "udp", dport: 80 })), "filler-7");
});

test('an anonymous set of one lone value (libnftables-json(5) allows `"set": "x"`) matches that value', () => {
  const lone = { set: 80 } as unknown as NftExprObj;
  const t = { ty: "port", v: 80 } as const;
  const view = { sets: new Map() } as unknown as NftView;
  const env = {} as NfEnv;
  assert.equal(matchOne(t, lone, view, env), true);
  assert.equal(matchOne({ ty: "port", v: 81 }, lone, view, env), false);
  assert.equal(
    nftRuleText([{ match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: lone } }]),
    "tcp dport { 80 }",
  );
  // A list is not a concatenation: lit leaves it alone (Number([1, 2]) is NaN, never concat's method).
  assert.ok(Number.isNaN(lit("int", [1, 2] as unknown as NftExprObj) as number));
});

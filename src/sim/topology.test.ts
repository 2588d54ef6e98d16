// Lookups in big tables (a full mesh: one route, neighbour and FDB entry per node) use one
// index shared by every namespace and a membership bitset per table; they must answer as
// the kernel's rules do: longest prefix, then the lowest metric, then the table's order; a
// neighbour/FDB entry by device and address; and only from the namespace's own table.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DataplaneIR, FdbEntry, Neighbour, NetNs, Route } from "../ir/types.js";
import { fibLookup } from "./fib.js";
import { topologyOf } from "./topology.js";
import { ipToInt, intToIp, parsePrefix, inPrefix } from "../net/ipv4.js";
import { mulberry32 } from "../testing/random.js";

function bigNs(seed: number, sorted: boolean): NetNs {
  const r = mulberry32(seed);
  // In node order: one prefix length only (the whole table is the index).
  const routes: Route[] = sorted
    ? []
    : [{ table: "main", type: "unicast", dst: "default", via: "10.0.0.1", dev: "eth0" }];
  const neighbours: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  const n = 700;
  for (let i = 0; i < n; i++) {
    const k = sorted ? i : Math.floor(r() * 400);
    const len = sorted ? 24 : [16, 24, 24, 26, 32][Math.floor(r() * 5)];
    const net = intToIp((ipToInt(`10.${128 + (k >> 8)}.${k & 255}.0`) & parsePrefix(`0.0.0.0/${len}`).mask) >>> 0 || 0);
    routes.push({
      table: "main",
      type: "unicast",
      dst: `${net}/${len}`,
      via: `10.0.${i & 255}.${1 + (i >> 8)}`,
      dev: "flannel.1",
      metric: sorted ? undefined : Math.floor(r() * 3),
      onlink: true,
    });
    const ip = `10.${128 + (k >> 8)}.${k & 255}.0`;
    neighbours.push({
      dev: r() < 0.8 ? "flannel.1" : "eth0",
      ip,
      lladdr: `7a:00:00:00:${(k >> 8).toString(16).padStart(2, "0")}:${(k & 255).toString(16).padStart(2, "0")}`,
      state: "PERMANENT",
    });
    fdb.push({
      dev: r() < 0.8 ? "flannel.1" : "cni0",
      mac: neighbours[i].lladdr,
      dst: `192.168.${k >> 8}.${k & 255}`,
      self: r() < 0.7,
      ...(r() < 0.3 ? { master: "cni0" } : {}),
      state: "permanent",
    });
  }
  return {
    id: "node/big",
    links: [],
    addresses: [],
    routes,
    neighbours,
    fdb,
    sysctls: {},
    netfilter: { mode: "iptables", iptables: [], nftables: [] },
  };
}

function naiveRoute(routes: Route[], ip: number): Route | undefined {
  let best: Route | undefined;
  let bl = -1;
  let bm = 0;
  for (const r of routes) {
    if ((r.table ?? "main") !== "main") continue;
    const c = parsePrefix(r.dst);
    if (!inPrefix(ip, c)) continue;
    const m = r.metric ?? 0;
    if (c.len > bl || (c.len === bl && m < bm)) {
      best = r;
      bl = c.len;
      bm = m;
    }
  }
  return best;
}

for (const sorted of [true, false]) {
  test(`big tables (${sorted ? "in node order" : "shuffled, mixed prefixes and metrics"}): routes, neighbours and FDB entries found as by a scan`, () => {
    const ns = bigNs(7, sorted);
    const ir = { nodes: [], pods: [] } as unknown as DataplaneIR;
    const inf = topologyOf(ir).info(ns);
    const r = mulberry32(11);
    for (let q = 0; q < 3000; q++) {
      const k = Math.floor(r() * 450);
      const ip = ipToInt(`10.${128 + (k >> 8)}.${k & 255}.${Math.floor(r() * 256)}`);
      assert.equal(fibLookup(inf.main, ip)?.route, naiveRoute(ns.routes, ip), intToIp(ip));
      const nip = `10.${128 + (k >> 8)}.${k & 255}.0`;
      for (const dev of ["flannel.1", "eth0"])
        assert.equal(
          inf.neigh(dev, nip),
          ns.neighbours.find((x) => x.dev === dev && x.ip === nip),
        );
      const mac = `7a:00:00:00:${(k >> 8).toString(16).padStart(2, "0")}:${(k & 255).toString(16).padStart(2, "0")}`;
      assert.equal(
        inf.fdbSelf("flannel.1", mac),
        ns.fdb.find((f) => f.dev === "flannel.1" && f.mac === mac && !(f.master && !f.self)),
      );
      assert.equal(
        inf.fdbBridge("cni0", mac),
        ns.fdb.find((f) => f.master === "cni0" && f.mac === mac && !f.self),
      );
    }
  });
}

test("big tables sharing their entries (a full mesh): each namespace answers from its own table only", () => {
  // As the flavors build it: one entry object per node, in every other node's table.
  const n = 300;
  const routes: Route[] = [];
  const neigh: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  for (let i = 0; i < n; i++) {
    const gw = `10.244.${i >> 8}.${i & 255}`;
    routes.push({
      table: "main",
      type: "unicast",
      dst: `10.${100 + (i >> 8)}.${i & 255}.0/24`,
      via: gw,
      dev: "flannel.1",
      onlink: true,
    });
    neigh.push({
      dev: "flannel.1",
      ip: gw,
      lladdr: `7a:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
      state: "PERMANENT",
    });
    fdb.push({
      dev: "flannel.1",
      mac: neigh[i].lladdr,
      dst: `192.168.${i >> 8}.${i & 255}`,
      self: true,
      state: "permanent",
    });
  }
  const nodeNs = (i: number): NetNs => ({
    id: `node/n${i}`,
    links: [],
    addresses: [],
    // Its own subnet is on its bridge (a different route object), not via the mesh.
    routes: [
      ...routes.filter((_, j) => j !== i),
      { table: "main", type: "unicast", dst: `10.${100 + (i >> 8)}.${i & 255}.0/24`, dev: "cni0", scope: "link" },
    ],
    neighbours: neigh.filter((_, j) => j !== i),
    fdb: fdb.filter((_, j) => j !== i),
    sysctls: {},
    netfilter: { mode: "iptables", iptables: [], nftables: [] },
  });
  const t = topologyOf({ nodes: [], pods: [] } as unknown as DataplaneIR);
  // Every node's own routes (its bridge's subnet, the underlay subnet, a default route) are
  // objects of its own with one key across all nodes: built for enough nodes, those keys are
  // crowded (answered per table), the mesh's are not.
  const nss = Array.from({ length: 40 }, (_, i) => nodeNs(i < 36 ? i : [150, 299, 200, 100][i - 36]));
  for (const ns of nss) {
    ns.routes.push({
      table: "main",
      type: "unicast",
      dst: "192.168.0.0/16",
      dev: "eth0",
      scope: "link",
      metric: ns.id === "node/n3" ? 5 : 0,
    });
    ns.routes.push({
      table: "main",
      type: "unicast",
      dst: "default",
      via: `192.168.0.${1 + (Number(ns.id.slice(6)) % 2)}`,
      dev: "eth0",
    });
  }
  for (const ns of nss) {
    const inf = t.info(ns);
    const self = Number(ns.id.slice(6));
    for (const ip of ["192.168.3.4", "8.8.8.8"].map(ipToInt)) {
      assert.equal(fibLookup(inf.main, ip)?.route, naiveRoute(ns.routes, ip), `${ns.id} → ${intToIp(ip)}`);
    }
    for (const i of [0, 1, 3, 35, 150, 299]) {
      const ip = ipToInt(`10.${100 + (i >> 8)}.${i & 255}.7`);
      assert.equal(fibLookup(inf.main, ip)?.route, naiveRoute(ns.routes, ip), `${ns.id} → ${intToIp(ip)}`);
      assert.equal(fibLookup(inf.main, ip)?.route.dev, i === self ? "cni0" : "flannel.1");
      const gw = `10.244.${i >> 8}.${i & 255}`;
      assert.equal(inf.neigh("flannel.1", gw), i === self ? undefined : neigh[i], `${ns.id} neighbour ${gw}`);
      assert.equal(inf.fdbSelf("flannel.1", neigh[i].lladdr), i === self ? undefined : fdb[i]);
    }
  }
});

test("big tables of a namespace's own routes (Cilium's tunnel mode: every remote PodCIDR via its router IP)", () => {
  // pkg/datapath/linux/node.go (github.com/cilium/cilium): `<remote PodCIDR> via <router IP>
  // dev cilium_host src <router IP>`, a route object per node and remote node. Each table
  // answers from its own routes: longest prefix, then the lowest metric, then table order.
  const n = 400;
  const t = topologyOf({ nodes: [], pods: [] } as unknown as DataplaneIR);
  const r = mulberry32(5);
  const nss: NetNs[] = [];
  for (let k = 0; k < 6; k++) {
    const rip = `10.${100 + k}.0.1`;
    const routes: Route[] = [
      { table: "main", type: "unicast", dst: "default", via: "192.168.0.1", dev: "eth0" },
      { table: "main", type: "unicast", dst: `10.${100 + k}.0.0/24`, via: rip, dev: "cilium_host", src: rip },
    ];
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const len = [24, 24, 24, 16, 32][Math.floor(r() * 5)];
      const base = `10.${100 + (i % 300)}.${i >> 4}.0`;
      const net = intToIp((ipToInt(base) & parsePrefix(`0.0.0.0/${len}`).mask) >>> 0);
      routes.push({
        table: "main",
        type: "unicast",
        dst: `${net}/${len}`,
        via: rip,
        dev: "cilium_host",
        src: rip,
        metric: Math.floor(r() * 3) * 100,
        mtu: 1450,
      });
    }
    // A table without some of the others' prefixes, and a local-table route the main lookup ignores.
    if (k === 5) routes.splice(2, 100);
    routes.push({ table: "local", type: "local", dst: `10.${100 + k}.0.1`, dev: "cilium_host" });
    nss.push({
      id: `node/c${k}`,
      links: [],
      addresses: [],
      routes,
      neighbours: [],
      fdb: [],
      sysctls: {},
      netfilter: { mode: "iptables", iptables: [], nftables: [] },
    });
  }
  for (const ns of nss) {
    const inf = t.info(ns);
    assert.ok(inf.main.own, `${ns.id}: indexed as its own routes`);
    for (let q = 0; q < 1500; q++) {
      const i = Math.floor(r() * (n + 20));
      const ip = ipToInt(`10.${100 + (i % 300)}.${(i >> 4) & 255}.${Math.floor(r() * 256)}`);
      assert.equal(fibLookup(inf.main, ip)?.route, naiveRoute(ns.routes, ip), `${ns.id} → ${intToIp(ip)}`);
    }
  }
});

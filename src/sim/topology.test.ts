// Lookups in big tables (a full mesh: one route, neighbour and FDB entry per node) use
// sorted indexes; they must answer as the kernel's rules do: longest prefix, then the
// lowest metric, then the table's order; a neighbour/FDB entry by device and address.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DataplaneIR, FdbEntry, Neighbour, NetNs, Route } from "../ir/types.js";
import { fibLookup, topologyOf } from "./topology.js";
import { ipToInt, intToIp, parseCidr, inCidr } from "./ip.js";
import { mulberry32 } from "../testing/random.js";


function bigNs(seed: number, sorted: boolean): NetNs {
  const r = mulberry32(seed);
  // In node order: one prefix length only (the whole table is the index).
  const routes: Route[] = sorted ? [] : [{ table: "main", type: "unicast", dst: "default", via: "10.0.0.1", dev: "eth0" }];
  const neighbours: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  const n = 700;
  for (let i = 0; i < n; i++) {
    const k = sorted ? i : Math.floor(r() * 400);
    const len = sorted ? 24 : [16, 24, 24, 26, 32][Math.floor(r() * 5)];
    const net = intToIp((ipToInt(`10.${128 + (k >> 8)}.${k & 255}.0`) & parseCidr(`0.0.0.0/${len}`).mask) >>> 0 || 0);
    routes.push({ table: "main", type: "unicast", dst: `${net}/${len}`, via: `10.0.${i & 255}.${1 + (i >> 8)}`, dev: "flannel.1", metric: sorted ? undefined : Math.floor(r() * 3), onlink: true });
    const ip = `10.${128 + (k >> 8)}.${k & 255}.0`;
    neighbours.push({ dev: r() < 0.8 ? "flannel.1" : "eth0", ip, lladdr: `7a:00:00:00:${(k >> 8).toString(16).padStart(2, "0")}:${(k & 255).toString(16).padStart(2, "0")}`, state: "PERMANENT" });
    fdb.push({ dev: r() < 0.8 ? "flannel.1" : "cni0", mac: neighbours[i].lladdr, dst: `192.168.${k >> 8}.${k & 255}`, self: r() < 0.7, ...(r() < 0.3 ? { master: "cni0" } : {}), state: "permanent" });
  }
  return { id: "node/big", links: [], addresses: [], routes, neighbours, fdb, sysctls: {}, netfilter: { mode: "iptables", iptables: [], nftables: [] } };
}

function naiveRoute(routes: Route[], ip: number): Route | undefined {
  let best: Route | undefined;
  let bl = -1;
  let bm = 0;
  for (const r of routes) {
    if ((r.table ?? "main") !== "main") continue;
    const c = parseCidr(r.dst);
    if (!inCidr(ip, c)) continue;
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
      for (const dev of ["flannel.1", "eth0"]) assert.equal(inf.neigh(dev, nip), ns.neighbours.find((x) => x.dev === dev && x.ip === nip));
      const mac = `7a:00:00:00:${(k >> 8).toString(16).padStart(2, "0")}:${(k & 255).toString(16).padStart(2, "0")}`;
      assert.equal(inf.fdbSelf("flannel.1", mac), ns.fdb.find((f) => f.dev === "flannel.1" && f.mac === mac && !(f.master && !f.self)));
      assert.equal(inf.fdbBridge("cni0", mac), ns.fdb.find((f) => f.master === "cni0" && f.mac === mac && !f.self));
    }
  });
}

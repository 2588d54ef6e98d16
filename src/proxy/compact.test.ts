// The shared kube-proxy layers keep their per-endpoint chains compact and print them with
// dedicated writers (and look chains up without materialising them). Whatever the path, a
// node's text must be what the plain rules print: the same layers, materialised (every
// chain an IptChain / NftChain object), rendered by the generic code, must give the same
// bytes; and layerChain must give the materialised chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { iptablesMode } from "./iptables/index.js";
import { nftablesMode } from "./nftables/index.js";
import { proxyLayers } from "./mode.js";
import { isCompactTable, layerChain, layerHasChain } from "../ir/compact.js";
import { renderIptRule, renderIptables, renderIptablesBytes } from "../ir/render-iptables.js";
import { renderNft, renderNftBytes } from "../ir/render-nft.js";
import type { IptLayer, NftLayer } from "../ir/types.js";
import * as T from "./testing.js";
import type { ClusterState, EndpointSliceState, ServiceState } from "../control/state.js";

/** Over kube-proxy's 1000-endpoint threshold (no per-endpoint comments), with every kind of port. */
function mixedState(): ClusterState {
  const nodes = ["control-plane", "worker-1", "worker-2", "worker-3"];
  const services: ServiceState[] = [];
  const slices: EndpointSliceState[] = [];
  let pod = 0;
  for (let s = 0; s < 70; s++) {
    const k = s % 7;
    const o: T.SvcOpts = { ports: [{ name: "http", port: 80, targetPort: 8080 }] };
    if (k === 1) o.sessionAffinity = "ClientIP";
    if (k === 2)
      Object.assign(o, {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        loadBalancerIPs: [`192.168.2.${s}`],
        ports: [{ name: "http", port: 80, nodePort: 30000 + s }],
      });
    if (k === 3) o.internalTrafficPolicy = "Local";
    if (k === 4)
      Object.assign(o, {
        type: "LoadBalancer",
        loadBalancerIPs: [`192.168.3.${s}`],
        loadBalancerSourceRanges: ["192.168.1.0/24"],
        ports: [{ name: "http", port: 80, nodePort: 31000 + s }],
      });
    if (k === 5) o.externalIPs = [`203.0.113.${s}`];
    services.push(T.service("default", `svc-${s}`, `10.96.1.${s}`, o));
    const eps: T.EpSpec[] = [];
    // Every tenth Service's endpoints carry zone hints: per-node service chains.
    const zoned = s % 10 === 0;
    for (let e = 0; e < 20; e++, pod++) {
      const node = nodes[pod % nodes.length];
      const zones = zoned ? [ZONES[node]] : undefined;
      eps.push({ ip: `10.244.${pod >> 8}.${pod & 255}`, node, ready: e !== 3 || k !== 6, zones });
    }
    // Addresses kube-proxy takes as given though they are no canonical dotted quad.
    if (s === 8) eps.push({ ip: "10.244.9.010", node: "worker-1" });
    if (s === 9) eps.push({ ip: "host.example", node: "worker-2" });
    slices.push(T.slice("default", `svc-${s}`, eps, [{ name: "http", port: 8080 + (s % 3) }]));
  }
  // A long name: the nftables chain name is cut at 240 characters.
  const long = "x".repeat(230);
  services.push(T.service("default", long, "10.96.2.1"));
  slices.push(T.slice("default", long, [{ ip: "10.245.0.1", node: "worker-1" }]));
  return T.withZones(T.clusterState(services, slices, nodes), ZONES);
}
const ZONES: Record<string, string> = {
  "control-plane": "zone-a",
  "worker-1": "zone-a",
  "worker-2": "zone-b",
  "worker-3": "zone-c",
};

const plainIpt = (l: IptLayer): IptLayer => ({ owner: l.owner, tables: { ...l.tables } }); // the spread reads (materialises) each table
const plainNft = (l: NftLayer): NftLayer => ({
  owner: l.owner,
  tables: l.tables.map((t) => ({ ...t, chains: { ...t.chains } })),
});

test("iptables: the compact shared layer prints as its materialised rules do, for every node", () => {
  const state = mixedState();
  const shared = iptablesMode.shared(state);
  assert.ok(isCompactTable(shared.iptables!, "nat"));
  for (const n of state.nodes) {
    const [sh, ...rest] = proxyLayers(shared, iptablesMode.perNode(state, n, shared)).iptables;
    const text = renderIptables([sh, ...rest]);
    assert.equal(Buffer.from(renderIptablesBytes([sh, ...rest])).toString("utf8"), text);
    assert.equal(text, renderIptables([plainIpt(sh), ...rest]), n.name);
    assert.match(text, /^-A KUBE-SEP-\w{16} -s 10\.244\.9\.010\/32 -j KUBE-MARK-MASQ$/m);
  }
});

test("iptables: layerHasChain / layerChain answer from the compact form as the materialised table does", () => {
  const state = mixedState();
  const layer = iptablesMode.shared(state).iptables!;
  const probe = [
    "KUBE-SEP-AAAAAAAAAAAAAAAA",
    "KUBE-SVC-7777777777777777",
    "KUBE-SERVICES",
    "KUBE-SEP-",
    "nope",
    "constructor",
  ];
  const before = probe.map((n) => [layerHasChain(layer, "nat", n), layerChain(layer, "nat", n)?.rules.length]);
  const nat = layer.tables.nat!;
  const texts = (name: string, c: { rules: Parameters<typeof renderIptRule>[1][] }) =>
    c.rules.map((r) => renderIptRule(name, r));
  for (const [name, c] of Object.entries(nat)) {
    assert.ok(layerHasChain(layer, "nat", name), name);
    assert.deepEqual(texts(name, layerChain(layer, "nat", name)!), texts(name, c), name);
  }
  probe.forEach((n, i) =>
    assert.deepEqual(before[i], Object.hasOwn(nat, n) ? [true, nat[n].rules.length] : [false, undefined], n),
  );
});

test("nftables: the compact shared layer prints as its materialised rules do, for every node", () => {
  const state = mixedState();
  const shared = nftablesMode.shared(state);
  for (const n of state.nodes) {
    const [sh, ...rest] = proxyLayers(shared, nftablesMode.perNode(state, n, shared)).nftables;
    const text = renderNft([sh, ...rest]);
    assert.equal(Buffer.from(renderNftBytes([sh, ...rest])).toString("utf8"), text);
    assert.equal(text, renderNft([plainNft(sh), ...rest]), n.name);
    assert.ok(text.includes("\t\tip saddr 10.244.9.010 jump mark-for-masquerade\n"));
    assert.ok(text.includes("..."), "the long name is cut");
  }
});

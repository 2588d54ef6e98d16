// Chains merged from layers (iptables-restore of several owners into one table): a chain
// name defined by two layers is one chain, the first layer's rules then the second's. A
// compact table's chains (kube-proxy's KUBE-SVC-*, built on demand) must merge the same way
// in a namespace where another layer defines the same name, also after the jump into it was
// resolved (and remembered) in a namespace where the compact layer was alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIptablesSave } from "./parse-iptables.js";
import { defineCompactTable } from "../ir/compact.js";
import type { IptLayer, NetNs } from "../ir/types.js";
import { nfCaches, runHook, type NsNetfilter } from "./netfilter.js";
import type { NfEnv } from "./nfenv.js";
import { makePkt, viewOf } from "./packet.js";
import { ipToInt } from "../net/ipv4.js";

function compactLayer(): IptLayer {
  // FORWARD is an eager chain; KUBE-SVC-X and KUBE-SVC-Y are compact (rules made on each call).
  const all = parseIptablesSave(
    "*filter\n:FORWARD ACCEPT [0:0]\n:KUBE-SVC-X - [0:0]\n:KUBE-SVC-Y - [0:0]\n-A FORWARD -j KUBE-SVC-X\n-A FORWARD -j KUBE-SVC-Y\nCOMMIT\n",
  ).tables.filter!;
  const eager = { FORWARD: all.FORWARD };
  const text = [
    "*filter\n:KUBE-SVC-X - [0:0]\n-A KUBE-SVC-X -d 10.96.0.1/32 -j ACCEPT\nCOMMIT\n",
    "*filter\n:KUBE-SVC-Y - [0:0]\n-A KUBE-SVC-Y -d 10.96.0.2/32 -j ACCEPT\nCOMMIT\n",
  ];
  const names = ["KUBE-SVC-X", "KUBE-SVC-Y"];
  const layer: IptLayer = { owner: "kube-proxy", tables: {} };
  const rules = (i: number) => parseIptablesSave(text[i]).tables.filter![names[i]].rules;
  defineCompactTable(layer, "filter", { eager, names, rules }, () => ({
    ...eager,
    [names[0]]: { name: names[0], rules: rules(0) },
    [names[1]]: { name: names[1], rules: rules(1) },
  }));
  return layer;
}

function ns(id: string, iptables: IptLayer[]): NetNs {
  return { id, netfilter: { iptables, nftables: [] } } as unknown as NetNs;
}

function env(dst: string): NfEnv {
  const pkt = makePkt({
    src: ipToInt("10.244.1.5"),
    dst: ipToInt(dst),
    proto: "tcp",
    sport: 40000,
    dport: 80,
    ttl: 64,
    size: 60,
    df: true,
    mark: 0,
  });
  const no = () => {
    throw new Error("not used");
  };
  return {
    pkt,
    inIf: "cni0",
    outIf: "flannel.1",
    physIn: undefined,
    physOut: undefined,
    bridged: false,
    ctState: "NEW",
    ctDnat: false,
    ctSnat: false,
    ctMark: 0,
    isReplyPacket: false,
    isLocal: () => false,
    isBroadcast: () => false,
    choose: no,
    ipsetHas: no,
    noteChoice: no,
    recentHas: no,
    recentSet: no,
    recentRemove: no,
    recentList: no,
    nat: no,
    notrack: false,
    verbose: false,
    view: () => viewOf(pkt),
    snapshot: no,
  } as NfEnv;
}

test("a compact chain that another layer also defines is merged in that namespace, before and after a namespace where the compact layer is alone", () => {
  const kp = compactLayer();
  // Another owner appends to KUBE-SVC-X (iptables-restore --noflush of a second file).
  const extra = parseIptablesSave(
    "*filter\n:KUBE-SVC-X - [0:0]\n-A KUBE-SVC-X -d 10.244.0.0/16 -j DROP\nCOMMIT\n",
    "extra.rules",
  );
  extra.owner = "extra";
  const alone = ns("node/a", [kp]);
  const shared = ns("node/b", [kp, extra]);
  const other = ns("node/c", [compactLayer()]);
  // One view per namespace and one set of caches, as the walk keeps them (NsInfo.nf, CompiledIR).
  const c = nfCaches();
  const holders = new Map<NetNs, { nf: NsNetfilter | undefined }>();
  const holder = (n: NetNs) => {
    let h = holders.get(n);
    if (!h) holders.set(n, (h = { nf: undefined }));
    return h;
  };
  const verdict = (n: NetNs, dst: string) =>
    runHook(n, "FORWARD", env(dst), true, undefined, undefined, undefined, holder(n), c).verdict;
  for (let round = 0; round < 2; round++) {
    // Alone: KUBE-SVC-X has only its ACCEPT for 10.96.0.1; other packets return and FORWARD accepts.
    assert.equal(verdict(alone, "10.244.2.7"), "accept", `round ${round}: kube-proxy alone`);
    // Merged: kube-proxy's rule, then the extra DROP.
    assert.equal(verdict(shared, "10.244.2.7"), "drop", `round ${round}: merged with the extra layer`);
    assert.equal(verdict(shared, "10.96.0.1"), "accept", `round ${round}: the first layer's rule comes first`);
    // Another kube-proxy layer object (another cluster's): its own compact chain.
    assert.equal(verdict(other, "10.244.2.7"), "accept", `round ${round}: another compact layer`);
  }
  // A chain only the compact layer defines is the compact layer's in both namespaces (X returns for 10.96.0.2, Y accepts it).
  assert.equal(verdict(shared, "10.96.0.2"), "accept");
  assert.equal(verdict(alone, "10.96.0.2"), "accept");
});

// NetworkPolicy compiled into each node's dataplane.
//
// Choice (documented in the README): one nftables table `inet podnet-policy` per node,
// whatever kube-proxy's mode. nftables base chains coexist with iptables(-nft) chains
// on the same hooks, and a packet must be accepted by every base chain, so policy stays
// independent of kube-proxy's rules. Pods are matched by IP, not by interface: bridged
// flannel traffic reaches the inet forward hook through br_netfilter with the bridge as
// its interface, and nft has no physdev match. The forward hook runs after kube-proxy's
// DNAT (prerouting), so policy sees the backend pod, never the cluster IP.
//
//   chain forward (filter, hook forward, priority filter - 1): established/related accept, then
//     `ip saddr vmap @egress-pods` (local pods isolated for egress) and
//     `ip daddr vmap @ingress-pods` (local pods isolated for ingress).
//   chain input (hook input): egress of local pods towards the node itself.
//   chain egress-<ns>/<pod>: one accept-by-`return` per rule (comment: policy + rule
//     index), a final drop commented "isolated …".
//   chain ingress-<ns>/<pod>: likewise; traffic from the pod's own node is allowed first.
// Priority filter - 1, not filter: at equal priority the kernel runs the base chain
// registered last first (nf_hook_entries_grow), an order the IR does not hold, and the
// model would have to guess it. One below kube-proxy's iptables filter chains puts policy
// first, as Calico inserts its cali-FORWARD jump at the top of FORWARD: an egress-denied
// packet to a Service without endpoints is dropped by policy, not rejected by kube-proxy.
// (kube-proxy's nftables chains sit at filter - 10 and dstnat - 10: still before policy.)
// Each rule's peers become an anonymous interval set of pod IPs and ipBlock ranges.
//
// kube-proxy's ipvs mode: a Service's virtual address is local (kube-ipvs0), so a pod's
// packet to it is routed to INPUT, where IPVS (LOCAL_IN, priority 99, after the filter
// chains) rewrites the destination to an endpoint and sends the packet out through
// LOCAL_OUT and POSTROUTING: it never passes `forward` (ip_vs_remote_request4 and
// ip_vs_nat_send_or_cont in the kernel's net/netfilter/ipvs/ip_vs_core.c and
// ip_vs_xmit.c). Policy is then checked after the rewrite, on the output hook, as Calico
// does (felix rules/static.go: cali-INPUT's "cali-forward-check" sets the endpoint mark on
// traffic to a Kubernetes service and skips the to-host rules; cali-OUTPUT sends marked
// packets to "cali-forward-endpoint-mark", the egress of the sender and the ingress of the
// workload it goes to; https://docs.tigera.io/calico/latest/networking/configuring/use-ipvs):
//   chain input: a NEW packet to one of the node's IPVS virtual servers (set @ipvs-services,
//     address . protocol . port) gets mark IPVS_MARK and is accepted here (not egress-checked
//     against the virtual address).
//   chain output (hook output, priority filter - 1): an unmarked packet returns (the node's
//     own traffic: always allowed); a marked one is checked as `forward` checks: the
//     sender's egress, then the endpoint's ingress (when they are pods of this node).
// A cross-node endpoint's ingress is checked by its own node's `forward`. Replies are
// `established` on every hook. nftables has no match for "processed by IPVS" (xt_ipvs is
// an iptables-only match), hence the mark; the skb mark is scrubbed when the packet leaves
// the namespace. Both maps are always declared in this mode (possibly empty), so the
// output chain's rules exist and a trace says "not isolated" for a pod that is not.

import type { ClusterState, NodeState, PodState } from "../control/state.js";
import type {
  IpvsVirtualServer,
  NftChain,
  NftExpr,
  NftLayer,
  NftRule,
  NftSet,
  NftSetItem,
  NftStmt,
} from "../ir/types.js";
import { sha256Hex } from "../control/hash.js";
import { FLOW_LOG_GROUP, flowLogPrefix } from "../ir/flowlog.js";
import { type Cidr, intToIp, ipToInt, parseCidr } from "../net/ipv4.js";
import { calicoSelectedAddresses, positiveSelection } from "./calico.js";
import type { CalicoMatch } from "./types.js";
import { fitUtf8, utf8Length } from "../net/utf8.js";
import {
  calicoSelfMatches,
  inCalicoOrder,
  indexPolicies,
  namedPort,
  peerMatches,
  peerNamespaceMatches,
  policiesSelecting,
  selectable,
  type CPeer,
  type CPolicy,
  type CPort,
  type CRule,
  type PolicyIndex,
} from "./engine.js";
import { PROTOCOLS, type Proto } from "./portset.js";

export const POLICY_TABLE = "podnet-policy";
/** filter - 1: see the header. */
export const POLICY_PRIO = -1;
/** ipvs mode: the skb mark bit of a packet to a virtual server, checked after IPVS (see the header). */
export const IPVS_MARK = 0x00100000;

const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });

/** nft refuses comments over 128 bytes: cut long ones (names may be 253 characters). */
export function nftComment(s: string): string {
  if (utf8Length(s) <= 128) return s;
  return `${fitUtf8(s, 128 - utf8Length("…"))}…`;
}

/**
 * The final drop's comment: which policies isolate the pod (the chain name says which pod),
 * and `by`, those policies in words (the chain's tag).
 */
function isolatedComment(policies: string[]): { comment: string; by: string } {
  const full = `isolated by ${policies.join(", ")}; no rule allowed it`;
  if (utf8Length(full) <= 128) return { comment: full, by: policies.join(", ") };
  const comment = nftComment(`isolated by ${policies.length} policies (${policies.join(", ")}`);
  return { comment, by: comment.slice("isolated by ".length) };
}

/**
 * nftables chain names: NFT_CHAIN_MAXNAMELEN is 256 bytes with the NUL (include/uapi/linux/
 * netfilter/nf_tables.h; checked on this kernel by experiment), so at most 255.
 */
export const NFT_NAME_MAX = 255;

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * A policy chain's name: `ingress-<ns>/<pod>`, `egress-<ns>/<pod>`. A Kubernetes pod name
 * may have 253 characters and a namespace 63, past nftables' limit: such a name is cut as
 * kube-proxy's nftables mode cuts its chain names (pkg/proxy/nftables/proxier.go
 * hashAndTruncate): 8 base32 characters of the SHA-256 of the whole name first, so two
 * long names never collide, then the name cut to fit with "...". Names that fit are
 * unchanged.
 */
export function policyChainName(dir: "ingress" | "egress", namespace: string, pod: string): string {
  const name = `${dir}-${namespace}/${pod}`;
  if (utf8Length(name) <= NFT_NAME_MAX) return name;
  const hex = sha256Hex(name);
  let h = "";
  // base32 of the digest's first 5 bytes (40 bits = 8 characters), as base32.StdEncoding.
  const bits = BigInt(`0x${hex.slice(0, 10)}`);
  for (let i = 7; i >= 0; i--) h += B32[Number((bits >> BigInt(5 * i)) & 31n)];
  return `${fitUtf8(`${dir}-${h}-${namespace}/${pod}`, NFT_NAME_MAX - 3)}...`;
}

/** The policy table's final drops: what they stand for (read by the interpreter). */
const POLICY_DROP = Object.freeze({ reason: "POLICY_DENIED" as const });
/** A Calico rule's Deny (not the chain's end). */
const POLICY_RULE_DROP = Object.freeze({ reason: "POLICY_DENIED" as const, rule: true as const });

function ipRangesOfPeer(ix: PolicyIndex, peer: CPeer): [number, number][] {
  if (!peer.ipBlock || peer.ipBlock.ipv6) return []; // IPv6: no IPv4 address (engine.ts)
  let ranges: [number, number][] = [[peer.ipBlock.cidr.first, peer.ipBlock.cidr.last]];
  const cut = [...peer.ipBlock.except];
  // Where ipBlocks must not match pods, the pod network is cut out as well.
  if (!ix.ipBlockMatchesPods) cut.push(parseCidr(ix.state.config.networking.podSubnet, true));
  for (const e of cut) {
    const next: [number, number][] = [];
    for (const [a, b] of ranges) {
      if (e.last < a || e.first > b) next.push([a, b]);
      else {
        if (a < e.first) next.push([a, e.first - 1]);
        if (b > e.last) next.push([e.last + 1, b]);
      }
    }
    ranges = next;
  }
  return ranges;
}

function setElem([a, b]: [number, number]): NftSetItem {
  if (a === b) return intToIp(a);
  return { range: [intToIp(a), intToIp(b)] };
}

interface Compiled {
  policy: CPolicy;
  rule: CRule;
}

type PeerAddresses = { pods: PodState[]; ranges: [number, number][] };

// A rule's peers are matched against every pod of the cluster; the pods on one node share
// their policies, and so do the nodes a trace crosses: once per rule (a node of a
// 150,000-pod cluster with 10,000 policies took ~1.2 s to compile, rule by rule).
// Keyed by the index (its namespaces' labels count too) and used for its own cluster's pods.
const peerCache = new WeakMap<PolicyIndex, WeakMap<CPeer[], PeerAddresses>>();

/** Pods (non-hostNetwork, with an IP) a peer list matches, and ipBlock ranges. */
function peerAddresses(ix: PolicyIndex, policyNs: string, peers: CPeer[], pods: PodState[]): PeerAddresses {
  if (pods !== ix.state.pods) return matchPeers(ix, policyNs, peers, pods);
  let byPeers = peerCache.get(ix);
  if (!byPeers) peerCache.set(ix, (byPeers = new WeakMap()));
  let got = byPeers.get(peers);
  if (!got) byPeers.set(peers, (got = matchPeers(ix, policyNs, peers, pods)));
  return got;
}

// Positions of the pods of each namespace in a pod list: a peer looks only at the namespaces
// it can match (most at its policy's own), in the list's order.
const nsPositions = new WeakMap<PodState[], Map<string, number[]>>();

function positionsByNamespace(pods: PodState[]): Map<string, number[]> {
  let m = nsPositions.get(pods);
  if (!m) {
    m = new Map();
    for (let i = 0; i < pods.length; i++) {
      const l = m.get(pods[i].namespace);
      if (l) l.push(i);
      else m.set(pods[i].namespace, [i]);
    }
    nsPositions.set(pods, m);
  }
  return m;
}

function matchPeers(ix: PolicyIndex, policyNs: string, peers: CPeer[], pods: PodState[]): PeerAddresses {
  const matched: PodState[] = [];
  const podPeers = peers.filter((p) => !p.ipBlock);
  if (podPeers.length) {
    const byNs = positionsByNamespace(pods);
    const lists: number[][] = [];
    for (const [ns, list] of byNs)
      if (podPeers.some((pe) => peerNamespaceMatches(ix, pe, policyNs, ns))) lists.push(list);
    const at = lists.length === 1 ? lists[0] : lists.flat().sort((a, b) => a - b);
    for (const i of at) {
      const pod = pods[i];
      if (!pod.podIP || !selectable(pod)) continue;
      if (podPeers.some((pe) => peerMatches(ix, pe, policyNs, { kind: "pod", pod }))) matched.push(pod);
    }
  }
  const ranges: [number, number][] = [];
  for (const pe of peers) ranges.push(...ipRangesOfPeer(ix, pe));
  return { pods: matched, ranges };
}

/** Port rules for one protocol: set elements (ports / ranges) or null for "all ports". */
function portsFor(
  ports: CPort[] | null,
  proto: Proto,
  dst: PodState | null,
): (number | { range: [number, number] })[] | null | "none" {
  if (ports === null) return null;
  const out: (number | { range: [number, number] })[] = [];
  let all = false;
  for (const p of ports) {
    if (p.protocol !== proto) continue;
    if (p.port === undefined) all = true;
    else if (typeof p.port === "number")
      out.push(p.endPort !== undefined && p.endPort !== p.port ? { range: [p.port, p.endPort] } : p.port);
    else if (dst) {
      const n = namedPort(dst, p.port, proto);
      if (n !== undefined) out.push(n);
    }
  }
  if (all) return null;
  return out.length ? out : "none";
}

function ruleExprs(
  addrField: "saddr" | "daddr",
  addrs: NftSetItem[] | null,
  proto: Proto | null,
  ports: (number | { range: [number, number] })[] | null,
): NftStmt[] {
  const e: NftStmt[] = [];
  if (addrs !== null) e.push({ match: { op: "==", left: payload("ip", addrField), right: { set: addrs } } });
  if (proto !== null) e.push({ match: { op: "==", left: { meta: { key: "l4proto" } }, right: proto.toLowerCase() } });
  if (ports !== null) e.push({ match: { op: "==", left: payload("th", "dport"), right: { set: ports } } });
  e.push({ return: null });
  return e;
}

/** Rules of one direction chain for `pod`. For ingress the peers are sources and the
 *  named ports resolve against `pod`; for egress the peers are destinations and named
 *  ports resolve against each destination pod (grouped by the port they resolve to). */
function directionRules(
  ix: PolicyIndex,
  pod: PodState,
  dir: "ingress" | "egress",
  compiled: Compiled[],
  allPods: PodState[],
): NftRule[] {
  const rules: NftRule[] = [];
  const addrField = dir === "ingress" ? "saddr" : "daddr";
  for (const { policy, rule } of compiled) {
    const comment = nftComment(`${policy.namespace}/${policy.name} ${dir} rule ${rule.index}`);
    const peers = rule.peers === null ? null : peerAddresses(ix, policy.namespace, rule.peers, allPods);
    const named = (rule.ports ?? []).some((p) => typeof p.port === "string");
    // Egress rules with named ports resolve per destination pod: one rule per group.
    type Group = { addrs: NftSetItem[] | null; dst: PodState | null };
    const groups: Group[] = [];
    if (dir === "egress" && named) {
      const targets = peers === null ? allPods.filter((p) => p.podIP && selectable(p)) : peers.pods;
      const byPorts = new Map<string, { pods: PodState[] }>();
      for (const t of targets) {
        const key = PROTOCOLS.map((pr) => JSON.stringify(portsFor(rule.ports, pr, t))).join("|");
        const g = byPorts.get(key) ?? { pods: [] };
        g.pods.push(t);
        byPorts.set(key, g);
      }
      for (const g of byPorts.values()) groups.push({ addrs: g.pods.map((p) => p.podIP!), dst: g.pods[0] });
      if (peers?.ranges.length) groups.push({ addrs: peers.ranges.map(setElem), dst: null });
    } else {
      const addrs = peers === null ? null : [...peers.pods.map((p) => p.podIP!), ...peers.ranges.map(setElem)];
      groups.push({ addrs, dst: dir === "ingress" ? pod : null });
    }
    for (const g of groups) {
      if (g.addrs !== null && g.addrs.length === 0) continue; // peers match nothing
      if (rule.ports === null) {
        rules.push({ expr: ruleExprs(addrField, g.addrs, null, null), comment });
        continue;
      }
      for (const proto of PROTOCOLS) {
        const ports = portsFor(rule.ports, proto, g.dst);
        if (ports === "none") continue;
        rules.push({ expr: ruleExprs(addrField, g.addrs, proto, ports), comment });
      }
    }
  }
  return rules;
}

/** Sorted, disjoint ranges (an anonymous interval set refuses overlapping elements). */
function mergeRanges(list: [number, number][]): [number, number][] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const rangesOf = (pods: PodState[], nets: Cidr[]): [number, number][] =>
  mergeRanges([
    ...pods.map((p): [number, number] => [ipToInt(p.podIP!), ipToInt(p.podIP!)]),
    ...nets.map((c): [number, number] => [c.first, c.last]),
  ]);

/**
 * A Calico rule's criteria on its peer as address matches, as Felix writes them with IP sets
 * (felix rules/rule_defs.go): the selector's set, nets, not in notNets, not in the
 * notSelector's set. null: the criteria match no address.
 */
function calicoAddrExprs(
  ix: PolicyIndex,
  m: CalicoMatch,
  field: "saddr" | "daddr",
  pods: PodState[],
): NftStmt[] | null {
  if (m.never) return null;
  const w = ix.calico!;
  const out: NftStmt[] = [];
  const left = payload("ip", field);
  const inSet = (r: [number, number][], op: "==" | "!=") =>
    out.push({ match: { op, left, right: { set: r.map(setElem) } } });
  if (positiveSelection(m)) {
    const sel = calicoSelectedAddresses(w, m, pods, false, selectable);
    const r = rangesOf(sel.pods, sel.nets);
    if (r.length === 0) return null;
    inSet(r, "==");
  }
  if (m.nets) {
    const r = rangesOf([], m.nets);
    if (r.length === 0) return null;
    inSet(r, "==");
  }
  if (m.notNets?.length) inSet(rangesOf([], m.notNets), "!=");
  if (m.notSelector) {
    const sel = calicoSelectedAddresses(w, m, pods, true, selectable);
    const r = rangesOf(sel.pods, sel.nets);
    if (r.length) inSet(r, "!=");
  }
  return out;
}

/**
 * A pod's side in Calico's order, one chain per tier (the first is the pod's own chain):
 * a rule that matches allows (return), denies (drop) or passes (goto the next tier's chain;
 * past the last, return: the namespace's profile allows); a tier's end drops, or passes with
 * defaultAction Pass. The engine decides the same (engine.ts calicoVerdict).
 */
function calicoTierChains(
  ix: PolicyIndex,
  pod: PodState,
  dir: "ingress" | "egress",
  pols: CPolicy[],
  allPods: PodState[],
  name: string,
  drop: NftRule,
): NftChain[] {
  const sorted = inCalicoOrder(pols);
  const tiers: { tier: string; pass: boolean; pols: CPolicy[] }[] = [];
  for (const p of sorted) {
    const last = tiers[tiers.length - 1];
    if (last && last.tier === p.calico!.tier) last.pols.push(p);
    else tiers.push({ tier: p.calico!.tier, pass: p.calico!.tierDefault === "Pass", pols: [p] });
  }
  const chainName = (k: number) => (k === 0 ? name : policyChainName(dir, pod.namespace, `${pod.name}/t${k}`));
  const addrField = dir === "ingress" ? "saddr" : "daddr";
  return tiers.map((t, k): NftChain => {
    const next: NftStmt = k + 1 < tiers.length ? { goto: { target: chainName(k + 1) } } : { return: null };
    const rules: NftRule[] = [];
    for (const p of t.pols)
      for (const r of dir === "ingress" ? p.ingressRules : p.egressRules) {
        if (r.action === "Log" || !calicoSelfMatches(ix, r, pod)) continue;
        // The rule's peers as address matches, one group per Calico peer and one for the
        // others (a Kubernetes-style peer list, matched as the NetworkPolicy chains match it):
        // the groups are alternatives, so each becomes rules of its own, in the rule's place.
        const groups: { addr: NftStmt[]; peers: CPeer[] | null }[] = [];
        if (r.peers === null) groups.push({ addr: [], peers: null });
        else {
          const plain = plainPeers(r);
          if (plain.length) {
            const pa = peerAddresses(ix, p.namespace, plain, allPods);
            const set = [...pa.pods.map((x) => x.podIP!), ...pa.ranges.map(setElem)];
            if (set.length)
              groups.push({
                addr: [{ match: { op: "==", left: payload("ip", addrField), right: { set } } }],
                peers: plain,
              });
          }
          for (const pe of r.peers) {
            if (!pe.calico) continue;
            const addr = calicoAddrExprs(ix, pe.calico, addrField, allPods);
            if (addr) groups.push({ addr, peers: [pe] });
          }
        }
        const action = r.action ?? "Allow";
        const comment = nftComment(`${p.id} ${dir} rule ${r.index}${action === "Allow" ? "" : ` (action ${action})`}`);
        const verdict: NftStmt[] =
          action === "Allow" ? [{ return: null }] : action === "Pass" ? [next] : [...drop.expr];
        // Ports resolve against the destination: this pod for ingress; for egress each peer
        // pod (named ports), grouped by what they resolve to.
        for (const { addr, peers } of groups)
          for (const g of calicoPortGroups(ix, p, r, dir, pod, peers, allPods)) {
            if (g.addrs !== null && g.addrs.length === 0) continue;
            const pre =
              g.addrs === null
                ? addr
                : [...addr, { match: { op: "==" as const, left: payload("ip", addrField), right: { set: g.addrs } } }];
            for (const e of portExprs(r, g.dst)) {
              const rule: NftRule = { expr: [...pre, ...e, ...verdict], comment };
              if (action === "Deny") rule.drop = POLICY_RULE_DROP;
              rules.push(rule);
            }
          }
      }
    rules.push(t.pass ? { expr: [next], comment: nftComment(`tier ${t.tier}: defaultAction Pass`) } : drop);
    return { name: chainName(k), rules };
  });
}

// A rule's peers that are not Calico's, one list per rule (peerAddresses caches by list).
const plainOf = new WeakMap<CRule, CPeer[]>();
function plainPeers(r: CRule): CPeer[] {
  let l = plainOf.get(r);
  if (!l) plainOf.set(r, (l = (r.peers ?? []).filter((pe) => !pe.calico)));
  return l;
}

/** Destinations a rule's named ports resolve against: one group, or (egress, named ports)
 *  one per set of resolved ports; addrs null: no further address match. */
function calicoPortGroups(
  ix: PolicyIndex,
  p: CPolicy,
  r: CRule,
  dir: "ingress" | "egress",
  pod: PodState,
  peers: CPeer[] | null,
  allPods: PodState[],
): { addrs: NftSetItem[] | null; dst: PodState | null }[] {
  const named = [...(r.ports ?? []), ...(r.exceptPorts ?? [])].some((x) => typeof x.port === "string");
  if (dir === "ingress" || !named) return [{ addrs: null, dst: dir === "ingress" ? pod : null }];
  const targets = allPods.filter(
    (t) =>
      t.podIP && (peers === null || peers.some((pe) => peerMatches(ix, pe, p.namespace, { kind: "pod", pod: t }, pod))),
  );
  const byPorts = new Map<string, PodState[]>();
  for (const t of targets) {
    const key = PROTOCOLS.map((pr) =>
      JSON.stringify([portsFor(r.ports, pr, t), portsFor(r.exceptPorts ?? null, pr, t)]),
    ).join("|");
    byPorts.set(key, [...(byPorts.get(key) ?? []), t]);
  }
  const groups: { addrs: NftSetItem[] | null; dst: PodState | null }[] = [];
  for (const g of byPorts.values()) groups.push({ addrs: g.map((p) => p.podIP!), dst: g[0] });
  return groups;
}

/** A rule's protocol and port matches (ports less notPorts), one list per protocol. */
function portExprs(r: CRule, dst: PodState | null): NftStmt[][] {
  if (r.ports === null && !r.exceptPorts) return [[]];
  const out: NftStmt[][] = [];
  for (const proto of PROTOCOLS) {
    const ports = portsFor(r.ports, proto, dst);
    if (ports === "none") continue;
    const except = r.exceptPorts ? portsFor(r.exceptPorts, proto, dst) : "none";
    if (except === null) continue; // every port taken out
    const e: NftStmt[] = [{ match: { op: "==", left: { meta: { key: "l4proto" } }, right: proto.toLowerCase() } }];
    if (ports !== null) e.push({ match: { op: "==", left: payload("th", "dport"), right: { set: ports } } });
    if (except !== "none") e.push({ match: { op: "!=", left: payload("th", "dport"), right: { set: except } } });
    out.push(e);
  }
  return out;
}

/** The policy layer of one node: undefined when no pod on it is isolated. */
export function compileNodePolicy(
  ix: PolicyIndex,
  state: ClusterState,
  node: NodeState,
  podsOnNode: PodState[],
  ipvs?: IpvsVirtualServer[],
): NftLayer | undefined {
  const chains: Record<string, NftChain> = {};
  const ingressMap: NftSet = {
    name: "ingress-pods",
    kind: "map",
    type: "ipv4_addr",
    map: "verdict",
    comment: "local pods isolated for ingress",
    elem: [],
  };
  const egressMap: NftSet = {
    name: "egress-pods",
    kind: "map",
    type: "ipv4_addr",
    map: "verdict",
    comment: "local pods isolated for egress",
    elem: [],
  };
  for (const pod of podsOnNode) {
    if (!pod.podIP || !selectable(pod)) continue;
    for (const dir of ["ingress", "egress"] as const) {
      // NetworkPolicies only: Cilium's own policies live in its BPF policy maps (plumbing/cilium).
      const pols = policiesSelecting(ix, pod, dir).filter((p) => !p.cilium);
      if (pols.length === 0) continue;
      const name = policyChainName(dir, pod.namespace, pod.name);
      const rules: NftRule[] = [];
      if (dir === "ingress") {
        rules.push({
          expr: [{ match: { op: "==", left: payload("ip", "saddr"), right: node.address } }, { return: null }],
          comment: "traffic from the pod's own node is allowed",
        });
      }
      const firstRule = rules.length;
      const isolated = isolatedComment(pols.map((p) => (p.calico ? p.id : `${p.namespace}/${p.name}`)));
      // Logged to NFLOG before the drop (same rule: indices unchanged), so `podnet observe` names the policy.
      const prefix = flowLogPrefix({
        reason: "POLICY_DENIED",
        direction: dir,
        policies: pols.map((p) => (p.calico ? p.id : `${p.namespace}/${p.name}`)),
      });
      const drop: NftRule = {
        expr: [{ log: { prefix, group: FLOW_LOG_GROUP } }, { drop: null }],
        comment: isolated.comment,
        drop: POLICY_DROP,
      };
      if (ix.calico) {
        const tiers = calicoTierChains(ix, pod, dir, pols, state.pods, name, drop);
        rules.push(...tiers[0].rules);
        for (const t of tiers.slice(1)) chains[t.name] = t;
      } else {
        const compiled: Compiled[] = [];
        for (const p of pols)
          for (const r of dir === "ingress" ? p.ingressRules : p.egressRules) compiled.push({ policy: p, rule: r });
        rules.push(...directionRules(ix, pod, dir, compiled, state.pods));
        rules.push(drop);
      }
      const isolates = { side: dir, pod: `${pod.namespace}/${pod.name}`, by: isolated.by, firstRule };
      chains[name] = { name, rules, isolates };
      (dir === "ingress" ? ingressMap : egressMap).elem.push({ key: pod.podIP, value: { jump: { target: name } } });
    }
  }
  if (Object.keys(chains).length === 0) return undefined;
  const est: NftStmt = { match: { op: "in", left: { ct: { key: "state" } }, right: ["established", "related"] } };
  // ipvs mode (see the header): both maps exist, so the output chain can name them.
  const vips = ipvs?.length ? ipvsServicesSet(ipvs) : undefined;
  const hasEgress = vips !== undefined || egressMap.elem.length > 0;
  const hasIngress = vips !== undefined || ingressMap.elem.length > 0;
  chains.forward = {
    name: "forward",
    type: "filter",
    hook: "forward",
    prio: POLICY_PRIO,
    policy: "accept",
    rules: [
      { expr: [est, { accept: null }], comment: "replies of allowed connections (policies are stateful)" },
      ...(hasEgress ? [{ expr: [{ vmap: { key: payload("ip", "saddr"), data: "@egress-pods" } }] }] : []),
      ...(hasIngress ? [{ expr: [{ vmap: { key: payload("ip", "daddr"), data: "@ingress-pods" } }] }] : []),
    ],
  };
  chains.input = {
    name: "input",
    type: "filter",
    hook: "input",
    prio: POLICY_PRIO,
    policy: "accept",
    rules: [
      { expr: [est, { accept: null }] },
      ...(vips
        ? [
            {
              expr: [
                { match: { op: "==" as const, left: VS_KEY, right: "@" + vips.name } },
                { mangle: { key: MARK, value: { "|": [MARK, IPVS_MARK] as [NftExpr, NftExpr] } } },
                { accept: null },
              ],
              comment: "to an IPVS virtual server: policy is checked after IPVS, in output",
            },
          ]
        : []),
      ...(hasEgress ? [{ expr: [{ vmap: { key: payload("ip", "saddr"), data: "@egress-pods" } }] }] : []),
    ],
  };
  if (vips) {
    chains.output = {
      name: "output",
      type: "filter",
      hook: "output",
      prio: POLICY_PRIO,
      policy: "accept",
      rules: [
        {
          expr: [{ match: { op: "==", left: { "&": [MARK, IPVS_MARK] }, right: 0 } }, { return: null }],
          comment: "not forwarded by IPVS: the node's own traffic",
        },
        { expr: [{ vmap: { key: payload("ip", "saddr"), data: "@egress-pods" } }] },
        { expr: [{ vmap: { key: payload("ip", "daddr"), data: "@ingress-pods" } }] },
      ],
    };
  }
  const sets: Record<string, NftSet> = {};
  if (hasIngress) sets[ingressMap.name] = ingressMap;
  if (hasEgress) sets[egressMap.name] = egressMap;
  if (vips) sets[vips.name] = vips;
  return {
    owner: "podnet-policy",
    tables: [
      {
        family: "inet",
        name: POLICY_TABLE,
        comment: "NetworkPolicy, compiled by podnet",
        chains,
        sets,
        role: "policy",
        policyMaps: { ingress: ingressMap.name, egress: egressMap.name },
      },
    ],
  };
}

const MARK: NftExpr = Object.freeze({ meta: Object.freeze({ key: "mark" }) });
/** `ip daddr . meta l4proto . th dport`, the key of kube-proxy's own service maps. */
const VS_KEY: NftExpr = Object.freeze({
  concat: Object.freeze([payload("ip", "daddr"), { meta: { key: "l4proto" } }, payload("th", "dport")]) as NftExpr[],
});

/** The virtual servers' set, one per list (a list is shared across nodes where identical). */
const vsSets = new WeakMap<IpvsVirtualServer[], NftSet>();
function ipvsServicesSet(list: IpvsVirtualServer[]): NftSet {
  let s = vsSets.get(list);
  if (!s) {
    const seen = new Set<string>();
    const elem: NftSet["elem"] = [];
    for (const v of list) {
      const proto = v.protocol.toLowerCase();
      const k = `${v.address} ${proto} ${v.port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      elem.push({ key: { concat: [v.address, proto, v.port] } });
    }
    s = {
      name: "ipvs-services",
      kind: "set",
      type: ["ipv4_addr", "inet_proto", "inet_service"],
      comment: "IPVS virtual servers of this node",
      elem,
    };
    vsSets.set(list, s);
  }
  return s;
}

/** Policy layers for every node (shared index built once). */
export function compilePolicies(state: ClusterState): Map<string, NftLayer> {
  const ix = indexPolicies(state);
  const out = new Map<string, NftLayer>();
  if (ix.policies.length === 0) return out;
  const byNode = new Map<string, PodState[]>();
  for (const p of state.pods) {
    if (!p.nodeName) continue;
    const l = byNode.get(p.nodeName) ?? [];
    l.push(p);
    byNode.set(p.nodeName, l);
  }
  for (const n of state.nodes) {
    const layer = compileNodePolicy(ix, state, n, byNode.get(n.name) ?? []);
    if (layer) out.set(n.name, layer);
  }
  return out;
}

const ixCache = new WeakMap<ClusterState, PolicyIndex>();

/** The policy layer of one node, with the policy index cached per state (the IR builder's entry). */
/** The policy layer of one node, with the policy index cached per state (the IR builder's entry).
 *  `ipvs`: the node's IPVS virtual servers in kube-proxy's ipvs mode (see the header). */
export function nodePolicyLayer(
  state: ClusterState,
  node: NodeState,
  podsOnNode: PodState[],
  ipvs?: IpvsVirtualServer[],
): NftLayer | undefined {
  if (state.networkPolicies.length === 0 && !state.calico?.policies.length && !state.adminPolicies) return undefined;
  let ix = ixCache.get(state);
  if (!ix) ixCache.set(state, (ix = indexPolicies(state)));
  return compileNodePolicy(ix, state, node, podsOnNode, ipvs);
}

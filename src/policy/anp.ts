// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1;
// https://network-policy-api.sigs.k8s.io/reference/spec/) as Calico enforces them
// (https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy): in tiers
// of their own around the default tier, so the engine's Calico order decides them:
// - AdminNetworkPolicies: the `kube-admin` tier (order 1,000, before the default
//   tier), by priority (lower first); the first rule that matches decides: Allow, Deny, or
//   Pass (on to the NetworkPolicies); what no rule matches passes (the tier's default);
// - the BaselineAdminNetworkPolicy: the `kube-baseline` tier (order
//   10,000,000, after the default tier): reached only where no NetworkPolicy of the default
//   tier selects the pod; Allow or Deny, what no rule matches passes to the profile (allow);
// - subjects and peers select pods by namespace and pod labels (hostNetwork pods are not
//   endpoints); `networks` match addresses (pods' too), `nodes` the addresses of the nodes
//   they select; ports are a number, a named port (any protocol the pod names it with), or
//   a range.
import type { AdminPolicyState, NodeState } from "../control/state.js";
import type { AnpPeer, AnpPort, AnpRule, LabelSelector } from "../manifest/types.js";
import { matchSelector } from "../manifest/selector.js";
import { type Cidr, parseCidr } from "../net/ipv4.js";
import { PROTOCOLS, type Proto } from "./portset.js";
import type { CPeer, CPolicy, CPort, CRule } from "./types.js";

// The tiers' names since Calico 3.30 (3.29 called the first `adminnetworkpolicy`).
export const ANP_TIER = "kube-admin";
export const ANP_TIER_ORDER = 1000;
export const BANP_TIER = "kube-baseline";
export const BANP_TIER_ORDER = 10_000_000;

const EVERY: LabelSelector = Object.freeze({}) as LabelSelector;

function cidrs(list: unknown): Cidr[] {
  const out: Cidr[] = [];
  if (!Array.isArray(list)) return out;
  for (const n of list) {
    if (typeof n !== "string" || n.includes(":")) continue; // IPv6: no address of podnet's clusters
    try {
      out.push(parseCidr(n, true));
    } catch {
      // refused by validation
    }
  }
  return out;
}

function peerOf(p: AnpPeer, nodes: NodeState[]): CPeer | undefined {
  if (!p || typeof p !== "object") return undefined;
  if (p.namespaces) return { namespaceSelector: p.namespaces, podSelector: EVERY };
  if (p.pods) return { namespaceSelector: p.pods.namespaceSelector ?? EVERY, podSelector: p.pods.podSelector ?? EVERY };
  if (p.networks) return { calico: { nets: cidrs(p.networks), scope: null, text: `networks ${p.networks.join(",")}` } };
  if (p.nodes) {
    const sel = p.nodes;
    const ips = nodes.filter((n) => matchSelector(sel, n.labels)).map((n) => parseCidr(`${n.address}/32`, true));
    return { calico: { nets: ips, scope: null, text: `nodes ${JSON.stringify(sel)}` } };
  }
  return undefined;
}

const protoOf = (v: unknown): Proto => (v === "UDP" || v === "SCTP" ? v : "TCP");

function portsOf(ports: AnpPort[] | undefined): CPort[] | null {
  if (!Array.isArray(ports)) return null;
  const out: CPort[] = [];
  for (const p of ports) {
    if (!p || typeof p !== "object") continue;
    if (p.portNumber && typeof p.portNumber.port === "number")
      out.push({ protocol: protoOf(p.portNumber.protocol), port: p.portNumber.port });
    else if (typeof p.namedPort === "string")
      // A named port has no protocol of its own: the pod's port of that name, whatever its protocol.
      for (const protocol of PROTOCOLS) out.push({ protocol, port: p.namedPort });
    else if (p.portRange && typeof p.portRange.start === "number" && typeof p.portRange.end === "number")
      out.push({ protocol: protoOf(p.portRange.protocol), port: p.portRange.start, endPort: p.portRange.end });
  }
  return out;
}

function ruleOf(r: AnpRule, index: number, dir: "ingress" | "egress", nodes: NodeState[]): CRule {
  const list = dir === "ingress" ? r.from : r.to;
  const peers = Array.isArray(list) ? list.flatMap((p) => peerOf(p, nodes) ?? []) : [];
  const action = r.action === "Allow" || r.action === "Pass" ? r.action : "Deny";
  return { index, peers, ports: portsOf(r.ports), action };
}

/** The kubectl-style reference verdicts name a policy by ("adminnetworkpolicy/NAME"). */
export const adminPolicyId = (p: { kind: string; name: string }) => `${p.kind.toLowerCase()}/${p.name}`;

/** The policies in their Calico tiers (only when the CNI is Calico: engine.ts). */
export function compileAdminPolicies(list: AdminPolicyState[], nodes: NodeState[]): CPolicy[] {
  return list.map((p) => {
    const baseline = p.kind === "BaselineAdminNetworkPolicy";
    const s = p.spec;
    const rules = (dir: "ingress" | "egress") =>
      Array.isArray(s[dir])
        ? s[dir]!.flatMap((r, i) => (r && typeof r === "object" ? [ruleOf(r, i, dir, nodes)] : []))
        : [];
    const ingressRules = rules("ingress");
    const egressRules = rules("egress");
    const subject = s.subject?.namespaces
      ? { namespaceSelector: s.subject.namespaces, podSelector: EVERY }
      : {
          namespaceSelector: s.subject?.pods?.namespaceSelector ?? EVERY,
          podSelector: s.subject?.pods?.podSelector ?? EVERY,
        };
    return {
      namespace: "",
      name: p.name,
      id: adminPolicyId(p),
      podSelector: subject.podSelector,
      calico: {
        kind: p.kind,
        tier: baseline ? BANP_TIER : ANP_TIER,
        tierOrder: baseline ? BANP_TIER_ORDER : ANP_TIER_ORDER,
        tierDefault: "Pass",
        order: baseline ? 0 : typeof s.priority === "number" ? s.priority : Number.POSITIVE_INFINITY,
        sortKey: p.name,
        subjectNamespaces: subject.namespaceSelector,
      },
      // A subject's side is decided only where the policy has rules for it.
      ingress: ingressRules.length > 0,
      egress: egressRules.length > 0,
      ingressRules,
      egressRules,
    };
  });
}

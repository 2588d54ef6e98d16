// The policy map of one endpoint (cilium_policy_v2_<ep>, pkg/maps/policymap): the allow
// entries NetworkPolicy gives it and the deny entries of CiliumNetworkPolicy's
// ingressDeny/egressDeny, from the policy layer's evaluation (PolicyOracle).

import type { PodState } from "../../control/state.js";
import type { BpfPolicyEntry } from "../../ir/types.js";
import type { FlavorContext, PortRanges } from "../flavor.js";
import { ID_HOST, ID_UNKNOWN } from "./ids.js";

type PolicyHit = { policy: string; rule: number; conns: PortRanges };
const L4 = ["TCP", "UDP", "SCTP"] as const;

/** The port ranges of `a` outside every range of `cut` (inclusive ranges). */
export function minusRanges(a: readonly [number, number][], cut: readonly [number, number][]): [number, number][] {
  if (!cut.length) return [...a];
  const d = [...cut].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of a) {
    let from = lo;
    for (const [dl, dh] of d) {
      if (dl > hi) break;
      if (dh < from) continue;
      if (dl > from) out.push([from, dl - 1]);
      from = dh + 1;
      if (from > hi) break;
    }
    if (from <= hi) out.push([from, hi]);
  }
  return out;
}

/** One entry per protocol and range (the full range 1-65535: any port). */
function pushPorts(
  entries: BpfPolicyEntry[],
  identity: number,
  dir: "ingress" | "egress",
  proto: (typeof L4)[number],
  ranges: readonly [number, number][],
  by: string,
  deny: boolean,
): void {
  for (const [a, b] of ranges) {
    const e: BpfPolicyEntry = { identity, direction: dir, protocol: proto, by };
    if (!(a === 1 && b === 65535)) {
      e.port = a;
      if (b !== a) e.endPort = b;
    }
    if (deny) e.deny = true;
    entries.push(e);
  }
}

/**
 * A pod's policy map. `peers` is asked only when a policy selects the pod (10,000 identities
 * per pod otherwise, for nothing), and made once per node.
 *
 * Deny rules (CiliumNetworkPolicy ingressDeny/egressDeny) take precedence over allows
 * (https://docs.cilium.io/en/stable/security/policy/language/#deny-policies). Cilium's agent
 * resolves that precedence when it computes the map state (pkg/policy/mapstate.go
 * denyPreferredInsert); so does this: an identity's allow entries are its allowed ports minus
 * its denied ones, so its allow and deny entries never overlap and the LPM's longest match
 * is always the right verdict. The exceptions are any-protocol allows (allow-localhost, the
 * identity-0 allow-all), which a deny entry always out-specifies: it has a protocol (and,
 * for identity 0, the datapath asks the peer's identity first).
 * A direction no allow policy isolates keeps the allow-all entry and gets the deny entries
 * of the identities its deny rules match: everything not denied is allowed.
 */
export function policyEntries(
  ctx: FlavorContext,
  pod: PodState,
  peersOf: () => [number, PodState | string][],
): {
  entries: BpfPolicyEntry[];
  ingress: boolean;
  egress: boolean;
} {
  const entries: BpfPolicyEntry[] = [];
  const oracle = ctx.policy;
  const side = (dir: "ingress" | "egress"): boolean => {
    const isolated = !!oracle && oracle.allowed(dir, pod, pod) !== null;
    // Per-peer deny evaluation only for a pod some deny rule selects (150,000 pods × every
    // identity otherwise); an oracle without deniesAny is asked for every pod.
    const denied = oracle?.denied && (oracle.deniesAny?.(dir, pod) ?? true) ? oracle.denied.bind(oracle) : null;
    const denyEntries = (id: number, peer: PodState | string): PortRanges | null => {
      const hits: PolicyHit[] = denied ? denied(dir, pod, peer) : [];
      if (!hits.length) return null;
      const cut: PortRanges = { TCP: [], UDP: [], SCTP: [] };
      for (const hit of hits) {
        const by = `${hit.policy} ${dir}Deny rule ${hit.rule}`;
        for (const proto of L4) {
          pushPorts(entries, id, dir, proto, hit.conns[proto], by, true);
          cut[proto].push(...hit.conns[proto]);
        }
      }
      return cut;
    };
    if (!isolated) {
      entries.push({ identity: ID_UNKNOWN, direction: dir, by: `no NetworkPolicy selects the pod for ${dir}` });
      if (denied) for (const [id, peer] of peersOf()) denyEntries(id, peer);
      return false;
    }
    const peers = peersOf();
    // allow-localhost (default "auto"): the host reaches its local endpoints (kubelet probes).
    // Any protocol: a deny entry for the host out-specifies it (denyPreferredInsert keeps
    // a broader allow beside a narrower deny too).
    if (dir === "ingress") entries.push({ identity: ID_HOST, direction: dir, by: "allow-localhost" });
    for (const [id, peer] of peers) {
      const cut = denyEntries(id, peer);
      if (dir === "ingress" && id === ID_HOST) continue;
      for (const hit of oracle!.allowed(dir, pod, peer) ?? []) {
        const by = `${hit.policy} ${dir} rule ${hit.rule}`;
        for (const proto of L4)
          pushPorts(
            entries,
            id,
            dir,
            proto,
            cut ? minusRanges(hit.conns[proto], cut[proto]) : hit.conns[proto],
            by,
            false,
          );
      }
    }
    return true;
  };
  const ingress = side("ingress");
  const egress = side("egress");
  return { entries, ingress, egress };
}

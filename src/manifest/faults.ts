// Named faults: what breaks in a cluster on purpose, the same in the model and on a running
// cluster (`podnet fault add|list|clear`, and `faults:` in the cluster config). A fault is
// written as the CLI takes it: its name, then its arguments ("kube-proxy-down worker-1").
// Configuration mistakes (a selector typo, a wrong targetPort) are not faults: they come
// with the manifests.

/** What a fault argument names: a node, a second node, or a pod ("NS/NAME" or "NAME" in default). */
export type FaultArg = "node" | "peer" | "pod";

export interface FaultKindSpec {
  args: readonly FaultArg[];
  /** One line for `podnet fault list` and the docs: what the failure really is. */
  desc: string;
}

export const FAULT_KINDS = {
  "coredns-down": { args: [], desc: "every CoreDNS pod stopped: not ready, no longer behind kube-dns" },
  "coredns-replica-down": { args: ["pod"], desc: "one CoreDNS pod stopped: not ready, removed from kube-dns" },
  "dns-upstream-down": { args: [], desc: "CoreDNS's upstream resolver does not answer: outside names time out" },
  "kube-proxy-down": {
    args: ["node"],
    desc: "kube-proxy stopped on the node: its rules stay but stop following changes (stale endpoints)",
  },
  "kube-proxy-flushed": { args: ["node"], desc: "kube-proxy's chains flushed on the node: Services do not translate" },
  "cni-bridge-down": { args: ["node"], desc: "the node's CNI bridge (cni0) is down" },
  "veth-down": { args: ["pod"], desc: "the pod's veth (node end) is down" },
  "pod-route-missing": { args: ["pod"], desc: "the pod's default route is deleted" },
  "ip-forward-off": { args: ["node"], desc: "net.ipv4.ip_forward=0 on the node: it forwards nothing" },
  "rp-filter-strict": { args: ["node"], desc: "net.ipv4.conf.all.rp_filter=1 on the node: strict reverse-path filter" },
  "underlay-link-down": { args: ["node"], desc: "the node's underlay link (eth0) is down" },
  "node-partition": {
    args: ["node", "peer"],
    desc: "the two nodes cannot reach each other (UDP 8472, BGP, IPIP dropped)",
  },
  "vxlan-fdb-missing": {
    args: ["node", "peer"],
    desc: "the node's VXLAN FDB entry (and neighbour) for the peer's VTEP is deleted",
  },
  "mtu-mismatch": {
    args: ["node"],
    desc: "the node's pod MTU is not lowered for VXLAN: full-size packets are dropped",
  },
  "bgp-down": { args: ["node"], desc: "BIRD stopped on the node: its routes are withdrawn from the peers" },
  "pod-not-ready": { args: ["pod"], desc: "the pod's readiness fails: its endpoint stays, not ready" },
} as const satisfies Record<string, FaultKindSpec>;

export type FaultKind = keyof typeof FAULT_KINDS;

export interface Fault {
  kind: FaultKind;
  node?: string;
  peer?: string;
  /** "NS/NAME". */
  pod?: string;
}

export const isFaultKind = (s: string): s is FaultKind => Object.hasOwn(FAULT_KINDS, s);

/** Parse "NAME ARG…" (or its words already split) into a fault; a string is the error. */
export function parseFault(words: string | readonly string[]): Fault | string {
  const w = typeof words === "string" ? words.trim().split(/\s+/).filter(Boolean) : words;
  const [name, ...rest] = w;
  if (!name) return "a fault needs a name";
  if (!isFaultKind(name)) return `unknown fault "${name.slice(0, 40)}" (one of ${Object.keys(FAULT_KINDS).join(", ")})`;
  const want = FAULT_KINDS[name].args;
  if (rest.length !== want.length) {
    const usage = [name, ...want.map((a) => a.toUpperCase())].join(" ");
    return `fault ${name} takes ${want.length} argument${want.length === 1 ? "" : "s"}: ${usage}`;
  }
  const f: Fault = { kind: name };
  want.forEach((a, i) => {
    const v = rest[i];
    f[a] = a === "pod" && !v.includes("/") ? `default/${v}` : v;
  });
  return f;
}

/** The fault as the CLI writes it; also its ID in `fault list` and `fault clear ID`. */
export const formatFault = (f: Fault): string => [f.kind, ...FAULT_KINDS[f.kind].args.map((a) => f[a] ?? "")].join(" ");

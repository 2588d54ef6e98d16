// `podnet compare-cni FROM TO`: the same flow on the same cluster with flannel, Calico and
// Cilium, summed up from the traces as the seeds' CNI comparison table does (how the packet
// is processed: iptables / nftables / eBPF; how it crosses nodes: VXLAN / BGP routes /
// tunnel map; the hops, the NAT steps, the policy step, what was consulted, the verdict).
//
// Each flavor gets the same manifests, config and seed; only networking.cni, backend and
// kubeProxyMode change (each flavor's default unless chosen: flannel vxlan, Calico bgp,
// Cilium vxlan with its kube-proxy replacement; kube-proxy's mode the config's). The pods
// land on the same nodes (scheduling does not depend on the CNI: checked, and said when
// not); their IPs may differ (each CNI's IPAM: host-local per node, Calico's /26 blocks,
// Cilium's cluster-pool), and the result lists the pods whose do.

import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { Backend, CniName, ProxyModeName } from "../manifest/config.js";
import type { FlowSpec } from "../sim/flow.js";
import type { Step, TracePath, TraceResult } from "../sim/trace.js";
import { modelSession } from "./trace.js";

export interface CniChoice {
  cni: CniName;
  backend: Backend;
  kubeProxyMode: ProxyModeName;
}

/** One column of the table. */
export interface CniColumn extends CniChoice {
  /** "flannel vxlan + kube-proxy iptables", "cilium vxlan + kube-proxy replacement (eBPF)". */
  label: string;
  /** How packets are processed: "iptables", "nftables", "ipvs", "eBPF", joined with " + " when several. */
  processing: string;
  /** How the packet crosses nodes: "VXLAN (flannel.1 FDB)", "BGP route (proto bird)", "tunnel map (ipcache → cilium_vxlan)", "same node". */
  crossing: string;
  /** The object behind `crossing` (the FDB entry, the route, the ipcache entry). */
  crossingObject?: string;
  /** Network namespaces visited, in order, and the number of steps. */
  hops: string[];
  steps: number;
  /** Every address translation on the path ("DNAT 10.96.0.10:80 → 10.244.1.5:8080 (iptables)"). */
  nat: string[];
  /** The policy decisions on the path, or "none (not isolated)". */
  policy: string[];
  /** Netfilter rules that matched (RETURNs and no-op jumps included) and BPF map entries read. */
  rulesMatched: number;
  mapLookups: number;
  /** The verdict of the path shown, and the verdicts of all paths with their probabilities. */
  verdict: string;
  summary: string;
  /** The flow as this flavor traced it (the addresses may differ between flavors). */
  src: string;
  dst: string;
  /** The namespace where the path shown ended (the same pod in every column when it can be). */
  ends?: string;
  paths: number;
}

export interface CompareResult {
  from: string;
  to: string;
  columns: CniColumn[];
  /** Pods (ns/name) whose node differs between flavors (empty: the same scheduling). */
  placementDiffers: string[];
  /** Pods (ns/name) whose IP differs between flavors, with the IPs per column. */
  ipsDiffer: { pod: string; ips: (string | null)[] }[];
}

export const COMPARE_DEFAULTS: Record<CniName, Omit<CniChoice, "cni">> = {
  flannel: { backend: "vxlan", kubeProxyMode: "iptables" },
  calico: { backend: "bgp", kubeProxyMode: "iptables" },
  cilium: { backend: "vxlan", kubeProxyMode: "none" },
};

/** The spec with one flavor's networking. */
function withCni(spec: ClusterSpec, c: CniChoice): ClusterSpec {
  return {
    ...spec,
    config: { ...spec.config, networking: { ...spec.config.networking, ...c } },
  };
}

function label(c: CniChoice): string {
  const proxy =
    c.kubeProxyMode === "none"
      ? c.cni === "cilium"
        ? "kube-proxy replacement (eBPF)"
        : "no kube-proxy"
      : `kube-proxy ${c.kubeProxyMode}`;
  return `${c.cni} ${c.backend} + ${proxy}`;
}

const stepsOf = (p: TracePath): Step[] => p.hops.flatMap((h) => h.steps);

/** What processed the packet, read from the steps' objects. */
function processing(steps: Step[]): string {
  const kinds: string[] = [];
  const add = (k: string) => {
    if (!kinds.includes(k)) kinds.push(k);
  };
  for (const s of steps) {
    const o = s.object;
    if (s.action === "BPF" || o?.kind === "bpf") add("eBPF");
    else if (o?.kind === "rule") add("iptables");
    else if (o?.kind === "nft-rule") add(/podnet-policy/.test(o.table ?? "") ? "nftables (NetworkPolicy)" : "nftables");
    else if (s.action === "IPVS" || o?.kind === "ipvs") add("ipvs");
  }
  return kinds.length ? kinds.join(" + ") : "routing only";
}

/** How the path crossed between nodes: the encapsulation or the route that took it to the underlay. */
function crossing(p: TracePath): { text: string; object?: string } {
  const under = p.hops.findIndex((h) => h.ns === "underlay");
  if (under < 0) return { text: "same node (no underlay hop)" };
  const before = p.hops[under - 1]?.steps ?? [];
  const enc = before.find((s) => s.action === "ENCAPSULATED");
  if (enc) {
    const o = enc.object?.text;
    const proto =
      enc.packet.outer?.protocol === "ipip" ? "IP-in-IP" : enc.packet.outer?.dport === 6081 ? "Geneve" : "VXLAN";
    if (enc.object?.kind === "bpf") {
      // Cilium: the ipcache gives the tunnel endpoint; collect-metadata device, no FDB.
      const ipc = before.find((s) => s.object?.kind === "bpf" && s.object.text.startsWith("cilium_ipcache"));
      return {
        text: `tunnel map: ipcache tunnelendpoint → ${proto} (VNI = source identity ${enc.packet.outer?.vni ?? "?"})`,
        object: ipc?.object?.text ?? o,
      };
    }
    const dev = /\bdev (\S+)/.exec(o ?? "")?.[1] ?? /^(\S+):/.exec(o ?? "")?.[1];
    const how = enc.object?.kind === "fdb" ? ": static ARP + FDB" : "";
    return {
      text: `${proto}${enc.packet.outer?.vni !== undefined ? ` VNI ${enc.packet.outer.vni}` : ""} (${dev ?? "tunnel device"}${how})`,
      object: o,
    };
  }
  // Routed: the last route of the node before the underlay.
  const routed = [...before].reverse().find((s) => s.action === "ROUTED" && s.object?.kind === "route");
  const r = routed?.object?.text ?? "";
  if (/proto bird/.test(r)) return { text: "BGP route (learned by BIRD, no encapsulation)", object: r };
  return { text: "direct route (no encapsulation)", object: r || undefined };
}

/** NAT steps as "DNAT a:p → b:q" from the packet before and after. */
function nat(steps: Step[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.action !== "NAT") continue;
    const prev = i > 0 ? steps[i - 1].packet : undefined;
    const p = s.packet;
    const by =
      s.object?.kind === "bpf"
        ? "eBPF"
        : s.object?.kind === "nft-rule"
          ? "nftables"
          : s.object?.kind === "rule"
            ? "iptables"
            : (s.object?.kind ?? "");
    const ep = (a: string, port?: number) => (port !== undefined ? `${a}:${port}` : a);
    if (prev && (prev.dst !== p.dst || prev.dport !== p.dport) && (prev.src !== p.src || prev.sport !== p.sport))
      out.push(
        `NAT ${ep(prev.src, prev.sport)} → ${ep(prev.dst, prev.dport)} becomes ${ep(p.src, p.sport)} → ${ep(p.dst, p.dport)} (${by})`,
      );
    else if (prev && (prev.dst !== p.dst || prev.dport !== p.dport))
      out.push(`DNAT ${ep(prev.dst, prev.dport)} → ${ep(p.dst, p.dport)} (${by})`);
    else if (prev && (prev.src !== p.src || prev.sport !== p.sport))
      out.push(`SNAT ${ep(prev.src, prev.sport)} → ${ep(p.src, p.sport)} (${by})`);
    else out.push(`${s.detail} (${by})`);
  }
  return out;
}

/** The policy decisions: POLICY steps (podnet-policy table or Cilium's policy map). */
function policy(steps: Step[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if (s.action === "POLICY" || (s.action === "DROPPED" && s.detail.includes("Policy denied")))
      out.push(s.detail.length > 160 ? `${s.detail.slice(0, 157)}...` : s.detail);
  }
  return out;
}

function fmtP(p: number): string {
  return `${(Math.round(p * 10000) / 100).toFixed(2)}%`;
}

function summary(r: TraceResult): string {
  const m = new Map<string, number>();
  for (const p of r.paths) {
    const k = `${p.disposition.verdict}${p.disposition.reason ? ` (${p.disposition.reason})` : ""}`;
    m.set(k, (m.get(k) ?? 0) + p.probability);
  }
  return [...m].map(([k, v]) => `${k} ${fmtP(v)}`).join(", ");
}

function column(c: CniChoice, r: TraceResult, p: TracePath | undefined): CniColumn {
  const steps = p ? stepsOf(p) : [];
  const cr = p ? crossing(p) : { text: "no path" };
  let rules = 0;
  let maps = 0;
  for (const s of steps) {
    const k = s.object?.kind;
    if (k === "rule" || k === "nft-rule") rules++;
    else if (k === "bpf" && /^cilium_(lb4|ipcache|policy|ct4|lxc|snat)/.test(s.object!.text)) maps++;
  }
  const d = p?.disposition;
  return {
    ...c,
    label: label(c),
    processing: processing(steps),
    crossing: cr.text,
    ...(cr.object ? { crossingObject: cr.object } : {}),
    hops: p ? p.hops.map((h) => h.ns) : [],
    steps: steps.length,
    nat: nat(steps),
    policy: policy(steps),
    rulesMatched: rules,
    mapLookups: maps,
    verdict: d ? `${d.verdict}${d.reason ? ` (${d.reason})` : ""}: ${d.detail}` : "no path",
    summary: summary(r),
    src: `${r.flow.src}${r.flow.sport !== undefined ? `:${r.flow.sport}` : ""}`,
    dst: `${r.flow.dst}${r.flow.port !== undefined ? `:${r.flow.port}` : ""}`,
    ...(d?.ns ? { ends: d.ns } : {}),
    paths: r.paths.length,
  };
}

export interface CompareOptions {
  /** The flavors to compare (default: flannel, calico, cilium with COMPARE_DEFAULTS). */
  flavors?: CniChoice[];
  seed?: string;
  /** The flow's port and protocol, as trace takes them. */
  port?: number;
  protocol?: FlowSpec["protocol"];
}

/** The default flavors, kube-proxy's mode taken from the config when it has one. */
export function defaultFlavors(spec: ClusterSpec): CniChoice[] {
  const mode = spec.config.networking.kubeProxyMode;
  return (["flannel", "calico", "cilium"] as const).map((cni) => ({
    cni,
    ...COMPARE_DEFAULTS[cni],
    ...(cni !== "cilium" && mode !== "none" ? { kubeProxyMode: mode } : {}),
  }));
}

/**
 * The flow FROM → TO traced on the cluster once per flavor. FROM and TO as trace takes them
 * (pods named ns/name). The path shown per flavor is the first; for the others, the path that
 * ends in the same namespace (the same backend pod) when one does.
 */
export function compareCni(spec: ClusterSpec, from: string, to: string, o: CompareOptions = {}): CompareResult {
  const flavors = o.flavors ?? defaultFlavors(spec);
  const states: ClusterState[] = flavors.map((c) => buildState(withCni(spec, c), { seed: o.seed }));
  const results = states.map((st) =>
    modelSession(st).trace({ from, to, port: o.port, protocol: o.protocol }, { verbose: true }),
  );
  const target = results[0]?.paths[0]?.disposition.ns;
  const columns = results.map((r, i) => {
    const same = target ? r.paths.find((p) => p.disposition.ns === target) : undefined;
    return column(flavors[i], r, same ?? r.paths[0]);
  });
  // Scheduling and addresses, over the pods every flavor has (not each CNI's own DaemonSet).
  const keyed = states.map((st) => new Map(st.pods.map((p) => [`${p.namespace}/${p.name}`, p])));
  const placementDiffers: string[] = [];
  const ipsDiffer: CompareResult["ipsDiffer"] = [];
  for (const [k, p0] of keyed[0] ?? []) {
    const all = keyed.map((m) => m.get(k));
    if (all.some((p) => !p)) continue;
    if (all.some((p) => p!.nodeName !== p0.nodeName)) placementDiffers.push(k);
    if (!p0.spec.hostNetwork && all.some((p) => p!.podIP !== p0.podIP))
      ipsDiffer.push({ pod: k, ips: all.map((p) => p!.podIP ?? null) });
  }
  return { from, to, columns, placementDiffers, ipsDiffer };
}

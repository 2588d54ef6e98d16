// Nodes: addresses and pod CIDRs.
//  - Underlay address: as given, else sequential from networking.nodeSubnet starting at .2
//    (.1 is the LAN's gateway), skipping addresses other nodes were given.
//  - Pod CIDR: kube-controller-manager's range allocator (--allocate-node-cidrs) hands node i
//    the i-th /nodeCIDRMaskSize subnet of the cluster CIDR, in the order nodes register
//    (here: config order): 10.244.0.0/24, 10.244.1.0/24, …
import { type ClusterConfig, DEFAULT_NODE_CAPACITY } from "../manifest/config.js";
import { byteValue, milliCPU } from "../manifest/quantity.js";
import type { KubeObject } from "../manifest/types.js";
import { SpecError } from "../manifest/errors.js";
import { cidrContains, cidrOf, cidrSize, intToIp, maskOf, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import type { NodeState } from "./state.js";

function nodeError(config: ClusterConfig, field: string, message: string): SpecError {
  const src = config.source;
  const line = src?.lineOf?.(field) ?? src?.line;
  const loc = src ? `${src.file}${line ? ":" + line : ""} ` : "";
  return new SpecError([
    { severity: "error", message: `${loc}(Cluster ${config.name}) ${field}: ${message}`, file: src?.file, line, field },
  ]);
}

/**
 * Node objects in the manifests (e.g. from `kubectl get nodes -o yaml`) add labels and
 * taints to the config's node of the same name, or add a worker node; their
 * spec.podCIDR and InternalIP are honoured.
 */
/** A node as computeNodes assembles it from the config, a Node object or the pods. */
type Draft = {
  name: string;
  role: "control-plane" | "worker";
  labels: Record<string, string>;
  taints: NodeState["taints"];
  address?: string;
  podCIDR?: string;
  maxPods: number;
  capacity?: { cpu: string | number; memory: string | number };
  allocatable?: { cpu: string | number; memory: string | number };
  implied?: boolean;
  tunnelAddress?: string;
  calicoSubnet?: string;
};

/** What a Node object says: labels, taints, podCIDR, InternalIP, Calico's tunnel address, resources. */
function fromNodeObject(d: Draft, o: KubeObject, specRanges: boolean): void {
  Object.assign(d.labels, o.metadata.labels ?? {});
  if (Array.isArray(o.spec?.taints))
    d.taints = o.spec.taints.map((t: { key: string; value?: string; effect: string }) => ({
      key: t.key,
      ...(t.value !== undefined ? { value: t.value } : {}),
      effect: t.effect,
    }));
  // A dual-stack Node lists one CIDR per family (podCIDRs); the model is IPv4-only, so it
  // takes the IPv4 one (validation refuses a Node with none).
  const cidrs: unknown[] = [o.spec?.podCIDR, ...(Array.isArray(o.spec?.podCIDRs) ? o.spec.podCIDRs : [])];
  const v4 = cidrs.find((c) => typeof c === "string" && parseCidr4(c) !== undefined);
  if (typeof v4 === "string" && specRanges) d.podCIDR = v4;
  const ip = (Array.isArray(o.status?.addresses) ? o.status.addresses : []).find(
    (a: { type?: string; address?: unknown }) =>
      a?.type === "InternalIP" && typeof a.address === "string" && parseIPv4(a.address) !== undefined,
  )?.address;
  if (typeof ip === "string" && !d.address) d.address = ip;
  // calico-node records the tunnel address it took (IPIP or VXLAN) on the Node.
  const ann = o.metadata.annotations ?? {};
  const tun = ann["projectcalico.org/IPv4IPIPTunnelAddr"] ?? ann["projectcalico.org/IPv4VXLANTunnelAddr"];
  if (typeof tun === "string" && parseIPv4(tun) !== undefined) d.tunnelAddress = tun;
  const a = ann["projectcalico.org/IPv4Address"];
  const sub = typeof a === "string" && a.includes("/") ? parseCidr4(a) : undefined;
  if (sub) d.calicoSubnet = `${intToIp(sub.base)}/${sub.prefix}`;
  if (o.status?.capacity) d.capacity = o.status.capacity;
  if (o.status?.allocatable) d.allocatable = o.status.allocatable;
  const pods = Number(o.status?.allocatable?.pods);
  if (Number.isInteger(pods) && pods > 0) d.maxPods = pods;
}

export function computeNodes(
  config: ClusterConfig,
  nodeObjects: KubeObject[],
  prev: NodeState[],
  podObjects: KubeObject[] = [],
): NodeState[] {
  const net = config.networking;
  const byObj = new Map<string, KubeObject>();
  for (const o of nodeObjects) byObj.set(o.metadata.name, o);
  const drafts: Draft[] = config.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    labels: { ...n.labels },
    taints: n.taints.map((t) => ({ ...t })),
    address: n.address,
    maxPods: n.maxPods,
    capacity: n.capacity,
    allocatable: n.allocatable,
  }));
  const have = new Set(drafts.map((d) => d.name));
  for (const o of nodeObjects) {
    if (have.has(o.metadata.name)) continue;
    const labels = o.metadata.labels ?? {};
    const role = "node-role.kubernetes.io/control-plane" in labels ? "control-plane" : "worker";
    drafts.push({
      name: o.metadata.name,
      role,
      labels: {},
      taints: [],
      maxPods: Number(o.status?.capacity?.pods ?? 110) || 110,
    });
    have.add(o.metadata.name);
  }
  const fromPods = podsOnNodes(config, podObjects, have);
  drafts.push(...impliedNodes(config, fromPods.implied));
  // Cilium's cluster-pool IPAM hands each node a range of its own pool, kept in the node's
  // CiliumNode (spec.ipam.podCIDRs), and ignores the Node's podCIDR
  // (https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/).
  const specRanges = !(net.cni === "cilium" && net.ciliumIPAM === "cluster-pool");
  for (const d of drafts) {
    const o = byObj.get(d.name);
    if (o) fromNodeObject(d, o, specRanges);
    d.labels["kubernetes.io/hostname"] ??= d.name;
    d.labels["kubernetes.io/os"] ??= "linux";
    d.labels["kubernetes.io/arch"] ??= "amd64";
    // kubelet still sets the deprecated beta labels (pkg/kubelet/kubelet_node_status.go):
    // manifests select on them (`nodeSelector: beta.kubernetes.io/os: linux`).
    d.labels["beta.kubernetes.io/os"] ??= d.labels["kubernetes.io/os"];
    d.labels["beta.kubernetes.io/arch"] ??= d.labels["kubernetes.io/arch"];
    if (d.role === "control-plane") d.labels["node-role.kubernetes.io/control-plane"] ??= "";
  }

  const prevByName = new Map(prev.map((n) => [n.name, n]));
  // Addresses.
  const nodeNet = parseCidr4(net.nodeSubnet);
  const used = new Set<number>();
  for (const d of drafts) {
    const p = prevByName.get(d.name);
    if (!d.address && p) d.address = p.address;
    if (d.address) used.add(parseIPv4(d.address) ?? -1);
  }
  if (nodeNet) {
    const first = nodeNet.first;
    const size = cidrSize(nodeNet);
    let next = first + 2;
    for (const d of drafts) {
      if (d.address) continue;
      while (used.has(next) && next < first + size - 1) next++;
      if (next >= first + size - 1)
        throw nodeError(
          config,
          "networking.nodeSubnet",
          `${JSON.stringify(net.nodeSubnet)} has no address left for node ${d.name} (${drafts.length} nodes)`,
        );
      d.address = intToIp(next);
      used.add(next++);
    }
  }

  // Pod CIDRs: keep what nodes had; a node of a live cluster without one takes the range its
  // pods' IPs lie in; new nodes take the first unused subnet in order.
  const pod = parseCidr4(net.podSubnet)!;
  const mask = net.nodeCIDRMaskSize;
  const podFirst = pod.first;
  const count = mask >= pod.prefix ? 2 ** (mask - pod.prefix) : 0;
  const step = 2 ** (32 - mask);
  const taken = new Set<number>();
  const observed = fromPods.ranges;
  for (const d of drafts) {
    d.podCIDR ??= prevByName.get(d.name)?.podCIDR;
    d.podCIDR ??= observed.get(d.name);
    if (d.podCIDR) {
      const c = parseCidr4(d.podCIDR);
      if (c && cidrContains(pod, c.base)) taken.add(Math.floor((c.first - podFirst) / step));
    }
  }
  let idx = 0;
  for (const d of drafts) {
    if (d.podCIDR) continue;
    while (taken.has(idx)) idx++;
    if (idx >= count)
      throw nodeError(
        config,
        "networking.nodeCIDRMaskSize",
        `${mask}: the pod subnet ${net.podSubnet} holds ${count} /${mask} node ranges, not enough for ${drafts.length} nodes (node ${d.name} gets none)`,
      );
    d.podCIDR = `${intToIp(podFirst + idx * step)}/${mask}`;
    taken.add(idx++);
  }

  return drafts.map((d, index) => {
    const p = prevByName.get(d.name);
    const n: NodeState = {
      name: d.name,
      role: d.role,
      labels: d.labels,
      taints: d.taints,
      address: d.address ?? "",
      podCIDR: d.podCIDR!,
      blocks: p?.blocks ?? [],
      maxPods: d.maxPods,
      capacity: resources(d.capacity),
      allocatable: resources(d.allocatable ?? d.capacity),
      index,
    };
    if (p?.tunnelAddress) n.tunnelAddress = p.tunnelAddress;
    else if (d.tunnelAddress) n.tunnelAddress = d.tunnelAddress;
    if (d.calicoSubnet) n.calicoSubnet = d.calicoSubnet;
    if (d.implied) n.implied = true;
    const o = byObj.get(d.name);
    if (o?.status && typeof o.status === "object") n.observed = observedNode(o);
    // Share the previous value when nothing changed.
    if (p && JSON.stringify(p) === JSON.stringify(n)) return p;
    return n;
  });
}

/** What the pods say about their nodes (podsOnNodes). */
interface PodsOnNodes {
  /** Nodes pods name that are not declared: the first hostIP and pod-network IP of their pods. */
  implied: Map<string, { address?: string; podIP?: string }>;
  /**
   * Each node's range as its running pods show it: the /nodeCIDRMaskSize prefix of the first
   * pod-network IP (inside the pod subnet) of a pod on it, when the prefix is no other node's.
   */
  ranges: Map<string, string>;
}

/** One pass over the pods (150,000 in a threshold dump) for what impliedNodes and the ranges need. */
function podsOnNodes(config: ClusterConfig, podObjects: KubeObject[], have: Set<string>): PodsOnNodes {
  const implied: PodsOnNodes["implied"] = new Map();
  const ranges = new Map<string, string>();
  const pod = parseCidr4(config.networking.podSubnet);
  const mask = config.networking.nodeCIDRMaskSize;
  const ranged = pod !== undefined && mask >= pod.prefix;
  // Ranges by their first address: no "a.b.c.d/n" text made for each pod.
  const owner = new Map<number, string>();
  const bits = maskOf(mask);
  for (const p of podObjects) {
    const node = p.spec?.nodeName;
    if (typeof node !== "string") continue;
    if (node !== "" && !have.has(node)) {
      let f = implied.get(node);
      if (!f) implied.set(node, (f = {}));
      const hostIP = p.status?.hostIP;
      if (!f.address && typeof hostIP === "string" && parseIPv4(hostIP) !== undefined) f.address = hostIP;
      const podIP = p.status?.podIP;
      if (!f.podIP && !p.spec?.hostNetwork && typeof podIP === "string" && parseIPv4(podIP) !== undefined)
        f.podIP = podIP;
    }
    if (!ranged) continue;
    const ip = typeof p.status?.podIP === "string" ? parseIPv4(p.status.podIP) : undefined;
    if (p.spec?.hostNetwork || ip === undefined || !cidrContains(pod, ip)) continue;
    const base = (ip & bits) >>> 0;
    if (!owner.has(base)) owner.set(base, node);
    if (!ranges.has(node) && owner.get(base) === node) ranges.set(node, `${intToIp(base)}/${mask}`);
  }
  return { implied, ranges };
}

/** What a Node object of a live cluster says about itself (views print it). */
function observedNode(o: KubeObject): NonNullable<NodeState["observed"]> {
  const st = o.status;
  const out: NonNullable<NodeState["observed"]> = {};
  if (typeof o.metadata.creationTimestamp === "string") out.created = o.metadata.creationTimestamp;
  if (st.nodeInfo && typeof st.nodeInfo === "object") out.nodeInfo = st.nodeInfo;
  if (Array.isArray(st.addresses)) out.addresses = st.addresses;
  if (Array.isArray(st.conditions)) out.conditions = st.conditions;
  return out;
}

/**
 * Nodes that pods name (spec.nodeName) but neither a Node object nor the config declares:
 * they exist on the cluster the pods came from. The address is the pods' hostIP; the pod
 * range the node-sized prefix of the pods' IPs, when it lies in the pod subnet.
 */
function impliedNodes(config: ClusterConfig, found: PodsOnNodes["implied"]) {
  const pod = parseCidr4(config.networking.podSubnet);
  const mask = config.networking.nodeCIDRMaskSize;
  return [...found].map(([name, f]) => {
    const ip = f.podIP ? parseIPv4(f.podIP) : undefined;
    const inPod = pod && ip !== undefined && cidrContains(pod, ip) && mask >= pod.prefix;
    return {
      name,
      role: "worker" as const,
      labels: {},
      taints: [],
      maxPods: 110,
      implied: true,
      ...(f.address ? { address: f.address } : {}),
      ...(inPod ? { podCIDR: `${intToIp(cidrOf(ip, mask).base)}/${mask}` } : {}),
    };
  });
}

/** CPU (millicores) and memory (bytes) of a node; a kind node on a workstation by default. */
function resources(r: { cpu?: string | number; memory?: string | number } | undefined): {
  cpu: number;
  memory: number;
} {
  return {
    cpu: milliCPU(r?.cpu ?? DEFAULT_NODE_CAPACITY.cpu) ?? milliCPU(DEFAULT_NODE_CAPACITY.cpu)!,
    memory: byteValue(r?.memory ?? DEFAULT_NODE_CAPACITY.memory) ?? byteValue(DEFAULT_NODE_CAPACITY.memory)!,
  };
}

// Cilium's BPF maps of one node, built from the cluster state as the agent fills them:
// - identities (pkg/identity): one cluster-wide number per label set, from 256 (the CRD
//   allocator picks them; here a hash of the label set, probed on collision, so that
//   every node and every build agrees); reserved ones below 256 (numericidentity.go);
//   CIDR identities of NetworkPolicy ipBlocks node-local from 1<<24.
// - cilium_lb4_services_v2 / _backends_v3 / _reverse_nat (pkg/maps/lbmap): one frontend per
//   ClusterIP, external IP, LoadBalancer IP and NodePort (the node's IP and 0.0.0.0), read
//   from Services and EndpointSlices as Cilium's own service cache does (pkg/k8s/service_cache.go);
//   externalTrafficPolicy Local keeps node-local backends on N-S frontends; a pod's hostPort
//   is a HostPort frontend on its node (the node's IP and 0.0.0.0, or its hostIP), named
//   `<pod>/host-port/<port>` (pkg/k8s/watchers/pod.go), in place of the portmap plugin.
// - cilium_ipcache_v2 (pkg/maps/ipcache): pods /32, node and router IPs (host 1 / remote-node 6),
//   remote PodCIDRs (world + tunnel endpoint, ≥ 1.18), 0.0.0.0/0 world, policy CIDRs.
// - cilium_lxc (pkg/maps/lxcmap) and cilium_policy_v2_<ep> (pkg/maps/policymap): the allow
//   entries NetworkPolicy gives each local endpoint, and the deny entries of
//   CiliumNetworkPolicy's ingressDeny/egressDeny (policyFlagDeny), from the policy layer's
//   evaluation (policy-map.ts).

import type { ClusterState, NodeState, PodState } from "../../control/state.js";
import type {
  BpfEndpoint,
  BpfIdentity,
  BpfIpcacheEntry,
  BpfLbBackend,
  BpfLbService,
  BpfPolicyEntry,
  BpfRevNat,
  NodeBpf,
} from "../../ir/types.js";
import { cidrContains, intToIp, ipToInt, parseCidr } from "../../net/ipv4.js";
import { type FqdnSelector, fqdnAddresses } from "../../manifest/cilium-fqdn.js";
import type { FlavorContext } from "../flavor.js";
import { portMappingsOf } from "../portmap.js";
import { firstHost, hexOf, macFor, nodeNsId, podHasOwnNs, podNsId, shared } from "../kernel.js";

// Reserved identities: ids.ts (re-exported here).
import {
  ID_UNKNOWN,
  ID_HOST,
  ID_WORLD,
  ID_UNMANAGED,
  ID_HEALTH,
  ID_INIT,
  ID_REMOTE_NODE,
  ID_KUBE_APISERVER,
  RESERVED,
} from "./ids.js";
import { policyEntries } from "./policy-map.js";

export { ID_UNKNOWN, ID_HOST, ID_WORLD, ID_UNMANAGED, ID_HEALTH, ID_INIT, ID_REMOTE_NODE, ID_KUBE_APISERVER, RESERVED };

const MIN_ID = 256;
const MAX_ID = 65535;
export const CIDR_ID_BASE = 1 << 24;

// Labels Cilium leaves out of identities (pkg/labelsfilter defaults).
const IGNORED_LABELS =
  /^(pod-template-hash|controller-revision-hash|pod-template-generation|statefulset\.kubernetes\.io\/pod-name|batch\.kubernetes\.io\/controller-uid|controller-uid)$/;

/** A pod's identity labels as `cilium identity list` prints them (sorted). */
export function identityLabels(state: ClusterState, pod: PodState): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(pod.labels)) if (!IGNORED_LABELS.test(k)) out.push(`k8s:${k}=${v}`);
  for (const l of namespaceLabels(state, pod.namespace)) out.push(l);
  const sa = (pod.spec as { serviceAccountName?: string }).serviceAccountName ?? "default";
  out.push(`k8s:io.cilium.k8s.policy.cluster=default`);
  out.push(`k8s:io.cilium.k8s.policy.serviceaccount=${sa}`);
  out.push(`k8s:io.kubernetes.pod.namespace=${pod.namespace}`);
  return out.sort();
}

/** A namespace's identity labels, once per namespace (150,000 pods looked their namespace up in a list). */
function namespaceLabels(state: ClusterState, namespace: string): string[] {
  const byNs = shared(state, "cilium/ns-labels", () => new Map<string, string[]>());
  let out = byNs.get(namespace);
  if (out) return out;
  const ns = state.namespaces.find((n) => n.name === namespace);
  out = Object.entries({ "kubernetes.io/metadata.name": namespace, ...(ns?.labels ?? {}) }).map(
    ([k, v]) => `k8s:io.cilium.k8s.namespace.labels.${k}=${v}`,
  );
  byNs.set(namespace, out);
  return out;
}

interface Identities {
  /** By the pod object (a "ns/name" string key per pod cost a hash of a new string, 150,000 times). */
  byPod: Map<PodState, number>;
  list: BpfIdentity[];
  /** A pod per identity (the policy layer evaluates a pod; pods of one identity agree on selectors). */
  sample: Map<number, PodState>;
}

/** The cluster's identities (shared by every node). */
export function identities(state: ClusterState): Identities {
  return shared(state, "cilium/identities", () => {
    const sets = new Map<string, { labels: string[]; pods: PodState[] }>();
    for (const p of state.pods) {
      if (!podHasOwnNs(p)) continue;
      const labels = identityLabels(state, p);
      const key = labels.join(";");
      let s = sets.get(key);
      if (!s) sets.set(key, (s = { labels, pods: [] }));
      s.pods.push(p);
    }
    const used = new Set<number>();
    const byPod = new Map<PodState, number>();
    const list: BpfIdentity[] = [];
    const sample = new Map<number, PodState>();
    for (const key of [...sets.keys()].sort()) {
      const s = sets.get(key)!;
      let id = MIN_ID + (Number.parseInt(hexOf("sha256", key).slice(0, 8), 16) % (MAX_ID - MIN_ID + 1));
      while (used.has(id)) id = id === MAX_ID ? MIN_ID : id + 1;
      used.add(id);
      list.push({ id, labels: s.labels });
      sample.set(id, s.pods[0]);
      for (const p of s.pods) byPod.set(p, id);
    }
    list.sort((a, b) => a.id - b.id);
    return { byPod, list, sample };
  });
}

/** Endpoint ids of a node's pods (node-local, 1..4095 as Cilium's idpool; deterministic here). */
export function endpointIds(ctx: FlavorContext, node: NodeState): Map<string, number> {
  return shared(ctx.state, `cilium/endpoints/${node.name}`, () => {
    const m = new Map<string, number>();
    const used = new Set<number>();
    const pods = (ctx.podsByNode.get(node.name) ?? []).filter(podHasOwnNs);
    for (const p of pods) {
      const key = `${p.namespace}/${p.name}`;
      let id = 1 + (Number.parseInt(hexOf("sha256", key).slice(0, 6), 16) % 4095);
      while (used.has(id)) id = id === 4095 ? 1 : id + 1;
      used.add(id);
      m.set(key, id);
    }
    return m;
  });
}

/** IPv4 CIDRs named by NetworkPolicy ipBlocks (cidr and except): each gets a CIDR identity. */
function policyCidrs(state: ClusterState): string[] {
  return shared(state, "cilium/policy-cidrs", () => {
    const s = new Set<string>();
    const add = (c: unknown) => {
      if (typeof c !== "string" || c.includes(":")) return;
      const p = parseCidr(c.includes("/") ? c : `${c}/32`, true);
      if (p.prefix > 0) s.add(`${intToIp(p.base)}/${p.prefix}`);
    };
    for (const np of state.networkPolicies) {
      const rules = [...(np.spec.ingress ?? []).map((r) => r.from), ...(np.spec.egress ?? []).map((r) => r.to)];
      for (const peers of rules)
        for (const peer of peers ?? []) {
          const b = peer.ipBlock;
          if (!b) continue;
          for (const c of [b.cidr, ...(b.except ?? [])]) add(c);
        }
    }
    // CiliumNetworkPolicy's fromCIDR/fromCIDRSet (and to…), allow and deny alike: each CIDR an
    // identity of its own, as the agent allocates them (pkg/policy/api cidr.go).
    for (const p of state.ciliumPolicies ?? [])
      for (const r of p.rules)
        for (const sec of [r?.ingress, r?.ingressDeny, r?.egress, r?.egressDeny])
          for (const rule of Array.isArray(sec) ? sec : [])
            for (const dir of ["from", "to"] as const) {
              const list = rule?.[`${dir}CIDR`];
              if (Array.isArray(list)) for (const c of list) add(c);
              // toFQDNs: the names' addresses, each an identity (the agent's fqdn: selectors).
              // (egress rules only: deny rules have no toFQDNs.)
              const fqdns = dir === "to" && sec === r?.egress ? rule?.toFQDNs : undefined;
              if (Array.isArray(fqdns))
                for (const ip of fqdnAddresses(
                  state.config.externalDNS ?? [],
                  fqdns.filter((x): x is FqdnSelector => !!x && typeof x === "object"),
                ))
                  add(`${ip}/32`);
              const sets = rule?.[`${dir}CIDRSet`];
              if (Array.isArray(sets))
                for (const c of sets) {
                  if (!c || typeof c !== "object") continue;
                  add(c.cidr);
                  if (Array.isArray(c.except)) for (const x of c.except) add(x);
                }
            }
    return [...s].sort();
  });
}

// --- Services ------------------------------------------------------------------------------

interface LbShared {
  services: BpfLbService[];
  backends: BpfLbBackend[];
  revNat: BpfRevNat[];
  /** Per-node frontends to make: NodePort and ETP Local ones. */
  perNode: {
    svc: string;
    port: number;
    nodePort: number;
    protocol: BpfLbService["protocol"];
    backends: BpfLbBackend[];
    local: boolean;
    lbIPs: string[];
    ilocal: boolean;
    clusterIP: string | null;
  }[];
  /** Pods' hostPorts, by node: each one frontend's worth (its backend is the pod's port). */
  hostPorts: Map<string, HostPortFrontend[]>;
}

interface HostPortFrontend {
  /** The container port's hostIP; null: the node's address and 0.0.0.0. */
  hostIP: string | null;
  port: number;
  protocol: BpfLbService["protocol"];
  backend: number;
  service: string;
}

function lbShared(state: ClusterState): LbShared {
  return shared(state, "cilium/lb", () => {
    const backends: BpfLbBackend[] = [];
    // Backends by (port, protocol), then by address as an int32: a string key made per
    // endpoint address and Service port (720,000 at 10,000 Services) cost seconds.
    const backendsAt = new Map<string, Map<number, BpfLbBackend>>();
    const services: BpfLbService[] = [];
    const revNat: BpfRevNat[] = [];
    const perNode: LbShared["perNode"] = [];
    // A pod's node by its address as an int32 (a small integer: no string hashing), made only
    // if a slice endpoint lacks nodeName.
    let podNode: Map<number, string> | null = null;
    const nodeOf = (ipn: number): string | undefined => {
      if (!podNode) {
        podNode = new Map();
        for (const p of state.pods)
          if (p.podIP && p.nodeName && !p.spec.hostNetwork) podNode.set(ipToInt(p.podIP) | 0, p.nodeName);
      }
      return podNode.get(ipn);
    };
    // A Service's slices by namespace/name, once (a scan of every slice per Service port was
    // quadratic: a minute at 10,000 Services).
    const slicesOf = new Map<string, (typeof state.endpointSlices)[number][]>();
    for (const sl of state.endpointSlices) {
      if (sl.addressType !== "IPv4") continue;
      const k = `${sl.namespace}/${sl.serviceName}`;
      const l = slicesOf.get(k);
      if (l) l.push(sl);
      else slicesOf.set(k, [sl]);
    }
    let nextRev = 1;
    const frontend = (
      address: string,
      port: number,
      protocol: BpfLbService["protocol"],
      bs: BpfLbBackend[],
      flags: string[],
      service: string,
      affinity?: number,
    ) => {
      const revNatId = nextRev++;
      revNat.push({ id: revNatId, address, port });
      const s: BpfLbService = {
        address,
        port,
        protocol,
        revNat: revNatId,
        backends: bs.map((b) => b.id),
        flags,
        service,
      };
      if (affinity) s.affinityTimeout = affinity;
      services.push(s);
    };
    for (const svc of state.services) {
      if (!svc.clusterIP || svc.clusterIP === "None" || svc.type === "ExternalName") continue;
      for (const sp of svc.ports) {
        const protocol = sp.protocol as BpfLbService["protocol"];
        const bs: BpfLbBackend[] = [];
        const inBs = new Set<BpfLbBackend>();
        for (const sl of slicesOf.get(`${svc.namespace}/${svc.name}`) ?? []) {
          const port = sl.ports.find((p) => (p.name ?? "") === (sp.name ?? "") && p.protocol === sp.protocol);
          if (!port) continue;
          const pk = `${port.port}/${protocol}`;
          let at = backendsAt.get(pk);
          if (!at) backendsAt.set(pk, (at = new Map()));
          for (const e of sl.endpoints) {
            // Cilium keeps ready endpoints in the slots; terminating ones only as a fallback.
            // Zone hints are not read: Cilium honours them only with loadBalancer.serviceTopology
            // (Helm value, off by default: https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/#topology-aware-hints).
            if (e.conditions.ready === false) continue;
            for (const ip of e.addresses) {
              const ipn = ipToInt(ip) | 0;
              let b = at.get(ipn);
              if (!b) {
                b = { id: backends.length + 1, address: ip, port: port.port, protocol, state: "active" };
                const n = e.nodeName ?? nodeOf(ipn);
                if (n) b.node = n;
                backends.push(b);
                at.set(ipn, b);
              }
              if (!inBs.has(b)) {
                inBs.add(b);
                bs.push(b);
              }
            }
          }
        }
        const name = `${svc.namespace}/${svc.name}${sp.name ? `:${sp.name}` : ""}`;
        const aff = svc.sessionAffinity === "ClientIP" ? svc.sessionAffinityTimeout : undefined;
        const extra = aff ? ["sessionAffinity"] : [];
        const ilocal = svc.internalTrafficPolicy === "Local";
        if (!ilocal) frontend(svc.clusterIP, sp.port, protocol, bs, ["ClusterIP", "non-routable", ...extra], name, aff);
        for (const ip of svc.externalIPs) frontend(ip, sp.port, protocol, bs, ["ExternalIPs", ...extra], name, aff);
        const local = svc.externalTrafficPolicy === "Local";
        if (!local && svc.type === "LoadBalancer")
          for (const ip of svc.loadBalancerIPs)
            frontend(ip, sp.port, protocol, bs, ["LoadBalancer", ...extra], name, aff);
        if (sp.nodePort || local || ilocal)
          perNode.push({
            svc: name,
            port: sp.port,
            nodePort: sp.nodePort ?? 0,
            protocol,
            backends: bs,
            local,
            lbIPs: local && svc.type === "LoadBalancer" ? svc.loadBalancerIPs : [],
            ilocal,
            clusterIP: ilocal ? svc.clusterIP : null,
          });
      }
    }
    const hostPorts = new Map<string, HostPortFrontend[]>();
    for (const p of state.pods) {
      if (!p.podIP || !p.nodeName) continue;
      for (const m of portMappingsOf(p)) {
        const protocol = m.protocol.toUpperCase() as BpfLbService["protocol"];
        const pk = `${m.containerPort}/${protocol}`;
        let at = backendsAt.get(pk);
        if (!at) backendsAt.set(pk, (at = new Map()));
        const ipn = ipToInt(p.podIP) | 0;
        let b = at.get(ipn);
        if (!b) {
          b = { id: backends.length + 1, address: p.podIP, port: m.containerPort, protocol, state: "active" };
          b.node = p.nodeName;
          backends.push(b);
          at.set(ipn, b);
        }
        const l = hostPorts.get(p.nodeName) ?? [];
        hostPorts.set(p.nodeName, l);
        l.push({
          hostIP: m.hostIP ?? null,
          port: m.hostPort,
          protocol,
          backend: b.id,
          service: `${p.namespace}/${p.name}/host-port/${m.hostPort}`,
        });
      }
    }
    return { services, backends, revNat, perNode, hostPorts };
  });
}

/**
 * The node-local frontends every node makes (NodePort, ETP/ITP Local), in the agent's order.
 * Their rev_nat ids follow that order on every node, so a frontend that names no node
 * (0.0.0.0:NodePort with every backend) is the same on every node: one object for all (at
 * 10,000 Services a node has ~1,200 local frontends: a copy each was ~0.5 MB per node).
 */
interface LocalFrontend {
  f: LbShared["perNode"][number];
  /** null: the node's own address. */
  address: string | null;
  port: number;
  flags: string[];
  /** Backends on this node only (Local). */
  local: boolean;
  id: number;
  /** Every backend's id (not Local): one array for every node and both NodePort frontends. */
  ids: number[] | undefined;
  /** The frontend and its reverse NAT entry when they are the same on every node. */
  same?: { svc: BpfLbService; rev: BpfRevNat };
}

const F_CLUSTER_LOCAL = ["ClusterIP", "InternalLocal", "non-routable", "Local"];
const F_LB_LOCAL = ["LoadBalancer", "Local"];
const F_NODEPORT = ["NodePort"];
const F_NODEPORT_LOCAL = ["NodePort", "Local"];
const F_NODEPORT_ANY = ["NodePort", "non-routable"];
const F_NODEPORT_ANY_LOCAL = ["NodePort", "non-routable", "Local"];
const F_HOSTPORT = ["HostPort"];
const F_HOSTPORT_ANY = ["HostPort", "non-routable"];

function localFrontends(state: ClusterState): LocalFrontend[] {
  return shared(state, "cilium/lb-local", () => {
    const sh = lbShared(state);
    const out: LocalFrontend[] = [];
    let next = sh.revNat.length + 1;
    let ids: number[] | undefined;
    let idsOf: LocalFrontend["f"] | undefined;
    const add = (f: LocalFrontend["f"], address: string | null, port: number, flags: string[], local: boolean) => {
      if (!local && idsOf !== f) {
        ids = f.backends.map((b) => b.id);
        idsOf = f;
      }
      const lf: LocalFrontend = { f, address, port, flags, local, id: next++, ids: local ? undefined : ids };
      if (address !== null && !local) {
        lf.same = {
          svc: {
            address,
            port,
            protocol: f.protocol,
            revNat: lf.id,
            backends: ids!,
            flags,
            service: f.svc,
          },
          rev: { id: lf.id, address, port },
        };
      }
      out.push(lf);
    };
    for (const f of sh.perNode) {
      if (f.clusterIP) add(f, f.clusterIP, f.port, F_CLUSTER_LOCAL, true);
      for (const ip of f.lbIPs) add(f, ip, f.port, F_LB_LOCAL, true);
      if (f.nodePort) {
        add(f, null, f.nodePort, f.local ? F_NODEPORT_LOCAL : F_NODEPORT, f.local);
        add(f, "0.0.0.0", f.nodePort, f.local ? F_NODEPORT_ANY_LOCAL : F_NODEPORT_ANY, f.local);
      }
    }
    return out;
  });
}

/** The node's lb maps: the cluster-wide frontends (one array for every node) and its own (NodePort, Local). */
function nodeLb(
  state: ClusterState,
  node: NodeState,
  clusterIPOnly = false,
): Pick<NodeBpf, "services" | "revNat" | "backends"> {
  const sh = lbShared(state);
  const services: BpfLbService[] = [];
  const revNat: BpfRevNat[] = [];
  // The node's backend ids per Service port (Local): its frontends of one port share them.
  let ids: number[] | undefined;
  let idsOf: LocalFrontend["f"] | undefined;
  for (const lf of localFrontends(state)) {
    if (clusterIPOnly && !lf.flags.includes("ClusterIP")) continue;
    if (lf.same) {
      services.push(lf.same.svc);
      revNat.push(lf.same.rev);
      continue;
    }
    const f = lf.f;
    let bs = lf.ids;
    if (!bs) {
      if (idsOf !== f) {
        ids = [];
        for (const b of f.backends) if (b.node === node.name) ids.push(b.id);
        idsOf = f;
      }
      bs = ids!;
    }
    const address = lf.address ?? node.address;
    revNat.push({ id: lf.id, address, port: lf.port });
    services.push({
      address,
      port: lf.port,
      protocol: f.protocol,
      revNat: lf.id,
      backends: bs,
      flags: lf.flags,
      service: f.svc,
    });
  }
  // The node's pods' hostPorts, after the frontends every node has (their ids follow).
  let id = sh.revNat.length + localFrontends(state).length;
  for (const h of clusterIPOnly ? [] : (sh.hostPorts.get(node.name) ?? [])) {
    const at: [string, string[]][] = h.hostIP
      ? [[h.hostIP, F_HOSTPORT]]
      : [
          [node.address, F_HOSTPORT],
          ["0.0.0.0", F_HOSTPORT_ANY],
        ];
    for (const [address, flags] of at) {
      revNat.push({ id: ++id, address, port: h.port });
      services.push({
        address,
        port: h.port,
        protocol: h.protocol,
        revNat: id,
        backends: [h.backend],
        flags,
        service: h.service,
      });
    }
  }
  const cluster = clusterIPOnly ? clusterIPFrontends(state) : sh;
  return {
    services: { cluster: cluster.services, local: services },
    revNat: { cluster: cluster.revNat, local: revNat },
    backends: sh.backends,
  };
}

/**
 * Without the kube-proxy replacement Cilium still balances pods' ClusterIP connections in
 * bpf_lxc (east-west); kube-proxy serves the rest (NodePorts, external and LoadBalancer IPs,
 * hostPorts through portmap, the host's own connections): the cluster-wide ClusterIP
 * frontends, one array for every node.
 */
function clusterIPFrontends(state: ClusterState): Pick<LbShared, "services" | "revNat"> {
  return shared(state, "cilium/lb-clusterip", () => {
    const sh = lbShared(state);
    const services = sh.services.filter((f) => f.flags.includes("ClusterIP"));
    const ids = new Set(services.map((f) => f.revNat));
    return { services, revNat: sh.revNat.filter((r) => ids.has(r.id)) };
  });
}

// --- ipcache, endpoints, policy -------------------------------------------------------------

/**
 * The ipcache as every node but the pods' own sees it (pods and router IPs behind their
 * node's tunnel endpoint, node IPs remote-node), built once per cluster and shared by every
 * node's NodeBpf: a node's own part is its few entries that differ (its pods local, its
 * addresses host) and its own PodCIDR omitted.
 */
interface IpcacheShared {
  entries: BpfIpcacheEntry[];
  pod: Map<PodState, number>;
  node: Map<string, { ip: number; rip: number; cidr: number }>;
}

function ipcacheShared(state: ClusterState, tunnel: boolean): IpcacheShared {
  return shared(state, `cilium/ipcache/${tunnel}`, () => {
    const ids = identities(state);
    const entries: BpfIpcacheEntry[] = [];
    const pod = new Map<PodState, number>();
    const node = new Map<string, { ip: number; rip: number; cidr: number }>();
    const addrOf = new Map<string, string>();
    for (const n of state.nodes) addrOf.set(n.name, n.address);
    for (const p of state.pods) {
      if (!podHasOwnNs(p)) continue;
      const e: BpfIpcacheEntry = { prefix: `${p.podIP}/32`, identity: ids.byPod.get(p)! };
      if (tunnel) {
        const a = addrOf.get(p.nodeName!);
        if (a) e.tunnelEndpoint = a;
      }
      pod.set(p, entries.length);
      entries.push(e);
    }
    for (const n of state.nodes) {
      const at = { ip: entries.length, rip: -1, cidr: -1 };
      node.set(n.name, at);
      entries.push({ prefix: `${n.address}/32`, identity: ID_REMOTE_NODE });
      if (!n.podCIDR) continue;
      const rip: BpfIpcacheEntry = { prefix: `${firstHost(n.podCIDR)}/32`, identity: ID_REMOTE_NODE };
      if (tunnel) rip.tunnelEndpoint = n.address;
      at.rip = entries.length;
      entries.push(rip);
      if (tunnel) {
        at.cidr = entries.length;
        entries.push({ prefix: n.podCIDR, identity: ID_WORLD, tunnelEndpoint: n.address });
      }
    }
    const cidrs = policyCidrs(state);
    if (cidrs.length) {
      const seen = new Set(entries.map((e) => e.prefix));
      cidrs.forEach((c, i) => {
        if (!seen.has(c)) entries.push({ prefix: c, identity: CIDR_ID_BASE + i });
      });
    }
    entries.push({ prefix: "0.0.0.0/0", identity: ID_WORLD });
    return { entries, pod, node };
  });
}

function ipcacheOf(ctx: FlavorContext, node: NodeState, tunnel: boolean): NodeBpf["ipcache"] {
  const sh = ipcacheShared(ctx.state, tunnel);
  const at = sh.node.get(node.name);
  const local: BpfIpcacheEntry[] = [];
  const omit: string[] = [];
  const all = sh.entries;
  if (tunnel)
    for (const p of ctx.podsByNode.get(node.name) ?? []) {
      const i = sh.pod.get(p);
      if (i !== undefined) local.push({ prefix: all[i].prefix, identity: all[i].identity });
    }
  if (at) {
    local.push({ prefix: all[at.ip].prefix, identity: ID_HOST });
    if (at.rip >= 0) local.push({ prefix: all[at.rip].prefix, identity: ID_HOST });
    // A node's own PodCIDR has no tunnel entry (its pods are local /32s).
    if (at.cidr >= 0) omit.push(all[at.cidr].prefix);
  }
  return omit.length ? { cluster: all, local, omit } : { cluster: all, local };
}

/** An address inside `cidr` and outside every longer CIDR of `others` (what a CIDR identity stands for). */
function sampleIp(cidr: string, others: string[]): string {
  const c = parseCidr(cidr, true);
  const inner = others.map((o) => parseCidr(o, true)).filter((o) => o.prefix > c.prefix);
  for (const a of [c.base, c.base + 1, c.last, c.base + Math.floor((c.last - c.base) / 2)])
    if (!inner.some((o) => cidrContains(o, a))) return intToIp(a);
  return intToIp(c.base);
}

const WORLD_SAMPLES = ["203.0.113.1", "198.51.100.1", "192.0.2.1", "8.8.8.8", "1.1.1.1"];

/** The peers a node's policy entries are evaluated against: a pod per identity, the host, a remote node, the world, each CIDR. */
function policyPeers(ctx: FlavorContext, node: NodeState, ids: Identities): [number, PodState | string][] {
  const cidrs = policyCidrs(ctx.state);
  const out: [number, PodState | string][] = [];
  const add = (id: number, peer: PodState | string) => out.push([id, peer]);
  for (const i of ids.list) add(i.id, ids.sample.get(i.id)!);
  add(ID_HOST, node.address);
  const remote = ctx.state.nodes.find((n) => n.name !== node.name);
  if (remote) add(ID_REMOTE_NODE, remote.address);
  const world = WORLD_SAMPLES.find((w) => !cidrs.some((c) => cidrContains(parseCidr(c, true), ipToInt(w))));
  add(ID_WORLD, world ?? WORLD_SAMPLES[0]);
  cidrs.forEach((c, i) => add(CIDR_ID_BASE + i, sampleIp(c, cidrs)));
  return out;
}

/** Every identity (reserved, pods', CIDRs'): cluster-wide, one array for every node. */
function identityList(state: ClusterState): readonly BpfIdentity[] {
  return shared(state, "cilium/identity-list", () => {
    const cidrIds: BpfIdentity[] = policyCidrs(state).map((c, i) => ({
      id: CIDR_ID_BASE + i,
      labels: [`cidr:${c}`, "reserved:world"],
    }));
    return [...RESERVED, ...identities(state).list, ...cidrIds];
  });
}

export function nodeBpf(
  ctx: FlavorContext,
  node: NodeState,
  base: { routerIP: string; tunnel: NodeBpf["tunnel"] },
): NodeBpf {
  const { state } = ctx;
  const ids = identities(state);
  const epIds = endpointIds(ctx, node);
  const endpoints: BpfEndpoint[] = [];
  const policy: Record<number, BpfPolicyEntry[]> = {};
  let peers: [number, PodState | string][] | null = null;
  const peersOf = () => (peers ??= policyPeers(ctx, node, ids));
  for (const p of ctx.podsByNode.get(node.name) ?? []) {
    if (!podHasOwnNs(p)) continue;
    const key = `${p.namespace}/${p.name}`;
    const id = epIds.get(key)!;
    const identity = ids.byPod.get(p)!;
    const pol = policyEntries(ctx, p, peersOf);
    policy[id] = pol.entries;
    const ifName = p.hostIfName ?? `lxc${hexOf("sha256", p.containerID || podNsId(p)).slice(0, 12)}`;
    endpoints.push({
      id,
      ip: p.podIP!,
      ifName,
      mac: macFor(`${podNsId(p)}/eth0`),
      nodeMac: macFor(`${nodeNsId(node.name)}/${ifName}`),
      identity,
      pod: key,
      ingressEnforced: pol.ingress,
      egressEnforced: pol.egress,
    });
  }
  endpoints.sort((a, b) => a.id - b.id);
  const kpr = state.config.networking.kubeProxyMode === "none";
  const lb = nodeLb(state, node, !kpr);
  const out: NodeBpf = {
    routerIP: base.routerIP,
    kubeProxyReplacement: kpr,
    nodePortMode: "snat",
    identities: identityList(state),
    services: lb.services,
    backends: lb.backends,
    revNat: lb.revNat,
    ipcache: ipcacheOf(ctx, node, !!base.tunnel),
    endpoints,
    policy,
  };
  if (base.tunnel) out.tunnel = base.tunnel;
  return out;
}

// The cluster settings of a live-cluster dump, read from the objects that show them, for
// when no cluster config is given. Each setting records the object (and field) it came
// from, so that `podnet get cluster` can say why podnet believes it.
//
// Where each setting is read, first match wins:
//   podSubnet       Calico's pool (infer-calico.ts: the IPPool, the operator's Installation,
//                   calico-node's CALICO_IPV4POOL_CIDR: what Calico IPAM hands out), cilium-config
//                   cluster-pool-ipv4-cidr (Cilium's cluster-pool IPAM), kube-controller-manager
//                   --cluster-cidr, kubeadm-config ClusterConfiguration networking.podSubnet,
//                   flannel net-conf.json Network, kube-proxy clusterCIDR, the Nodes' podCIDRs,
//                   the pods' IPs
//   serviceSubnet   kube-apiserver --service-cluster-ip-range, kubeadm-config serviceSubnet,
//                   the cluster IPs (the `kubernetes` Service holds the range's first address;
//                   without it, the /16 or wider prefix holding them)
//   nodeCIDRMaskSize  cilium-config cluster-pool-ipv4-mask-size, --node-cidr-mask-size(-ipv4),
//                   the Nodes' podCIDR prefix
//   dnsDomain       the CoreDNS Corefile's `kubernetes` zone, kubelet-config clusterDomain,
//                   kubeadm-config networking.dnsDomain
//   cni, backend    the agent DaemonSets (kube-flannel-ds, calico-node, cilium) or their pods
//                   (kindnet: flannel host-gw; another CNI's agent: the defaults, with a note);
//                   flannel net-conf.json Backend.Type; Calico's pool encapsulation (infer-calico.ts:
//                   IPPool, Installation, calico-node env, the Nodes' tunnel addresses; CrossSubnet
//                   sets calicoCrossSubnet), else calico-config calico_backend;
//                   cilium-config routing-mode and tunnel-protocol (before 1.14: tunnel)
//   calicoBlockSize Calico's pool blockSize (infer-calico.ts), else Calico's default 26
//   ciliumIPAM      cilium-config ipam (absent: cluster-pool, the agent's default)
//   kubeProxyMode   cilium-config kube-proxy-replacement "true" (before 1.14 "strict"): none;
//                   else the flags of a kube-proxy pod run without --config (--proxy-mode), else
//                   ConfigMap kube-system/kube-proxy config.conf `mode` ("" is iptables), or
//                   EKS's kube-system/kube-proxy-config `config`
//   masqueradeAll   the same KubeProxyConfiguration's iptables.masqueradeAll (nftables mode:
//                   nftables.masqueradeAll)
//   kubeProxyClusterCIDR  its clusterCIDR ("" when empty: no local detector), else podSubnet
//   nodeSubnet      the /24 (or wider) prefix holding every node's InternalIP or pod hostIP
// Sources: kubeadm's ClusterConfiguration (https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta3/),
// kube-proxy's KubeProxyConfiguration (https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/),
// flannel Documentation/configuration.md (net-conf.json), Calico IPPool
// (https://docs.tigera.io/calico/latest/reference/resources/ippool), CoreDNS plugin/kubernetes README,
// cilium-config as the Helm chart renders it (cilium/cilium install/kubernetes/cilium/templates/
// cilium-configmap.yaml; https://docs.cilium.io/en/stable/network/concepts/routing/,
// https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/,
// https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/).
import { parse as parseYaml } from "yaml";
import { KUBE_YAML } from "./yaml-scalars.js";
import { cidrOf, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import { podsOnNodeNetwork } from "./config-network.js";
import { type CalicoPool, calicoPool, type Found } from "./infer-calico.js";
import {
  type Backend,
  type CiliumIPAM,
  type ClusterConfig,
  type CniName,
  DEFAULT_BACKEND,
  type ProxyModeName,
} from "./config.js";
import type { KubeObject } from "./types.js";

/** One setting and where it was read. */
export interface InferredSetting {
  /** The cluster config field ("networking.podSubnet"). */
  setting: string;
  value: string;
  /** The object and field ("ConfigMap kube-flannel/kube-flannel-cfg net-conf.json Network"), or "default". */
  from: string;
  file?: string;
  line?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/** A list as given, or none (the objects are not validated yet when inference runs). */
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Whether the objects were read from a live cluster: a Pod or Node carries a status. */
export function isSnapshot(objects: KubeObject[]): boolean {
  return objects.some(
    (o) => (o.kind === "Pod" && str(o.status?.phase) !== undefined) || (o.kind === "Node" && isObj(o.status)),
  );
}

/** What the dump shows that podnet cannot model as it is (a warning each, at the object). */
export interface InferNote {
  o?: KubeObject;
  text: string;
}

const label = (o: KubeObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
const found = (value: string, o: KubeObject, field: string): Found => ({ value, from: `${label(o)} ${field}`, o });

/** The objects by kind, and the few named ones inference reads. */
class Objects {
  readonly byKind = new Map<string, KubeObject[]>();
  constructor(objects: KubeObject[]) {
    for (const o of objects) {
      let l = this.byKind.get(o.kind);
      if (!l) this.byKind.set(o.kind, (l = []));
      l.push(o);
    }
  }
  of(kind: string): KubeObject[] {
    return this.byKind.get(kind) ?? [];
  }
  configMap(ns: string | undefined, name: string): KubeObject | undefined {
    return this.of("ConfigMap").find(
      (o) => o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns),
    );
  }
  // A dump's 150,000 pods are gone through once for what several questions ask of them.
  private systemPods?: KubeObject[];
  private firstDaemonPods?: Map<string, KubeObject>;
  /** A static control-plane pod's flag (`--cluster-cidr=…`), from its first container's command and args. */
  flag(component: string, flag: string): Found | undefined {
    this.systemPods ??= this.of("Pod").filter((p) => p.metadata.namespace === "kube-system");
    for (const p of this.systemPods) {
      // Not validated yet (inference comes first): any shape may be here.
      const name = p.metadata.name;
      if (typeof name !== "string" || !name.startsWith(`${component}-`)) continue;
      for (const c of list(p.spec?.containers)) {
        const argv = [...(Array.isArray(c?.command) ? c.command : []), ...(Array.isArray(c?.args) ? c.args : [])];
        for (const a of argv)
          if (typeof a === "string" && a.startsWith(`${flag}=`)) return found(a.slice(flag.length + 1), p, flag);
      }
    }
    return undefined;
  }
  /** Each DaemonSet's first pod (by its controller reference), by the DaemonSet's name, in pod order. */
  daemonPods(): Map<string, KubeObject> {
    if (!this.firstDaemonPods) {
      const m = new Map<string, KubeObject>();
      for (const o of this.of("Pod")) {
        const ref = list(o.metadata.ownerReferences).find((r) => r?.controller === true);
        if (ref?.kind === "DaemonSet" && typeof ref.name === "string" && !m.has(ref.name)) m.set(ref.name, o);
      }
      this.firstDaemonPods = m;
    }
    return this.firstDaemonPods;
  }
  private kubeadmConfig?: { o: KubeObject; cc: Obj } | null;
  /** kubeadm-config's ClusterConfiguration, parsed once (four settings read it). */
  kubeadm(): { o: KubeObject; cc: Obj } | undefined {
    if (this.kubeadmConfig === undefined) {
      const o = this.configMap("kube-system", "kubeadm-config");
      const cc = o && yamlData(o, "ClusterConfiguration");
      this.kubeadmConfig = o && cc ? { o, cc } : null;
    }
    return this.kubeadmConfig ?? undefined;
  }
}

function yamlData(o: KubeObject, key: string): Obj | undefined {
  const text = o.data?.[key];
  if (typeof text !== "string") return undefined;
  try {
    const v = parseYaml(text, KUBE_YAML); // kubeadm reads it with sigs.k8s.io/yaml
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function jsonData(o: KubeObject, key: string): Obj | undefined {
  const text = o.data?.[key];
  if (typeof text !== "string") return undefined;
  try {
    const v = JSON.parse(text);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const validCidr = (s: string | undefined) => (s && parseCidr4(s) ? s : undefined);
// A dual-stack flag or field lists one range per family, the primary first
// (`--service-cluster-ip-range=fd00:10:96::/112,10.96.0.0/16`): podnet models the IPv4 one.
const firstV4 = (list: string | undefined) =>
  list
    ?.split(",")
    .map((x) => x.trim())
    .find((x) => parseCidr4(x));

/** The smallest prefix (no longer than `maxLen`) holding every address. */
function covering(addrs: number[], maxLen: number): string | undefined {
  if (addrs.length === 0) return undefined;
  for (let len = maxLen; len >= 0; len--) {
    const c = cidrOf(addrs[0], len);
    if (addrs.every((a) => a >= c.first && a <= c.last)) return `${intToIp(c.base)}/${len}`;
  }
  return undefined;
}

function flannelNetConf(objs: Objects): { o: KubeObject; conf: Obj } | undefined {
  for (const o of objs.of("ConfigMap")) {
    if (typeof o.data?.["net-conf.json"] !== "string") continue;
    const conf = jsonData(o, "net-conf.json");
    if (conf) return { o, conf };
  }
  return undefined;
}

interface Agent {
  names: RegExp;
  image: RegExp;
}

const CNI_AGENTS: (Agent & { cni: CniName })[] = [
  { cni: "calico", names: /^calico-node$/, image: /\/calico\/node|\bcalico-node\b/ },
  { cni: "cilium", names: /^cilium$/, image: /\/cilium\/cilium\b/ },
  { cni: "flannel", names: /^kube-flannel-ds|^kube-flannel$|^flannel$/, image: /flannel/ },
];

// kind's own CNI (kubernetes-sigs/kind images/kindnetd): a route to each other node's podCIDR
// via that node's address, pods on a bridge-less ptp veth, masquerade out of the pod range —
// the routes of flannel's host-gw backend, which is how podnet models it (with a note).
const KINDNET: Agent = { names: /^kindnet$/, image: /\/kindnetd\b/ };

// CNIs a dump may show whose dataplane podnet does not model: the network is then modelled
// with the default CNI, and a note says so (their names as their projects write them).
const OTHER_CNIS: (Agent & { name: string })[] = [
  // aws/amazon-vpc-cni-k8s: pods get VPC addresses from the nodes' ENIs.
  { name: "the Amazon VPC CNI", names: /^aws-node$/, image: /amazon-k8s-cni\b/ },
  // Azure/azure-container-networking: pods get VNet addresses (azure-cns, azure-vnet).
  { name: "Azure CNI", names: /^azure-cns$|^azure-vnet/, image: /\/azure-cns\b|\/azure-vnet/ },
  { name: "Weave Net", names: /^weave-net$/, image: /\/weave-kube\b/ },
  { name: "kube-router", names: /^kube-router$/, image: /\/kube-router\b/ },
  { name: "Antrea", names: /^antrea-agent$/, image: /\/antrea-agent|antrea\/antrea-ubuntu/ },
  { name: "OVN-Kubernetes", names: /^ovnkube-node$/, image: /ovn-kubernetes|ovn-daemonset/ },
];

/** A CNI agent's DaemonSet, or (Pods-only dumps) one of its pods, named after the DaemonSet. */
function findAgent(objs: Objects, a: Agent): { o: KubeObject; via: string } | undefined {
  const ds = objs
    .of("DaemonSet")
    .find(
      (o) =>
        a.names.test(o.metadata.name) ||
        list(o.spec?.template?.spec?.containers).some(
          (c: Obj) => typeof c?.image === "string" && a.image.test(c.image),
        ),
    );
  if (ds) return { o: ds, via: "(the CNI's agent)" };
  // The first pod of a DaemonSet so named: each name's first pod, in pod order.
  for (const [name, p] of objs.daemonPods()) if (a.names.test(name)) return { o: p, via: "(a pod of the CNI's agent)" };
  return undefined;
}

/** Whether the objects hold a CNI agent: the modelled CNI's (its DaemonSet or pods), kindnet, or another CNI's. */
export function hasCniAgent(objects: KubeObject[], cni: CniName): boolean {
  const objs = new Objects(objects);
  const a = CNI_AGENTS.find((x) => x.cni === cni);
  if (a !== undefined && findAgent(objs, a) !== undefined) return true;
  // kindnet (modelled as flannel host-gw) or a CNI podnet does not model (modelled with the
  // default CNI): the cluster runs its own agent, and no agent of podnet's joins it.
  return [KINDNET, ...OTHER_CNIS].some((x) => findAgent(objs, x) !== undefined);
}

function inferCni(objs: Objects): Found | undefined {
  // DaemonSets first, then the pods of a Pods-only dump.
  for (const pods of [false, true])
    for (const a of CNI_AGENTS) {
      const f = findAgent(objs, a);
      if (f && (f.o.kind === "Pod") === pods) return found(a.cni, f.o, f.via);
    }
  return undefined;
}

function inferBackend(objs: Objects, cni: CniName, pool: CalicoPool | undefined): Found | undefined {
  if (cni === "flannel") {
    const nc = flannelNetConf(objs);
    const t = nc && isObj(nc.conf.Backend) ? str(nc.conf.Backend.Type) : undefined;
    if (nc && t) return found(t, nc.o, "net-conf.json Backend.Type");
    const n = objs.of("Node").find((o) => str(o.metadata.annotations?.["flannel.alpha.coreos.com/backend-type"]));
    if (n)
      return found(
        n.metadata.annotations!["flannel.alpha.coreos.com/backend-type"],
        n,
        "annotation flannel.alpha.coreos.com/backend-type",
      );
  }
  if (cni === "calico") {
    if (pool?.encap) return pool.encap;
    const cm = objs.configMap(undefined, "calico-config");
    const b = cm && str(cm.data?.calico_backend);
    if (cm && b) return found(b === "vxlan" ? "vxlan" : "bgp", cm, `calico_backend: ${b}`);
  }
  if (cni === "cilium") return ciliumBackend(objs);
  return undefined;
}

/** The agent's configuration (the Helm chart's ConfigMap, read by cilium-agent --config-dir). */
const ciliumConfig = (objs: Objects) => objs.configMap(undefined, "cilium-config");

// Cilium ≥ 1.14: `routing-mode: tunnel|native` and `tunnel-protocol: vxlan|geneve` (vxlan when
// absent); before, one key `tunnel: vxlan|geneve|disabled` (pkg/option/config.go).
function ciliumBackend(objs: Objects): Found | undefined {
  const cm = ciliumConfig(objs);
  if (!cm) return undefined;
  const mode = str(cm.data?.["routing-mode"]);
  const proto = str(cm.data?.["tunnel-protocol"]);
  if (mode === "native") return found("native", cm, "routing-mode: native");
  if (mode) {
    const p = proto ?? "vxlan";
    return found(p, cm, proto ? `routing-mode: ${mode}, tunnel-protocol: ${proto}` : `routing-mode: ${mode}`);
  }
  const t = str(cm.data?.tunnel);
  if (t) return found(t === "disabled" ? "native" : t, cm, `tunnel: ${t}`);
  return undefined;
}

/** cilium-config's `ipam`; without the key the agent's default, cluster-pool (pkg/option/config.go). */
function ciliumIpam(objs: Objects): Found | undefined {
  const cm = ciliumConfig(objs);
  if (!cm) return undefined;
  const v = str(cm.data?.ipam);
  return v ? found(v, cm, `ipam: ${v}`) : found("cluster-pool", cm, "(no ipam key: the agent's default)");
}

/**
 * Cilium's cluster-pool IPAM: the operator carves each node's range (`cluster-pool-ipv4-mask-size`)
 * out of `cluster-pool-ipv4-cidr` and writes it to the node's CiliumNode, not to the Node's
 * spec.podCIDR, which it ignores.
 */
function ciliumClusterPool(objs: Objects): { o: KubeObject; cidr?: string; mask?: string } | undefined {
  const ipam = ciliumIpam(objs);
  if (ipam?.value !== "cluster-pool" || !ipam.o) return undefined;
  const data = ipam.o.data ?? {};
  // The chart joins clusterPoolIPv4PodCIDRList with spaces.
  const cidr = str(data["cluster-pool-ipv4-cidr"])
    ?.split(/[\s,]+/)
    .find((c) => parseCidr4(c));
  const mask = str(data["cluster-pool-ipv4-mask-size"]);
  return { o: ipam.o, cidr, mask: mask && /^\d+$/.test(mask) ? mask : undefined };
}

function inferPodSubnet(objs: Objects, cni: CniName, pool: CalicoPool | undefined): Found | undefined {
  if (pool?.cidr) return pool.cidr;
  const cp = cni === "cilium" ? ciliumClusterPool(objs) : undefined;
  if (cp?.cidr) return found(cp.cidr, cp.o, "cluster-pool-ipv4-cidr (ipam: cluster-pool)");
  const f = objs.flag("kube-controller-manager", "--cluster-cidr");
  if (f && firstV4(f.value)) return { ...f, value: firstV4(f.value)! };
  const k = objs.kubeadm();
  const ps = k && isObj(k.cc.networking) ? firstV4(str(k.cc.networking.podSubnet)) : undefined;
  if (k && ps) return found(ps, k.o, "ClusterConfiguration networking.podSubnet");
  const nc = flannelNetConf(objs);
  const net = nc && validCidr(str(nc.conf.Network));
  if (nc && net) return found(net, nc.o, "net-conf.json Network");
  const kp = objs.configMap("kube-system", "kube-proxy");
  const kpc = kp && yamlData(kp, "config.conf");
  const cc = kpc && firstV4(str(kpc.clusterCIDR));
  if (kp && cc) return found(cc, kp, "config.conf clusterCIDR");
  const nodeCidrs = objs
    .of("Node")
    .map((o) => parseCidr4(str(o.spec?.podCIDR) ?? ""))
    .filter((c) => c !== undefined);
  if (nodeCidrs.length > 0) {
    const v = covering(
      nodeCidrs.flatMap((c) => [c.first, c.last]),
      16,
    );
    if (v) return { value: v, from: "the Nodes' spec.podCIDR (the prefix holding them all)" };
  }
  const ips = podIPs(objs);
  const v = covering(ips, 16);
  return v ? { value: v, from: "the pods' IPs (the /16 or wider prefix holding them all)" } : undefined;
}

function podIPs(objs: Objects): number[] {
  const out: number[] = [];
  for (const p of objs.of("Pod")) {
    if (p.spec?.hostNetwork) continue;
    const a = parseIPv4(str(p.status?.podIP) ?? "");
    if (a !== undefined) out.push(a);
  }
  return out;
}

function inferServiceSubnet(objs: Objects, base: string): Found | undefined {
  const f = objs.flag("kube-apiserver", "--service-cluster-ip-range");
  if (f && firstV4(f.value)) return { ...f, value: firstV4(f.value)! };
  const k = objs.kubeadm();
  const ss = k && isObj(k.cc.networking) ? firstV4(str(k.cc.networking.serviceSubnet)) : undefined;
  if (k && ss) return found(ss, k.o, "ClusterConfiguration networking.serviceSubnet");
  const ips: number[] = [];
  let kubernetes: KubeObject | undefined;
  for (const s of objs.of("Service")) {
    const ip = parseIPv4(str(s.spec?.clusterIP) ?? "");
    if (ip === undefined) continue;
    ips.push(ip);
    if (s.metadata.name === "kubernetes" && (s.metadata.namespace ?? "default") === "default") kubernetes = s;
  }
  if (ips.length === 0) return undefined;
  const def = parseCidr4(base)!;
  // The apiserver takes the range's first address for `kubernetes`: the range starts one below it.
  const k0 = kubernetes ? parseIPv4(kubernetes.spec.clusterIP)! - 1 : undefined;
  if (ips.every((a) => a >= def.first && a <= def.last) && (k0 === undefined || k0 === def.first))
    return { value: base, from: "the Services' cluster IPs (all inside the default range)" };
  // Without `kubernetes` the IPs alone under-state the range: a /24 around one Service
  // would put podnet's kube-dns (the range's 10th address) on a given Service. /16 is the
  // narrowest range the common installers default to (k3s 10.43.0.0/16, EKS 10.100.0.0/16,
  // AKS 10.0.0.0/16; kubeadm 10.96.0.0/12).
  for (let len = kubernetes ? 24 : 16; len >= 8; len--) {
    const c = cidrOf(k0 ?? ips[0], len);
    if ((k0 === undefined || c.base === k0) && ips.every((a) => a >= c.first && a <= c.last))
      return {
        value: `${intToIp(c.base)}/${len}`,
        from: kubernetes
          ? "the Services' cluster IPs (default/kubernetes holds the range's first address)"
          : "the Services' cluster IPs (no default/kubernetes: the /16 or wider prefix holding them)",
        o: kubernetes,
      };
  }
  return undefined;
}

function inferMaskSize(objs: Objects, cni: CniName): Found | undefined {
  const cp = cni === "cilium" ? ciliumClusterPool(objs) : undefined;
  if (cp?.mask) return found(cp.mask, cp.o, "cluster-pool-ipv4-mask-size (ipam: cluster-pool)");
  for (const flag of ["--node-cidr-mask-size-ipv4", "--node-cidr-mask-size"]) {
    const f = objs.flag("kube-controller-manager", flag);
    if (f && /^\d+$/.test(f.value)) return f;
  }
  const n = objs.of("Node").find((o) => parseCidr4(str(o.spec?.podCIDR) ?? ""));
  if (n) return found(String(parseCidr4(n.spec.podCIDR)!.prefix), n, "spec.podCIDR");
  return undefined;
}

function inferDomain(objs: Objects): Found | undefined {
  const cm = objs.configMap("kube-system", "coredns");
  const corefile = cm && str(cm.data?.Corefile);
  if (cm && corefile) {
    // `kubernetes cluster.local in-addr.arpa ip6.arpa {`: the zones; the reverse ones aside.
    const m = /^\s*kubernetes\s+([^{\n]*)/m.exec(corefile);
    const zone = m?.[1]
      .trim()
      .split(/\s+/)
      .find((z) => z && !z.endsWith(".arpa") && !z.endsWith(".arpa."));
    if (zone) return found(zone.replace(/\.$/, ""), cm, "Corefile (kubernetes plugin zone)");
  }
  const kc = objs.configMap("kube-system", "kubelet-config");
  const d = kc && str(yamlData(kc, "kubelet")?.clusterDomain);
  if (kc && d) return found(d, kc, "kubelet clusterDomain");
  const k = objs.kubeadm();
  const dd = k && isObj(k.cc.networking) ? str(k.cc.networking.dnsDomain) : undefined;
  if (k && dd) return found(dd, k.o, "ClusterConfiguration networking.dnsDomain");
  return undefined;
}

/**
 * Whether Cilium replaces kube-proxy: `kube-proxy-replacement: "true"` (1.14 on; "strict"
 * before), from the chart's kubeProxyReplacement. "false" (the chart's default), and the older
 * "partial"/"probe"/"disabled", leave Services to kube-proxy.
 */
function ciliumReplacesKubeProxy(objs: Objects): Found | undefined {
  const cm = ciliumConfig(objs);
  const v = cm && str(cm.data?.["kube-proxy-replacement"]);
  return cm && (v === "true" || v === "strict")
    ? found("none", cm, `kube-proxy-replacement: ${JSON.stringify(v)}`)
    : undefined;
}

// kube-proxy's KubeProxyConfiguration: kubeadm's ConfigMap kube-proxy, key config.conf; EKS's
// add-on keeps it in ConfigMap kube-proxy-config, key config (the ConfigMap kube-proxy holds
// only the kubeconfig there; https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html).
const KUBE_PROXY_CONFIGS = [
  ["kube-proxy", "config.conf"],
  ["kube-proxy-config", "config"],
] as const;

/** The first KubeProxyConfiguration the dump holds: its ConfigMap, key and parsed value. */
function kubeProxyConfig(objs: Objects): { kp: KubeObject; key: string; c: Obj } | undefined {
  for (const [name, key] of KUBE_PROXY_CONFIGS) {
    const kp = objs.configMap("kube-system", name);
    const c = kp && yamlData(kp, key);
    if (kp && c) return { kp, key, c };
  }
  return undefined;
}

/**
 * Where kube-proxy takes its settings: its flags when its pod runs it without --config
 * (GKE's static kube-proxy pods: `sh -c "exec kube-proxy --cluster-cidr=… …"`), else the
 * KubeProxyConfiguration (with --config the file's values win over the flags:
 * cmd/kube-proxy/app/server.go Options.Complete). Each setting: its value, and where it was read.
 */
interface KubeProxySettings {
  get(key: "mode" | "clusterCIDR" | "detectLocalMode"): { v: unknown; o: KubeObject; field: string };
  masqueradeAll(mode: string): { v: unknown; o: KubeObject; field: string };
}

function kubeProxySettings(objs: Objects): KubeProxySettings | undefined {
  const flags = kubeProxyFlags(objs);
  if (flags) {
    const { pod, map } = flags;
    const FLAG = { mode: "--proxy-mode", clusterCIDR: "--cluster-cidr", detectLocalMode: "--detect-local-mode" };
    return {
      get: (key) => ({ v: map.get(FLAG[key]), o: pod, field: FLAG[key] }),
      masqueradeAll: () => {
        const v = map.get("--masquerade-all");
        return { v: v === undefined ? undefined : v === "" || v === "true", o: pod, field: "--masquerade-all" };
      },
    };
  }
  const got = kubeProxyConfig(objs);
  if (!got) return undefined;
  const { kp, key, c } = got;
  return {
    get: (k) => ({ v: c[k], o: kp, field: `${key} ${k}` }),
    // The iptables and IPVS proxiers take iptables.masqueradeAll, the nftables proxier
    // nftables.masqueradeAll (cmd/kube-proxy/app/server_linux.go).
    masqueradeAll: (mode) => {
      const section = mode === "nftables" ? "nftables" : "iptables";
      return {
        v: (isObj(c[section]) ? (c[section] as Obj) : {}).masqueradeAll,
        o: kp,
        field: `${key} ${section}.masqueradeAll`,
      };
    },
  };
}

/**
 * The flags of a kube-proxy pod in kube-system that runs kube-proxy without --config
 * (`--name=value`, `--name value`, a bare boolean `--name`; a shell's `-c` script split at
 * white space), or undefined.
 */
function kubeProxyFlags(objs: Objects): { pod: KubeObject; map: Map<string, string> } | undefined {
  for (const p of objs.of("Pod")) {
    const name = p.metadata.name;
    if (p.metadata.namespace !== "kube-system" || typeof name !== "string" || !name.startsWith("kube-proxy-")) continue;
    for (const c of list(p.spec?.containers)) {
      const argv = [...(Array.isArray(c?.command) ? c.command : []), ...(Array.isArray(c?.args) ? c.args : [])];
      const words = argv.flatMap((a) => (typeof a === "string" ? a.split(/\s+/).filter(Boolean) : []));
      const at = words.findIndex((w) => w === "kube-proxy" || w.endsWith("/kube-proxy"));
      if (at < 0) continue;
      const map = new Map<string, string>();
      for (let i = at + 1; i < words.length; i++) {
        const w = words[i];
        if (!w.startsWith("--")) continue;
        const eq = w.indexOf("=");
        if (eq > 0) map.set(w.slice(0, eq), w.slice(eq + 1));
        else if (i + 1 < words.length && !words[i + 1].startsWith("-") && !/^[0-9]*>/.test(words[i + 1]))
          map.set(w, words[++i]);
        else map.set(w, "");
      }
      return map.has("--config") ? undefined : { pod: p, map };
    }
  }
  return undefined;
}

function inferProxyMode(kps: KubeProxySettings | undefined): Found | undefined {
  if (!kps) return undefined;
  const { v, o, field } = kps.get("mode");
  const mode = typeof v === "string" ? v : "";
  // An empty mode is the platform default: iptables on Linux (pkg/proxy/apis/config).
  return found(mode === "" ? "iptables" : mode, o, `${field}: ${JSON.stringify(mode)}`);
}

/** masqueradeAll as kube-proxy in `mode` reads it (kubeProxySettings). Only a boolean counts. */
function inferMasqueradeAll(kps: KubeProxySettings | undefined, mode: string): Found | undefined {
  const m = kps?.masqueradeAll(mode);
  return m && typeof m.v === "boolean" ? found(String(m.v), m.o, m.field) : undefined;
}

/**
 * A note when kube-proxy tells pod traffic apart otherwise than podnet models it: podnet
 * writes the ClusterCIDR local detector's matches (kube-proxy's clusterCIDR); another
 * detectLocalMode (NodeCIDR, BridgeInterface, InterfaceNamePrefix) matches per node
 * (kubernetes pkg/proxy/util/localdetector.go).
 */
function detectLocalNote(kps: KubeProxySettings | undefined): InferNote | undefined {
  const d = kps?.get("detectLocalMode");
  const m = d?.v;
  if (typeof m !== "string" || m === "" || m === "ClusterCIDR") return undefined;
  return {
    o: d!.o,
    text: `kube-proxy's detectLocalMode is ${m} (${d!.field}); podnet models ClusterCIDR: its rules tell pod traffic by kube-proxy's clusterCIDR, where the cluster's ${m === "NodeCIDR" ? "match each node's own podCIDR" : "match the pods' interfaces"}`,
  };
}

/**
 * kube-proxy's clusterCIDR, its ClusterCIDR local detector's range: the IPv4 one of the
 * list, or "" (no detector) when empty (cmd/kube-proxy/app/server.go getLocalDetectors).
 */
function inferKubeProxyClusterCIDR(kps: KubeProxySettings | undefined): Found | undefined {
  const got = kps?.get("clusterCIDR");
  if (!got) return undefined;
  const cc = typeof got.v === "string" ? got.v.trim() : "";
  if (cc === "") return found("", got.o, `${got.field}: "" (no local detector)`);
  const c4 = parseCidr4(firstV4(cc) ?? "");
  return c4 ? found(`${intToIp(c4.base)}/${c4.prefix}`, got.o, got.field) : undefined;
}

/** Node addresses: InternalIPs of the Node objects, else the pods' hostIPs. */
function inferNodeSubnet(objs: Objects): Found | undefined {
  const addrs: number[] = [];
  for (const n of objs.of("Node")) {
    const ip = (Array.isArray(n.status?.addresses) ? n.status.addresses : []).find(
      (a: Obj) => a?.type === "InternalIP" && parseIPv4(str(a.address) ?? "") !== undefined,
    );
    if (ip) addrs.push(parseIPv4(ip.address)!);
  }
  let from = "the Nodes' InternalIP addresses";
  if (addrs.length === 0) {
    for (const p of objs.of("Pod")) {
      const a = parseIPv4(str(p.status?.hostIP) ?? "");
      if (a !== undefined) addrs.push(a);
    }
    from = "the pods' hostIP addresses";
  }
  const v = covering(addrs, 24);
  return v ? { value: v, from } : undefined;
}

/**
 * The settings a dump shows, applied over `base` (the defaults). Nodes: none from the
 * config (they come from the Node objects and the pods that name them) unless the dump
 * names no node at all.
 */
export function inferConfig(
  objects: KubeObject[],
  base: ClusterConfig,
): { config: ClusterConfig; settings: InferredSetting[]; notes: InferNote[] } {
  const objs = new Objects(objects);
  const net = { ...base.networking };
  const notes: InferNote[] = [];
  const settings: InferredSetting[] = [];
  const record = (setting: string, f: Found | undefined, dflt: string): string => {
    const s: InferredSetting = f
      ? { setting, value: f.value, from: f.from }
      : { setting, value: dflt, from: "default" };
    if (f?.o?.source) {
      s.file = f.o.source.file;
      s.line = f.o.source.line;
    }
    settings.push(s);
    return s.value;
  };
  let cniFound = inferCni(objs);
  const kindnet = cniFound ? undefined : findAgent(objs, KINDNET);
  if (kindnet) cniFound = found("flannel", kindnet.o, `${kindnet.via}: kindnet's routes, as flannel host-gw`);
  const cni = record("networking.cni", cniFound, net.cni) as CniName;
  net.cni = cni;
  const calicoAgent = cni === "calico" ? findAgent(objs, CNI_AGENTS.find((a) => a.cni === "calico")!)?.o : undefined;
  const pool = cni === "calico" ? calicoPool((k) => objs.of(k), calicoAgent) : undefined;
  const backend = kindnet
    ? found("host-gw", kindnet.o, "(kindnet routes each podCIDR via its node)")
    : inferBackend(objs, cni, pool);
  const okBackend = backend && backendOf(cni, backend.value);
  net.backend = record(
    "networking.backend",
    okBackend ? { ...backend, value: okBackend } : undefined,
    DEFAULT_BACKEND[cni],
  ) as Backend;
  if (pool) {
    const bs = pool.blockSize && Number(pool.blockSize.value);
    // Calico takes IPv4 block sizes 20-32 (IPPool reference); another value is not used.
    const okBs = bs !== undefined && Number.isInteger(bs) && bs >= 20 && bs <= 32;
    net.calicoBlockSize = Number(
      record("networking.calicoBlockSize", okBs ? pool.blockSize : undefined, String(net.calicoBlockSize)),
    );
    const cross = pool.encap?.crossSubnet === true && net.backend !== "bgp";
    if (cross) net.calicoCrossSubnet = true;
    record("networking.calicoCrossSubnet", cross ? { ...pool.encap!, value: "true" } : undefined, "false");
    if (pool.note) notes.push({ o: pool.encap?.o, text: pool.note });
  }
  if (cni === "cilium") {
    const ipam = ciliumIpam(objs);
    const ok = ipam && (ipam.value === "kubernetes" || ipam.value === "cluster-pool");
    net.ciliumIPAM = record("networking.ciliumIPAM", ok ? ipam : undefined, "kubernetes") as CiliumIPAM;
    if (ipam && !ok)
      notes.push({
        o: ipam.o,
        text: `Cilium's IPAM mode ${ipam.value} is not one podnet models (kubernetes, cluster-pool): each node's range is read from its Node's podCIDR, else from its pods' IPs`,
      });
  }
  net.podSubnet = record("networking.podSubnet", inferPodSubnet(objs, cni, pool), net.podSubnet);
  net.serviceSubnet = record(
    "networking.serviceSubnet",
    inferServiceSubnet(objs, net.serviceSubnet),
    net.serviceSubnet,
  );
  // kube-controller-manager wants a node mask longer than the cluster CIDR's (and a usable range).
  const podPrefix = parseCidr4(net.podSubnet)!.prefix;
  const mask = inferMaskSize(objs, cni);
  const okMask = mask && Number(mask.value) >= podPrefix && Number(mask.value) <= 30;
  net.nodeCIDRMaskSize = Number(
    record("networking.nodeCIDRMaskSize", okMask ? mask : undefined, String(Math.max(net.nodeCIDRMaskSize, podPrefix))),
  );
  net.dnsDomain = record("networking.dnsDomain", inferDomain(objs), net.dnsDomain);
  const kpr = cni === "cilium" ? ciliumReplacesKubeProxy(objs) : undefined;
  // Read once: finding a kube-proxy pod run by flags looks at every pod.
  const kps = kubeProxySettings(objs);
  const mode = inferProxyMode(kps);
  net.kubeProxyMode = record(
    "networking.kubeProxyMode",
    kpr ?? (mode && ["iptables", "nftables", "ipvs"].includes(mode.value) ? mode : undefined),
    net.kubeProxyMode,
  ) as ProxyModeName;
  if (net.kubeProxyMode !== "none") {
    const masq = inferMasqueradeAll(kps, net.kubeProxyMode);
    net.masqueradeAll = record("networking.masqueradeAll", masq, String(net.masqueradeAll)) === "true";
    const kcc = inferKubeProxyClusterCIDR(kps);
    const shown = record(
      "networking.kubeProxyClusterCIDR",
      kcc && { ...kcc, value: kcc.value === "" ? '""' : kcc.value },
      net.podSubnet,
    );
    // Unset follows podSubnet; only another range, or none, is kept.
    if (kcc && shown !== net.podSubnet) net.kubeProxyClusterCIDR = kcc.value;
    const local = detectLocalNote(kps);
    if (local) notes.push(local);
  }
  // Cilium's socket LB and its programs on the nodes' devices translate Service addresses
  // before kube-proxy's rules see the packets; the docs have kube-proxy removed first.
  if (kpr && mode)
    notes.push({
      o: mode.o,
      text: `kube-proxy's configuration is in the dump, but ${kpr.from} replaces it: Services are modelled in Cilium's eBPF datapath, without kube-proxy's rules`,
    });
  const range = objs.flag("kube-apiserver", "--service-node-port-range");
  const m = range && /^(\d+)-(\d+)$/.exec(range.value);
  if (m) net.nodePortRange = [Number(m[1]), Number(m[2])];
  record("networking.nodePortRange", m ? range : undefined, `${net.nodePortRange[0]}-${net.nodePortRange[1]}`);
  net.nodeSubnet = record("networking.nodeSubnet", inferNodeSubnet(objs), net.nodeSubnet);
  if (kindnet)
    notes.push({
      o: kindnet.o,
      text: "kindnet is modelled as flannel's host-gw backend: the same routes between nodes; the rules' chain names differ (KIND-MASQ-AGENT)",
    });
  const other = cniFound ? undefined : OTHER_CNIS.map((a) => ({ a, f: findAgent(objs, a) })).find((x) => x.f);
  // One warning for what the dump runs and podnet does not model: the CNI found, what podnet
  // models instead, and whether the pods sit on the node network (as on EKS and AKS).
  const overlap = podsOnNodeNetwork(net)
    ? `the pods' addresses (${net.podSubnet}) overlap the nodes' (${net.nodeSubnet})`
    : undefined;
  const instead = `modelled as ${cni} ${net.backend} instead`;
  if (other?.f)
    notes.push({
      o: other.f.o,
      text:
        `${other.a.name} is not a CNI podnet models (flannel, Calico, Cilium): ` +
        (overlap
          ? `${overlap}, its pods take addresses from the node network, and the network is ${instead}: ` +
            "traces and diagnose of pod traffic will not match the cluster (they show drops it does not have); "
          : `the network is ${instead}, so paths between pods, their rules and drops may differ from the cluster's; `) +
        "answers about NetworkPolicy (reach, check) still hold (pass --config to choose)",
    });
  else if (overlap)
    notes.push({
      text:
        `${overlap}: pods take addresses from the node network (as the Amazon VPC CNI and Azure CNI do), ` +
        "which podnet does not model; traces between nodes will not match the cluster",
    });
  const k = objs.kubeadm();
  const name = record(
    "name",
    k && str(k.cc.clusterName) ? found(k.cc.clusterName as string, k.o, "ClusterConfiguration clusterName") : undefined,
    base.name,
  );

  const namesNodes = dumpNamesNodes(objects);
  const hostDNS =
    net.nodeSubnet === base.networking.nodeSubnet
      ? base.hostDNS
      : { ...base.hostDNS, nameservers: [intToIp(parseCidr4(net.nodeSubnet)!.first + 1)] };
  const config: ClusterConfig = { ...base, name, networking: net, nodes: namesNodes ? [] : base.nodes, hostDNS };
  if (namesNodes) delete config.defaultNodes;
  return { config, settings, notes };
}

/** Whether the input declares nodes or has pods on named nodes (then those are the nodes). */
export function dumpNamesNodes(objects: KubeObject[]): boolean {
  return objects.some((o) => o.kind === "Node" || (o.kind === "Pod" && str(o.spec?.nodeName) !== undefined));
}

/** A backend name as podnet models it for the CNI, or undefined when it does not model it. */
function backendOf(cni: CniName, v: string): Backend | undefined {
  const b = v.toLowerCase();
  if (cni === "flannel") return b === "vxlan" || b === "host-gw" ? b : undefined;
  if (cni === "calico") return b === "bgp" || b === "ipip" || b === "vxlan" ? b : undefined;
  return b === "vxlan" || b === "geneve" || b === "native" ? b : undefined;
}

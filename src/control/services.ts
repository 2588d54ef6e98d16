// Services: cluster IPs, NodePorts, health-check NodePorts and LoadBalancer addresses.
//  - A given clusterIP is honoured; outside the service range or already taken → error,
//    like kube-apiserver ("failed to allocate IP …: provided IP is already allocated").
//  - Others are allocated deterministically from the seed. Since Kubernetes 1.26
//    (KEP-3070) the range is split: a lower "static" band of min(max(16, size/16), 256)
//    addresses is kept for IPs users choose, and dynamic allocation picks at random in the
//    upper band first, then the lower one. podnet picks a seeded offset in the same band.
//  - NodePorts: the same split (KEP-3668: min(max(16, size/32), 128) ports), given ones
//    honoured (conflict → error).
//  - LoadBalancer: status.loadBalancer.ingress given is honoured; else the first free
//    address of networking.loadBalancerSubnet, its network and broadcast addresses skipped
//    (podnet's rule for a subnet: MetalLB hands out every address of a CIDR pool, and its
//    avoidBuggyIPs skips only those ending in .0 and .255, metallb.universe.tf/configuration);
//    no pool → no address (kubectl shows <pending>).
//  - healthCheckNodePort for externalTrafficPolicy: Local LoadBalancers, from the NodePort range.
import type { ClusterConfig } from "../manifest/config.js";
import { Diags, type Mapping, where } from "../manifest/diag.js";
import { SpecError } from "../manifest/errors.js";
import { cidrContains, cidrSize, intToIp, parseCidr4, parseIPv4 } from "../net/ipv4.js";
import { serviceIPv4 } from "../manifest/net.js";
import type { KubeObject } from "../manifest/types.js";
import { pick, uidFor } from "./hash.js";
import type { IpamState, ServicePortState, ServiceState } from "./state.js";

export interface ServiceCtx {
  config: ClusterConfig;
  seed: string;
  created: number;
}

/** The band split used by Kubernetes' bitmap allocators (calculateRangeOffset). */
export function staticBandSize(size: number, min: number, max: number, step: number): number {
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** Finds a free slot: a seeded start in the upper band [offset, n), then the lower band. */
function allocateIndex(n: number, offset: number, key: string, taken: (i: number) => boolean): number {
  const bands: [number, number][] =
    offset > 0 && offset < n
      ? [
          [offset, n],
          [0, offset],
        ]
      : [[0, n]];
  for (const [lo, hi] of bands) {
    const len = hi - lo;
    const start = pick(key, len);
    for (let k = 0; k < len; k++) {
      const i = lo + ((start + k) % len);
      if (!taken(i)) return i;
    }
  }
  return -1;
}

function svcKey(o: { metadata: { namespace?: string; name: string } }): string {
  return `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

export interface ServicesResult {
  services: ServiceState[];
  serviceIPs: IpamState["serviceIPs"];
  nodePorts: IpamState["nodePorts"];
  loadBalancerIPs: IpamState["loadBalancerIPs"];
}

/** A Service being (re)created this step, with its object and previous state. */
interface Changed {
  o: KubeObject;
  s: ServiceState;
  prev?: ServiceState;
}

/** The allocation tables of one step, owners by "ns/name"; errors collect in diags. */
interface Alloc {
  ctx: ServiceCtx;
  diags: Diags;
  serviceIPs: Record<string, string>;
  nodePorts: Record<string, string>;
  lbIPs: Record<string, string>;
}

/**
 * Reconciles the Service objects against the previous Service states. `unchanged(o)`
 * says whether the object is the same as in the previous state (then its state is kept).
 */
export function reconcileServices(
  ctx: ServiceCtx,
  objects: KubeObject[],
  prev: ServiceState[],
  prevIpam: IpamState,
  unchanged: (o: KubeObject) => boolean,
): ServicesResult {
  const prevByKey = new Map(prev.map((s) => [`${s.namespace}/${s.name}`, s]));
  const keep = new Map<string, ServiceState>();
  for (const o of objects) {
    const p = prevByKey.get(svcKey(o));
    if (p && unchanged(o)) keep.set(svcKey(o), p);
  }

  // Start from the allocations of kept Services.
  const al: Alloc = { ctx, diags: new Diags(), serviceIPs: {}, nodePorts: {}, lbIPs: {} };
  for (const [ip, owner] of Object.entries(prevIpam.serviceIPs)) if (keep.has(owner)) al.serviceIPs[ip] = owner;
  for (const [p, owner] of Object.entries(prevIpam.nodePorts)) if (keep.has(owner)) al.nodePorts[p] = owner;
  for (const [ip, owner] of Object.entries(prevIpam.loadBalancerIPs)) if (keep.has(owner)) al.lbIPs[ip] = owner;

  const drafts = new Map<string, ServiceState>();
  const changed: Changed[] = [];
  for (const o of objects) {
    const key = svcKey(o);
    if (keep.has(key)) continue;
    const s = draftService(ctx, o, prevByKey.get(key));
    drafts.set(key, s);
    changed.push({ o, s, prev: prevByKey.get(key) });
  }

  allocateClusterIPs(al, changed);
  allocateNodePorts(al, changed);
  allocateLoadBalancerIPs(al, changed);

  if (al.diags.errors.length) throw new SpecError(al.diags.errors);
  const services = objects.map((o) => keep.get(svcKey(o)) ?? drafts.get(svcKey(o))!);
  return { services, serviceIPs: al.serviceIPs, nodePorts: al.nodePorts, loadBalancerIPs: al.lbIPs };
}

/** Cluster IPs: the ones users chose (and changed Services already had) first, then dynamic ones. */
function allocateClusterIPs(al: Alloc, changed: Changed[]): void {
  const { diags, serviceIPs } = al;
  const net = al.ctx.config.networking;
  const svcRange = parseCidr4(net.serviceSubnet)!;
  const svcFirst = svcRange.first;
  const svcSize = cidrSize(svcRange);
  const nIPs = svcSize - 2; // network and broadcast are never handed out
  const ipOffset = staticBandSize(svcSize, 16, 256, 16);

  // Pass 1: cluster IPs users chose (and the IPs changed Services already had).
  const needIP: { o: KubeObject; s: ServiceState; key: string }[] = [];
  for (const { o, s, prev } of changed) {
    const key = svcKey(o);
    if (s.type === "ExternalName" || s.clusterIP === "None") continue;
    const given: string | undefined = serviceIPv4(o.spec) || undefined;
    if (given) {
      const field =
        given === o.spec?.clusterIP ? "spec.clusterIP" : `spec.clusterIPs[${o.spec.clusterIPs.indexOf(given)}]`;
      const a = parseIPv4(given);
      if (a === undefined) {
        diags.error(where(o), field, given, "is not a valid IPv4 address");
        continue;
      }
      if (!cidrContains(svcRange, a) || a === svcFirst || a === svcFirst + svcSize - 1) {
        diags.error(
          where(o),
          field,
          given,
          `is not in the service range ${net.serviceSubnet} (networking.serviceSubnet)`,
        );
        continue;
      }
      const owner = serviceIPs[given];
      if (owner && owner !== key) {
        diags.error(where(o), field, given, `is already allocated to Service ${owner}`);
        continue;
      }
      serviceIPs[given] = key;
      s.clusterIP = given;
    } else if (prev?.clusterIP && prev.clusterIP !== "None" && !serviceIPs[prev.clusterIP]) {
      // clusterIP is immutable: an updated Service keeps its address.
      serviceIPs[prev.clusterIP] = key;
      s.clusterIP = prev.clusterIP;
    } else needIP.push({ o, s, key });
  }
  // Pass 2: dynamic cluster IPs.
  for (const { s, key } of needIP) {
    const i = allocateIndex(
      nIPs,
      ipOffset,
      `${al.ctx.seed}/clusterIP/${key}`,
      (i) => serviceIPs[intToIp(svcFirst + 1 + i)] !== undefined,
    );
    if (i < 0) {
      diags.error(
        { object: `Service ${key}` },
        "spec.clusterIP",
        undefined,
        `the service range ${net.serviceSubnet} is full`,
      );
      continue;
    }
    const ip = intToIp(svcFirst + 1 + i);
    serviceIPs[ip] = key;
    s.clusterIP = ip;
  }
}

/** A port (or the health check, p null) that gets a dynamic NodePort. */
type NeedPort = { s: ServiceState; p: ServicePortState | null; key: string };

/** NodePorts: given first, then the previous ones, then dynamic. */
function allocateNodePorts(al: Alloc, changed: Changed[]): void {
  const { diags, nodePorts } = al;
  const [npLo, npHi] = al.ctx.config.networking.nodePortRange;
  const nPorts = npHi - npLo + 1;
  const portOffset = staticBandSize(nPorts, 16, 128, 32);
  const wantsNodePort = (s: ServiceState) => s.type === "NodePort" || s.type === "LoadBalancer";
  const needPort: NeedPort[] = [];
  for (const c of changed) {
    if (!wantsNodePort(c.s)) {
      for (const p of c.s.ports) delete p.nodePort;
    } else keepNodePorts(al, c, needPort);
    healthCheckNodePort(al, c, needPort);
  }
  for (const { s, p, key } of needPort) {
    const proto = p ? p.protocol : "TCP";
    const which = p ? `${p.port}/${p.protocol}` : "healthCheck";
    const i = allocateIndex(
      nPorts,
      portOffset,
      `${al.ctx.seed}/nodePort/${key}/${which}`,
      (i) => nodePorts[`${npLo + i}/${proto}`] !== undefined,
    );
    if (i < 0) {
      diags.error(
        { object: `Service ${key}` },
        "spec.ports.nodePort",
        undefined,
        `the NodePort range ${npLo}-${npHi} is full`,
      );
      continue;
    }
    nodePorts[`${npLo + i}/${proto}`] = key;
    if (p) p.nodePort = npLo + i;
    else s.healthCheckNodePort = npLo + i;
  }
}

/**
 * Given (checked) or previous NodePorts of a Service's ports; the rest wait for dynamic ones,
 * but a LoadBalancer's with allocateLoadBalancerNodePorts false, which keeps only what it has
 * or asks for (pkg/registry/core/service/storage/alloc.go initNodePorts: "Don't allocate new
 * ports, but do respect specific requests"; a port it had stays until removed by hand).
 */
function keepNodePorts(al: Alloc, { o, s, prev }: Changed, needPort: NeedPort[]): void {
  const { diags, nodePorts } = al;
  const [npLo, npHi] = al.ctx.config.networking.nodePortRange;
  const key = svcKey(o);
  const dynamic = s.type !== "LoadBalancer" || s.allocateLoadBalancerNodePorts !== false;
  const wait = (p: ServicePortState) => {
    if (dynamic) needPort.push({ s, p, key });
    else delete p.nodePort;
  };
  s.ports.forEach((p, i) => {
    const field = `spec.ports[${i}].nodePort`;
    const given = o.spec?.ports?.[i]?.nodePort;
    const prevPort = prev?.ports.find((q) => q.port === p.port && q.protocol === p.protocol)?.nodePort;
    const want = given ?? prevPort;
    if (want !== undefined) {
      if (want < npLo || want > npHi) {
        if (given !== undefined)
          diags.error(
            where(o),
            field,
            want,
            `provided port is not in the valid range. The range of valid ports is ${npLo}-${npHi}`,
          );
        else wait(p);
        return;
      }
      const pk = `${want}/${p.protocol}`;
      const owner = nodePorts[pk];
      if (owner && owner !== key) {
        if (given !== undefined)
          diags.error(where(o), field, want, `provided port is already allocated (to Service ${owner})`);
        else wait(p);
        return;
      }
      nodePorts[pk] = key;
      p.nodePort = want;
    } else wait(p);
  });
}

/** healthCheckNodePort: only for externalTrafficPolicy Local LoadBalancers. */
function healthCheckNodePort(al: Alloc, { o, s, prev }: Changed, needPort: NeedPort[]): void {
  const key = svcKey(o);
  if (s.type === "LoadBalancer" && s.externalTrafficPolicy === "Local") {
    const given: number | undefined = o.spec?.healthCheckNodePort ?? prev?.healthCheckNodePort;
    if (given !== undefined) {
      const pk = `${given}/TCP`;
      const owner = al.nodePorts[pk];
      if (owner && owner !== key)
        al.diags.error(
          where(o),
          "spec.healthCheckNodePort",
          given,
          `provided port is already allocated (to Service ${owner})`,
        );
      else {
        al.nodePorts[pk] = key;
        s.healthCheckNodePort = given;
      }
    } else needPort.push({ s, p: null, key });
  } else delete s.healthCheckNodePort;
}

/** LoadBalancer addresses: status as given, else the wanted or first free address of the pool. */
function allocateLoadBalancerIPs(al: Alloc, changed: Changed[]): void {
  const { lbIPs } = al;
  const net = al.ctx.config.networking;
  const pool = net.loadBalancerSubnet ? parseCidr4(net.loadBalancerSubnet) : undefined;
  for (const { o, s, prev } of changed) {
    if (s.type !== "LoadBalancer") continue;
    const key = svcKey(o);
    const ingress: Mapping[] = (o.status?.loadBalancer?.ingress ?? []).filter(
      (i: unknown) => !!i && typeof i === "object",
    );
    if (ingress.some((i) => typeof i.ip === "string" || typeof i.hostname === "string")) {
      // A load balancer's own status: only its VIP-mode IPs are the Service's addresses in
      // the nodes' dataplane; a hostname (a cloud LB's, as on EKS) or an ipMode Proxy IP is
      // the load balancer's, which forwards to the NodePorts (kubernetes/kubernetes
      // pkg/proxy/service.go newBaseServiceInfo: "if ing.IP == "" { continue }", IsVIPMode).
      const ips: string[] = ingress
        .filter((i) => typeof i.ip === "string" && i.ip && (i.ipMode ?? "VIP") === "VIP")
        .map((i) => i.ip);
      s.loadBalancerIPs = ips;
      for (const ip of ips) lbIPs[ip] = key;
      continue;
    }
    // MetalLB serves only Services without a loadBalancerClass (its --lb-class unset:
    // https://metallb.universe.tf/installation/#setting-the-loadbalancer-class): another
    // implementation's stays <pending> here.
    if (!pool || s.loadBalancerClass !== undefined) continue;
    const first = pool.first;
    const size = cidrSize(pool);
    const usable = (a: number) => size <= 2 || (a !== first && a !== first + size - 1);
    const wanted: string | undefined = o.spec?.loadBalancerIP || prev?.loadBalancerIPs[0];
    if (wanted) {
      const a = parseIPv4(wanted);
      if (a !== undefined && cidrContains(pool, a) && (!lbIPs[wanted] || lbIPs[wanted] === key)) {
        lbIPs[wanted] = key;
        s.loadBalancerIPs = [wanted];
        continue;
      }
    }
    for (let a = first; a < first + size; a++) {
      const ip = intToIp(a);
      if (!usable(a) || lbIPs[ip]) continue;
      lbIPs[ip] = key;
      s.loadBalancerIPs = [ip];
      break;
    }
  }
}

function draftService(ctx: ServiceCtx, o: KubeObject, prev: ServiceState | undefined): ServiceState {
  const spec = o.spec ?? {};
  const type = spec.type ?? "ClusterIP";
  const ns = o.metadata.namespace ?? "default";
  const selector = spec.selector && Object.keys(spec.selector).length > 0 ? { ...spec.selector } : null;
  const ports: ServicePortState[] = (spec.ports ?? []).map((p: Mapping) => {
    const sp: ServicePortState = { protocol: p.protocol ?? "TCP", port: p.port, targetPort: p.targetPort ?? p.port };
    if (p.name !== undefined) sp.name = p.name;
    if (p.appProtocol !== undefined) sp.appProtocol = p.appProtocol;
    return sp;
  });
  const headless = spec.clusterIP === "None" || spec.clusterIPs?.[0] === "None";
  const s: ServiceState = {
    namespace: ns,
    name: o.metadata.name,
    uid: o.metadata.uid ?? prev?.uid ?? uidFor(`${ctx.seed}/service/${ns}/${o.metadata.name}/${ctx.created}`),
    labels: { ...(o.metadata.labels ?? {}) },
    type,
    selector: type === "ExternalName" ? null : selector,
    clusterIP: type === "ExternalName" ? null : headless ? "None" : null,
    ports,
    externalIPs: [...(spec.externalIPs ?? [])],
    loadBalancerIPs: [],
    sessionAffinity: spec.sessionAffinity ?? "None",
    sessionAffinityTimeout: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800,
    externalTrafficPolicy: spec.externalTrafficPolicy ?? "Cluster",
    internalTrafficPolicy: spec.internalTrafficPolicy ?? "Cluster",
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
    loadBalancerSourceRanges: [...(spec.loadBalancerSourceRanges ?? [])],
    created: prev?.created ?? ctx.created,
  };
  if (type === "ExternalName" && spec.externalName) s.externalName = spec.externalName;
  if (typeof spec.trafficDistribution === "string") s.trafficDistribution = spec.trafficDistribution;
  if (type === "LoadBalancer") s.allocateLoadBalancerNodePorts = spec.allocateLoadBalancerNodePorts !== false;
  if (type === "LoadBalancer" && typeof spec.loadBalancerClass === "string")
    s.loadBalancerClass = spec.loadBalancerClass;
  if (topologyHintsAnnotated(o.metadata.annotations)) s.topologyAuto = true;
  return s;
}

/**
 * The EndpointSlice controller's hintsEnabled (kubernetes pkg/controller/endpointslice/
 * topologycache/utils.go): the deprecated service.kubernetes.io/topology-aware-hints
 * annotation when present, else service.kubernetes.io/topology-mode, is "Auto" or "auto".
 */
export function topologyHintsAnnotated(annotations: Record<string, string> | undefined): boolean {
  const a = annotations ?? {};
  const v = Object.hasOwn(a, "service.kubernetes.io/topology-aware-hints")
    ? a["service.kubernetes.io/topology-aware-hints"]
    : a["service.kubernetes.io/topology-mode"];
  return v === "Auto" || v === "auto";
}

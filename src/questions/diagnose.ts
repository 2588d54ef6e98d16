// `podnet diagnose FROM TO`: "pod A can't reach B — is it DNS, the Service, the network
// between nodes, a NetworkPolicy, or nothing listening?" answered on the model, in the order
// of the usual checklist (https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/,
// https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/): DNS,
// Service, path, NetworkPolicy, listener. Each check has a stable code and evidence; the
// first failing one says why and what would fix it. KubeSkoop (alibaba/kubeskoop,
// pkg/skoop/assertions) and Hubble's drop reasons (cilium/cilium api/v1/flow/flow.proto)
// report the same kinds of findings.
//
// It asks the trace session (the same walk `trace` and `check` use, DNS verdict included),
// the resolver walk, and the NetworkPolicy engine; it builds no engine of its own.

import { externalEntry } from "../control/metallb.js";
import type { ClusterState, PodState, ServiceState } from "../control/state.js";
import { resolveFromPod } from "../dns/resolver.js";
import { cidrContains, ipToInt, isIPv4, parseCidr } from "../net/ipv4.js";
import { indexPolicies, type Party } from "../policy/engine.js";
import type { Proto } from "../policy/portset.js";
import { proxyModes, type ProxyMode } from "../proxy/index.js";
import {
  HOST_PORT,
  PATH_REASONS,
  headlessPort,
  type Protocol,
  type TracePath,
  type TraceResult,
} from "../sim/index.js";
import { dnsChecks } from "./diagnose-dns.js";
import { faultFix, faultNote, faultsForDrop } from "./diagnose-faults.js";
import { partyAt, policyChecks, type PolicyTarget } from "./diagnose-policy.js";
import {
  type AddressBackend,
  type Backend,
  podRunningCheck,
  type ServiceVia,
  serviceChecks,
  servicePort,
} from "./diagnose-service.js";
import type { DiagnoseCheck, Diagnosis } from "./diagnose-types.js";
import { pathVerdict, type ModelSession } from "./trace.js";

export type { DiagnoseCheck, DiagnoseFailure, DiagnoseLayer, Diagnosis } from "./diagnose-types.js";

/** A FROM or TO that names nothing diagnose can start from (the CLI prints it as a usage error). */
export class DiagnoseInputError extends Error {}

export interface DiagnoseInput {
  /** `ns/pod` (the CLI's one pod lookup already applied), `external` or `external:IP`. */
  from: string;
  /** A pod, `svc/[ns/]NAME`, a name (`user-service`, `user-service.production`, `api.example.com`), NAME:PORT, a URL, or IP[:PORT]. */
  to: string;
  port?: number;
  protocol?: Protocol;
  /** Namespace of TO given by name (default: FROM's). */
  namespace?: string;
  /** The pod lookup for a TO that is a pod name (undefined: not a pod). */
  findPod?: (ref: string) => PodState | undefined;
}

type Target =
  | { kind: "pod"; pod: PodState; port?: number }
  | { kind: "service"; svc: ServiceState }
  | { kind: "name"; host: string; port?: number; protocol?: Protocol }
  | { kind: "ip"; ip: string; port?: number; protocol?: Protocol };

const ref = (x: { namespace: string; name: string }) => `${x.namespace}/${x.name}`;
const ROUTE_REASONS: ReadonlySet<string> = PATH_REASONS;

function classify(state: ClusterState, input: DiagnoseInput, src: PodState | undefined): Target {
  const to = input.to;
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/:?#]+)(?::(\d+))?/i.exec(to);
  if (url) {
    const port = url[3] ? Number(url[3]) : url[1].toLowerCase() === "https" ? 443 : 80;
    // http and https run over TCP (as curl connects), whatever the Service's port says.
    const web = /^https?$/i.test(url[1]) ? { protocol: "tcp" as const } : {};
    return isIPv4(url[2]) ? { kind: "ip", ip: url[2], port, ...web } : { kind: "name", host: url[2], port, ...web };
  }
  const ns = input.namespace ?? src?.namespace ?? "default";
  if (to.startsWith("svc/")) {
    const r = to.slice(4);
    const [sns, name] = r.includes("/") ? r.split("/", 2) : [ns, r];
    const svc = state.services.find((s) => s.namespace === sns && s.name === name);
    if (!svc) {
      const other = state.services.filter((s) => s.name === name).map(ref);
      throw new DiagnoseInputError(
        `Service "${sns}/${name}" not found${other.length ? ` (a Service of that name is in ${other.join(", ")})` : ""}`,
      );
    }
    // Headless: no cluster IP; clients look its name up and reach the pods (as trace does).
    if (svc.clusterIP === "None" && src) {
      const port = input.port ?? headlessPort(state, svc, input.protocol)?.port;
      return { kind: "name", host: sns === src.namespace ? name : `${name}.${sns}`, ...(port ? { port } : {}) };
    }
    return { kind: "service", svc };
  }
  const ip = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(to);
  if (ip) return { kind: "ip", ip: ip[1], ...(ip[2] ? { port: Number(ip[2]) } : {}) };
  // NAME:PORT is a host and a port, as IP:PORT is (and as an app's "db:5432" means).
  const hostPort = HOST_PORT.exec(to);
  const host = hostPort ? hostPort[1] : to;
  const at = hostPort ? { port: Number(hostPort[2]) } : {};
  // A bare word: a Service's name as an app would call it (also one of another namespace,
  // which the pod's search list does not reach: the DNS checks say so), else a pod, else a
  // DNS name. NAME:PORT is always a name: a pod's name has no ':'.
  const [first, second] = host.split(".");
  const isSvc = state.services.some(
    (s) => s.name === host || (s.name === first && s.namespace === second && host.split(".").length <= 2),
  );
  if (!isSvc && !hostPort && !host.includes(".")) {
    const pod = input.findPod?.(host);
    if (pod) return { kind: "pod", pod, ...at };
  }
  if (host.includes("/")) throw new DiagnoseInputError(`"${to}" is neither a pod, svc/NAME, a name, a URL nor an IP`);
  return { kind: "name", host, ...at };
}

/** The Service an address (and port) stands for, and how the flow meets it. */
function serviceAt(
  state: ClusterState,
  ip: string,
  port: number | undefined,
  srcNode: string | undefined,
): { svc: ServiceState; via: ServiceVia } | undefined {
  const byCluster = state.services.find((s) => s.clusterIP === ip);
  if (byCluster) return { svc: byCluster, via: { kind: "clusterIP", ...(srcNode ? { node: srcNode } : {}) } };
  const node = state.nodes.find((n) => n.address === ip);
  if (node && port !== undefined) {
    const svc = state.services.find((s) => s.ports.some((p) => p.nodePort === port));
    if (svc) return { svc, via: { kind: "nodePort", node: node.name } };
  }
  const lb = state.services.find((s) => s.loadBalancerIPs.includes(ip) || s.externalIPs.includes(ip));
  if (lb) return { svc: lb, via: { kind: "loadBalancer" } };
  return undefined;
}

/** Whether the session's kube-proxy mode sends pod and node-local traffic to an external
 *  address with externalTrafficPolicy Local through the Cluster path (asked of the registry). */
function localBypass(session: ModelSession): boolean {
  const modes = proxyModes as Record<string, ProxyMode | undefined>;
  return modes[session.ir.proxyMode]?.externalLocalBypass ?? false;
}

/** The path check: same node or across nodes, and any drop of routing's kind (or on the
 *  LAN between the nodes); a flow to a pod address that leaves the cluster has lost the
 *  route to that pod's node. The faults that explain the drop are its evidence. */
function pathCheck(state: ClusterState, trace: TraceResult): DiagnoseCheck {
  const base = {
    code: "path.route",
    layer: "path" as const,
    title: "route between the ends",
    severity: "error" as const,
  };
  const pods = parseCidr(state.config.networking.podSubnet, true);
  const services = parseCidr(state.config.networking.serviceSubnet, true);
  // Where the packet was going when it ended (after kube-proxy's DNAT).
  const lastDst = (p: TracePath) => p.hops.at(-1)?.steps.at(-1)?.packet.dst ?? "";
  const toPod = (p: TracePath) => isIPv4(lastDst(p)) && cidrContains(pods, ipToInt(lastDst(p)));
  // Still addressed to a cluster IP: no Service rule translated it, the Service checks' finding.
  const untranslated = (p: TracePath) => isIPv4(lastDst(p)) && cidrContains(services, ipToInt(lastDst(p)));
  const bad = trace.paths.find(
    (p) =>
      !untranslated(p) &&
      ((p.disposition.reason &&
        (ROUTE_REASONS.has(p.disposition.reason) ||
          (p.disposition.ns === "underlay" && p.disposition.verdict === "DROPPED"))) ||
        (p.disposition.verdict === "EXITS_CLUSTER" && toPod(p))),
  );
  if (bad) {
    const d = bad.disposition;
    const reason = d.reason ?? d.verdict;
    // The nodes and pods the path crossed, and the pod it was going to.
    const dstPod = state.pods.find((p) => p.podIP === lastDst(bad) && !p.spec.hostNetwork);
    const faults = faultsForDrop(state, reason, [
      ...bad.hops.map((h) => h.ns),
      ...(dstPod ? [`pod/${ref(dstPod)}`] : []),
    ]);
    const lost = d.verdict === "EXITS_CLUSTER";
    return {
      ...base,
      ok: false,
      evidence: `${d.ns ?? ""}: ${lost ? `no route to the pod ${lastDst(bad)}: ${d.detail}` : `${reason} ${d.detail}`}${d.object ? ` [${d.object.text}]` : ""}${faultNote(faults)}`,
      why: lost
        ? `no node route leads to ${lastDst(bad)}'s pod CIDR: the packet goes to the default gateway and leaves the cluster`
        : `the packet is dropped on the way (${reason}): ${d.detail}`,
      fix:
        faultFix(faults) ||
        (d.reason === "MTU_EXCEEDED"
          ? "lower the pod interfaces' MTU by the encapsulation's overhead (VXLAN: 50 bytes)"
          : "check the nodes' routes, links and the CNI agent (podnet routes NODE, podnet fdb NODE)"),
    };
  }
  if (trace.paths.length === 0) return { ...base, ok: true, evidence: "not traced" };
  return { ...base, ok: true, evidence: describePaths(trace.paths) };
}

/** Each distinct way the flow goes (kube-proxy spreads it over endpoints on several nodes),
 *  with its share of connections when there is more than one. */
function describePaths(paths: TracePath[]): string {
  const share = new Map<string, number>();
  for (const p of paths) {
    const d = describePath(p);
    share.set(d, (share.get(d) ?? 0) + p.probability);
  }
  if (share.size === 1) return [...share.keys()][0];
  return [...share].map(([d, pr]) => `${d}: ${Math.round(pr * 100)} % of connections`).join("; ");
}

/**
 * path.mtu: a full-size packet (the source pod's interface MTU, DF set, as TCP sends once
 * the connection is up) crosses the path too. A pod MTU above what an encapsulating link
 * carries fails only for large packets: small requests work, large transfers hang.
 */
function mtuCheck(session: ModelSession, from: string, conn: TraceResult): DiagnoseCheck | undefined {
  const { state } = session;
  const base = {
    code: "path.mtu",
    layer: "path" as const,
    title: "full-size packets fit the path",
    severity: "error" as const,
  };
  const src = session.ir.pods
    .find((p) => `${p.namespace}/${p.name}` === from)
    ?.ns?.links.find((l) => l.name === "eth0");
  if (!src || !conn.paths.some((p) => p.disposition.verdict === "DELIVERED" || p.disposition.verdict === "REFUSED"))
    return undefined;
  const f = conn.flow;
  const big = session.trace(
    { from, to: f.protocol === "icmp" ? f.dst : `${f.dst}:${f.port}`, protocol: f.protocol, size: src.mtu },
    { noDnsPath: true, maxPaths: 256 },
  );
  const bad = big.paths.find((p) => p.disposition.reason === "MTU_EXCEEDED");
  if (!bad) return { ...base, ok: true, evidence: `${src.mtu}-byte packets (the pod's MTU) pass` };
  const d = bad.disposition;
  const faults = faultsForDrop(
    state,
    "MTU_EXCEEDED",
    bad.hops.map((h) => h.ns),
  );
  const fix =
    faultFix(faults) || "lower the pod interfaces' MTU by the encapsulation's overhead (VXLAN: 50 bytes, IPIP: 20)";
  const evidence = `${d.ns ?? ""}: ${d.detail}${d.object ? ` [${d.object.text}]` : ""}${faultNote(faults)}`;
  // The drop is a forwarding node's: it answers ICMP fragmentation needed, and the
  // sender's path MTU discovery (RFC 1191) lowers what it sends to that destination.
  const icmp = `the node that drops them answers ICMP fragmentation needed, so the sender's path MTU discovery (RFC 1191) shrinks what follows`;
  const mss = f.protocol === "tcp" ? peerMss(session, bad, src.mtu) : undefined;
  if (mss) {
    const tcpOk = session.trace(
      { from, to: `${mss.dst}:${mss.dport}`, protocol: "tcp", size: mss.mtu },
      { noDnsPath: true, maxPaths: 256 },
    );
    // TCP sends no segment larger than the MSS the peer advertised in its SYN: its own
    // MTU less 40 (RFC 9293 3.7.1; Linux tcp_advertise_mss, ipv4_default_advmss).
    if (!tcpOk.paths.some((p) => p.disposition.reason === "MTU_EXCEEDED"))
      return {
        ...base,
        ok: false,
        severity: "warning",
        evidence: `${evidence}; this connection's segments stay within ${mss.mtu} bytes: ${mss.peer} advertises MSS ${mss.mtu - 40} (its MTU ${mss.mtu} − 40)`,
        why: `the pod's MTU (${src.mtu}) is larger than the path carries; this TCP flow is not hurt (the peer's MSS keeps it within the path), but UDP datagrams that large and TCP to peers with a ${src.mtu}-byte MTU lose their first full-size packets: ${icmp} (where that ICMP is filtered, they hang)`,
        fix,
      };
  }
  return {
    ...base,
    ok: false,
    evidence,
    why: `the pod's MTU (${src.mtu}) is larger than the path carries: small packets pass, full-size ones with DF are dropped; ${icmp}, at the cost of a lost round trip (UDP datagrams that large are lost; where that ICMP is filtered, large transfers hang)`,
    fix,
  };
}

/** The pod a packet dropped for its size was going to (after DNAT), and its MTU when it is
 *  below the source's: the MSS it advertises bounds what TCP sends it. */
function peerMss(
  session: ModelSession,
  bad: TracePath,
  srcMtu: number,
): { peer: string; dst: string; dport: number; mtu: number } | undefined {
  const pkt = bad.hops.at(-1)?.steps.at(-1)?.packet;
  if (!pkt) return undefined;
  // The view's own addresses are the inner packet's (an encapsulation adds `outer`).
  const pod = session.ir.pods.find((p) => p.ip === pkt.dst && !p.hostNetwork);
  const mtu = pod?.ns?.links.find((l) => l.name === "eth0")?.mtu;
  if (!pod || mtu === undefined || mtu >= srcMtu || pkt.dport === undefined) return undefined;
  return { peer: `${pod.namespace}/${pod.name}`, dst: pkt.dst, dport: pkt.dport, mtu };
}

/** How a packet crosses a node between two of its pods: a bridge (flannel's cni0), Cilium's
 *  programs (bpf_redirect_peer, no bridge), or the node's routes (Calico's caliX /32s). */
function sameNodeHow(p: TracePath): string {
  const steps = p.hops.flatMap((h) => h.steps);
  if (steps.some((s) => s.action === "BRIDGED")) return "veth, bridge";
  if (steps.some((s) => s.action === "BPF")) return "veth, eBPF";
  return "veth, routed";
}

function describePath(p: TracePath): string {
  const nodes: string[] = [];
  for (const h of p.hops) if (h.ns.startsWith("node/") && !nodes.includes(h.ns.slice(5))) nodes.push(h.ns.slice(5));
  const encap = p.hops.flatMap((h) => h.steps).find((s) => s.action === "ENCAPSULATED");
  const end = p.disposition.verdict === "EXITS_CLUSTER" ? "; leaves the cluster" : "";
  if (nodes.length <= 1) return `same node${nodes.length ? ` ${nodes[0]}` : ""} (${sameNodeHow(p)})${end}`;
  const how = encap
    ? encap.detail.split(";")[0]
    : (p.hops.flatMap((h) => h.steps).find((s) => s.action === "ROUTED")?.detail ?? "routed");
  return `across nodes ${nodes.join(" → ")} (${how})${end}`;
}

/**
 * From outside, the source the destination pod's NetworkPolicy sees: the packet's as it
 * enters the pod's node. kube-proxy masquerades a NodePort's traffic with
 * externalTrafficPolicy Cluster in POSTROUTING of the node that takes it; the pod's node
 * checks policy before its own POSTROUTING (the forward hook), so a connection taken on the
 * pod's own node is seen from the client's address, one forwarded by another node from that
 * node's. Read from the path that reached the pod.
 */
function policySource(trace: TraceResult | undefined, pod: PodState): string | undefined {
  for (const p of trace?.paths ?? []) {
    const last = p.hops.at(-1)?.steps.at(-1)?.packet;
    if (!last || last.dst !== pod.podIP) continue;
    const entry = p.hops.findLast((h) => h.ns === `node/${pod.nodeName}`)?.steps[0]?.packet;
    return entry?.src ?? last.src;
  }
  return undefined;
}

/** "worker-2's address": the node whose address or pod range holds a SNAT source. */
function snatNode(state: ClusterState, ip: string): string {
  const n = state.nodes.find(
    (x) => x.address === ip || (x.podCIDR && cidrContains(parseCidr(x.podCIDR, true), ipToInt(ip))),
  );
  return n ? `${n.name}'s address` : "a node's address";
}

/** The listener check: something takes the connection at the destination. */
function listenerCheck(
  trace: TraceResult | undefined,
  targets: { pod: PodState; port: number }[],
  proto: string,
): DiagnoseCheck | undefined {
  const base = {
    code: "listener",
    layer: "listener" as const,
    title: "something listens on the port",
    severity: "error" as const,
  };
  const paths = trace?.paths ?? [];
  const refused = paths.find((p) => p.disposition.reason === "NO_LISTENER");
  if (refused)
    return {
      ...base,
      ok: false,
      evidence: refused.disposition.detail,
      why: `nothing listens on that port in the destination: the connection is refused`,
      fix: "connect to a port a container declares (containerPort), or fix the Service's targetPort",
    };
  const got = paths.find((p) => p.disposition.verdict === "DELIVERED");
  if (got) return { ...base, ok: true, evidence: got.disposition.detail };
  if (paths.some((p) => p.disposition.verdict === "EXITS_CLUSTER")) return undefined;
  // Not reached: what the destination's containers declare.
  const t = targets[0];
  if (!t) return undefined;
  const ports = t.pod.spec.containers.flatMap((c) => (c.ports ?? []).map((cp) => ({ c: c.name, ...cp })));
  const hit = ports.find((cp) => cp.containerPort === t.port && (cp.protocol ?? "TCP") === proto.toUpperCase());
  return hit
    ? {
        ...base,
        ok: true,
        evidence: `not reached; container ${hit.c} of ${ref(t.pod)} declares ${t.port}/${proto.toUpperCase()}`,
      }
    : {
        ...base,
        ok: false,
        evidence: `no container of ${ref(t.pod)} declares ${t.port}/${proto.toUpperCase()}`,
        why: "nothing would listen on that port in the destination",
        fix: "connect to a port a container declares (containerPort)",
      };
}

/** What the checklist traced: the connection and the address it went to (for `--name`'s kernel probes). */
export interface DiagnoseSeen {
  conn?: TraceResult;
  ip?: string;
}

/** Runs the checklist for FROM → TO on the model. Throws DiagnoseInputError for a FROM/TO it cannot use. */
export function diagnose(session: ModelSession, input: DiagnoseInput, seen?: DiagnoseSeen): Diagnosis {
  const { state } = session;
  const external = input.from === "external" || input.from.startsWith("external:");
  const src = external
    ? undefined
    : (state.pods.find((p) => ref(p) === input.from && !p.terminating) ?? input.findPod?.(input.from));
  if (!external && !src) throw new DiagnoseInputError(`pod "${input.from}" not found`);
  if (src && (!src.podIP || !src.nodeName)) throw new DiagnoseInputError(`pod ${ref(src)} is not running (no IP)`);
  const from = src ? ref(src) : input.from;
  const target = classify(state, input, src);
  if (target.kind === "name" && !src)
    throw new DiagnoseInputError(
      "a name is resolved by a pod's resolver: from outside, give an IP, IP:PORT or svc/NAME",
    );
  const ix = indexPolicies(state);
  const checks: DiagnoseCheck[] = [];
  const yaml: string[] = [];

  // 1. DNS: the name's walk, then the address it gives.
  let ip: string | undefined;
  let flowTrace: TraceResult | undefined;
  let port = input.port ?? ("port" in target ? target.port : undefined);
  if (target.kind === "name" && src) {
    // The walk's answer picks the Service (and its default port) the name's trace is for.
    const pre = resolveFromPod(state, ref(src), target.host).result;
    const answer = pre.status === "found" ? pre.values[0] : undefined;
    const svc0 = answer ? state.services.find((s) => s.clusterIP === answer) : undefined;
    port ??= svc0?.ports[0]?.port ?? 80;
    const proto0 =
      input.protocol ??
      target.protocol ??
      (svc0?.ports.find((p) => p.port === port)?.protocol.toLowerCase() as Protocol | undefined);
    // The name's own trace: the query's walk through the dataplane decides the lookup.
    const byName = session.trace({ from, to: `http://${target.host}:${port}`, protocol: proto0 }, { maxPaths: 64 });
    flowTrace = byName;
    const dns = dnsChecks(state, ix, src, target.host, byName);
    checks.push(...dns.checks);
    if (dns.yaml) yaml.push(dns.yaml);
    ip = dns.answer;
  } else if (target.kind === "service" && external) {
    // From outside, the address a client on the LAN uses (its LoadBalancer IP, else a
    // NodePort), as trace takes it: the cluster IP routes only inside the cluster.
    const e = externalEntry(state, target.svc, port);
    if (typeof e === "string") throw new DiagnoseInputError(e);
    ip = e.ip;
    port = e.port;
  } else if (target.kind === "service") {
    ip = target.svc.clusterIP && target.svc.clusterIP !== "None" ? target.svc.clusterIP : undefined;
    if (!ip) throw new DiagnoseInputError(`Service ${ref(target.svc)} has no cluster IP: give a pod or a name`);
  } else if (target.kind === "pod") {
    ip = target.pod.podIP ?? undefined;
    if (!ip || target.pod.phase !== "Running")
      return finish(input, from, target, [podRunningCheck(state, [target.pod])], [], input.protocol ?? "tcp", port);
  } else if (target.kind === "ip") ip = target.ip;

  const svcAt = ip ? serviceAt(state, ip, port, src?.nodeName ?? undefined) : undefined;
  const svc = target.kind === "service" ? target.svc : svcAt?.svc;
  const via: ServiceVia = {
    ...(svcAt?.via ?? { kind: "clusterIP", ...(src?.nodeName ? { node: src.nodeName } : {}) }),
    localBypass: localBypass(session),
  };
  const given = input.protocol ?? ("protocol" in target ? target.protocol : undefined);
  if (svc && port === undefined) port = servicePort(svc, undefined, via, given)?.port;
  // A pod, by name or by address: its first container port, as for trace.
  const dstPod =
    target.kind === "pod"
      ? target.pod
      : !svc && ip
        ? state.pods.find((x) => x.podIP === ip && !x.spec.hostNetwork && !x.terminating)
        : undefined;
  const podPorts = dstPod?.spec.containers.flatMap((x) => x.ports ?? []) ?? [];
  if (dstPod && port === undefined)
    port = (podPorts.find((c) => !given || (c.protocol ?? "TCP").toLowerCase() === given) ?? podPorts[0])
      ?.containerPort;
  const sp = svc ? servicePort(svc, port, via, given) : undefined;
  const protocol: Protocol =
    given ??
    (sp?.protocol.toLowerCase() as Protocol | undefined) ??
    (dstPod ? ((podPorts.find((p) => p.containerPort === port)?.protocol ?? "TCP").toLowerCase() as Protocol) : "tcp");
  if (port === undefined && protocol !== "icmp")
    throw new DiagnoseInputError(
      `no destination port: ${dstPod ? `pod ${ref(dstPod)} declares no container port` : svc ? `Service ${ref(svc)} has no port` : `${ip ?? input.to} is neither a Service's cluster IP nor a pod's address`}: give -p PORT`,
    );

  // The connection itself, traced to the address (the lookup is the DNS layer's).
  let conn: TraceResult | undefined;
  if (ip)
    conn = session.trace(
      { from, to: protocol === "icmp" ? ip : `${ip}:${port}`, protocol },
      { noDnsPath: true, maxPaths: 256 },
    );

  // 2. Service.
  let backends: Backend[] = [];
  let addressBackends: AddressBackend[] = [];
  if (svc) {
    const s = serviceChecks(state, svc, port, protocol, via, conn);
    checks.push(...s.checks);
    backends = s.backends;
    addressBackends = s.addresses;
  }

  // 3. Path.
  if (conn) {
    checks.push(pathCheck(state, conn));
    const mtu = src ? mtuCheck(session, from, conn) : undefined;
    if (mtu) checks.push(mtu);
  }

  // 4. NetworkPolicy: both ends, at the pods the connection lands on (after DNAT).
  const proto = protocol.toUpperCase() as Proto;
  const srcParty: Party =
    src && !src.spec.hostNetwork
      ? { kind: "pod", pod: src }
      : partyAt(state, src?.podIP ?? conn?.flow.src ?? "0.0.0.0", from);
  let dests: { pod: PodState; port: number }[] = [];
  if (svc) {
    const ready = backends.filter((b) => b.ready);
    dests = (ready.length ? ready : backends).map((b) => ({ pod: b.pod, port: b.port }));
  } else if (target.kind === "pod" && port !== undefined) dests = [{ pod: target.pod, port }];
  else if (ip && port !== undefined) {
    const p = state.pods.find((x) => x.podIP === ip && !x.terminating);
    if (p) dests = [{ pod: p, port }];
  }
  const targets: PolicyTarget[] = dests.map((d) => {
    const t: PolicyTarget = {
      party: d.pod.spec.hostNetwork
        ? partyAt(state, d.pod.podIP ?? "0.0.0.0", ref(d.pod))
        : { kind: "pod", pod: d.pod },
      port: d.port,
    };
    const seen = external ? policySource(conn, d.pod) : undefined;
    if (seen && seen !== conn?.flow.src) {
      t.from = partyAt(state, seen, `${from} as ${seen} (${snatNode(state, seen)} after SNAT)`);
      if (svc) t.snat = ref(svc);
    }
    return t;
  });
  if (ip && !dests.length && port !== undefined && !svc) targets.push({ party: partyAt(state, ip), port });
  // A Service's endpoints that are no pod (the API server behind default/kubernetes, a
  // selectorless Service's addresses): the source's egress policy still sees the connection
  // at the endpoint's address and port, after DNAT.
  targets.push(
    ...addressTargets(
      state,
      addressBackends,
      backends.some((b) => b.ready),
    ),
  );
  if (proto !== ("ICMP" as string) && targets.length) {
    // Through a Service, the port the client connected to (its port, or the node port):
    // named when a rule allows it instead of the pod's.
    const pc = policyChecks(ix, srcParty, targets, proto, svc ? port : undefined);
    checks.push(...pc.checks);
    yaml.push(...pc.yaml);
  }

  // 5. Listener.
  const l = listenerCheck(conn, dests, protocol);
  if (l) checks.push(l);
  if (seen) Object.assign(seen, { conn, ip });

  return finish(input, from, target, checks, yaml, protocol, port, flowTrace ?? conn);
}

/** Policy targets for a Service's non-pod endpoints: the ready ones (all when none is ready
 *  and no pod is either, as for pods), each address and port once. */
function addressTargets(state: ClusterState, addresses: AddressBackend[], podReady: boolean): PolicyTarget[] {
  const ready = addresses.filter((a) => a.ready);
  const pick = ready.length || podReady ? ready : addresses;
  const seen = new Set<string>();
  const out: PolicyTarget[] = [];
  for (const a of pick) {
    const key = `${a.ip}:${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ party: partyAt(state, a.ip), port: a.port });
  }
  return out;
}

/** The answer: the checks, the first failure (errors before warnings) and the policy YAML. */
function finish(
  input: DiagnoseInput,
  from: string,
  target: Target,
  checks: DiagnoseCheck[],
  yaml: string[],
  protocol: string,
  port: number | undefined,
  trace?: TraceResult,
): Diagnosis {
  const failed = checks.find((c) => !c.ok && c.severity === "error") ?? checks.find((c) => !c.ok);
  const name =
    target.kind === "pod"
      ? ref(target.pod)
      : target.kind === "service"
        ? ref(target.svc)
        : target.kind === "name"
          ? target.host
          : target.ip;
  const out: Diagnosis = {
    from,
    to: input.to,
    target: { kind: target.kind, name },
    protocol,
    ...(port !== undefined ? { port } : {}),
    checks,
    first_failure: failed
      ? { code: failed.code, layer: failed.layer, why: failed.why ?? failed.evidence, fix: failed.fix ?? "" }
      : null,
  };
  if (yaml.length) out.allow_policy = yaml.join("---\n");
  if (trace)
    out.paths = trace.paths.map((p) => ({
      probability: p.probability,
      choices: p.choices,
      ...pathVerdict(p),
      detail: p.disposition.detail,
    }));
  return out;
}

// `podnet diagnose --all`: the whole cluster checked the way the troubleshooting checklist
// checks one flow, on the model — every node pair carries pod traffic both ways, every
// Service has ready endpoints that answer, the cluster DNS answers for every Service name,
// every pod may query it — and what is broken, worst first (a cluster-wide fault before one
// node pair's, before one Service's, before one pod's).

import type { ClusterState, PodState, ServicePortState, ServiceState } from "../control/state.js";
import { findPort } from "../control/endpoints.js";
import { resolveFromPod } from "../dns/resolver.js";
import { parseResolvConf } from "../control/resolvconf.js";
import { indexPolicies } from "../policy/engine.js";
import { PATH_REASONS, type TraceResult } from "../sim/index.js";
import { faultDesc } from "./diagnose-faults.js";
import { dnsEgressNote } from "./dns-verdict.js";
import { formatFault } from "../manifest/faults.js";
import { podsOnNodeNetwork } from "../manifest/config-network.js";
import type { ModelSession } from "./trace.js";

export interface ClusterFinding {
  /** The check's code, as `diagnose FROM TO` names it ("path.route", "service.endpoints" …). */
  code: string;
  /** What it is about: "worker-1 → worker-2", "default/web:80/TCP", "default/client-…". */
  subject: string;
  evidence: string;
}

export interface ClusterDiagnosis {
  /** How many of each were checked. */
  checked: { nodePairs: number; servicePorts: number; serviceNames: number; pods: number };
  /** Checks left out, and why (only when some are). */
  not_checked?: string[];
  /** What is broken, worst first. */
  findings: ClusterFinding[];
}

const ref = (x: { namespace: string; name: string }) => `${x.namespace}/${x.name}`;
const ROUTE: ReadonlySet<string> = PATH_REASONS;
const usable = (p: PodState) => p.phase === "Running" && !!p.podIP && !!p.nodeName && !p.terminating;

/** The first path that fails for a reason in `reasons` (all but a policy denial by default:
 *  a policy that denies the chosen client is about that client, not the Service or the network). */
function failure(r: TraceResult, reasons?: ReadonlySet<string>): string | undefined {
  const bad = r.paths.find(
    (p) =>
      p.disposition.verdict !== "DELIVERED" &&
      p.disposition.verdict !== "EXITS_CLUSTER" &&
      (reasons
        ? p.disposition.reason !== undefined && reasons.has(p.disposition.reason)
        : p.disposition.reason !== "POLICY_DENIED" && p.disposition.reason !== "POLICY_DENY"),
  );
  return bad
    ? `${bad.disposition.verdict}${bad.disposition.reason ? ` (${bad.disposition.reason})` : ""}: ${bad.disposition.detail}`
    : undefined;
}

/** Who speaks for what in the whole-cluster checks (the model's and the kernel's alike). */
export interface ClusterSample {
  /** Running pods with their own network namespace. */
  pods: PodState[];
  /** One pod per node (the first): node pairs are checked between these. */
  onNode: Map<string, PodState>;
  /** The pod that asks a Service in namespace `ns` (one of that namespace, else any). */
  client(ns: string): PodState | undefined;
  /**
   * The pod that asks the cluster DNS for a name of namespace `ns`: one whose resolv.conf
   * names the cluster DNS (of `ns` first). A pod with dnsPolicy Default (CoreDNS itself in a
   * dump) uses the node's resolver, where no cluster name resolves by design.
   */
  dnsClient(ns: string): PodState | undefined;
}

export function clusterSample(state: ClusterState): ClusterSample {
  const pods = state.pods.filter((p) => usable(p) && !p.spec.hostNetwork);
  const onNode = new Map<string, PodState>();
  for (const p of pods) if (!onNode.has(p.nodeName!)) onNode.set(p.nodeName!, p);
  const client = (ns: string) =>
    pods.find((p) => p.namespace === ns && !p.system) ?? pods.find((p) => !p.system) ?? pods[0];
  // Once over the pods (a Service each would make it pods x Services).
  const dnsIP = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP;
  const askers = new Map<string, PodState>();
  let anyAsker: PodState | undefined;
  if (dnsIP)
    for (const p of pods)
      if (!p.system && !askers.has(p.namespace) && parseResolvConf(p.resolvConf).nameservers.includes(dnsIP)) {
        askers.set(p.namespace, p);
        anyAsker ??= p;
      }
  const dnsClient = (ns: string) => askers.get(ns) ?? anyAsker ?? client(ns);
  return { pods, onNode, client, dnsClient };
}

/** A Service the checks ask (it has a cluster IP to connect to). */
export const askable = (svc: ServiceState) =>
  !!svc.clusterIP && svc.clusterIP !== "None" && svc.type !== "ExternalName";

/**
 * Why the traced checks (paths between nodes, Services' answers) say nothing of the cluster:
 * its pods take addresses from the node network (the Amazon VPC CNI, Azure CNI), a dataplane
 * podnet does not model. Its stand-in's routes between such nodes are its own (the loading
 * warns of it), so their failures would be podnet's, not the cluster's.
 */
function untraced(state: ClusterState): string | undefined {
  const { podSubnet, nodeSubnet } = state.config.networking;
  if (!podsOnNodeNetwork(state.config.networking)) return undefined;
  return `paths between nodes and Services' answers: the pods' addresses (${podSubnet}) are on the node network (${nodeSubnet}), which podnet does not model`;
}

/** Runs the whole-cluster checks on the model. */
export function diagnoseAll(session: ModelSession): ClusterDiagnosis {
  const { state } = session;
  const { pods, onNode: sampled, client, dnsClient } = clusterSample(state);
  const skipped = untraced(state);
  const onNode = skipped ? new Map<string, PodState>() : sampled;
  const dnsWide: ClusterFinding[] = [];
  const pairs: ClusterFinding[] = [];
  const services: ClusterFinding[] = [];
  const perPod: ClusterFinding[] = [];

  // Node pairs: one pod per node (the first), ICMP echo both ways; only routing's drops count
  // (a policy that denies ICMP is not a broken network).
  let nodePairs = 0;
  for (const [a, pa] of onNode)
    for (const [b, pb] of onNode) {
      if (a === b) continue;
      nodePairs++;
      const why = failure(session.trace({ from: ref(pa), to: pb.podIP!, protocol: "icmp" }, { maxPaths: 16 }), ROUTE);
      if (why) pairs.push({ code: "path.route", subject: `${a} → ${b}`, evidence: `${ref(pa)} → ${ref(pb)}: ${why}` });
    }

  // Services: ready endpoints, and a connection from a pod of their namespace (else any) answers.
  let servicePorts = 0;
  let serviceNames = 0;
  for (const svc of state.services) {
    if (!askable(svc)) continue;
    const from = client(svc.namespace);
    for (const sp of svc.ports) {
      servicePorts++;
      const subject = `${ref(svc)}:${sp.port}/${sp.protocol}`;
      const ready = readyEndpoints(state, svc, sp.name);
      if (!ready && apiServerUnseen(state, svc)) {
        servicePorts--;
        continue;
      }
      if (!ready) {
        // None at all is another finding than some not ready: diagnose's service.endpoints.
        const none = !endpointCount(state, svc, sp.name);
        services.push(
          none
            ? {
                code: "service.endpoints",
                subject,
                evidence: `no endpoints${noEndpointsWhy(state, svc, sp)} (kube-proxy rejects connections to it)`,
              }
            : {
                code: "service.endpoints.ready",
                subject,
                evidence: `no ready endpoint (kube-proxy rejects connections to it)`,
              },
        );
        continue;
      }
      // Only endpoints that are pods have listeners in the model (the API server behind
      // default/kubernetes is not a pod), so only they are asked to answer.
      if (!from || sp.protocol === "SCTP" || skipped || !podEndpoints(state, svc)) continue;
      const r = session.trace(
        { from: ref(from), to: `${svc.clusterIP}:${sp.port}`, protocol: sp.protocol.toLowerCase() as "tcp" | "udp" },
        { maxPaths: 64, noDnsPath: true },
      );
      const why = failure(r);
      if (why) services.push({ code: "service.answers", subject, evidence: `from ${ref(from)}: ${why}` });
    }
    // The cluster DNS answers for the Service's name (from a pod that asks it).
    const asker = dnsClient(svc.namespace);
    if (asker) {
      serviceNames++;
      const fqdn = `${svc.name}.${svc.namespace}.svc.${state.dns.zone}.`;
      const w = resolveFromPod(state, ref(asker), fqdn);
      if (w.result.status !== "found")
        services.push({ code: "dns.resolve", subject: fqdn, evidence: `from ${ref(asker)}: ${w.result.status}` });
    }
  }

  // Every pod may query the cluster DNS under the NetworkPolicies; the DNS Service itself first.
  const ix = indexPolicies(state);
  const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
  if (dnsSvc && !readyEndpoints(state, dnsSvc, dnsSvc.ports[0]?.name))
    dnsWide.push({
      code: "dns.endpoints",
      subject: ref(dnsSvc),
      evidence: "no ready endpoint: no name resolves in the cluster",
    });
  for (const p of pods) {
    const note = dnsEgressNote(ix, p);
    if (note) perPod.push({ code: "dns.policy", subject: ref(p), evidence: note.replace(/^DNS: /, "") });
  }
  // The faults the cluster has on purpose come first: they are why the rest fails.
  const faults: ClusterFinding[] = (state.config.faults ?? []).map((f) => ({
    code: "fault",
    subject: formatFault(f),
    evidence: `${faultDesc(f)} (podnet fault clear '${formatFault(f)}')`,
  }));
  return {
    checked: { nodePairs, servicePorts, serviceNames, pods: pods.length },
    ...(skipped ? { not_checked: [skipped] } : {}),
    findings: [...faults, ...dnsWide, ...pairs, ...services, ...perPod],
  };
}

/**
 * default/kubernetes when the input shows neither its endpoints nor a control-plane node: a
 * managed control plane (EKS, GKE, AKS) or a Pods-only dump. The API server keeps that
 * Service's endpoints itself (https://kubernetes.io/docs/concepts/overview/components/#kube-apiserver,
 * its endpoint reconciler), so the cluster has them; the input does not say where they are.
 */
function apiServerUnseen(state: ClusterState, svc: ServiceState): boolean {
  return (
    svc.namespace === "default" &&
    svc.name === "kubernetes" &&
    !state.nodes.some((n) => n.role === "control-plane") &&
    !state.endpointSlices.some(
      (sl) => sl.namespace === "default" && sl.serviceName === "kubernetes" && sl.endpoints.length,
    )
  );
}

export function readyEndpoints(state: ClusterState, svc: ServiceState, portName: string | undefined): number {
  return endpointCount(state, svc, portName, true);
}

/** The addresses the Service's EndpointSlices list for the port (only the ready ones with `ready`). */
function endpointCount(state: ClusterState, svc: ServiceState, portName: string | undefined, ready = false): number {
  let n = 0;
  for (const sl of state.endpointSlices) {
    if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name) continue;
    if (!sl.ports.some((p) => (p.name ?? "") === (portName ?? ""))) continue;
    for (const e of sl.endpoints) if (!ready || e.conditions.ready !== false) n += e.addresses.length;
  }
  return n;
}

/**
 * ": the selector matches no pod" / ": targetPort "x" is no container port of the selected
 * pods": why the EndpointSlice controller lists nothing for a port (it lists a selected pod
 * only where a named targetPort resolves, podutil.FindPort; kubernetes
 * staging/src/k8s.io/endpointslice/reconciler.go). Empty for a Service without a selector.
 */
function noEndpointsWhy(state: ClusterState, svc: ServiceState, sp: ServicePortState): string {
  const sel = svc.selector;
  if (!sel) return " (no selector, and no EndpointSlice given)";
  const pods = state.pods.filter(
    (p) => p.namespace === svc.namespace && !p.terminating && Object.entries(sel).every(([k, v]) => p.labels[k] === v),
  );
  const fmt = Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  if (!pods.length) return `: selector ${fmt} matches no pod`;
  if (
    typeof sp.targetPort === "string" &&
    pods.every((p) => findPort(p, sp.targetPort as string, sp.protocol) === undefined)
  )
    return `: targetPort "${sp.targetPort}" is no ${sp.protocol} container port of the ${pods.length} selected pod(s)`;
  if (!pods.some((p) => p.podIP)) return `: none of the ${pods.length} selected pod(s) has an address`;
  return "";
}

export function podEndpoints(state: ClusterState, svc: ServiceState): boolean {
  return state.endpointSlices.some(
    (sl) =>
      sl.namespace === svc.namespace &&
      sl.serviceName === svc.name &&
      sl.endpoints.some((e) => e.targetRef?.kind === "Pod"),
  );
}

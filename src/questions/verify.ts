// `podnet verify`: the model checked against the kernel on a running cluster.
//
// The IR is recomputed from the inputs `podnet up` recorded (nothing is read back from
// the kernel), every flow is traced by the interpreter (sim/), and the same flow is run
// for real from inside the source's network namespace. Each flow's outcome is a set of
// outcome keys, compared as sets:
//   "delivered NS/POD"  a pod answered (the HTTP body / UDP "hostname" echo names it);
//                       "delivered" alone when the answer cannot name its pod (DNS servers)
//   "refused"           RST or ICMP port unreachable (nothing listens; a REJECT rule)
//   "unreachable"       ICMP host/net unreachable, or no route at the source
//   "dropped"           no answer within the timeout
//   DNS flows: "answer A,B" (sorted addresses) | "notfound" (NXDOMAIN/NODATA) | "servfail"
// Flows: "pod" every ordered pod pair on every declared container port; "service" every
// Service port from every pod; "nodeport" every NodePort on every node and "external"
// every LoadBalancer/external IP, both from the outside client in the underlay (a
// LoadBalancer IP answers ARP on its elected MetalLB node only); "hostport" every pod's
// hostPort on its node from the outside client (the portmap plugin's DNAT); "dns"
// every Service name (short, NAME.NS, FQDN) from one pod per namespace; "http" every
// Ingress rule through the running ingress controller from outside (verify-http.ts).
// For a Service the model lists one path per endpoint choice; the kernel repeats the
// flow (up to 10 × the model's outcomes, stopping once it has seen them all) so that the
// sets compare. With sessionAffinity: ClientIP one endpoint answers every time: then the
// kernel's set must be one of the model's.
//
// The flows run for real in linux/probe.ts (one python3 client per source namespace);
// this file plans them, holds the model's side and compares: it does no I/O itself.

import type { ClusterState } from "../control/state.js";
import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import type { Protocol, TracePath, TraceResult } from "../sim/trace.js";
import { resolveFromPod } from "../dns/resolver.js";
import { nsName } from "../linux/names.js";
import { recompute, runProbes, type ProbeKind, type ProbeRequest, type ProbeResult } from "../linux/probe.js";
import { isDnsListener, listenersDown } from "../linux/supervisor.js";
import { isIngressListener } from "../linux/ingress-proxy.js";
import { portMappingsOf } from "../plumbing/portmap.js";
import { traceSession, type TraceSession } from "./trace.js";
import { runHttpFlows } from "./verify-http.js";

export type FlowSet = "pods" | "services" | "dns" | "http";
export const FLOW_SETS: FlowSet[] = ["pods", "services", "dns", "http"];

export interface ModelPath {
  probability: number;
  verdict: string;
  reason?: string;
  detail: string;
  /** Where the path ended ("pod/default/web-0") and the container that listens. */
  ns?: string;
  container?: string;
  /** The random choices (KUBE-SVC → KUBE-SEP …). */
  choices: string[];
  /** The object that decided (REJECT rule, policy rule, listener …). */
  object?: string;
  outcome: string;
}

export interface VerifyFlow {
  id: number;
  kind: "pod" | "service" | "nodeport" | "external" | "hostport" | "dns" | "name" | "http";
  /** "default/order-app-…" or "external". */
  from: string;
  /** Human form of the destination ("default/web-0 10.244.1.7:80/tcp", "svc default/user-service 10.96.11.236:80/tcp", "user-service"). */
  to: string;
  protocol?: Protocol;
  dst?: string;
  port?: number;
  /** DNS flows: the name asked. */
  name?: string;
  model: {
    outcomes: string[];
    paths?: ModelPath[];
    walk?: { name: string; rcode: string; answers: string[] }[];
    dnsStep?: string[];
  };
  kernel: { outcomes: string[]; counts: Record<string, number>; tries: number; errors?: string[] };
  agree: boolean;
  /**
   * The flow disagrees because a server of the cluster is not running (a pod server
   * waiting to be restarted, a DNS server gone): not a model disagreement.
   */
  listenerDown?: string;
  /** Why they (dis)agree in one line. */
  note?: string;
}

export interface VerifyReport {
  cluster: string;
  flowSets: FlowSet[];
  flows: number;
  agree: number;
  /** Model disagreements (flows whose listener was down are counted in `listenerDown` instead). */
  disagree: number;
  /** Flows that did not agree because the server behind them was not running. */
  listenerDown: number;
  byKind: Record<string, { flows: number; agree: number; disagree: number; listenerDown?: number }>;
  /** Flows not run, with why (e.g. SCTP listeners). */
  skipped: { what: string; why: string }[];
  ms: number;
  /** Every flow (JSON output); the text output prints only disagreements. */
  results: VerifyFlow[];
}

export interface VerifyOptions {
  cluster: string;
  flows?: FlowSet[];
  /** Defaults: TCP connect 500 ms, UDP 300 ms. */
  tcpTimeoutMs?: number;
  udpTimeoutMs?: number;
  /** Source namespaces probed at once (default 6). */
  parallel?: number;
  /**
   * Connections by name to check as well ("name" flows): from a pod, an http:// URL whose
   * host the pod's resolver looks up before it connects (the model's trace includes the
   * lookup: a lookup that fails is "servfail", the resolver's EAI_AGAIN).
   */
  byName?: { from: string; to: string }[];
  /** The IR/state to compare with (default: recomputed from the recorded inputs). */
  ir?: DataplaneIR;
  state?: ClusterState;
  log?: (s: string) => void;
}

// ---------------------------------------------------------------------------
// The model side

const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The pod (key) a path ended in: its own namespace, or a hostNetwork pod listening in the node's. */
function endPod(ir: DataplaneIR, path: TracePath): string | undefined {
  const ns = path.disposition.ns;
  if (!ns) return undefined;
  if (ns.startsWith("pod/")) return ns.slice(4);
  if (ns.startsWith("node/")) {
    // A hostNetwork pod's listener in the node's namespace is named "NS/POD/CONTAINER".
    const c = path.disposition.container?.split("/");
    if (c?.length === 3) return `${c[0]}/${c[1]}`;
    const node = ns.slice(5);
    const hp = ir.pods.find(
      (p) =>
        p.hostNetwork &&
        p.node === node &&
        p.listeners.some(
          (l) =>
            l.port === path.disposition.port &&
            (!path.disposition.container || l.container === path.disposition.container),
        ),
    );
    return hp ? podKey(hp) : ns;
  }
  return ns;
}

/** A model path as an outcome key (the kernel's vocabulary). */
export function pathOutcome(ir: DataplaneIR, path: TracePath): string {
  const d = path.disposition;
  switch (d.verdict) {
    case "DELIVERED":
      return `delivered ${endPod(ir, path) ?? "?"}`;
    case "REFUSED":
      return "refused";
    case "DROPPED": {
      // A REJECT rule answers with an ICMP error: the client sees it at once.
      if (/^rejected/.test(d.detail))
        return /host-unreachable|net-unreachable|admin-prohib|host-prohib|net-prohib/.test(d.object?.text ?? "")
          ? "unreachable"
          : "refused";
      // The underlay's gateway does not forward (ip_forward 0): the kernel drops an
      // unroutable packet there without an ICMP error (net/ipv4/route.c ip_error).
      if (d.reason === "FIB_LOOKUP_FAILED") return d.ns === ir.underlay.ns.id ? "dropped" : "unreachable";
      return "dropped";
    }
    case "EXITS_CLUSTER":
      return "dropped"; // nothing outside answers: the underlay's gateway has nowhere to send it
  }
  return "dropped";
}

function modelPaths(ir: DataplaneIR, r: TraceResult): ModelPath[] {
  return r.paths
    .filter((p) => p.probability > 0)
    .map((p) => {
      const d = p.disposition;
      const m: ModelPath = {
        probability: Number(p.probability.toFixed(4)),
        verdict: d.verdict,
        detail: d.detail,
        choices: p.choices,
        outcome: pathOutcome(ir, p),
      };
      if (d.reason) m.reason = d.reason;
      if (d.ns) m.ns = d.ns;
      if (d.container) m.container = d.container;
      if (d.object) m.object = d.object.text;
      return m;
    });
}

const uniq = (a: string[]) => [...new Set(a)].sort();

// ---------------------------------------------------------------------------
// Flow planning

export interface Planned {
  flow: VerifyFlow;
  /** Kernel namespace the flow starts in. */
  srcNetns: string;
  probe: ProbeRequest;
  /** Outcomes compare as "delivered" without the pod (the answer does not name it). */
  anonymous: boolean;
  affinity: boolean;
  /** UDP "hostname" answers → pod key. */
  names?: Record<string, string>;
}

function probeFor(pod: PodNet | undefined, l: { port: number; protocol: string }): ProbeKind | null {
  const dns = pod ? isDnsListener(pod, l as Listener) : false;
  if (l.protocol === "TCP") return dns ? "dns-tcp" : "http";
  if (l.protocol === "UDP") return dns ? "dns-udp" : "udp";
  return null;
}

/** What every flow set's planner shares: the model, the sources, and the growing plan. */
interface Planner {
  ir: DataplaneIR;
  state: ClusterState | undefined;
  cluster: string;
  session: TraceSession;
  skipped: VerifyReport["skipped"];
  /** Pods with a namespace of their own on a node: where flows start. */
  sources: PodNet[];
  /** The name asked by DNS probes (any answer with the query's id counts). */
  qname: string;
  /** Pod names → keys for UDP "hostname" answers (a name in two namespaces stays ambiguous). */
  names: Record<string, string>;
  out: Planned[];
}

type PlannedInput = Omit<Planned, "flow"> & { flow: Omit<VerifyFlow, "id" | "kernel" | "agree"> };

function push(pl: Planner, p: PlannedInput): void {
  const id = pl.out.length;
  const flow = { ...p.flow, id, kernel: { outcomes: [], counts: {}, tries: 0 }, agree: false } as VerifyFlow;
  const anonymous = p.anonymous || byIngressProxy(p.flow.model.paths);
  pl.out.push({ ...p, flow, anonymous, probe: { ...p.probe, id } });
}

/** A path ending at the ingress controller's :80/:443: nginx answers there, naming no pod (the HTTP flows check it). */
function byIngressProxy(paths: ModelPath[] | undefined): boolean {
  return !!paths?.some((x) => {
    const m = /^delivered ([^/\s]+)\/(\S+)$/.exec(x.outcome);
    const port = /^TCP [\d.]+:(\d+) /.exec(x.object ?? "")?.[1];
    return !!m && !!port && isIngressListener({ namespace: m[1], name: m[2] }, { protocol: "TCP", port: Number(port) });
  });
}

function traced(
  pl: Planner,
  from: string,
  to: string,
  port: number,
  protocol: Protocol,
): { outcomes: string[]; paths: ModelPath[] } {
  const paths = modelPaths(pl.ir, pl.session.trace({ from, to, port, protocol }));
  return { outcomes: uniq(paths.map((p) => p.outcome)), paths };
}

const srcNs = (pl: Planner, p: PodNet) => nsName(pl.cluster, p.ns!.id);

export function planFlows(
  ir: DataplaneIR,
  state: ClusterState | undefined,
  cluster: string,
  sets: FlowSet[],
  skipped: VerifyReport["skipped"],
  byName: VerifyOptions["byName"] = [],
): Planned[] {
  const nameCount = new Map<string, number>();
  for (const p of ir.pods) nameCount.set(p.name, (nameCount.get(p.name) ?? 0) + 1);
  const names: Record<string, string> = {};
  for (const p of ir.pods) if (nameCount.get(p.name) === 1) names[p.name] = podKey(p);
  const pl: Planner = {
    ir,
    state,
    cluster,
    // The questions layer's trace session: the same answers as `podnet trace` (and ipvs
    // mode's ipsets, which the IR does not hold).
    session: traceSession(state, ir),
    skipped,
    sources: ir.pods.filter((p) => p.ns && p.node && p.ip),
    qname: state
      ? `kubernetes.default.svc.${state.config.networking.dnsDomain}`
      : "kubernetes.default.svc.cluster.local",
    names,
    out: [],
  };
  if (sets.includes("pods")) planPodFlows(pl);
  if (sets.includes("services") && state) planServiceFlows(pl, state);
  if (sets.includes("pods") && state) planHostPortFlows(pl, state);
  if (sets.includes("dns") && state) planDnsFlows(pl, state);
  if (state) for (const b of byName) planNameFlow(pl, b.from, b.to);
  // The client stops repeating once it has seen every outcome the model predicts.
  for (const p of pl.out)
    p.probe.expect = p.flow.model.outcomes.map((o) => (p.anonymous && o.startsWith("delivered") ? "delivered" : o));
  return pl.out;
}

/** "pods": every source to every pod's declared container ports. */
function planPodFlows(pl: Planner): void {
  const { ir, sources } = pl;
  for (const from of sources) {
    for (const to of ir.pods) {
      if (!to.ip || !to.node) continue;
      for (const l of to.listeners) {
        const probe = probeFor(to, l);
        if (!probe) {
          if (from === sources[0])
            pl.skipped.push({
              what: `${podKey(to)} ${l.protocol} ${l.port}`,
              why: `${l.protocol}: no kernel probe (TCP and UDP only)`,
            });
          continue;
        }
        const protocol = l.protocol.toLowerCase() as Protocol;
        const m = traced(pl, podKey(from), `${to.ip}:${l.port}`, l.port, protocol);
        push(pl, {
          flow: {
            kind: "pod",
            from: podKey(from),
            to: `${podKey(to)} ${to.ip}:${l.port}/${protocol}`,
            protocol,
            dst: to.ip,
            port: l.port,
            model: m,
          },
          srcNetns: srcNs(pl, from),
          probe: { id: 0, probe, dst: to.ip, port: l.port, tries: 1, expect: [], qname: pl.qname },
          anonymous: probe.startsWith("dns"),
          affinity: false,
          names: pl.names,
        });
      }
    }
  }
}

/** "hostport": each pod's hostPorts on its node's address, from the outside client. */
function planHostPortFlows(pl: Planner, state: ClusterState): void {
  const { ir } = pl;
  if (!ir.underlay?.externalClient) return;
  const outside = nsName(pl.cluster, ir.underlay.ns.id);
  const nodes = new Map(ir.nodes.map((n) => [n.name, n]));
  for (const p of state.pods) {
    const pod = ir.pods.find((x) => x.namespace === p.namespace && x.name === p.name);
    const node = p.nodeName ? nodes.get(p.nodeName) : undefined;
    if (!pod?.ns || !node) continue;
    for (const m of portMappingsOf(p)) {
      if (m.hostIP && m.hostIP !== node.address) continue;
      const probe = probeFor(pod, { port: m.containerPort, protocol: m.protocol.toUpperCase() });
      if (!probe) continue;
      const protocol = m.protocol as Protocol;
      push(pl, {
        flow: {
          kind: "hostport",
          from: "external",
          to: `hostport ${podKey(pod)} ${node.name} ${node.address}:${m.hostPort}/${protocol}`,
          protocol,
          dst: node.address,
          port: m.hostPort,
          model: traced(pl, "external", `${node.address}:${m.hostPort}`, m.hostPort, protocol),
        },
        srcNetns: outside,
        probe: { id: 0, probe, dst: node.address, port: m.hostPort, tries: 1, expect: [], qname: pl.qname },
        anonymous: probe.startsWith("dns"),
        affinity: false,
        names: pl.names,
      });
    }
  }
}

type Service = ClusterState["services"][number];

/** One Service port reached one way (its cluster IP, an external IP, a NodePort). */
interface ServiceTarget {
  kind: "service" | "nodeport" | "external";
  /** Trace source and destination ("external", "svc/NS/NAME", "IP:PORT"). */
  from: string;
  traceTo: string;
  to: string;
  srcNetns: string;
  dst: string;
  port: number;
}

/**
 * "services": every Service port from every pod; LoadBalancer and external IPs and
 * NodePorts (on every node) from the outside client in the underlay.
 */
function planServiceFlows(pl: Planner, state: ClusterState): void {
  const { ir, sources } = pl;
  for (const s of state.services) {
    if (!s.clusterIP || s.clusterIP === "None") continue;
    for (const sp of s.ports) {
      if (sp.protocol !== "TCP" && sp.protocol !== "UDP") {
        pl.skipped.push({
          what: `svc ${s.namespace}/${s.name} ${sp.protocol} ${sp.port}`,
          why: `${sp.protocol}: no kernel probe`,
        });
        continue;
      }
      const protocol = sp.protocol.toLowerCase() as Protocol;
      for (const from of sources)
        pushServiceFlow(pl, s, sp, protocol, {
          kind: "service",
          from: podKey(from),
          traceTo: `svc/${s.namespace}/${s.name}`,
          to: `svc ${s.namespace}/${s.name} ${s.clusterIP}:${sp.port}/${protocol}`,
          srcNetns: srcNs(pl, from),
          dst: s.clusterIP,
          port: sp.port,
        });
      // LoadBalancer and external IPs from the outside client (no NodePort needed). The
      // underlay namespace has no link out of podnet's namespaces: nothing leaves.
      if (!ir.underlay?.externalClient) continue;
      const outside = nsName(pl.cluster, ir.underlay.ns.id);
      for (const ip of [...new Set([...s.loadBalancerIPs, ...s.externalIPs])])
        pushServiceFlow(pl, s, sp, protocol, {
          kind: "external",
          from: "external",
          traceTo: `${ip}:${sp.port}`,
          to: `${s.loadBalancerIPs.includes(ip) ? "loadbalancer" : "externalIP"} ${s.namespace}/${s.name} ${ip}:${sp.port}/${protocol}`,
          srcNetns: outside,
          dst: ip,
          port: sp.port,
        });
      // NodePorts from the outside client (the underlay namespace), to every node.
      if (sp.nodePort)
        for (const n of ir.nodes)
          pushServiceFlow(pl, s, sp, protocol, {
            kind: "nodeport",
            from: "external",
            traceTo: `${n.address}:${sp.nodePort}`,
            to: `nodeport ${s.namespace}/${s.name} ${n.name} ${n.address}:${sp.nodePort}/${protocol}`,
            srcNetns: outside,
            dst: n.address,
            port: sp.nodePort,
          });
    }
  }
}

function pushServiceFlow(pl: Planner, s: Service, sp: Service["ports"][number], protocol: Protocol, t: ServiceTarget) {
  // CoreDNS's Service port 53 answers DNS queries: the probe asks one (its answer names no pod).
  const dnsSvc = s.namespace === "kube-system" && sp.port === 53;
  const udp = protocol === "udp";
  const probe: ProbeKind = dnsSvc ? (udp ? "dns-udp" : "dns-tcp") : udp ? "udp" : "http";
  const m = traced(pl, t.from, t.traceTo, t.port, protocol);
  push(pl, {
    flow: { kind: t.kind, from: t.from, to: t.to, protocol, dst: t.dst, port: t.port, model: m },
    srcNetns: t.srcNetns,
    probe: {
      id: 0,
      probe,
      dst: t.dst,
      port: t.port,
      tries: probe.startsWith("dns") ? 2 : Math.max(3, 10 * m.outcomes.length),
      expect: [],
      qname: pl.qname,
    },
    // A node's own listener (kube-apiserver, TLS) answers without naming a pod either.
    anonymous: dnsSvc || m.outcomes.some((o) => o.startsWith("delivered node/")),
    affinity: s.sessionAffinity === "ClientIP",
    names: pl.names,
  });
}

/** "dns": one pod per Kubernetes namespace asks every Service name three ways (short, NAME.NS, FQDN). */
function planDnsFlows(pl: Planner, state: ClusterState): void {
  const domain = state.config.networking.dnsDomain;
  for (const from of dnsSources(pl.sources, state)) {
    // The DNS query's own path: the resolver's nameserver on UDP 53.
    const ns = /^nameserver\s+(\S+)/m.exec(from.resolvConf ?? "")?.[1];
    let step: ModelPath[] = [];
    if (ns)
      step = modelPaths(pl.ir, pl.session.trace({ from: podKey(from), to: `${ns}:53`, port: 53, protocol: "udp" }));
    const reachable = step.some((p) => p.verdict === "DELIVERED");
    const names = state.services
      .filter((s) => s.type !== "ExternalName")
      .flatMap((s) => [s.name, `${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc.${domain}`]);
    // A nameserver the model says does not answer: every name fails alike, and each
    // failure costs the resolver its retries: one name stands for all.
    if (!reachable && names.length > 1)
      pl.skipped.push({
        what: `${names.length - 1} of ${names.length} names from ${podKey(from)}`,
        why: `its nameserver ${ns ?? "(none)"} does not answer in the model (${uniq(step.map((p) => p.verdict + (p.reason ? " " + p.reason : ""))).join(", ") || "no nameserver"}): one name checked`,
      });
    const dnsStep = uniq(step.map((p) => `${p.verdict}${p.reason ? " " + p.reason : ""} ${p.ns ?? ""}`.trim()));
    for (const name of reachable ? names : names.slice(0, 1)) {
      push(pl, {
        flow: {
          kind: "dns",
          from: podKey(from),
          to: name,
          name,
          model: { ...resolverModel(state, from, name, reachable), dnsStep },
        },
        srcNetns: srcNs(pl, from),
        probe: { id: 0, probe: "resolve", dst: "", port: 0, tries: 1, expect: [], name },
        anonymous: false,
        affinity: false,
      });
    }
  }
}

/**
 * A connection by name: the model's trace from the name (its lookup included), the kernel's
 * getaddrinfo then HTTP to the first address. A query path that fails (a DNS step first on
 * the path) is "servfail": glibc gets no answer and gives up with EAI_AGAIN.
 */
function planNameFlow(pl: Planner, from: string, url: string): void {
  const r = pl.session.trace({ from, to: url });
  const src = pl.sources.find((p) => `pod/${p.namespace}/${p.name}` === r.flow.srcNs || podKey(p) === r.flow.srcNs);
  if (!src || !r.flow.host) throw new Error(`by-name flow ${from} → ${url}: needs a pod source and a URL with a name`);
  const paths = modelPaths(pl.ir, r);
  r.paths.forEach((p, i) => {
    if (p.hops[0]?.steps[0]?.action === "DNS" && paths[i]) paths[i].outcome = "servfail";
  });
  // No address at all (NXDOMAIN/NODATA on every name of the walk): the resolver says so.
  const outcomes = r.dns && !r.dns.answer && !r.dns.lookup ? ["notfound"] : uniq(paths.map((p) => p.outcome));
  const port = r.flow.port ?? 80;
  push(pl, {
    flow: {
      kind: "name",
      from: podKey(src),
      to: url,
      name: r.flow.host,
      protocol: "tcp",
      port,
      model: { outcomes, paths },
    },
    srcNetns: srcNs(pl, src),
    probe: {
      id: 0,
      probe: "name-http",
      dst: "",
      port,
      tries: outcomes.includes("servfail") && outcomes.length === 1 ? 1 : Math.max(3, 10 * outcomes.length),
      expect: [],
      name: r.flow.host,
    },
    anonymous: false,
    affinity: false,
    names: pl.names,
  });
}

/** The first pod (by name) of each Kubernetes namespace, preferably one that uses the cluster DNS (dnsPolicy Default pods use the node's resolver). */
function dnsSources(sources: PodNet[], state: ClusterState): PodNet[] {
  const firstIn = new Map<string, PodNet>();
  const dnsIP = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP ?? "";
  const usesCluster = (p: PodNet) =>
    new RegExp(`^nameserver\\s+${dnsIP.replace(/\./g, "\\.")}\\s*$`, "m").test(p.resolvConf ?? "") ? 0 : 1;
  for (const p of [...sources].sort((a, b) => usesCluster(a) - usesCluster(b) || podKey(a).localeCompare(podKey(b))))
    if (!firstIn.has(p.namespace)) firstIn.set(p.namespace, p);
  return [...firstIn.values()];
}

/**
 * The resolver's walk for a name (glibc, as the probe client's getaddrinfo) and its
 * outcome. Asked of the DNS helper directly: the trace session's resolver keeps one
 * answer (what a connection uses), the comparison needs them all.
 */
function resolverModel(
  state: ClusterState,
  from: PodNet,
  name: string,
  reachable: boolean,
): { outcomes: string[]; walk: NonNullable<VerifyFlow["model"]["walk"]> } {
  const w = resolveFromPod(state, podKey(from), name, { libc: "glibc" });
  const walk = w.queries.map((q) => ({
    name: q.name,
    rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
    answers: q.answers.filter((a) => a.type === "A").map((a) => String(a.data)),
  }));
  let outcome: string;
  if (!reachable)
    outcome = "servfail"; // no answer: the resolver times out (EAI_AGAIN)
  else if (w.result.status === "found" && w.result.values.length)
    outcome = `answer ${[...w.result.values].sort().join(",")}`;
  else if (w.result.status === "SERVFAIL" || w.result.status === "TIMEOUT")
    outcome = "servfail"; // EAI_AGAIN
  else outcome = "notfound";
  return { outcomes: [outcome], walk };
}

// ---------------------------------------------------------------------------
// Running and comparing

export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const t0 = Date.now();
  // With by-name flows alone (flows: []), no flow set is planned.
  const sets = o.flows && (o.flows.length || o.byName?.length) ? o.flows : FLOW_SETS;
  const log = o.log ?? (() => {});
  const { ir, state } = o.ir ? { ir: o.ir, state: o.state } : await recompute(o.cluster);
  const skipped: VerifyReport["skipped"] = [];
  if (!state && (sets.includes("services") || sets.includes("dns")))
    skipped.push({ what: "services, dns", why: "the cluster was built from a bare IR (no control-plane state)" });
  const plan = planFlows(ir, state, o.cluster, sets, skipped, o.byName);
  log(
    `${plan.length} flows planned from ${new Set(plan.map((p) => p.srcNetns)).size} sources (model traced in ${Date.now() - t0} ms)`,
  );
  const bySrc = new Map<string, ProbeRequest[]>();
  for (const p of plan) bySrc.set(p.srcNetns, [...(bySrc.get(p.srcNetns) ?? []), p.probe]);
  const { results, errors } = await runProbes(bySrc, o);
  // Read after the probes: a server that died during them is down here too.
  const down = listenersDown(o.cluster);

  const byKind: VerifyReport["byKind"] = {};
  let agree = 0;
  let listenerDown = 0;
  for (const p of plan) {
    const f = p.flow;
    compare(p, results.get(f.id), errors.get(p.srcNetns));
    if (!f.agree) markListenerDown(f, down);
    const b = (byKind[f.kind] ??= { flows: 0, agree: 0, disagree: 0 });
    b.flows++;
    if (f.agree) {
      b.agree++;
      agree++;
    } else if (f.listenerDown) {
      b.listenerDown = (b.listenerDown ?? 0) + 1;
      listenerDown++;
    } else b.disagree++;
  }
  const flows = plan.map((p) => p.flow);
  if (sets.includes("http") && state) {
    const http = await runHttpFlows(o.cluster, state, ir, skipped);
    if (http.length) log(`${http.length} HTTP requests through the ingress controller and Gateways`);
    for (const h of http) {
      const f: VerifyFlow = {
        id: flows.length,
        kind: "http",
        from: "external",
        to: `${h.what}: ${h.url}`,
        model: { outcomes: h.model },
        kernel: { outcomes: [h.proxy], counts: { [h.proxy]: 1 }, tries: 1 },
        agree: h.agree,
        ...(h.note ? { note: h.note } : {}),
      };
      flows.push(f);
      const b = (byKind.http ??= { flows: 0, agree: 0, disagree: 0 });
      b.flows++;
      if (f.agree) {
        b.agree++;
        agree++;
      } else b.disagree++;
    }
  }
  return {
    cluster: o.cluster,
    flowSets: sets,
    flows: flows.length,
    agree,
    disagree: flows.length - agree - listenerDown,
    listenerDown,
    byKind,
    skipped,
    ms: Date.now() - t0,
    results: flows,
  };
}

/** Fills a flow's kernel side from the client's counts and compares the outcome sets. */
function compare(p: Planned, r: ProbeResult | undefined, clientError: string | undefined): void {
  const f = p.flow;
  const canon = (k: string) => {
    if (k.startsWith("name ")) {
      const n = k.slice(5);
      return `delivered ${p.names?.[n] ?? "?/" + n}`;
    }
    return k;
  };
  const anon = (k: string) => (p.anonymous && k.startsWith("delivered") ? "delivered" : k);
  if (r) {
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.counts)) counts[canon(k)] = (counts[canon(k)] ?? 0) + v;
    f.kernel = { outcomes: uniq(Object.keys(counts).map(anon)), counts, tries: r.tries };
  } else
    f.kernel = {
      outcomes: [],
      counts: {},
      tries: 0,
      errors: [clientError ?? "no result from the probe client"],
    };
  const model = uniq(f.model.outcomes.map(anon));
  const kern = f.kernel.outcomes;
  if (p.affinity) f.agree = kern.length === 1 && model.includes(kern[0]);
  else f.agree = kern.length > 0 && kern.length === model.length && kern.every((k, i) => k === model[i]);
  if (!f.agree) {
    const missing = model.filter((k) => !kern.includes(k));
    const extra = kern.filter((k) => !model.includes(k));
    f.note =
      [
        missing.length ? `model only: ${missing.join("; ")}` : "",
        extra.length ? `kernel only: ${extra.join("; ")}` : "",
      ]
        .filter(Boolean)
        .join(" — ") || "no kernel result";
  }
}

/**
 * A disagreement where the model expected an answer from a pod whose server is not
 * running: "listener down (pod server not running)", not a model disagreement.
 */
function markListenerDown(f: VerifyFlow, down: Map<string, string>): void {
  if (down.size === 0) return;
  const missing = f.model.outcomes.filter((o) => o.startsWith("delivered ") && !f.kernel.outcomes.includes(o));
  const why = missing.map((o) => o.slice("delivered ".length)).find((k) => down.has(k));
  // Lookups: the answer comes from a cluster DNS server (the walk names no pod).
  const dnsWhy =
    f.kind === "dns" || f.kind === "name" ? [...down.entries()].find(([, v]) => v.startsWith("DNS")) : undefined;
  const key = why ?? dnsWhy?.[0];
  if (!key) return;
  f.listenerDown = `listener down (${down.get(key)}): ${key}`;
  f.note = `${f.listenerDown}${f.note ? ` — ${f.note}` : ""}`;
}

/** The text report: the summary line, per kind, then every disagreement with both sides' evidence. */
export function formatVerify(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(
    `cluster ${r.cluster} (${[...r.flowSets, ...(r.byKind.name ? ["by name"] : [])].join(", ")}): ${r.flows} flows, ${r.agree} agree, ${r.disagree} disagree${r.listenerDown ? `, ${r.listenerDown} listener down` : ""} (${(r.ms / 1000).toFixed(1)} s)`,
  );
  for (const [k, b] of Object.entries(r.byKind))
    lines.push(
      `  ${k.padEnd(9)} ${b.flows} flows, ${b.agree} agree, ${b.disagree} disagree${b.listenerDown ? `, ${b.listenerDown} listener down` : ""}`,
    );
  for (const s of r.skipped) lines.push(`  skipped: ${s.what} (${s.why})`);
  for (const f of r.results.filter((x) => !x.agree)) {
    lines.push("");
    lines.push(`${f.listenerDown ? "DOWN" : "DISAGREE"} [${f.kind}] ${f.from} → ${f.to}${f.note ? `: ${f.note}` : ""}`);
    if (f.model.paths) {
      for (const p of f.model.paths) {
        lines.push(
          `  model:  ${p.verdict}${p.reason ? " " + p.reason : ""} (p=${p.probability}) ${p.ns ?? ""}${p.container ? " container " + p.container : ""} — ${p.detail}`,
        );
        if (p.choices.length) lines.push(`          via ${p.choices.join(" → ")}`);
        if (p.object) lines.push(`          decided by: ${p.object}`);
      }
    }
    if (f.model.walk) {
      lines.push(
        `  model:  ${f.model.outcomes.join("; ")}  (DNS query path: ${f.model.dnsStep?.join("; ") || "none"})`,
      );
      for (const q of f.model.walk)
        lines.push(`          ${q.name} ${q.rcode}${q.answers.length ? " " + q.answers.join(",") : ""}`);
    }
    const c = Object.entries(f.kernel.counts).map(([k, v]) => `${k} ×${v}`);
    lines.push(
      `  kernel: ${c.join(", ") || "(no observation)"}${f.kernel.tries ? ` in ${f.kernel.tries} tr${f.kernel.tries === 1 ? "y" : "ies"}` : ""}${f.kernel.errors ? " — " + f.kernel.errors.join("; ") : ""}`,
    );
  }
  return lines.join("\n") + "\n";
}

// `podnet diagnose`, the Service layer: what `kubectl get svc,endpoints` and
// `kubectl describe svc` would show a user who debugs a Service by hand
// (https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/): the Service
// exists, its selector matches pods, its port maps through targetPort to a container port,
// its endpoints are there and ready, a Local traffic policy has a local endpoint, and
// kube-proxy's rules for it on the node the packet meets them.

import type { ClusterState, PodState, ServicePortState, ServiceState } from "../control/state.js";
import { findPort } from "../control/endpoints.js";
import { hostPortsOf } from "../control/schedule.js";
import { cidrContains, ipToInt, isIPv4, parseCidr } from "../net/ipv4.js";
import type { TraceResult } from "../sim/index.js";
import { probeEventText } from "../control/probes.js";
import { clusterCIDR, clusterEndpointsIn, clusterEndpointsOn, nodeZone, servicePortsOf } from "../proxy/model.js";
import { faultFix, faultNote, faultsOf } from "./diagnose-faults.js";
import type { DiagnoseCheck } from "./diagnose-types.js";

/** How the flow meets the Service: its cluster IP (from a pod), or a node's NodePort / a
 *  LoadBalancer IP (from outside, the node that takes it). */
export interface ServiceVia {
  kind: "clusterIP" | "nodePort" | "loadBalancer";
  /** The node whose kube-proxy rules the packet meets. */
  node?: string;
  /** The proxy mode sends pod and node-local traffic to an external address with
   *  externalTrafficPolicy Local through the Cluster path (ProxyMode.externalLocalBypass). */
  localBypass?: boolean;
}

/** A pod the Service sends the flow to, and on which port. */
export interface Backend {
  pod: PodState;
  port: number;
  ready: boolean;
}

/** An endpoint address that is no pod's own: the API server behind `default/kubernetes`, a
 *  hostNetwork pod's node address, a selectorless Service's hand-written endpoint. */
export interface AddressBackend {
  ip: string;
  port: number;
  ready: boolean;
}

const ref = (x: { namespace: string; name: string }) => `${x.namespace}/${x.name}`;
const check = (code: string, title: string, ok: boolean, evidence: string, why?: string, fix?: string) => {
  const c: DiagnoseCheck = { code, layer: "service", title, ok, severity: "error", evidence };
  if (!ok) {
    c.why = why ?? evidence;
    c.fix = fix ?? "";
  }
  return c;
};

const running = (p: PodState) => p.phase === "Running" && !!p.podIP && !p.terminating;
const matches = (sel: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(sel).every(([k, v]) => labels[k] === v);
const fmtLabels = (l: Record<string, string>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** The pod whose labels come closest to a selector that matches none: per selector key, a
 *  value that differs counts 1 and a missing key 2; the fewest wins (ties: the closest
 *  values by edit distance). Each difference is shown as selector vs pod. */
export function nearestLabels(svc: ServiceState, pods: PodState[]): string | undefined {
  const sel = Object.entries(svc.selector ?? {});
  let best: { pod: PodState; score: number; dist: number; diff: string[] } | undefined;
  for (const p of pods) {
    if (p.namespace !== svc.namespace || p.terminating) continue;
    let score = 0;
    let dist = 0;
    const diff: string[] = [];
    for (const [k, v] of sel) {
      const have = p.labels[k];
      if (have === v) continue;
      score += have === undefined ? 2 : 1;
      if (have !== undefined) dist += editDistance(v, have);
      diff.push(have === undefined ? `${k}=${v} (the pod has no ${k})` : `${k}=${v} (the pod has ${k}=${have})`);
    }
    if (score >= 2 * sel.length) continue; // shares nothing with the selector
    if (!best || score < best.score || (score === best.score && dist < best.dist)) best = { pod: p, score, dist, diff };
  }
  return best ? `nearest: ${ref(best.pod)} differs in ${best.diff.join(", ")}` : undefined;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** pod.running: the destination pods are scheduled and running (a Pending pod has no
 *  address, so no endpoint); the scheduler's or kubelet's reason when they are not. */
export function podRunningCheck(state: ClusterState, pods: PodState[]): DiagnoseCheck {
  const up = pods.filter(running);
  const base = {
    code: "pod.running",
    layer: "pod" as const,
    title: "destination pods running",
    severity: "error" as const,
  };
  if (up.length) return { ...base, ok: true, evidence: `${up.length} of ${pods.length} running` };
  const p = pods[0];
  const why = p.message ?? p.reason ?? "";
  return {
    ...base,
    ok: false,
    evidence: `${notRunningText(p)}${pods.length > 1 ? ` (and ${pods.length - 1} more not running)` : ""}`,
    why: `the destination pod is not running${p.phase === "Pending" ? " (not scheduled or not started)" : ""}: it has no address to connect to${why ? ` — ${why}` : ""}`,
    fix: /free ports/.test(why)
      ? `${hostPortHolders(state, p) || "another pod on the node holds the same host port"} (a hostNetwork pod's container ports are host ports): use another port, or let the scheduler use another node`
      : "make the pod schedulable and let it start (kubectl describe pod: its events)",
  };
}

/** "kube-system/node-exporter-x holds 9100/TCP on worker-1, …": the running pods that take
 *  a host port a pending pod needs (the scheduler's NodePorts filter,
 *  kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports). */
function hostPortHolders(state: ClusterState, pod: PodState): string {
  const want = new Set(hostPortsOf(pod.spec));
  const sel = Object.entries(pod.spec.nodeSelector ?? {});
  const fits = new Set(state.nodes.filter((n) => sel.every(([k, v]) => n.labels[k] === v)).map((n) => n.name));
  const held: string[] = [];
  for (const p of state.pods) {
    if (p === pod || !running(p) || !p.nodeName || !fits.has(p.nodeName)) continue;
    const same = hostPortsOf(p.spec).filter((x) => want.has(x));
    if (same.length) held.push(`${ref(p)} holds ${same.join(", ")} on ${p.nodeName}`);
  }
  return held.join("; ");
}

/** The Service port the flow uses: by number when given (the one of the flow's protocol
 *  first: a port number may be served on TCP and UDP both, as kube-dns's 53), else the first. */
export function servicePort(
  svc: ServiceState,
  port: number | undefined,
  via: ServiceVia,
  protocol?: string,
): ServicePortState | undefined {
  const proto = protocol?.toUpperCase();
  if (port === undefined) return svc.ports.find((p) => p.protocol === proto) ?? svc.ports[0];
  const same = svc.ports.filter((p) => (via.kind === "nodePort" ? p.nodePort === port : p.port === port));
  return same.find((p) => p.protocol === proto) ?? same[0];
}

const portText = (p: ServicePortState) =>
  `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol}→${p.targetPort}${p.name ? ` (${p.name})` : ""}`;

/** The Service checks, in the order a user would debug them, and the backends they found. */
export function serviceChecks(
  state: ClusterState,
  svc: ServiceState,
  port: number | undefined,
  protocol: string,
  via: ServiceVia,
  trace: TraceResult | undefined,
): { checks: DiagnoseCheck[]; backends: Backend[]; addresses: AddressBackend[] } {
  const out: DiagnoseCheck[] = [];
  const name = ref(svc);
  const ports = svc.ports.map(portText).join(", ");
  out.push(
    check(
      "service.exists",
      "Service exists",
      true,
      `${name} ${svc.type} ${svc.clusterIP ?? svc.externalName ?? ""}, ports ${ports}`,
    ),
  );
  const proto = protocol.toUpperCase();
  const sp = servicePort(svc, port, via, proto);
  if (!sp || sp.protocol !== proto) {
    out.push(portCheckFailed(svc, port, proto, via, sp));
    return { checks: out, backends: [], addresses: [] };
  }
  out.push(check("service.port", "port and protocol", true, `${portText(sp)}`));
  const selected = svc.selector
    ? state.pods.filter((p) => p.namespace === svc.namespace && matches(svc.selector!, p.labels) && !p.terminating)
    : [];
  out.push(...selectorChecks(state, svc, selected));
  const selRunning = selected.filter(running);
  if (selRunning.length) out.push(targetPortCheck(sp, selRunning));
  const eps = endpointChecks(state, svc, sp);
  out.push(...eps.checks);
  out.push(trafficPolicyCheck(state, svc, sp, via, eps.backends, trace));
  out.push(proxyCheck(state, svc, sp, via, trace));
  return { checks: out, backends: eps.backends, addresses: eps.addresses };
}

/** service.port failed: no port of that number and protocol. `other`: the port of that
 *  number with another protocol, whose rules do not match this one (kube-proxy matches
 *  `-p <protocol> --dport <port>`), a protocol the Service port must name. */
function portCheckFailed(
  svc: ServiceState,
  port: number | undefined,
  proto: string,
  via: ServiceVia,
  other: ServicePortState | undefined,
): DiagnoseCheck {
  const name = ref(svc);
  const ports = svc.ports.map(portText).join(", ");
  const what = via.kind === "nodePort" ? "nodePort" : "port";
  return check(
    "service.port",
    "port and protocol",
    false,
    `${name} has no ${what} ${port ?? ""}/${proto}; its ports: ${ports}`,
    other
      ? `${name}'s ${what} ${port} is ${other.protocol}: kube-proxy's rules for it match ${other.protocol} only, and a ${proto} packet to it matches no rule`
      : `nothing in ${name} maps ${port}/${proto}: kube-proxy has no rule for it`,
    other
      ? `set protocol: ${proto} on the Service's port ${other.name ? `"${other.name}" ` : ""}(${portText(other)}) if the app serves ${proto}, or add a ${proto} port ${port} beside it (one Service may serve a port on both protocols)`
      : `connect to one of the Service's ports (${ports}) or add the port to the Service`,
  );
}

/** "; 1 more not running: default/web-x Pending: <the scheduler's reason>": the selected pods
 *  that have no endpoint (a replica the scheduler could not place), which the flow to the
 *  running ones does not show. */
function notRunningNote(selected: PodState[]): string {
  const down = selected.filter((p) => !running(p));
  if (down.length === 0) return "";
  const more = down.length > 1 ? ` (and ${down.length - 1} more)` : "";
  return `; ${down.length} more not running: ${notRunningText(down[0])}${more}`;
}

/** "default/web-x Pending: <the scheduler's or kubelet's reason>". */
function notRunningText(p: PodState): string {
  const why = p.message ?? p.reason ?? "";
  return `${ref(p)} ${p.phase}${why ? `: ${why}` : ""}`;
}

/** service.selector (and pod.running when it matches pods that do not run). A Service
 *  without a selector takes the endpoints given by hand (Endpoints/EndpointSlice). */
function selectorChecks(state: ClusterState, svc: ServiceState, selected: PodState[]): DiagnoseCheck[] {
  const title = "selector matches pods";
  if (!svc.selector)
    return [
      check(
        "service.selector",
        title,
        true,
        "no selector: the endpoints are the EndpointSlices/Endpoints given with it",
      ),
    ];
  const sel = fmtLabels(svc.selector);
  const runningSel = selected.filter(running);
  if (runningSel.length) {
    const some = runningSel.slice(0, 3).map(ref).join(", ") + (runningSel.length > 3 ? " …" : "");
    return [
      check(
        "service.selector",
        title,
        true,
        `selector ${sel} matches ${runningSel.length} running pod(s): ${some}${notRunningNote(selected)}`,
      ),
    ];
  }
  if (selected.length)
    return [
      check("service.selector", title, true, `selector ${sel} matches ${selected.length} pod(s), none running`),
      podRunningCheck(state, selected),
    ];
  const near = nearestLabels(
    svc,
    state.pods.filter((p) => p.namespace === svc.namespace),
  );
  const elsewhere = state.pods.filter((p) => p.namespace !== svc.namespace && matches(svc.selector!, p.labels));
  const there = elsewhere.length
    ? `; pods with these labels run in namespace ${[...new Set(elsewhere.map((p) => p.namespace))].join(", ")} (a selector matches its own namespace only)`
    : "";
  return [
    check(
      "service.selector",
      title,
      false,
      `selector ${sel} matches no pod in ${svc.namespace}${near ? `; ${near}` : ""}${there}`,
      `the selector matches no running pod, so ${ref(svc)} has no endpoints and kube-proxy rejects connections to it`,
      near
        ? `make the selector and the pod template's labels agree (${near.replace(/^nearest: /, "")})`
        : "give the Service a selector that the backend pods' labels match",
    ),
  ];
}

/** service.targetPort: the targetPort is a container port of each selected pod
 *  (podutil.FindPort for a name; a number declared by a container). */
function targetPortCheck(sp: ServicePortState, pods: PodState[]): DiagnoseCheck {
  const title = "targetPort → container port";
  const named = typeof sp.targetPort === "string";
  const bad: string[] = [];
  for (const p of pods) {
    const ports = p.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((cp) => ({ ...cp, protocol: cp.protocol ?? "TCP" })),
    );
    const list =
      ports.map((cp) => `${cp.name ? `${cp.name} ` : ""}${cp.containerPort}/${cp.protocol}`).join(", ") || "none";
    if (named) {
      if (findPort(p, sp.targetPort as string, sp.protocol) === undefined)
        bad.push(`${ref(p)} has no container port named "${sp.targetPort}" (${sp.protocol}); its ports: ${list}`);
    } else if (!ports.some((cp) => cp.containerPort === sp.targetPort && cp.protocol === sp.protocol))
      bad.push(`no container of ${ref(p)} has port ${sp.targetPort}/${sp.protocol}; its ports: ${list}`);
  }
  if (!bad.length) {
    const num = named ? findPort(pods[0], sp.targetPort as string, sp.protocol) : sp.targetPort;
    return check(
      "service.targetPort",
      title,
      true,
      `targetPort ${sp.targetPort} → ${num}/${sp.protocol} on ${pods.length} pod(s)`,
    );
  }
  return check(
    "service.targetPort",
    title,
    false,
    bad[0] + (bad.length > 1 ? ` (and ${bad.length - 1} more pod(s))` : ""),
    named
      ? `the named targetPort "${sp.targetPort}" resolves on no pod, so the EndpointSlice has no endpoint for port ${sp.port} and kube-proxy rejects it`
      : pods.some((p) => p.spec.containers.some((c) => !c.ports?.length))
        ? `connections go to port ${sp.targetPort} of the pods, which no container declares: unless the app listens there undeclared, they are refused`
        : // Containers that declare their ports listen there only (podnet's model and pod servers).
          `connections go to port ${sp.targetPort} of the pods, where nothing listens (their containers declare other ports): they are refused (TCP RST)`,
    "set the Service's targetPort to the container's port (number or name)",
  );
}

/** service.endpoints and service.endpoints.ready, from the EndpointSlices of the Service
 *  port (slices carry the port's name), and the pods behind them. */
function endpointChecks(
  state: ClusterState,
  svc: ServiceState,
  sp: ServicePortState,
): { checks: DiagnoseCheck[]; backends: Backend[]; addresses: AddressBackend[] } {
  const name = ref(svc);
  const backends: Backend[] = [];
  const others: AddressBackend[] = [];
  let addresses = 0;
  let readyN = 0;
  for (const sl of state.endpointSlices) {
    if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name) continue;
    const p = sl.ports.find((x) => (x.name ?? "") === (sp.name ?? "") && x.protocol === sp.protocol);
    if (!p) continue;
    for (const e of sl.endpoints) {
      const ready = e.conditions.ready !== false;
      for (const a of e.addresses) {
        addresses++;
        if (ready) readyN++;
        const t = e.targetRef?.kind === "Pod" ? e.targetRef : undefined;
        const pod =
          (t && state.pods.find((x) => x.namespace === (t.namespace ?? svc.namespace) && x.name === t.name)) ??
          state.pods.find((x) => x.podIP === a && !x.spec.hostNetwork);
        if (pod) backends.push({ pod, port: p.port, ready });
        else others.push({ ip: a, port: p.port, ready });
      }
    }
  }
  if (!addresses)
    return {
      backends,
      addresses: others,
      checks: [
        check(
          "service.endpoints",
          "endpoints",
          false,
          `${name} has no endpoint for port ${sp.port}/${sp.protocol}${svc.selector ? "" : " (no selector, and no Endpoints/EndpointSlice given)"}`,
          `without endpoints kube-proxy rejects connections to ${name} (iptables: REJECT "has no endpoints"; kubernetes/kubernetes pkg/proxy/iptables/proxier.go)`,
          svc.selector
            ? "make the selector, targetPort and pods agree so that the EndpointSlice controller lists them"
            : "give the Service a selector, or create the Endpoints/EndpointSlice for it by hand",
        ),
      ],
    };
  const notReady = backends.filter((b) => !b.ready).map((b) => `${ref(b.pod)}${notReadyWhy(b.pod)}`);
  const title = "ready endpoints";
  // pod-not-ready faults on the backends are the evidence.
  const faults = faultsOf(state, ["pod-not-ready"], new Set(backends.filter((b) => !b.ready).map((b) => ref(b.pod))));
  return {
    backends,
    addresses: others,
    checks: [
      check("service.endpoints", "endpoints", true, `${addresses} endpoint(s) for port ${sp.port}/${sp.protocol}`),
      readyN
        ? check(
            "service.endpoints.ready",
            title,
            true,
            `${readyN} of ${addresses} ready${notReady.length ? `; not ready: ${notReady.join(", ")}` : ""}`,
          )
        : check(
            "service.endpoints.ready",
            title,
            false,
            `0 of ${addresses} endpoint(s) ready${notReady.length ? `: ${notReady.join(", ")} not ready` : ""}${faultNote(faults)}`,
            `kube-proxy sends traffic only to ready endpoints; with none ready it rejects connections to ${name}`,
            faultFix(faults) ||
              probeFix(backends.map((b) => b.pod)) ||
              "make the pods pass their readiness probe and readiness gates (kubectl describe pod), or set publishNotReadyAddresses for a Service that must reach them anyway",
          ),
    ],
  };
}

/** service.trafficPolicy: with Local, only endpoints on the node the packet meets the Service on
 *  (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies). */
function trafficPolicyCheck(
  state: ClusterState,
  svc: ServiceState,
  port: ServicePortState,
  via: ServiceVia,
  backends: Backend[],
  trace: TraceResult | undefined,
): DiagnoseCheck {
  const local = via.kind === "clusterIP" ? svc.internalTrafficPolicy : svc.externalTrafficPolicy;
  const field = via.kind === "clusterIP" ? "internalTrafficPolicy" : "externalTrafficPolicy";
  if (local !== "Local" || !via.node)
    return check("service.trafficPolicy", field, true, `${field}: ${local}${zoneNote(state, svc, port, via.node)}`);
  const bypass = via.kind !== "clusterIP" && via.localBypass ? clusterPathSource(state, via.node, trace) : undefined;
  if (bypass)
    return check(
      "service.trafficPolicy",
      field,
      true,
      `${field}: Local does not apply: ${bypass}, which kube-proxy sends to any ready endpoint (the Cluster path)`,
    );
  const here = backends.filter((b) => b.ready && b.pod.nodeName === via.node);
  if (here.length)
    return check(
      "service.trafficPolicy",
      field,
      true,
      `${field}: Local; ${here.length} ready endpoint(s) on ${via.node}`,
    );
  const noDetector = noDetectorNote(state, via, trace);
  return check(
    "service.trafficPolicy",
    field,
    false,
    `${field}: Local and no ready endpoint on node ${via.node}`,
    `with ${field} Local, kube-proxy on ${via.node} sends traffic only to endpoints on that node, and it has none: it drops the traffic${noDetector}`,
    `reach the Service through a node that runs a ready endpoint, run one on ${via.node}, or set ${field}: Cluster${noDetector ? "; or give kube-proxy the pod range as its clusterCIDR, so that pods take the Cluster path" : ""}`,
  );
}

/**
 * Why a pod's packet to an external address did not take the Cluster path: kube-proxy has no
 * local detector (its clusterCIDR is empty), so it writes no "pod traffic for … external
 * destinations" rule (pkg/proxy/iptables/proxier.go, localDetector.IsImplemented()); or "".
 */
function noDetectorNote(state: ClusterState, via: ServiceVia, trace: TraceResult | undefined): string {
  if (via.kind === "clusterIP" || !via.localBypass || !via.node || clusterCIDR(state) !== undefined) return "";
  const src = trace?.paths.flatMap((p) => p.hops).find((h) => h.ns === `node/${via.node}`)?.steps[0]?.packet.src;
  if (!src || !isIPv4(src) || !cidrContains(parseCidr(state.config.networking.podSubnet, true), ipToInt(src)))
    return "";
  return `; the source ${src} is a pod, but kube-proxy's clusterCIDR is empty (no local detector), so it has no rule that sends pod traffic to external addresses down the Cluster path`;
}

/**
 * What zone or node hints make of the Cluster policy on `node` (kube-proxy pkg/proxy/topology.go;
 * https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution), or "".
 */
function zoneNote(state: ClusterState, svc: ServiceState, port: ServicePortState, node: string | undefined): string {
  const sp = servicePortsOf(state, svc).find((p) => p.port === port);
  const n = node ? state.nodes.find((x) => x.name === node) : undefined;
  if (!sp?.hinted || !n) return "";
  const zone = nodeZone(n);
  const eps = clusterEndpointsIn(sp, zone);
  const ready = sp.clusterEndpoints.length;
  const own = clusterEndpointsOn(sp, n.name, zone);
  if (own !== eps)
    return `; every ready endpoint has a node hint: kube-proxy on ${node} sends to the ${own.length} hinted for it, of ${ready} ready`;
  if (!sp.zoneHinted)
    return `; the endpoints have node hints, but none for ${node}: kube-proxy there sends to all ${ready} ready`;
  if (eps !== sp.clusterEndpoints)
    return `; every ready endpoint has a zone hint: kube-proxy on ${node} (zone ${zone}) sends to the ${eps.length} hinted for ${zone}, of ${ready} ready`;
  return zone
    ? `; the endpoints have zone hints, but none for ${node}'s zone ${zone}: kube-proxy there sends to all ${ready} ready`
    : `; the endpoints have zone hints, but ${node} has no topology.kubernetes.io/zone label: kube-proxy there sends to all ${ready} ready`;
}

/**
 * Why kube-proxy on `node` takes the Cluster path for an external destination with
 * externalTrafficPolicy Local, or undefined: the source it sees (the packet's at its first
 * step on that node) is in the cluster CIDR ("pod traffic for … external destinations",
 * `-s <clusterCIDR>`) or one of the node's own addresses ("route LOCAL traffic …",
 * `--src-type LOCAL`) (kubernetes pkg/proxy/iptables/proxier.go;
 * https://kubernetes.io/docs/reference/networking/virtual-ips/#external-traffic-policy).
 */
function clusterPathSource(state: ClusterState, node: string, trace: TraceResult | undefined): string | undefined {
  const ns = `node/${node}`;
  const src = trace?.paths.flatMap((p) => p.hops).find((h) => h.ns === ns)?.steps[0]?.packet.src;
  if (!src || !isIPv4(src)) return undefined;
  // kube-proxy's local detector (its clusterCIDR): without one there is no pod short-cut.
  const cidr = clusterCIDR(state);
  if (cidr !== undefined && cidrContains(parseCidr(cidr, true), ipToInt(src)))
    return `the source ${src} is in the cluster CIDR ${cidr} (traffic from a pod)`;
  if (state.nodes.some((n) => n.name === node && n.address === src))
    return `the source ${src} is ${node}'s own address (traffic from the node)`;
  return undefined;
}

/**
 * The fix when a probe names a port its container does not declare (control/probes.ts):
 * the ports the container does declare, so that the probe can name one.
 */
function probeFix(pods: PodState[]): string {
  const f = pods.find((p) => p.probeFailures?.length)?.probeFailures?.[0];
  if (!f) return "";
  const pod = pods.find((p) => p.probeFailures?.includes(f))!;
  const c = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((x) => x?.name === f.container);
  const named = (c?.ports ?? []).filter((p) => p?.name).map((p) => `${p.name} (${p.containerPort})`);
  const has = named.length ? `it names ${named.join(", ")}` : "it names no port";
  return `container ${f.container}'s ${f.probe.toLowerCase()} probe names port ${JSON.stringify(f.port)}, which the container does not declare (${has}): name a declared port or give the number`;
}

/** " (ContainersNotReady)": the Ready condition's reason of a pod read from a live cluster. */
function notReadyWhy(pod: PodState): string {
  const f = pod.probeFailures?.[0];
  if (f) return ` (container ${f.container}: ${probeEventText(f)})`;
  const conds = pod.status?.conditions;
  if (!Array.isArray(conds)) return "";
  const c = conds.find((x) => (x as { type?: unknown })?.type === "Ready") as { reason?: unknown } | undefined;
  return typeof c?.reason === "string" ? ` (${c.reason})` : "";
}

/** kube-proxy's rules for the Service on the node the packet meets them, read from the trace:
 *  the DNAT (or IPVS) step, or the rule that rejected or dropped the packet. */
function proxyCheck(
  state: ClusterState,
  svc: ServiceState,
  sp: ServicePortState,
  via: ServiceVia,
  trace: TraceResult | undefined,
) {
  const title = `kube-proxy rules${via.node ? ` on ${via.node}` : ""}`;
  if (!trace || !trace.paths.length)
    return check("service.proxy", title, true, "not traced (the flow did not get that far)");
  // kube-proxy stopped or its chains flushed on the nodes the packet crossed.
  const nodes = new Set(
    trace.paths.flatMap((p) => p.hops.flatMap((h) => (h.ns.startsWith("node/") ? [h.ns.slice(5)] : []))),
  );
  const flushed = faultsOf(state, ["kube-proxy-flushed"], nodes);
  const stopped = faultsOf(state, ["kube-proxy-down"], nodes);
  const stale = staleTargets(state, svc, trace);
  if (stale.length) {
    const ips = [...new Set(stale.map((x) => x.ip))];
    return check(
      "service.proxy",
      title,
      false,
      `${stale[0].ns}: DNAT to ${ips.join(", ")}, ${ips.length === 1 ? "no longer an endpoint" : "no longer endpoints"} of ${ref(svc)}${faultNote(stopped)}`,
      `kube-proxy's rules for ${ref(svc)} are stale: they send connections to endpoints that are gone (kube-proxy is not following changes)`,
      faultFix(stopped) || "restart kube-proxy on the node: it resyncs its rules from the EndpointSlices",
    );
  }
  for (const p of trace.paths) {
    const d = p.disposition;
    if (
      d.reason === "SERVICE_BACKEND_NOT_FOUND" ||
      (d.verdict !== "DELIVERED" && d.object?.chain?.startsWith("KUBE-"))
    ) {
      return check(
        "service.proxy",
        title,
        false,
        `${d.ns ?? ""}: ${d.detail}${d.object ? ` [${d.object.text}]` : ""}`,
        `kube-proxy's rules for ${ref(svc)}:${sp.port} ${d.reason === "SERVICE_BACKEND_NOT_FOUND" ? "reject it: no endpoint to send it to" : "drop it"}`,
        faultFix(stopped) || "give the Service ready endpoints reachable from this node",
      );
    }
  }
  for (const p of trace.paths)
    for (const h of p.hops)
      for (const s of h.steps)
        if ((s.action === "NAT" && /DNAT/.test(s.detail)) || s.action === "IPVS")
          return check("service.proxy", title, true, `${h.ns}: ${s.detail}`);
  return check(
    "service.proxy",
    title,
    false,
    `no kube-proxy rule translated ${ref(svc)}:${sp.port} on the path${flushed.length ? `: kube-proxy's chains are empty${faultNote(flushed)}` : ""}`,
    "the packet to the Service address was not translated to an endpoint",
    faultFix(flushed) || "check kube-proxy on the node (its mode and its rules: podnet rules NODE)",
  );
}

/** The DNAT steps of the trace whose target is not an endpoint of the Service any more. */
function staleTargets(state: ClusterState, svc: ServiceState, trace: TraceResult): { ns: string; ip: string }[] {
  const current = new Set<string>();
  for (const sl of state.endpointSlices)
    if (sl.namespace === svc.namespace && sl.serviceName === svc.name)
      for (const e of sl.endpoints) for (const a of e.addresses) current.add(a);
  const out: { ns: string; ip: string }[] = [];
  for (const p of trace.paths)
    for (const h of p.hops)
      for (const s of h.steps)
        if (s.action === "NAT" && /DNAT/.test(s.detail) && !current.has(s.packet.dst))
          out.push({ ns: h.ns, ip: s.packet.dst });
  return out;
}

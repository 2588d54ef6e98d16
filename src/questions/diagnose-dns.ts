// `podnet diagnose`, the DNS layer: the first steps of the checklist in
// https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/ — the
// CoreDNS pods run and are ready, they are the kube-dns Service's endpoints, the pod may
// send UDP and TCP 53 to them under the NetworkPolicies, and the name resolves from the
// pod (its resolv.conf's search list and ndots, as the resolver walks them).

import type { ClusterState, PodState, ServiceState } from "../control/state.js";
import { resolveFromPod, timeoutText } from "../dns/resolver.js";
import { decide, type Party, type PolicyIndex } from "../policy/engine.js";
import type { TracePath, TraceResult } from "../sim/index.js";
import { faultFix, faultNote, faultsForDrop, faultsOf, visited } from "./diagnose-faults.js";
import { dnsEgressPolicy, missNote } from "./diagnose-policy.js";
import type { DiagnoseCheck } from "./diagnose-types.js";

const ref = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
const mk = (code: string, title: string, ok: boolean, evidence: string, why?: string, fix?: string) => {
  const c: DiagnoseCheck = { code, layer: "dns", title, ok, severity: "error", evidence };
  if (!ok) {
    c.why = why ?? evidence;
    c.fix = fix ?? "";
  }
  return c;
};
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export interface DnsOutcome {
  checks: DiagnoseCheck[];
  /** The address the name resolved to (in the zone), when it did. */
  answer?: string;
  /** The DNS egress policy the pod would need, when policy denies its queries. */
  yaml?: string;
}

/** The DNS checks for `host` looked up from `src`; `trace` is the flow's trace by name
 *  (its `dns` part: the walk and, when the query fails, why). */
export function dnsChecks(
  state: ClusterState,
  ix: PolicyIndex,
  src: PodState,
  host: string,
  trace: TraceResult | undefined,
): DnsOutcome {
  const walk = resolveFromPod(state, ref(src), host);
  const svc = state.services.find((s) => s.clusterIP === walk.nameserver);
  const server = svc ? serverChecks(state, ix, src, svc) : { checks: [] };
  const named = walkChecks(state, src, host, walk, trace);
  const out: DnsOutcome = { checks: [...server.checks, ...named.checks] };
  if (named.answer) out.answer = named.answer;
  if (server.yaml) out.yaml = server.yaml;
  return out;
}

/** dns.coredns, dns.endpoints, dns.policy: the cluster DNS behind the pod's nameserver. */
function serverChecks(
  state: ClusterState,
  ix: PolicyIndex,
  src: PodState,
  svc: ServiceState,
): { checks: DiagnoseCheck[]; yaml?: string } {
  const checks: DiagnoseCheck[] = [];
  const ns = svc.clusterIP;
  let yaml: string | undefined;
  const sp = svc.ports.find((p) => p.protocol === "UDP" && p.port === 53) ?? svc.ports[0];
  const selected = svc.selector
    ? state.pods.filter(
        (p) =>
          p.namespace === svc.namespace &&
          !p.terminating &&
          Object.entries(svc.selector!).every(([k, v]) => p.labels[k] === v),
      )
    : [];
  const ready = selected.filter((p) => p.ready && p.phase === "Running");
  const down = selected.filter((p) => !ready.includes(p));
  // The faults that stop CoreDNS pods (coredns-down, coredns-replica-down) are the evidence.
  const faults = faultsOf(state, ["coredns-down", "coredns-replica-down"]);
  if (ready.length && down.length) {
    // Some replicas down: kube-proxy sends queries to the ready ones only; it works, with less headroom.
    const c = mk(
      "dns.coredns",
      "CoreDNS pods ready",
      false,
      `${ready.length}/${selected.length} ready; not ready: ${down.map(ref).join(", ")}${faultNote(faults)}`,
      "queries go to the ready CoreDNS pods only: lookups work, with less capacity and no redundancy",
      faultFix(faults) ||
        `make every CoreDNS pod ready (kubectl -n ${svc.namespace} describe pods -l k8s-app=kube-dns)`,
    );
    c.severity = "warning";
    checks.push(c);
  } else
    checks.push(
      ready.length
        ? mk(
            "dns.coredns",
            "CoreDNS pods ready",
            true,
            `${ready.length}/${selected.length} ready: ${ready.map(ref).join(", ")}`,
          )
        : mk(
            "dns.coredns",
            "CoreDNS pods ready",
            false,
            selected.length
              ? `CoreDNS pods not ready: 0/${selected.length} ready (${selected.map((p) => `${ref(p)} ${p.phase}`).join(", ")})${faultNote(faults)}`
              : `no pod matches ${ref(svc)}'s selector`,
            "no DNS server answers: every name lookup from the pod fails",
            faultFix(faults) ||
              `bring CoreDNS back (kubectl -n ${svc.namespace} get pods -l k8s-app=kube-dns; kubectl logs)`,
          ),
    );
  // The endpoints (ready) of the DNS Service's UDP 53 port.
  const eps: { pod?: PodState; ip: string; port: number }[] = [];
  for (const sl of state.endpointSlices) {
    if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name) continue;
    const port = sl.ports.find((p) => p.protocol === sp?.protocol && (p.name ?? "") === (sp?.name ?? ""))?.port;
    if (port === undefined) continue;
    for (const e of sl.endpoints)
      if (e.conditions.ready !== false)
        for (const a of e.addresses)
          eps.push({ ip: a, port, pod: state.pods.find((p) => p.podIP === a && !p.spec.hostNetwork) });
  }
  checks.push(
    eps.length
      ? mk("dns.endpoints", `${ref(svc)} endpoints`, true, `${ns} → ${eps.map((e) => `${e.ip}:${e.port}`).join(", ")}`)
      : mk(
          "dns.endpoints",
          `${ref(svc)} endpoints`,
          false,
          `${ref(svc)} (${ns}) has no ready endpoint on ${sp ? `${sp.port}/${sp.protocol}` : "53/UDP"}`,
          `queries to ${ns}:53 are rejected by kube-proxy: ${ref(svc)} has no ready endpoints`,
          faultFix(faults) || "make the CoreDNS pods ready and matched by the kube-dns Service's selector",
        ),
  );
  // May the pod send UDP and TCP 53 to them? (Both: TCP carries truncated answers.)
  const deniedUdp: string[] = [];
  const deniedTcp: string[] = [];
  // The first rule that allows DNS but for one thing (port 53 to pods a podSelector without
  // namespaceSelector looks for in the pod's own namespace, or CoreDNS's labels mistyped):
  // the mistake behind most DNS denials.
  let near: string | undefined;
  for (const e of eps) {
    if (!e.pod) continue;
    for (const proto of ["UDP", "TCP"] as const) {
      const me: Party = { kind: "pod", pod: src };
      const dns: Party = { kind: "pod", pod: e.pod };
      const d = decide(ix, me, dns, proto, e.port);
      const side =
        d.egress.isolated && !d.egressRule ? d.egress : d.ingress.isolated && !d.ingressRule ? d.ingress : undefined;
      if (!side) continue;
      const why = `${proto} ${e.port} to ${ref(e.pod)}: ${side.direction} ${side.direction === "egress" ? "of the pod" : `of ${side.subject}`} denied by ${side.selecting.join(", ")}`;
      (proto === "UDP" ? deniedUdp : deniedTcp).push(why);
      near ??=
        side.direction === "egress"
          ? missNote(ix, "egress", me, dns, proto, e.port)
          : missNote(ix, "ingress", dns, me, proto, e.port);
    }
  }
  const nearNote = near ? `; nearest: ${near}` : "";
  const dnsPods = eps.flatMap((e) => e.pod ?? []);
  const egressDenied = [...deniedUdp, ...deniedTcp].some((w) => w.includes(": egress of the pod"));
  if (egressDenied && dnsPods.length) yaml = dnsEgressPolicy(state, src, dnsPods, eps[0].port);
  if (deniedUdp.length) {
    const c = mk(
      "dns.policy",
      "DNS allowed by NetworkPolicy",
      false,
      `${deniedUdp[0]}${deniedUdp.length > 1 ? ` (and ${deniedUdp.length - 1} more)` : ""}${nearNote}`,
      `the pod's DNS queries are dropped by NetworkPolicy${near ? ` (${near})` : ""}: names do not resolve ("bad address", not "connection refused")`,
      egressDenied
        ? "allow egress to the DNS pods on UDP and TCP 53 (YAML below)"
        : "allow the pod in the DNS pods' ingress policy on UDP and TCP 53",
    );
    if (yaml) c.yaml = yaml;
    checks.push(c);
  } else if (deniedTcp.length) {
    const c = mk(
      "dns.policy",
      "DNS allowed by NetworkPolicy",
      false,
      `UDP 53 allowed; ${deniedTcp[0]}${nearNote}`,
      "answers too large for UDP (truncated, TC bit) cannot be retried over TCP",
      "allow TCP 53 as well as UDP 53 to the DNS pods",
    );
    c.severity = "warning";
    if (yaml) c.yaml = yaml;
    checks.push(c);
  } else if (eps.length)
    checks.push(mk("dns.policy", "DNS allowed by NetworkPolicy", true, "UDP and TCP 53 to the DNS pods allowed"));

  return yaml ? { checks, yaml } : { checks };
}

/** dns.upstream: names outside the cluster's zone go to CoreDNS's upstream, and it answers. */
function upstreamChecks(
  state: ClusterState,
  q: ReturnType<typeof resolveFromPod>["queries"],
  walk: ReturnType<typeof resolveFromPod>,
): DiagnoseCheck[] {
  const zone = state.dns.zone.replace(/\.$/, "").toLowerCase();
  const outside = (name: string) => {
    const x = name.replace(/\.$/, "").toLowerCase();
    return x !== zone && !x.endsWith(`.${zone}`) && !x.endsWith(".arpa");
  };
  const out = q.filter((x) => outside(x.name));
  if (!out.length) return [];
  const lost = out.filter((x) => x.rcode === "TIMEOUT");
  if (!lost.length)
    return [
      mk(
        "dns.upstream",
        "outside names answered upstream",
        true,
        `${out.map((x) => `${x.name} ${x.rcode}`).join(", ")}`,
      ),
    ];
  const faults = faultsOf(state, ["dns-upstream-down"]);
  return [
    mk(
      "dns.upstream",
      "outside names answered upstream",
      false,
      `${lost.map((x) => x.name).join(", ")}: no answer ${timeoutText(walk.waited ?? 0, walk.timing, "glibc")}${faultNote(faults)}`,
      "names outside the cluster are forwarded upstream by CoreDNS, and nothing answers: the lookup times out (EAI_AGAIN)",
      faultFix(faults) || "check CoreDNS's forward upstream (kubectl -n kube-system logs -l k8s-app=kube-dns)",
    ),
  ];
}

/** The replicas ("ns/pod IP") the failing query paths went to, after the Service's DNAT. */
function unreachableReplicas(state: ClusterState, paths: TracePath[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p.disposition.verdict === "DELIVERED") continue;
    const ip = p.hops.at(-1)?.steps.at(-1)?.packet.dst;
    const pod = ip ? state.pods.find((x) => x.podIP === ip && !x.spec.hostNetwork) : undefined;
    const name = pod ? `${ref(pod)} ${ip}` : ip;
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** dns.resolve and dns.ndots: which name of the search list answered, after how many queries. */
function walkChecks(
  state: ClusterState,
  src: PodState,
  host: string,
  walk: ReturnType<typeof resolveFromPod>,
  trace: TraceResult | undefined,
): { checks: DiagnoseCheck[]; answer?: string } {
  const q = walk.queries;
  const checks: DiagnoseCheck[] = upstreamChecks(state, q, walk);
  const n = plural(q.length, "query", "queries");
  const lookup = trace?.dns?.lookup;
  if (walk.result.status === "found" && walk.result.values.length) {
    const answered = (walk.result.name ?? "").replace(/\.$/, "");
    const bare = host.replace(/\.$/, "").toLowerCase();
    const suffix = answered.startsWith(`${bare}.`) ? answered.slice(bare.length + 1) : "";
    const via = suffix ? ` (search domain ${suffix})` : answered === bare ? " (as given)" : "";
    const ev = `${host} → ${walk.result.values[0]}: ${answered}${via} answered after ${n}`;
    // The faults on the failing query paths (a pod route deleted, a link down …).
    const failing = (trace?.dns?.path ?? []).filter((p) => p.disposition.verdict !== "DELIVERED");
    const qfaults = [
      ...new Set(
        failing.flatMap((p) => {
          const nsIds = p.hops.map((h) => h.ns);
          // Still addressed to the Service when it ended: nothing translated it on the node.
          const untranslated = p.hops.at(-1)?.steps.at(-1)?.packet.dst === walk.nameserver;
          return [
            ...faultsForDrop(state, p.disposition.reason ?? p.disposition.verdict, nsIds),
            ...(untranslated ? faultsOf(state, ["kube-proxy-flushed"], visited(state, nsIds)) : []),
          ];
        }),
      ),
    ];
    if (lookup?.status === "failed")
      checks.push(
        mk(
          "dns.resolve",
          "name resolves from the pod",
          false,
          `${ev} in the zone, but ${lookup.reason}${faultNote(qfaults)}`,
          `${lookup.reason}: no query gets an answer, getaddrinfo fails (EAI_AGAIN)`,
          faultFix(qfaults) || "fix the DNS checks above",
        ),
      );
    else if (lookup) {
      // kube-proxy sends each query to one CoreDNS replica, picked at random
      // (https://kubernetes.io/docs/reference/networking/virtual-ips/): those that reach an
      // unreachable replica time out, so lookups fail now and then, not always.
      const lost = unreachableReplicas(state, trace?.dns?.path ?? []);
      const pct = Math.round(lookup.failed * 100);
      const c = mk(
        "dns.resolve",
        "name resolves from the pod",
        false,
        `${ev} in the zone, but ${lookup.reasons.join("; ")}${faultNote(qfaults)}`,
        `queries kube-proxy sends to ${lost.join(", ") || "some CoreDNS replicas"} get no answer: lookups fail intermittently (about ${pct}% of queries time out; glibc retries, or goes on down the search list)`,
        faultFix(qfaults) || `fix the path from ${ref(src)} to ${lost.join(", ") || "every CoreDNS replica"}`,
      );
      c.severity = "warning";
      checks.push(c);
    } else checks.push(mk("dns.resolve", "name resolves from the pod", true, ev));
    // ndots: an outside name walked the search list first (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config).
    const zone = state.dns.zone.replace(/\.$/, "");
    const outside = answered !== zone && !answered.endsWith(`.${zone}`);
    if (outside && q.length > 1) {
      const c = mk(
        "dns.ndots",
        "search-list cost",
        false,
        `${host} is outside the cluster: ${q.length - 1} search-domain ${q.length === 2 ? "query" : "queries"} answered ${[...new Set(q.slice(0, -1).map((x) => x.rcode))].join("/")} before ${answered} (${walk.why})`,
        `every lookup of ${host} costs ${n} instead of 1 (ndots)`,
        `write the name fully qualified with a trailing dot (${bare}.), or lower ndots in the pod's dnsConfig (options: [{name: ndots, value: "1"}])`,
      );
      c.severity = "warning";
      checks.push(c);
    } else if (outside)
      checks.push(mk("dns.ndots", "search-list cost", true, `${answered} answered on the first query`));
    return { checks, answer: walk.result.values[0] };
  }
  // Not found. A pod whose nameserver is not the cluster DNS (dnsPolicy Default, or a
  // hostNetwork pod with ClusterFirst) resolves no cluster name at all
  // (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy).
  if (!state.services.some((s) => s.clusterIP && s.clusterIP === walk.nameserver)) {
    const policy = src.spec.dnsPolicy ?? "ClusterFirst";
    checks.push(
      mk(
        "dns.resolve",
        "name resolves from the pod",
        false,
        `${host}: ${walk.result.status} after ${n}; the pod's nameserver ${walk.nameserver ?? "(none)"} is not the cluster DNS (dnsPolicy ${policy}${src.spec.hostNetwork ? ", hostNetwork" : ""})`,
        `${ref(src)} does not ask the cluster DNS, so cluster names do not resolve from it`,
        src.spec.hostNetwork ? "set dnsPolicy: ClusterFirstWithHostNet" : "set dnsPolicy: ClusterFirst (the default)",
      ),
    );
    return { checks };
  }
  // Is the first label a Service of another namespace?
  const first = host.replace(/\.$/, "").split(".")[0].toLowerCase();
  const elsewhere = state.services.filter((s) => s.name === first && s.namespace !== src.namespace);
  const hint = elsewhere.length
    ? `${first} exists only in namespace ${elsewhere.map((s) => s.namespace).join(", ")}: use ${first}.${elsewhere[0].namespace}`
    : undefined;
  checks.push(
    mk(
      "dns.resolve",
      "name resolves from the pod",
      false,
      `${host}: ${q.map((x) => `${x.name.replace(/\.$/, "")} ${x.rcode}`).join(", ")} (${walk.result.status} after ${n})${hint ? `; ${hint}` : ""}`,
      `${host} does not resolve from ${ref(src)}`,
      hint
        ? `call it by ${first}.${elsewhere[0].namespace} (or ${first}.${elsewhere[0].namespace}.svc.${state.dns.zone})`
        : "check the name (kubectl get svc -A) and the pod's resolv.conf search list",
    ),
  );
  return { checks };
}

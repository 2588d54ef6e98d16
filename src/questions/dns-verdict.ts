// DNS is part of a verdict: a flow to a name first needs the name's lookup, and a pod whose
// DNS query cannot reach a nameserver cannot resolve names at all ("a pod whose egress
// policy lacks port 53 cannot resolve names": the egress examples of
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ allow UDP/TCP 53
// for that reason). The query goes to the pod's nameserver (the kube-dns Service IP) on
// UDP 53; the interpreter traces it as `dns.path`, one path per random choice (a CoreDNS
// replica each).
//
// A modelling choice: the whole lookup follows one path of the query (glibc keeps one
// socket per nameserver across its retries and search names, so one conntrack entry and
// one replica); each failing query path becomes a
// DROPPED path of the flow, with the query's hops and the DNS step as its cause; each
// answering query path carries the connection's own paths, their probabilities scaled.
// A flow whose query always answers is left exactly as the interpreter gave it.
//
// A nameserver that nobody serves (an address outside the cluster in a pod's dnsConfig,
// resolver.ts nameserverRole) gets the query but never answers: where the query's path
// arrives (leaves the cluster, or reaches a pod that runs no DNS server) the lookup times
// out after the resolver's timeout × attempts ("name lookup failed: query to 1.2.3.4:53
// timed out after 10 s …"); a path dropped or refused on the way keeps that cause.

import type { ClusterState, PodState } from "../control/state.js";
import { cidrContains, ipToInt, isIPv4, parseCidr } from "../net/ipv4.js";
import { decide, indexPolicies, type Party, type PolicyIndex } from "../policy/engine.js";
import type { DnsLookup, DnsQuery, DropReason, TracePath, TraceResult } from "../sim/index.js";
import { missNote } from "./diagnose-policy.js";

/** A query path that arrives: at a nameserver, or out of the cluster (to the node's upstream). */
const arrives = (p: TracePath) => p.disposition.verdict === "DELIVERED" || p.disposition.verdict === "EXITS_CLUSTER";

/**
 * `arrives`, knowing the cluster: a query that leaves the cluster still addressed to a pod
 * or a Service address (no route to the CoreDNS pod's node, kube-proxy's DNAT missing) meets
 * no nameserver outside; nobody answers it, as on the kernel.
 */
function arrivesIn(state: ClusterState | undefined): (p: TracePath) => boolean {
  if (!state) return arrives;
  const nets = [state.config.networking.podSubnet, state.config.networking.serviceSubnet].flatMap((c) => {
    try {
      return c ? [parseCidr(c, true)] : [];
    } catch {
      return [];
    }
  });
  return (p) => {
    if (p.disposition.verdict !== "EXITS_CLUSTER") return p.disposition.verdict === "DELIVERED";
    const dst = p.hops.at(-1)?.steps.at(-1)?.packet.dst ?? "";
    return !isIPv4(dst) || !nets.some((n) => cidrContains(n, ipToInt(dst)));
  };
}

/** The party at an address, as NetworkPolicy sees it. */
function partyAt(state: ClusterState, ip: string): Party {
  const pod = state.pods.find((p) => p.podIP === ip && !p.spec.hostNetwork);
  return pod ? { kind: "pod", pod } : { kind: "ip", ip: ipToInt(ip) };
}

/** "policy NS/NAME" (and which side, when the nameserver's ingress denies it); undefined: allowed. */
function deniedBy(ix: PolicyIndex, src: PodState, dst: Party, port: number): string | undefined {
  const d = decide(ix, { kind: "pod", pod: src }, dst, "UDP", port);
  const side =
    d.egress.isolated && !d.egressRule ? d.egress : d.ingress.isolated && !d.ingressRule ? d.ingress : undefined;
  if (!side) return undefined;
  const by = `${side.selecting.length > 1 ? "policies" : "policy"} ${side.selecting.join(", ")}`;
  return side.direction === "egress" ? by : `${by} (ingress of ${side.subject})`;
}

/** "policy NS/NAME" for a query path the interpreter dropped as POLICY_DENIED. */
function policyCause(state: ClusterState | undefined, from: string, path: TracePath): string | undefined {
  if (!state) return undefined;
  const src = state.pods.find((p) => `${p.namespace}/${p.name}` === from);
  const last = path.hops.at(-1)?.steps.at(-1)?.packet;
  if (!src || !last) return undefined;
  // The dropped packet's destination is the nameserver's pod once the Service's DNAT happened.
  return deniedBy(indexPolicies(state), src, partyAt(state, last.dst), last.dport ?? 53);
}

/**
 * NetworkPolicy alone (L3/L4, as `reach` sees it): can a pod's DNS queries reach its
 * nameserver (its resolv.conf's first, on UDP 53; behind a Service, each ready endpoint)?
 * A short note when some or all cannot ("DNS: name lookups fail: UDP 53 to 10.96.0.10
 * (kube-system/kube-dns) denied by policy NS/NAME; …"), undefined when all can.
 */
export function dnsEgressNote(ix: PolicyIndex, pod: PodState): string | undefined {
  const ns = /^nameserver\s+(\S+)/m.exec(pod.resolvConf ?? "")?.[1];
  if (!ns) return undefined;
  const state = ix.state;
  const svc = state.services.find((s) => s.clusterIP === ns);
  const targets: { ip: string; port: number }[] = [];
  if (svc) {
    const sp = svc.ports.find((p) => p.protocol === "UDP" && p.port === 53);
    if (!sp) return undefined;
    for (const sl of state.endpointSlices) {
      if (sl.namespace !== svc.namespace || sl.serviceName !== svc.name) continue;
      const port = sl.ports.find((p) => p.protocol === "UDP" && (p.name ?? "") === (sp.name ?? ""))?.port;
      if (port === undefined) continue;
      for (const e of sl.endpoints)
        if (e.conditions.ready !== false) for (const a of e.addresses) targets.push({ ip: a, port });
    }
  } else targets.push({ ip: ns, port: 53 });
  if (!targets.length) return undefined;
  const denied = targets.flatMap((t) => {
    const by = deniedBy(ix, pod, partyAt(state, t.ip), t.port);
    return by ? [{ t, by }] : [];
  });
  if (!denied.length) return undefined;
  const to = `UDP 53 to ${ns}${svc ? ` (${svc.namespace}/${svc.name})` : ""}`;
  const by = [...new Set(denied.map((d) => d.by))].join("; ");
  // The allow-DNS rule that misses the nameserver by one thing, as diagnose names it.
  const me: Party = { kind: "pod", pod };
  const first = denied[0].t;
  const server = partyAt(state, first.ip);
  const near =
    missNote(ix, "egress", me, server, "UDP", first.port) ?? missNote(ix, "ingress", server, me, "UDP", first.port);
  const nearest = near ? `; nearest: ${near}` : "";
  return denied.length === targets.length
    ? `DNS: name lookups fail: ${to} denied by ${by}${nearest}; by name, no connection`
    : `DNS: name lookups fail on ${denied.length} of ${targets.length} endpoints: ${to} denied by ${by}${nearest}`;
}

/** " (to NS/POD IP)": which nameserver the query path went to, after the Service's DNAT. */
function replica(state: ClusterState | undefined, path: TracePath): string {
  const ip = path.hops.at(-1)?.steps.at(-1)?.packet.dst;
  const pod = ip ? state?.pods.find((p) => p.podIP === ip && !p.spec.hostNetwork) : undefined;
  return ip ? ` (to ${pod ? `${pod.namespace}/${pod.name} ` : ""}${ip})` : "";
}

/** Why one query path fails, as the lookup's reason; `which`: name the replica it went to. */
function failure(state: ClusterState | undefined, r: TraceResult, path: TracePath, which: boolean): string {
  const d = path.disposition;
  const t = r.dns?.timeout;
  if (t && arrives(path))
    return `name lookup failed: query to ${t.nameservers.map((n) => `${n}:53`).join(", ")} timed out ${t.after}`;
  const q = `query to ${r.dns?.nameserver}:53${which ? replica(state, path) : ""}`;
  let what: string;
  if (d.reason === "POLICY_DENIED") {
    const by = policyCause(state, podOf(r), path);
    what = by ? `dropped by ${by}` : `dropped: ${d.detail}`;
  } else if (d.verdict === "REFUSED") what = `refused: ${d.detail}`;
  else if (d.verdict === "EXITS_CLUSTER") what = `got no answer: ${d.detail}`;
  else what = `${d.verdict.toLowerCase()}${d.reason ? ` (${d.reason})` : ""}: ${d.detail}`;
  return `name lookup failed: ${q} ${what}`;
}

/** The source pod's NS/NAME from the flow's namespace id ("pod/NS/NAME"). */
const podOf = (r: TraceResult) => (r.flow.srcNs.startsWith("pod/") ? r.flow.srcNs.slice(4) : r.flow.from);

/** Choices of the query, told apart from the connection's own. */
const dnsChoice = (c: string) => `DNS query: ${c}`;

/** The DROPPED path a failing query path stands for: the DNS step, the query's hops, its cause. */
function failedPath(r: TraceResult, q: TracePath, reason: string): TracePath {
  const first = q.hops[0]?.steps[0]?.packet;
  const hops = q.hops.map((h) => ({ ns: h.ns, steps: h.steps.slice() }));
  if (first && hops.length) {
    const walk = r.dns?.walk.map((w) => w.name).join(", ") ?? "";
    hops[0].steps.unshift({
      action: "DNS",
      detail: `resolve ${r.flow.host ?? r.flow.to}: ${walk} A via ${r.dns?.nameserver}:53`,
      packet: first,
    });
  }
  const d = q.disposition;
  // The query arrived where nobody answers: the wait for the answer decided, at its end.
  const at = hops.at(-1);
  const last = at?.steps.at(-1)?.packet;
  if (arrives(q) && at && last) at.steps.push({ action: "DNS", detail: reason, packet: last, decided: true });
  return {
    probability: q.probability,
    choices: q.choices.map(dnsChoice),
    hops,
    disposition: {
      verdict: "DROPPED",
      // The query got no answer (dropped, refused by the kernel, or nobody serves the
      // address): glibc retries, then getaddrinfo gives EAI_AGAIN. The query's own
      // reason (POLICY_DENIED …) stays on its deciding step and in the detail.
      reason: "DNS_TIMEOUT",
      detail: reason,
      ...(d.ns ? { ns: d.ns } : {}),
      ...(d.object ? { object: d.object } : {}),
    },
  };
}

/**
 * The reason of a lookup the nameserver answered without an address: REFUSED anywhere in
 * the walk ends it (glibc stops searching on REFUSED), NXDOMAIN/NODATA on every name is
 * "no such name", SERVFAIL is a temporary failure (EAI_AGAIN) like a timeout.
 */
function answeredReason(walk: DnsQuery[]): DropReason {
  if (walk.some((w) => w.rcode === "REFUSED")) return "DNS_REFUSED";
  if (walk.every((w) => w.rcode === "NXDOMAIN" || w.rcode === "NODATA")) return "DNS_NXDOMAIN";
  return "DNS_TIMEOUT";
}

/**
 * The DROPPED paths of a name the nameserver answered without an address: the query's
 * hops (one path per query path), then the DNS step with the walk's answers, which decided.
 */
function notFoundPaths(r: TraceResult, queries: TracePath[]): TracePath[] {
  const dns = r.dns!;
  const reason = answeredReason(dns.walk);
  const walk = dns.walk.map((w) => `${w.name} ${w.rcode}`).join(", ");
  const detail = `name lookup failed: ${walk || "no query"} (nameserver ${dns.nameserver}:53${reason === "DNS_NXDOMAIN" ? ": no such name" : ""})`;
  return queries.map((q) => {
    const hops = q.hops.map((h) => ({ ns: h.ns, steps: h.steps.slice() }));
    const at = hops.at(-1);
    const packet = at?.steps.at(-1)?.packet;
    if (at && packet) at.steps.push({ action: "DNS", detail, packet, decided: true });
    return {
      probability: q.probability,
      choices: q.choices.map(dnsChoice),
      hops,
      disposition: { verdict: "DROPPED", reason, detail, ...(at ? { ns: at.ns } : {}) },
    };
  });
}

/**
 * The flow's verdict with its name lookup in it (see the header). `state` names the
 * policies; `maxPaths` caps the combined paths. Returns `r` itself when every query path
 * answers (or there was no name, or no query trace).
 */
export function withDnsVerdict(r: TraceResult, state: ClusterState | undefined, maxPaths = 4096): TraceResult {
  const queries = r.dns?.path;
  if (!r.dns || !queries?.length) return r;
  // Nobody answers at the nameservers: a path the query arrives on gets no answer either.
  const answers = r.dns.timeout && !r.dns.answer ? () => false : arrivesIn(state);
  if (queries.every(answers)) {
    if (r.dns.answer || r.dns.hosts) return r;
    // Answered, with no address (NXDOMAIN, REFUSED …): the flow ends at the answer.
    const paths = notFoundPaths(r, queries);
    return { ...r, paths: paths.slice(0, maxPaths), ...(paths.length > maxPaths ? { truncated: true } : {}) };
  }
  const paths: TracePath[] = [];
  const reasons: string[] = [];
  const all = !queries.some(answers);
  let failed = 0;
  for (const q of queries) {
    if (answers(q)) {
      for (const p of r.paths)
        paths.push({
          ...p,
          probability: p.probability * q.probability,
          choices: [...q.choices.map(dnsChoice), ...p.choices],
        });
      continue;
    }
    const why = failure(state, r, q, !all);
    if (!reasons.includes(why)) reasons.push(why);
    failed += q.probability;
    paths.push(failedPath(r, q, why));
  }
  const lookup: DnsLookup = {
    status: all ? "failed" : "partial",
    failed: all ? 1 : failed,
    reason: reasons[0],
    reasons,
  };
  const out: TraceResult = { ...r, dns: { ...r.dns, lookup }, paths: paths.slice(0, maxPaths) };
  if (paths.length > maxPaths) out.truncated = true;
  return out;
}

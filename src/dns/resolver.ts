// The pod's stub resolver walking its search list (pure).
//
// glibc (resolv/res_query.c __res_context_search):
//   - a trailing dot: the name as is, nothing else;
//   - dots ≥ ndots: the name as is first; if it has no answer, the search list;
//   - else the search list first, then the name as is (unless tried already);
//   - per search domain: an answer ends the walk; NXDOMAIN and NODATA go on (NODATA is
//     remembered), SERVFAIL goes on (remembered); any other rcode stops the list.
//   - result when nothing answered: the as-is attempt's error if it was tried first,
//     else NODATA if any NODATA, else SERVFAIL (TRY_AGAIN) if any, else NXDOMAIN.
// musl (src/network/lookup_name.c name_from_dns_search):
//   - dots ≥ ndots or a trailing dot: the name as is only, no search list at all;
//   - else each search domain, then the name as is;
//   - NXDOMAIN → next; an answer ends the walk; NODATA (NOERROR, no record of the type),
//     SERVFAIL or any other rcode stop the walk at once.
// Before any of it, getaddrinfo reads /etc/hosts: nsswitch `hosts: files dns` (glibc; the
// images' /etc/nsswitch.conf) and musl (lookup_name.c: name_from_hosts before
// name_from_dns_search) both answer from the file when it names the host, and send no query.
// Both send A and AAAA together for getaddrinfo(AF_UNSPEC) (glibc: on one socket unless
// `single-request`); the walk below is for the one type asked, the order of names is the
// same for each type.
//
// A nameserver nobody answers at (resolv.conf(5): `options timeout:N attempts:N rotate`):
//   - glibc (resolv/res_send.c __res_context_send, send_dg): up to `attempts` rounds over
//     the first 3 nameservers (MAXNS), in list order (`rotate`: each query starts one server
//     further); server i (0-based) is waited for `timeout << i` seconds, divided by the
//     server count for i > 0, at least 1 s. Defaults RES_TIMEOUT 5 (at most 30), RES_DFLRETRY
//     2 (at most 5): one nameserver that never answers costs 5 s × 2 = 10 s per query. The
//     search walk treats the timeout (TRY_AGAIN without SERVFAIL) as "done": no more search
//     domains, but the name as is is still tried (res_query.c), so a short name costs two
//     timeouts. getaddrinfo then fails with EAI_AGAIN ("Temporary failure in name resolution").
//   - musl (src/network/res_msend.c, resolvconf.c): every nameserver at once, retried every
//     timeout/attempts, given up after `timeout` seconds in all (default 5, at most 60;
//     attempts default 2, at most 10; no rotate); a timeout ends the walk (EAI_AGAIN).
import type { ClusterState, PodState } from "../control/state.js";
import { clusterDnsIP } from "../control/dns.js";
import { parseResolvConf, resolvConfFor } from "../control/resolvconf.js";
import { hostsFileOf, hostsLookup, type HostsEntry } from "../control/hosts.js";
import { createZone, typeNumber, type RR, type Rcode, type Zone } from "./zone.js";

export type Libc = "glibc" | "musl";

/** A query's outcome: the answer's rcode, or TIMEOUT when no nameserver answered. */
export type QueryRcode = Rcode | "TIMEOUT";

export interface WalkQuery {
  /** Absolute name sent, with the trailing dot. */
  name: string;
  type: string;
  rcode: QueryRcode;
  answers: RR[];
  /** The nameserver that answered (absent when none did). */
  server?: string;
  /** Seconds spent waiting for nameservers that never answer (before the answer, or in all). */
  waited?: number;
}
export interface WalkResult {
  queries: WalkQuery[];
  result: {
    status: "found" | "NXDOMAIN" | "NODATA" | "SERVFAIL" | "TIMEOUT";
    /** The name that answered (absolute, with the trailing dot). */
    name?: string;
    answers: RR[];
    /** The addresses/targets of the asked type, in answer order. */
    values: string[];
  };
  /** One line on why the walk went the way it did (ndots rule). */
  why: string;
  /** Set when /etc/hosts answered (files before dns): its matching lines; no query was sent. */
  hosts?: HostsEntry[];
  /** Seconds the walk spent waiting for nameservers that never answer (absent: none). */
  waited?: number;
}

export type QueryFn = (
  fqdn: string,
  type: string,
) => { rcode: QueryRcode; answers: RR[]; server?: string; waited?: number };

type Failure = "NXDOMAIN" | "NODATA" | "SERVFAIL" | "TIMEOUT";

const join = (name: string, domain: string): string => (domain ? `${name}.${domain}` : name);

export function walk(resolvConf: string, name: string, type: string, libc: Libc, query: QueryFn): WalkResult {
  const conf = parseResolvConf(resolvConf);
  const ndots = conf.ndots;
  const trailing = name.endsWith(".");
  const bare = trailing ? name.slice(0, -1) : name;
  // glibc counts every dot in the name as given, the trailing one included.
  const dots = (name.match(/\./g) ?? []).length;
  const queries: WalkQuery[] = [];
  const hasType = (answers: RR[]) => answers.some((a) => a.type === type.toUpperCase());
  const ask = (fqdn: string) => {
    const r = query(fqdn, type);
    const q: WalkQuery = { name: `${fqdn}.`, type: type.toUpperCase(), rcode: r.rcode, answers: r.answers };
    if (r.server) q.server = r.server;
    if (r.waited) q.waited = r.waited;
    queries.push(q);
    return r;
  };
  const found = (fqdn: string, answers: RR[]): WalkResult["result"] => ({
    status: "found",
    name: `${fqdn}.`,
    answers,
    values: answers.filter((a) => a.type === type.toUpperCase()).map((a) => rdataText(a)),
  });
  const fail = (status: Failure): WalkResult["result"] => ({
    status,
    answers: [],
    values: [],
  });
  const search = conf.searches;

  if (libc === "musl") {
    const useSearch = !(dots >= ndots || trailing);
    const why = trailing
      ? "trailing dot: the name as is, no search list"
      : useSearch
        ? `${dots} dot(s) < ndots:${ndots}: each search domain, then the name as is; NODATA or SERVFAIL stop the walk (musl)`
        : `${dots} dot(s) ≥ ndots:${ndots}: the name as is only, musl never searches then`;
    if (useSearch)
      for (const d of search) {
        const fq = join(bare, d);
        const r = ask(fq);
        if (r.rcode === "NXDOMAIN") continue;
        if (r.rcode === "NOERROR" && hasType(r.answers)) return done({ queries, result: found(fq, r.answers), why });
        // No answer at all: EAI_AGAIN at once, like SERVFAIL (lookup_name.c name_from_dns).
        const st = r.rcode === "NOERROR" ? "NODATA" : r.rcode === "TIMEOUT" ? "TIMEOUT" : "SERVFAIL";
        return done({ queries, result: fail(st), why });
      }
    const r = ask(bare);
    if (r.rcode === "NOERROR" && hasType(r.answers)) return done({ queries, result: found(bare, r.answers), why });
    return done({ queries, result: fail(errOf(r.rcode)), why });
  }

  // glibc
  let gotNodata = false;
  let gotServfail = false;
  let saved: Failure | undefined;
  let triedAsIs = false;
  const why = trailing
    ? "trailing dot: the name as is, no search list"
    : dots >= ndots
      ? `${dots} dot(s) ≥ ndots:${ndots}: the name as is first, then the search list (glibc)`
      : `${dots} dot(s) < ndots:${ndots}: each search domain first, then the name as is (glibc)`;
  // res_query succeeds when the answer section is not empty.
  const ok = (r: { rcode: QueryRcode; answers: RR[] }) => r.rcode === "NOERROR" && r.answers.length > 0;
  if (dots >= ndots || trailing) {
    const r = ask(bare);
    if (ok(r)) return done({ queries, result: found(bare, r.answers), why });
    if (trailing) return done({ queries, result: fail(errOf(r.rcode)), why });
    saved = errOf(r.rcode);
    triedAsIs = true;
  }
  let searched = false;
  let last: Failure = "NXDOMAIN";
  for (const d of search) {
    searched = true;
    const fq = join(bare, d);
    const r = ask(fq);
    if (ok(r)) return done({ queries, result: found(fq, r.answers), why });
    last = errOf(r.rcode);
    if (r.rcode === "NOERROR") gotNodata = true;
    else if (r.rcode === "NXDOMAIN") continue;
    else if (r.rcode === "SERVFAIL") gotServfail = true;
    else break; // REFUSED, a timeout etc.: done (the name as is is still tried below)
  }
  void searched;
  if (!triedAsIs) {
    const r = ask(bare);
    if (ok(r)) return done({ queries, result: found(bare, r.answers), why });
    last = errOf(r.rcode);
  }
  const status = saved ?? (gotNodata ? "NODATA" : gotServfail ? "SERVFAIL" : last);
  return done({ queries, result: fail(status), why });
}

const errOf = (rcode: QueryRcode): Failure =>
  rcode === "NOERROR" ? "NODATA" : rcode === "NXDOMAIN" ? "NXDOMAIN" : rcode === "TIMEOUT" ? "TIMEOUT" : "SERVFAIL";

/** The walk's total wait, when a nameserver made it wait. */
function done(r: WalkResult): WalkResult {
  const waited = r.queries.reduce((t, q) => t + (q.waited ?? 0), 0);
  if (waited) r.waited = waited;
  return r;
}

/** A resolver's waiting rules from resolv.conf's options (see the header). */
export interface ResolverTiming {
  /** `timeout:N`, seconds. */
  timeout: number;
  /** `attempts:N`. */
  attempts: number;
  /** `rotate` (glibc only). */
  rotate: boolean;
}

export function resolverTiming(options: string[], libc: Libc): ResolverTiming {
  // glibc: RES_TIMEOUT 5 (capped at RES_MAXRETRANS 30), RES_DFLRETRY 2 (capped at RES_MAXRETRY 5)
  // (resolv/resolv.h, res_init.c); musl: 5 (at most 60) and 2 (at most 10) (resolvconf.c).
  const t: ResolverTiming = { timeout: 5, attempts: 2, rotate: false };
  const cap = libc === "glibc" ? { timeout: 30, attempts: 5 } : { timeout: 60, attempts: 10 };
  for (const o of options) {
    const m = /^(timeout|attempts):(\d+)$/.exec(o);
    if (m) t[m[1] as "timeout" | "attempts"] = Math.min(cap[m[1] as "timeout" | "attempts"], Number(m[2]));
    else if (o === "rotate" && libc === "glibc") t.rotate = true;
  }
  return t;
}

/** glibc's wait for server `i` of `n` (send_dg: `retrans << ns`, divided by nscount when ns > 0, at least 1). */
export function glibcServerWait(timeout: number, i: number, n: number): number {
  const s = i > 0 ? Math.floor((timeout * 2 ** i) / n) : timeout;
  return Math.max(1, s);
}

/**
 * Who answers a query sent to `servers` (in list order; `serves(i)`: does server i answer?)
 * and how long the resolver waits first: `server` undefined means none answered, after
 * `waited` seconds. `query` is the walk's query number (for glibc's rotate).
 */
export function nameserverWait(
  servers: string[],
  serves: (i: number) => boolean,
  timing: ResolverTiming,
  libc: Libc,
  query = 0,
): { server?: number; waited: number } {
  const n = Math.min(servers.length, 3); // MAXNS in both
  if (n === 0) return { waited: 0 };
  if (libc === "musl") {
    // All at once: the first to answer wins; nobody answers → `timeout` in all.
    for (let i = 0; i < n; i++) if (serves(i)) return { server: i, waited: 0 };
    return { waited: timing.timeout };
  }
  const offset = timing.rotate ? query % n : 0;
  let waited = 0;
  for (let t = 0; t < timing.attempts; t++)
    for (let k = 0; k < n; k++) {
      const i = (k + offset) % n;
      if (serves(i)) return { server: i, waited };
      waited += glibcServerWait(timing.timeout, i, n);
    }
  return { waited };
}

export function rdataText(a: RR): string {
  switch (a.type) {
    case "SRV":
      return `${a.data.priority} ${a.data.weight} ${a.data.port} ${a.data.target}.`;
    case "TXT":
      return a.data.map((t) => JSON.stringify(t)).join(" ");
    case "SOA":
      return `${a.data.mname}. ${a.data.rname}. ${a.data.serial} ${a.data.refresh} ${a.data.retry} ${a.data.expire} ${a.data.minimum}`;
    case "CNAME":
    case "PTR":
    case "NS":
      return `${a.data}.`;
    default:
      return a.data;
  }
}

/** Finds a pod by "ns/name", "name" (default namespace first) or a name prefix ("order-app"). */
export function findPod(state: ClusterState, ref: string, namespace?: string): PodState | undefined {
  let ns = namespace;
  let name = ref;
  const i = ref.indexOf("/");
  if (i >= 0) {
    ns = ref.slice(0, i);
    name = ref.slice(i + 1);
  }
  const inNs = (p: PodState) => (ns ? p.namespace === ns : true);
  const exact = state.pods.filter((p) => p.name === name && inNs(p));
  const pick = (l: PodState[]) => l.find((p) => p.namespace === "default") ?? l[0];
  if (exact.length > 0) return pick(exact);
  const prefix = state.pods
    .filter((p) => inNs(p) && p.name.startsWith(`${name}-`))
    .sort((a, b) => a.name.localeCompare(b.name));
  return prefix.length > 0 ? pick(prefix) : undefined;
}

export interface ResolveOptions {
  type?: string;
  libc?: Libc;
  zone?: Zone;
  namespace?: string;
}

/**
 * What answers at a nameserver address: "cluster" — the cluster DNS (the kube-dns Service
 * address, kubelet's clusterDNS, and the CoreDNS pods themselves: kube-system pods with a
 * port 53, the pods podnet's real cluster runs its DNS server in); "node" — the node's own
 * resolver (the config's hostDNS nameservers, what dnsPolicy Default copies), which knows
 * the outside names (externalDNS) and nothing under the cluster zone; undefined — nobody:
 * queries there time out.
 */
export function nameserverRole(state: ClusterState, ip: string): "cluster" | "node" | undefined {
  if (ip === clusterDnsIP(state.config)) return "cluster";
  const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
  if (dnsSvc && ip === dnsSvc.clusterIP) return "cluster";
  const coredns = state.pods.some(
    (p) =>
      p.podIP === ip &&
      p.namespace === "kube-system" &&
      !p.spec.hostNetwork &&
      p.spec.containers.some((c) => (c.ports ?? []).some((cp) => cp.containerPort === 53)),
  );
  if (coredns) return "cluster";
  if (state.config.hostDNS.nameservers.includes(ip)) return "node";
  return undefined;
}

/**
 * The walk a pod's resolver makes for `name`. Each query goes to the pod's nameservers in
 * the libc's order (see the header): the cluster DNS answers from the zone, the node's
 * resolver from the outside names, and an address nobody serves makes the resolver wait
 * (`TIMEOUT` when no nameserver answers). `nameserver` is the one that answered (the
 * first listed when none did).
 */
// A state's zone, built once: every name `diagnose`, `trace` or `resolve` looks up in one
// state asks the same zone (~4 s to index at 10,000 Services and 150,000 pods). A change
// makes a new state, so the cache never goes stale.
const ZONES = new WeakMap<ClusterState, Zone>();
function zoneOf(state: ClusterState): Zone {
  let z = ZONES.get(state);
  if (!z) ZONES.set(state, (z = createZone(state)));
  return z;
}

export function resolveFromPod(
  state: ClusterState,
  podRef: string,
  name: string,
  opts: ResolveOptions = {},
): WalkResult & { pod: PodState; resolvConf: string; nameserver: string | undefined; timing: ResolverTiming } {
  const pod = findPod(state, podRef, opts.namespace);
  if (!pod) throw new Error(`pod "${podRef}" not found`);
  const resolvConf = pod.resolvConf || resolvConfFor(state.config, pod.namespace, pod.spec).text;
  const type = (opts.type ?? "A").toUpperCase();
  const libc = opts.libc ?? "glibc";
  const conf = parseResolvConf(resolvConf);
  const servers = conf.nameservers.slice(0, 3);
  const timing = resolverTiming(conf.options, libc);
  const hostsText = hostsFileOf(state, pod);
  const inHosts = hostsText ? hostsLookup(hostsText, name, type, libc) : [];
  if (inHosts.length) {
    const values = inHosts.map((h) => h.address);
    const bare = name.replace(/\.$/, "");
    return {
      queries: [],
      result: {
        status: "found",
        name: `${bare}.`,
        answers: values.map((v) => ({ name: bare, type: type as "A" | "AAAA", ttl: 0, data: v })),
        values,
      },
      why: "/etc/hosts names it: files before dns (nsswitch hosts: files dns; musl reads it first), no query sent",
      hosts: inHosts,
      pod,
      resolvConf,
      nameserver: servers[0],
      timing,
    };
  }
  const zone = opts.zone ?? zoneOf(state);
  const roles = servers.map((ip) => nameserverRole(state, ip));
  // Fault dns-upstream-down: the resolver CoreDNS forwards to (the node's) does not answer,
  // so a name outside the cluster's zones gets no answer from either, and the pod's
  // resolver waits out its timeout (CoreDNS's forward plugin gives up after its own 5 s:
  // coredns/coredns plugin/forward/forward.go defaultTimeout, not before the client's).
  const upstreamDown = (state.config.faults ?? []).some((f) => f.kind === "dns-upstream-down");
  let asked = 0;
  const query: QueryFn = (fqdn, t) => {
    if (!servers.length) return { rcode: "SERVFAIL", answers: [] };
    const silent = upstreamDown && !zone.inZone(fqdn);
    const w = nameserverWait(servers, (i) => roles[i] !== undefined && !silent, timing, libc, asked++);
    if (w.server === undefined) return { rcode: "TIMEOUT", answers: [], waited: w.waited };
    const server = servers[w.server];
    const waited = w.waited ? { waited: w.waited } : {};
    if (roles[w.server] === "node" && zone.inZone(fqdn) && !/\.(in-addr|ip6)\.arpa$/i.test(fqdn))
      return { rcode: "NXDOMAIN", answers: [], server, ...waited };
    const a = zone.answer({ name: fqdn, type: typeNumber(t) ?? 1 });
    return { rcode: a.rcode, answers: a.answers, server, ...waited };
  };
  const r = walk(resolvConf, name, type, libc, query);
  const nameserver = r.queries.find((q) => q.server)?.server ?? servers[0];
  return { ...r, pod, resolvConf, nameserver, timing };
}

/** "after 10 s (options timeout:5 attempts:2, glibc)": how long a lookup waited in vain, and why. */
export function timeoutText(seconds: number, timing: ResolverTiming, libc: Libc): string {
  const opts = libc === "musl" ? `timeout:${timing.timeout}` : `timeout:${timing.timeout} attempts:${timing.attempts}`;
  return `after ${seconds} s (options ${opts}, ${libc})`;
}

/** The walk as text, one query per line, like the seeds' walkthroughs. */
export function formatWalk(r: ReturnType<typeof resolveFromPod>, name: string, libc: Libc): string {
  const lines: string[] = [];
  lines.push(`pod ${r.pod.namespace}/${r.pod.name} (${libc}) resolving "${name}"`);
  for (const l of r.resolvConf.trimEnd().split("\n")) lines.push(`  resolv.conf: ${l}`);
  lines.push(`  ${r.why}`);
  for (const h of r.hosts ?? []) lines.push(`  /etc/hosts line ${h.line}: ${h.text.replace(/\t/g, " ")}`);
  const servers = parseResolvConf(r.resolvConf).nameservers.slice(0, 3);
  r.queries.forEach((q, i) => {
    const to = q.server
      ? `${q.server}:53`
      : servers.length
        ? servers.map((s) => `${s}:53`).join(", ")
        : "(no nameserver)";
    const wait =
      q.rcode === "TIMEOUT"
        ? `: no answer ${timeoutText(q.waited ?? 0, r.timing, libc)}`
        : q.waited
          ? ` (after waiting ${q.waited} s for nameservers that do not answer)`
          : "";
    lines.push(
      `  ${i + 1}. ${q.name} ${q.type} → ${to}  ${q.rcode}${q.rcode === "NOERROR" && q.answers.length === 0 ? " (NODATA)" : ""}${wait}`,
    );
    for (const a of q.answers) lines.push(`       ${a.name}. ${a.ttl} IN ${a.type} ${rdataText(a)}`);
  });
  const res = r.result;
  if (res.status === "found")
    lines.push(
      r.hosts
        ? `result: ${res.values.join(", ")} (from /etc/hosts, no DNS query)`
        : `result: ${res.values.join(", ") || "(no records of the type)"} (${res.name}, after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"}${r.waited ? ` and ${r.waited} s` : ""})`,
    );
  else
    lines.push(
      `result: ${res.status} after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"}${r.waited ? ` and ${r.waited} s` : ""}${res.status === "TIMEOUT" ? ' (getaddrinfo: EAI_AGAIN, "Temporary failure in name resolution")' : ""}`,
    );
  return lines.join("\n");
}

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
import type { ClusterState, PodState } from "../control/state.js";
import { clusterDnsIP } from "../control/dns.js";
import { parseResolvConf, resolvConfFor } from "../control/resolvconf.js";
import { hostsFileOf, hostsLookup, type HostsEntry } from "../control/hosts.js";
import { createZone, typeNumber, type RR, type Rcode, type Zone } from "./zone.js";

export type Libc = "glibc" | "musl";

export interface WalkQuery {
  /** Absolute name sent, with the trailing dot. */
  name: string;
  type: string;
  rcode: Rcode;
  answers: RR[];
}
export interface WalkResult {
  queries: WalkQuery[];
  result: {
    status: "found" | "NXDOMAIN" | "NODATA" | "SERVFAIL";
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
}

export type QueryFn = (fqdn: string, type: string) => { rcode: Rcode; answers: RR[] };

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
    queries.push({ name: `${fqdn}.`, type: type.toUpperCase(), rcode: r.rcode, answers: r.answers });
    return r;
  };
  const found = (fqdn: string, answers: RR[]): WalkResult["result"] => ({
    status: "found",
    name: `${fqdn}.`,
    answers,
    values: answers.filter((a) => a.type === type.toUpperCase()).map((a) => rdataText(a)),
  });
  const fail = (status: "NXDOMAIN" | "NODATA" | "SERVFAIL"): WalkResult["result"] => ({
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
        if (r.rcode === "NOERROR" && hasType(r.answers)) return { queries, result: found(fq, r.answers), why };
        return { queries, result: fail(r.rcode === "NOERROR" ? "NODATA" : "SERVFAIL"), why };
      }
    const r = ask(bare);
    if (r.rcode === "NOERROR" && hasType(r.answers)) return { queries, result: found(bare, r.answers), why };
    return {
      queries,
      result: fail(r.rcode === "NOERROR" ? "NODATA" : r.rcode === "NXDOMAIN" ? "NXDOMAIN" : "SERVFAIL"),
      why,
    };
  }

  // glibc
  let gotNodata = false;
  let gotServfail = false;
  let saved: "NXDOMAIN" | "NODATA" | "SERVFAIL" | undefined;
  let triedAsIs = false;
  const why = trailing
    ? "trailing dot: the name as is, no search list"
    : dots >= ndots
      ? `${dots} dot(s) ≥ ndots:${ndots}: the name as is first, then the search list (glibc)`
      : `${dots} dot(s) < ndots:${ndots}: each search domain first, then the name as is (glibc)`;
  const errOf = (rcode: Rcode): "NXDOMAIN" | "NODATA" | "SERVFAIL" =>
    rcode === "NOERROR" ? "NODATA" : rcode === "NXDOMAIN" ? "NXDOMAIN" : "SERVFAIL";
  // res_query succeeds when the answer section is not empty.
  const ok = (r: { rcode: Rcode; answers: RR[] }) => r.rcode === "NOERROR" && r.answers.length > 0;
  if (dots >= ndots || trailing) {
    const r = ask(bare);
    if (ok(r)) return { queries, result: found(bare, r.answers), why };
    if (trailing) return { queries, result: fail(errOf(r.rcode)), why };
    saved = errOf(r.rcode);
    triedAsIs = true;
  }
  let searched = false;
  let last: "NXDOMAIN" | "NODATA" | "SERVFAIL" = "NXDOMAIN";
  for (const d of search) {
    searched = true;
    const fq = join(bare, d);
    const r = ask(fq);
    if (ok(r)) return { queries, result: found(fq, r.answers), why };
    last = errOf(r.rcode);
    if (r.rcode === "NOERROR") gotNodata = true;
    else if (r.rcode === "NXDOMAIN") continue;
    else if (r.rcode === "SERVFAIL") gotServfail = true;
    else break; // REFUSED etc.: done
  }
  void searched;
  if (!triedAsIs) {
    const r = ask(bare);
    if (ok(r)) return { queries, result: found(bare, r.answers), why };
    last = errOf(r.rcode);
  }
  const status = saved ?? (gotNodata ? "NODATA" : gotServfail ? "SERVFAIL" : last);
  return { queries, result: fail(status), why };
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
 * The walk a pod's resolver makes for `name`, answered by the cluster DNS when the pod's
 * nameserver is the cluster DNS address, else by the node's resolver (which knows the
 * outside names, i.e. the config's externalDNS, and nothing under the cluster zone).
 */
export function resolveFromPod(
  state: ClusterState,
  podRef: string,
  name: string,
  opts: ResolveOptions = {},
): WalkResult & { pod: PodState; resolvConf: string; nameserver: string | undefined } {
  const pod = findPod(state, podRef, opts.namespace);
  if (!pod) throw new Error(`pod "${podRef}" not found`);
  const resolvConf = pod.resolvConf || resolvConfFor(state.config, pod.namespace, pod.spec).text;
  const type = (opts.type ?? "A").toUpperCase();
  const conf = parseResolvConf(resolvConf);
  const nameserver = conf.nameservers[0];
  const libc = opts.libc ?? "glibc";
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
      nameserver,
    };
  }
  const zone = opts.zone ?? createZone(state);
  const clusterDns = clusterDnsIP(state.config);
  const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
  const isCluster = nameserver === clusterDns || (dnsSvc && nameserver === dnsSvc.clusterIP);
  const query: QueryFn = (fqdn, t) => {
    if (!nameserver) return { rcode: "SERVFAIL", answers: [] };
    if (!isCluster && zone.inZone(fqdn) && !/\.(in-addr|ip6)\.arpa$/i.test(fqdn))
      return { rcode: "NXDOMAIN", answers: [] };
    const a = zone.answer({ name: fqdn, type: typeNumber(t) ?? 1 });
    return { rcode: a.rcode, answers: a.answers };
  };
  const r = walk(resolvConf, name, type, libc, query);
  return { ...r, pod, resolvConf, nameserver };
}

/** The walk as text, one query per line, like the seeds' walkthroughs. */
export function formatWalk(r: ReturnType<typeof resolveFromPod>, name: string, libc: Libc): string {
  const lines: string[] = [];
  lines.push(`pod ${r.pod.namespace}/${r.pod.name} (${libc}) resolving "${name}"`);
  for (const l of r.resolvConf.trimEnd().split("\n")) lines.push(`  resolv.conf: ${l}`);
  lines.push(`  ${r.why}`);
  for (const h of r.hosts ?? []) lines.push(`  /etc/hosts line ${h.line}: ${h.text.replace(/\t/g, " ")}`);
  r.queries.forEach((q, i) => {
    lines.push(
      `  ${i + 1}. ${q.name} ${q.type} → ${r.nameserver ?? "(no nameserver)"}:53  ${q.rcode}${q.rcode === "NOERROR" && q.answers.length === 0 ? " (NODATA)" : ""}`,
    );
    for (const a of q.answers) lines.push(`       ${a.name}. ${a.ttl} IN ${a.type} ${rdataText(a)}`);
  });
  const res = r.result;
  if (res.status === "found")
    lines.push(
      r.hosts
        ? `result: ${res.values.join(", ")} (from /etc/hosts, no DNS query)`
        : `result: ${res.values.join(", ") || "(no records of the type)"} (${res.name}, after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"})`,
    );
  else lines.push(`result: ${res.status} after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"}`);
  return lines.join("\n");
}

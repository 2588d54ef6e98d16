import { clusterDnsIP } from "../control/dns.js";
import { parseResolvConf, resolvConfFor } from "../control/resolvconf.js";
import { createZone, typeNumber } from "./zone.js";
const join = (name, domain) => (domain ? `${name}.${domain}` : name);
export function walk(resolvConf, name, type, libc, query) {
    const conf = parseResolvConf(resolvConf);
    const ndots = conf.ndots;
    const trailing = name.endsWith(".");
    const bare = trailing ? name.slice(0, -1) : name;
    // glibc counts every dot in the name as given, the trailing one included.
    const dots = (name.match(/\./g) ?? []).length;
    const queries = [];
    const hasType = (answers) => answers.some((a) => a.type === type.toUpperCase());
    const ask = (fqdn) => {
        const r = query(fqdn, type);
        queries.push({ name: `${fqdn}.`, type: type.toUpperCase(), rcode: r.rcode, answers: r.answers });
        return r;
    };
    const found = (fqdn, answers) => ({
        status: "found",
        name: `${fqdn}.`,
        answers,
        values: answers.filter((a) => a.type === type.toUpperCase()).map((a) => rdataText(a)),
    });
    const fail = (status) => ({
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
                if (r.rcode === "NXDOMAIN")
                    continue;
                if (r.rcode === "NOERROR" && hasType(r.answers))
                    return { queries, result: found(fq, r.answers), why };
                return { queries, result: fail(r.rcode === "NOERROR" ? "NODATA" : "SERVFAIL"), why };
            }
        const r = ask(bare);
        if (r.rcode === "NOERROR" && hasType(r.answers))
            return { queries, result: found(bare, r.answers), why };
        return {
            queries,
            result: fail(r.rcode === "NOERROR" ? "NODATA" : r.rcode === "NXDOMAIN" ? "NXDOMAIN" : "SERVFAIL"),
            why,
        };
    }
    // glibc
    let gotNodata = false;
    let gotServfail = false;
    let saved;
    let triedAsIs = false;
    const why = trailing
        ? "trailing dot: the name as is, no search list"
        : dots >= ndots
            ? `${dots} dot(s) ≥ ndots:${ndots}: the name as is first, then the search list (glibc)`
            : `${dots} dot(s) < ndots:${ndots}: each search domain first, then the name as is (glibc)`;
    const errOf = (rcode) => rcode === "NOERROR" ? "NODATA" : rcode === "NXDOMAIN" ? "NXDOMAIN" : "SERVFAIL";
    // res_query succeeds when the answer section is not empty.
    const ok = (r) => r.rcode === "NOERROR" && r.answers.length > 0;
    if (dots >= ndots || trailing) {
        const r = ask(bare);
        if (ok(r))
            return { queries, result: found(bare, r.answers), why };
        if (trailing)
            return { queries, result: fail(errOf(r.rcode)), why };
        saved = errOf(r.rcode);
        triedAsIs = true;
    }
    let searched = false;
    let last = "NXDOMAIN";
    for (const d of search) {
        searched = true;
        const fq = join(bare, d);
        const r = ask(fq);
        if (ok(r))
            return { queries, result: found(fq, r.answers), why };
        last = errOf(r.rcode);
        if (r.rcode === "NOERROR")
            gotNodata = true;
        else if (r.rcode === "NXDOMAIN")
            continue;
        else if (r.rcode === "SERVFAIL")
            gotServfail = true;
        else
            break; // REFUSED etc.: done
    }
    void searched;
    if (!triedAsIs) {
        const r = ask(bare);
        if (ok(r))
            return { queries, result: found(bare, r.answers), why };
        last = errOf(r.rcode);
    }
    const status = saved ?? (gotNodata ? "NODATA" : gotServfail ? "SERVFAIL" : last);
    return { queries, result: fail(status), why };
}
export function rdataText(a) {
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
export function findPod(state, ref, namespace) {
    let ns = namespace;
    let name = ref;
    const i = ref.indexOf("/");
    if (i >= 0) {
        ns = ref.slice(0, i);
        name = ref.slice(i + 1);
    }
    const inNs = (p) => (ns ? p.namespace === ns : true);
    const exact = state.pods.filter((p) => p.name === name && inNs(p));
    const pick = (l) => l.find((p) => p.namespace === "default") ?? l[0];
    if (exact.length > 0)
        return pick(exact);
    const prefix = state.pods
        .filter((p) => inNs(p) && p.name.startsWith(`${name}-`))
        .sort((a, b) => a.name.localeCompare(b.name));
    return prefix.length > 0 ? pick(prefix) : undefined;
}
/**
 * The walk a pod's resolver makes for `name`, answered by the cluster DNS when the pod's
 * nameserver is the cluster DNS address, else by the node's resolver (which knows the
 * outside names, i.e. the config's externalDNS, and nothing under the cluster zone).
 */
export function resolveFromPod(state, podRef, name, opts = {}) {
    const pod = findPod(state, podRef, opts.namespace);
    if (!pod)
        throw new Error(`pod "${podRef}" not found`);
    const resolvConf = pod.resolvConf || resolvConfFor(state.config, pod.namespace, pod.spec).text;
    const zone = opts.zone ?? createZone(state);
    const type = (opts.type ?? "A").toUpperCase();
    const conf = parseResolvConf(resolvConf);
    const nameserver = conf.nameservers[0];
    const clusterDns = clusterDnsIP(state.config);
    const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
    const isCluster = nameserver === clusterDns || (dnsSvc && nameserver === dnsSvc.clusterIP);
    const query = (fqdn, t) => {
        if (!nameserver)
            return { rcode: "SERVFAIL", answers: [] };
        if (!isCluster && zone.inZone(fqdn) && !/\.(in-addr|ip6)\.arpa$/i.test(fqdn))
            return { rcode: "NXDOMAIN", answers: [] };
        const a = zone.answer({ name: fqdn, type: typeNumber(t) ?? 1 });
        return { rcode: a.rcode, answers: a.answers };
    };
    const r = walk(resolvConf, name, type, opts.libc ?? "glibc", query);
    return { ...r, pod, resolvConf, nameserver };
}
/** The walk as text, one query per line, like the seeds' walkthroughs. */
export function formatWalk(r, name, libc) {
    const lines = [];
    lines.push(`pod ${r.pod.namespace}/${r.pod.name} (${libc}) resolving "${name}"`);
    for (const l of r.resolvConf.trimEnd().split("\n"))
        lines.push(`  resolv.conf: ${l}`);
    lines.push(`  ${r.why}`);
    r.queries.forEach((q, i) => {
        lines.push(`  ${i + 1}. ${q.name} ${q.type} → ${r.nameserver ?? "(no nameserver)"}:53  ${q.rcode}${q.rcode === "NOERROR" && q.answers.length === 0 ? " (NODATA)" : ""}`);
        for (const a of q.answers)
            lines.push(`       ${a.name}. ${a.ttl} IN ${a.type} ${rdataText(a)}`);
    });
    const res = r.result;
    if (res.status === "found")
        lines.push(`result: ${res.values.join(", ") || "(no records of the type)"} (${res.name}, after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"})`);
    else
        lines.push(`result: ${res.status} after ${r.queries.length} quer${r.queries.length === 1 ? "y" : "ies"}`);
    return lines.join("\n");
}
//# sourceMappingURL=resolver.js.map
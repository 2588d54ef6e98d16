import { clusterDnsIP } from "./dns.js";
// k8s.io/kubernetes/pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPaths,
// MaxDNSSearchListChars; utilvalidation.DNS1123SubdomainMaxLength.
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DNS1123_SUBDOMAIN_MAX = 253;
const omitDuplicates = (l) => [...new Set(l)];
/**
 * Options are merged by name with the pod's value winning. kubelet rebuilds the list
 * from a Go map (random order); podnet keeps the first-seen order of names, which is
 * one of the orders kubelet can produce and keeps output deterministic.
 */
export function mergeDNSOptions(existing, pod) {
    const m = new Map();
    for (const op of existing) {
        const i = op.indexOf(":");
        if (i >= 0)
            m.set(op.slice(0, i), op.slice(i + 1));
        else
            m.set(op, "");
    }
    for (const op of pod)
        m.set(op.name, op.value ?? "");
    return [...m].map(([k, v]) => (v !== "" ? `${k}:${v}` : k));
}
/** The search list trimmed to kubelet's limits; `exceeded` means a DNSConfigForming warning. */
export function formDNSSearchFitsLimits(composed) {
    let exceeded = false;
    let s = composed;
    if (s.length > MAX_DNS_SEARCH_PATHS) {
        s = s.slice(0, MAX_DNS_SEARCH_PATHS);
        exceeded = true;
    }
    // glibc 2.28 aborts on a search path longer than 255 characters: kubelet drops them.
    const kept = s.filter((d) => d.length <= DNS1123_SUBDOMAIN_MAX);
    if (kept.length !== s.length)
        exceeded = true;
    s = kept;
    const lineLen = s.join(" ").length;
    if (lineLen > MAX_DNS_SEARCH_LIST_CHARS) {
        let cutNum = 0;
        let cutLen = 0;
        for (let i = s.length - 1; i >= 0; i--) {
            cutLen += s[i].length + 1;
            cutNum++;
            if (lineLen - cutLen <= MAX_DNS_SEARCH_LIST_CHARS)
                break;
        }
        s = s.slice(0, s.length - cutNum);
        exceeded = true;
    }
    return { searches: s, exceeded };
}
/** The DNS settings kubelet hands the runtime for this pod, plus its warning events. */
export function podDnsSettings(config, namespace, spec) {
    const zone = config.networking.dnsDomain.replace(/\.$/, "");
    // kubelet's parseResolvConf drops trailing dots from host search domains.
    const host = {
        nameservers: [...config.hostDNS.nameservers],
        searches: config.hostDNS.searches.map((s) => s.replace(/\.$/, "")).filter((s) => s !== "" && s !== "."),
        options: [...config.hostDNS.options],
    };
    const policy = spec.dnsPolicy ?? "ClusterFirst";
    let type;
    if (policy === "None")
        type = "None";
    else if (policy === "ClusterFirstWithHostNet")
        type = "Cluster";
    else if (policy === "ClusterFirst")
        type = spec.hostNetwork ? "Host" : "Cluster"; // hostNetwork falls back to Default
    else
        type = "Host";
    let s;
    if (type === "None")
        s = { nameservers: [], searches: [], options: [] };
    else if (type === "Cluster")
        s = {
            nameservers: [clusterDnsIP(config)],
            searches: omitDuplicates([`${namespace}.svc.${zone}`, `svc.${zone}`, zone, ...host.searches]),
            options: ["ndots:5"],
        };
    else
        s = host;
    const dc = spec.dnsConfig;
    if (dc) {
        s = {
            nameservers: omitDuplicates([...s.nameservers, ...(dc.nameservers ?? [])]),
            searches: omitDuplicates([...s.searches, ...(dc.searches ?? [])]),
            options: mergeDNSOptions(s.options, dc.options ?? []),
        };
    }
    const events = [];
    if (s.nameservers.length > MAX_DNS_NAMESERVERS) {
        s.nameservers = s.nameservers.slice(0, MAX_DNS_NAMESERVERS);
        events.push({
            type: "Warning",
            reason: "DNSConfigForming",
            message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${s.nameservers.join(" ")}`,
        });
    }
    const fit = formDNSSearchFitsLimits(s.searches);
    s.searches = fit.searches;
    if (fit.exceeded)
        events.push({
            type: "Warning",
            reason: "DNSConfigForming",
            message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${s.searches.join(" ")}`,
        });
    return { settings: s, events };
}
/** containerd's resolv.conf rendering (CRI parseDNSOptions). */
export function renderResolvConf(s) {
    let out = "";
    if (s.searches.length > 0)
        out += `search ${s.searches.join(" ")}\n`;
    for (const n of s.nameservers)
        out += `nameserver ${n}\n`;
    if (s.options.length > 0)
        out += `options ${s.options.join(" ")}\n`;
    return out;
}
export function resolvConfFor(config, namespace, spec) {
    const { settings, events } = podDnsSettings(config, namespace, spec);
    return { text: renderResolvConf(settings), events };
}
/** Reads resolv.conf text back (for the resolver walk): the last search/domain line wins, as in glibc. */
export function parseResolvConf(text) {
    const out = { nameservers: [], searches: [], options: [], ndots: 1 };
    for (const raw of text.split("\n")) {
        const line = raw.replace(/[;#].*$/, "").trim();
        if (!line)
            continue;
        const [key, ...rest] = line.split(/\s+/);
        if (key === "nameserver" && rest[0])
            out.nameservers.push(rest[0]);
        else if (key === "search" || key === "domain")
            out.searches = rest.map((d) => d.replace(/\.$/, "")).filter((d) => d !== "");
        else if (key === "options")
            out.options.push(...rest);
    }
    for (const o of out.options) {
        const m = /^ndots:(\d+)$/.exec(o);
        // glibc caps ndots at RES_MAXNDOTS (15); musl does the same.
        if (m)
            out.ndots = Math.min(15, Number(m[1]));
    }
    return out;
}
//# sourceMappingURL=resolvconf.js.map
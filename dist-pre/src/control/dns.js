import { parseIPv4 } from "../net/ipv4.js";
import { isIP, parseIPv6 } from "../manifest/net.js";
import { serviceRangeAddress } from "./system.js";
/** The schema version CoreDNS answers at dns-version.<zone> (TXT, TTL 28800). */
export const DNS_SCHEMA_VERSION = "1.1.0";
export const DNS_VERSION_TTL = 28800;
/** kubeadm's clusterDNS: the 10th address of the service range (10.96.0.10 for 10.96.0.0/12). */
export function clusterDnsIP(config) {
    return serviceRangeAddress(config, 10);
}
export function serviceFqdn(svc, zone) {
    return `${svc.name}.${svc.namespace}.svc.${zone}`.toLowerCase();
}
/** CoreDNS's endpointHostname: the endpoint's hostname, else the IP with dots (or colons) as dashes. */
export function endpointHostname(hostname, ip) {
    if (hostname)
        return hostname.toLowerCase();
    if (ip.includes("."))
        return ip.replaceAll(".", "-");
    if (ip.includes(":"))
        return ip.replaceAll(":", "-").toLowerCase();
    return "";
}
/** `10.96.0.10` → `10.0.96.10.in-addr.arpa`; IPv6 → nibble form under ip6.arpa. */
export function reverseName(ip) {
    const v4 = parseIPv4(ip);
    if (v4 !== undefined)
        return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
    const v6 = parseIPv6(ip);
    if (v6 !== undefined) {
        const hex = v6.toString(16).padStart(32, "0");
        return `${hex.split("").reverse().join(".")}.ip6.arpa`;
    }
    return undefined;
}
export const isIPv6 = (ip) => ip.includes(":");
/**
 * The addresses CoreDNS sees for a Service: CoreDNS converts EndpointSlices to Endpoints
 * keeping only endpoints whose `ready` condition is unset or true. The EndpointSlice
 * controller sets ready=true for every endpoint of a Service with
 * publishNotReadyAddresses, so a user-given slice is honoured the same way here.
 * FQDN slices carry no addresses CoreDNS serves.
 */
export function readyAddresses(svc, slices) {
    const out = [];
    for (const s of slices) {
        if (s.namespace !== svc.namespace || s.serviceName !== svc.name || s.addressType === "FQDN")
            continue;
        for (const ep of s.endpoints) {
            if (!isReady(ep, svc))
                continue;
            for (const ip of ep.addresses)
                out.push({ ip, hostname: endpointHostname(ep.hostname, ip), ports: s.ports });
        }
    }
    return out;
}
function isReady(ep, svc) {
    return ep.conditions?.ready !== false || svc.publishNotReadyAddresses;
}
/** Groups slices by "ns/service" once, so per-service lookups are O(1) at scale. */
export function slicesByService(slices) {
    const m = new Map();
    for (const s of slices) {
        const k = `${s.namespace}/${s.serviceName}`;
        const l = m.get(k);
        if (l)
            l.push(s);
        else
            m.set(k, [s]);
    }
    return m;
}
export const isHeadless = (svc) => svc.type !== "ExternalName" && (svc.clusterIP === "None" || svc.clusterIP === null);
export const hasClusterIP = (svc) => svc.type !== "ExternalName" && svc.clusterIP !== null && svc.clusterIP !== "None" && svc.clusterIP !== "";
/** The apex SOA as CoreDNS writes it: ns.dns.<zone> hostmaster.<zone> serial 7200 1800 86400 <ttl>. */
export function soaData(zone, serial, ttl) {
    return {
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: ttl,
    };
}
/** The records CoreDNS's kubernetes plugin would serve for this state. */
export function computeDnsRecords(state) {
    const zone = state.config.networking.dnsDomain.toLowerCase().replace(/\.$/, "");
    const ttl = state.config.dns.ttl;
    const records = [];
    const kubeDns = `kube-dns.kube-system.svc.${zone}`;
    // CoreDNS's SOA serial is the time of the last API change; podnet's clock is that logical time.
    records.push({ name: zone, type: "SOA", ttl, data: soaData(zone, state.clock + 1, ttl) });
    // In a cluster, CoreDNS names its own Service (kube-dns) as the apex NS.
    records.push({ name: zone, type: "NS", ttl, data: kubeDns });
    records.push({ name: `dns-version.${zone}`, type: "TXT", ttl: DNS_VERSION_TTL, data: DNS_SCHEMA_VERSION });
    const bySvc = slicesByService(state.endpointSlices);
    const addr = (name, ip) => ({ name, type: isIPv6(ip) ? "AAAA" : "A", ttl, data: ip });
    for (const svc of state.services) {
        const fqdn = serviceFqdn(svc, zone);
        if (svc.type === "ExternalName") {
            if (svc.externalName && !isIP(svc.externalName))
                records.push({ name: fqdn, type: "CNAME", ttl, data: svc.externalName.toLowerCase().replace(/\.$/, "") });
            continue;
        }
        if (hasClusterIP(svc)) {
            const ip = svc.clusterIP;
            records.push(addr(fqdn, ip));
            for (const p of svc.ports)
                if (p.name)
                    records.push({
                        name: `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`.toLowerCase(),
                        type: "SRV",
                        ttl,
                        data: { priority: 0, weight: 100, port: p.port, target: fqdn },
                    });
            const rev = reverseName(ip);
            if (rev)
                records.push({ name: rev, type: "PTR", ttl, data: fqdn });
            continue;
        }
        // Headless: one address record per ready endpoint, a name per endpoint, SRV N×M.
        const ready = readyAddresses(svc, bySvc.get(`${svc.namespace}/${svc.name}`) ?? []);
        const seen = new Set();
        for (const a of ready) {
            if (!seen.has(a.ip))
                records.push(addr(fqdn, a.ip));
            seen.add(a.ip);
        }
        const named = new Map();
        const seenHost = new Set();
        for (const a of ready) {
            const host = `${a.hostname}.${fqdn}`;
            if (!seenHost.has(`${host} ${a.ip}`)) {
                records.push(addr(host, a.ip));
                const rev = reverseName(a.ip);
                if (rev)
                    records.push({ name: rev, type: "PTR", ttl, data: host });
            }
            seenHost.add(`${host} ${a.ip}`);
            for (const p of a.ports) {
                if (!p.name)
                    continue;
                const n = `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`.toLowerCase();
                const l = named.get(n) ?? [];
                l.push({ port: p.port, weight: 0, target: host });
                named.set(n, l);
            }
        }
        // CoreDNS weights: 100 / number of targets of the same priority.
        for (const [n, l] of named)
            for (const t of l)
                records.push({
                    name: n,
                    type: "SRV",
                    ttl,
                    data: { priority: 0, weight: Math.max(1, Math.floor(100 / l.length)), port: t.port, target: t.target },
                });
    }
    return { zone, records };
}
//# sourceMappingURL=dns.js.map
import { DNS_SCHEMA_VERSION, DNS_VERSION_TTL, clusterDnsIP, hasClusterIP, readyAddresses, serviceFqdn, slicesByService, soaData, } from "../control/dns.js";
import { isIPv4 } from "../net/ipv4.js";
import { isIP } from "../manifest/net.js";
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
export const QTYPE = {
    A: 1,
    NS: 2,
    CNAME: 5,
    SOA: 6,
    PTR: 12,
    MX: 15,
    TXT: 16,
    AAAA: 28,
    SRV: 33,
    OPT: 41,
    IXFR: 251,
    AXFR: 252,
    ANY: 255,
};
const TYPE_NAME = new Map(Object.entries(QTYPE).map(([k, v]) => [v, k]));
export function typeName(t) {
    return TYPE_NAME.get(t) ?? `TYPE${t}`;
}
export function typeNumber(t) {
    if (typeof t === "number")
        return t;
    const u = t.toUpperCase();
    if (u in QTYPE)
        return QTYPE[u];
    const m = /^TYPE(\d+)$/.exec(u);
    return m ? Number(m[1]) : undefined;
}
const REVERSE_ZONES = ["in-addr.arpa", "ip6.arpa"];
const MAX_CNAME_CHAIN = 8;
const stripDot = (s) => (s.endsWith(".") ? s.slice(0, -1) : s);
const lower = (n) => {
    const s = stripDot(n);
    // Most queries are already lower-case: avoid the allocation.
    return /[A-Z]/.test(s) ? s.toLowerCase() : s;
};
const stripUnderscore = (s) => (s.startsWith("_") ? s.slice(1) : s);
export function createZone(state, opts = {}) {
    const ix = buildIndex(state, opts);
    return {
        zone: ix.zone,
        serial: ix.serial,
        ttl: ix.ttl,
        answer: (q, flags = {}) => answer(ix, q, flags),
        inZone: (n) => findZone(ix, lower(n)) !== undefined,
    };
}
// --- indexes ---------------------------------------------------------------------
function buildIndex(state, opts) {
    const zone = lower(state.config.networking.dnsDomain);
    const services = indexServices(state, zone);
    const { ptrSvc, ptrEp } = indexPtr(services);
    const podIPs = new Set();
    for (const p of state.pods)
        if (p.podIP)
            podIPs.add(`${p.namespace.toLowerCase()}/${p.podIP}`);
    const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
    return {
        zone,
        ttl: opts.ttl ?? state.config.dns?.ttl ?? 5,
        pods: opts.pods ?? state.config.dns?.pods ?? "disabled",
        serial: opts.serial ?? (state.clock >>> 0) + 1,
        zones: [zone, ...REVERSE_ZONES],
        namespaces: new Set(state.namespaces.map((n) => n.name.toLowerCase())),
        services,
        ptrSvc,
        ptrEp,
        podIPs,
        dnsIP: dnsSvc && hasClusterIP(dnsSvc) ? dnsSvc.clusterIP : clusterDnsIP(state.config),
        nsName: `kube-dns.kube-system.svc.${zone}`,
        external: indexExternal(state.config.externalDNS ?? []),
    };
}
/** Every Service with its FQDN and ready addresses (none for ExternalName). */
function indexServices(state, zone) {
    const bySvc = slicesByService(state.endpointSlices);
    const services = new Map(); // "name.ns" lower-case
    for (const svc of state.services) {
        const ready = svc.type === "ExternalName" ? [] : readyAddresses(svc, bySvc.get(`${svc.namespace}/${svc.name}`) ?? []);
        services.set(`${svc.name}.${svc.namespace}`.toLowerCase(), { svc, fqdn: serviceFqdn(svc, zone), ready });
    }
    return services;
}
/** PTR: cluster IPs first (one name), else every endpoint naming the IP. */
function indexPtr(services) {
    const ptrSvc = new Map();
    const ptrEp = new Map();
    for (const e of services.values()) {
        if (hasClusterIP(e.svc)) {
            if (!ptrSvc.has(e.svc.clusterIP))
                ptrSvc.set(e.svc.clusterIP, e.fqdn);
        }
        else {
            const seen = new Set();
            for (const a of e.ready) {
                const n = `${a.hostname}.${e.fqdn}`;
                if (seen.has(`${a.ip} ${n}`))
                    continue;
                seen.add(`${a.ip} ${n}`);
                const l = ptrEp.get(a.ip);
                if (l)
                    l.push(n);
                else
                    ptrEp.set(a.ip, [n]);
            }
        }
    }
    // ClusterIP Services also have endpoint names in CoreDNS; index their PTRs as endpoints.
    for (const e of services.values()) {
        if (!hasClusterIP(e.svc))
            continue;
        for (const a of e.ready) {
            const n = `${a.hostname}.${e.fqdn}`;
            const l = ptrEp.get(a.ip) ?? [];
            if (!l.includes(n))
                l.push(n);
            ptrEp.set(a.ip, l);
        }
    }
    return { ptrSvc, ptrEp };
}
/** The config's externalDNS records by lower-case name (CNAME targets without the dot). */
function indexExternal(records) {
    const external = new Map();
    for (const r of records) {
        const k = lower(r.name);
        const l = external.get(k) ?? [];
        l.push({ type: r.type, value: r.type === "CNAME" ? stripDot(r.value) : r.value });
        external.set(k, l);
    }
    return external;
}
function findZone(ix, l) {
    for (const z of ix.zones)
        if (l === z || (l.length > z.length && l.endsWith(z) && l[l.length - z.length - 1] === "."))
            return z;
    return undefined;
}
function soa(ix, z) {
    return {
        name: z,
        type: "SOA",
        ttl: Math.min(ix.ttl, 300),
        data: soaData(z, ix.serial, ix.ttl),
    };
}
function addrRR(ix, name, ip) {
    return { name, type: ip.includes(":") ? "AAAA" : "A", ttl: ix.ttl, data: ip };
}
// --- CoreDNS: parseRequest + findServices / findPods --------------------------------
function records(ix, l, z) {
    if (z !== ix.zone)
        return "nx"; // reverse zones hold no forward names (IsReverse → errNoItems)
    const base = l === z ? "" : l.slice(0, l.length - z.length - 1);
    if (base === "" || base === "svc" || base === "pod")
        return []; // NODATA for apex queries
    const segs = base.split(".");
    let last = segs.length - 1;
    const podOrSvc = segs[last];
    if (podOrSvc !== "svc" && podOrSvc !== "pod")
        return "nx"; // errInvalidRequest
    const namespace = segs[--last];
    const service = last - 1 >= 0 ? segs[last - 1] : "";
    last -= 2;
    let endpoint = "";
    let port = "";
    let protocol = "";
    if (last === 0)
        endpoint = segs[0];
    else if (last === 1) {
        protocol = stripUnderscore(segs[1]);
        port = stripUnderscore(segs[0]);
    }
    else if (last > 1)
        return "nx"; // too long
    // CoreDNS's findPods ignores endpoint/port labels in front of the pod name.
    if (podOrSvc === "pod")
        return findPods(ix, namespace, service);
    return findServices(ix, namespace, service, endpoint, port, protocol);
}
function findPods(ix, namespace, podname) {
    if (ix.pods === "disabled")
        return "nx";
    if (podname === "")
        return ix.namespaces.has(namespace) ? [] : "nx";
    const dashes = podname.split("-").length - 1;
    const ip = dashes === 3 && !podname.includes("--") ? podname.replaceAll("-", ".") : podname.replaceAll("-", ":");
    if (!isIP(ip))
        return "nx";
    const host = ip;
    const target = `${podname}.${namespace}.pod.${ix.zone}`;
    if (ix.pods === "insecure")
        return [{ host, port: -1, target }];
    return ix.podIPs.has(`${namespace}/${ip}`) ? [{ host, port: -1, target }] : "nx";
}
function findServices(ix, namespace, service, endpoint, port, protocol) {
    if (service === "")
        return ix.namespaces.has(namespace) ? [] : "nx";
    const e = ix.services.get(`${service}.${namespace}`);
    if (!e)
        return "nx";
    const svc = e.svc;
    if (svc.type === "ExternalName") {
        if (endpoint !== "")
            return "nx";
        const host = svc.externalName ? stripDot(svc.externalName) : "";
        if (host === "" || isIP(host))
            return "nx"; // only a name makes a CNAME
        return [{ host, port: 0, target: e.fqdn }];
    }
    const matchPP = (pname, pproto) => (port === "" || port === (pname ?? "").toLowerCase()) && (protocol === "" || protocol === pproto.toLowerCase());
    if (!hasClusterIP(svc) || endpoint !== "")
        return endpointItems(e, endpoint, matchPP);
    const out = [];
    for (const p of svc.ports) {
        if (!matchPP(p.name, p.protocol))
            continue;
        out.push({ host: svc.clusterIP, port: p.port, target: e.fqdn });
    }
    return out.length > 0 ? out : "nx";
}
/** A headless Service's (or a named endpoint's) addresses, per matching port. */
function endpointItems(e, endpoint, matchPP) {
    const out = [];
    let found = false;
    for (const a of e.ready) {
        if (endpoint !== "" && endpoint !== a.hostname)
            continue;
        const ports = a.ports.length > 0 ? a.ports : [{ name: "", port: -1, protocol: "" }];
        for (const p of ports) {
            if (!matchPP(p.name, p.protocol))
                continue;
            found = true;
            out.push({ host: a.ip, port: p.port, target: `${a.hostname}.${e.fqdn}` });
        }
    }
    return found ? out : "nx";
}
// --- kubernetes.Services(): the TXT and ns.dns special cases ---------------------------
function lookupServices(ix, l, z, qtype) {
    const zone = ix.zone;
    if (qtype === QTYPE.TXT && z === zone) {
        if (l === `dns-version.${zone}`)
            return [{ host: "", port: -1, target: l, text: DNS_SCHEMA_VERSION }];
        const r = records(ix, l, z);
        return r === "nx" ? "nx" : [];
    }
    if (z === zone && l === `ns.dns.${zone}`) {
        return qtype === QTYPE.A || qtype === QTYPE.AAAA ? [{ host: ix.dnsIP, port: -1, target: l }] : [];
    }
    return records(ix, l, z);
}
function addressRecords(ix, qname, l, z, qtype, chain) {
    const found = lookupServices(ix, l, z, qtype);
    if (found === "nx")
        return { err: true, records: [] };
    const recs = [];
    const dup = new Set();
    let chase;
    for (const it of found) {
        if (it.text !== undefined)
            continue;
        if (!isIP(it.host)) {
            // ExternalName: a CNAME, followed inside the zone, else looked up upstream.
            const target = it.host.toLowerCase();
            if (target === l)
                continue; // CNAME loop
            if (chain.length > MAX_CNAME_CHAIN - 1)
                continue;
            const cname = { name: qname, type: "CNAME", ttl: ix.ttl, data: it.host };
            if (chain.some((c) => c.type === "CNAME" && c.name.toLowerCase() === qname.toLowerCase()))
                continue;
            const tz = findZone(ix, target);
            if (tz === ix.zone) {
                const next = addressRecords(ix, it.host, target, tz, qtype, [...chain, cname]);
                if (!next.err && next.records.length > 0)
                    recs.push(cname, ...next.records);
                continue;
            }
            recs.push(cname);
            chase = { name: it.host, type: qtype };
            continue;
        }
        const want = qtype === QTYPE.AAAA ? it.host.includes(":") : isIPv4(it.host);
        if (!want || dup.has(it.host))
            continue;
        dup.add(it.host);
        recs.push(addrRR(ix, qname, it.host));
    }
    return { err: false, records: recs, chase };
}
function srvRecords(ix, qname, l, z) {
    const found = lookupServices(ix, l, z, QTYPE.SRV);
    if (found === "nx")
        return { err: true, records: [], extra: [] };
    const ttl = ix.ttl;
    const recs = [];
    const extra = [];
    const weight = Math.max(1, Math.floor(100 / Math.max(1, found.length)));
    const dupSrv = new Set();
    const dupAddr = new Set();
    for (const it of found) {
        if (it.port === -1 || it.text !== undefined)
            continue;
        if (!isIP(it.host)) {
            recs.push({ name: qname, type: "SRV", ttl, data: { priority: 0, weight, port: it.port, target: it.host } });
            continue;
        }
        const k = `${it.target}:${it.port}`;
        if (!dupSrv.has(k))
            recs.push({ name: qname, type: "SRV", ttl, data: { priority: 0, weight, port: it.port, target: it.target } });
        dupSrv.add(k);
        const ka = `${it.target} ${it.host}`;
        if (!dupAddr.has(ka))
            extra.push(addrRR(ix, it.target, it.host));
        dupAddr.add(ka);
    }
    return { err: false, records: recs, extra };
}
function ptrRecords(ix, qname, l, z) {
    const ip = addressFromReverse(l);
    if (ip === undefined) {
        const r = records(ix, l, z);
        return { err: r === "nx", records: [] };
    }
    const ttl = ix.ttl;
    const s = ix.ptrSvc.get(ip);
    if (s)
        return { err: false, records: [{ name: qname, type: "PTR", ttl, data: s }] };
    const eps = ix.ptrEp.get(ip);
    if (!eps || eps.length === 0)
        return { err: true, records: [] };
    return { err: false, records: eps.map((n) => ({ name: qname, type: "PTR", ttl, data: n })) };
}
// --- names outside the zones -------------------------------------------------------
function externalAnswer(ix, qname, l, qtype, flags, chain = []) {
    if (flags.forward)
        return { rcode: "NOERROR", aa: false, ra: true, answers: [], authority: [], additional: [], forward: true };
    const ttl = ix.ttl;
    const recs = ix.external.get(l);
    const base = { aa: false, ra: true, authority: [], additional: [] };
    if (!recs)
        return { ...base, rcode: chain.length > 0 ? "NOERROR" : "NXDOMAIN", answers: chain };
    const tn = typeName(qtype);
    const match = recs.filter((r) => r.type === tn);
    const toRR = (r) => r.type === "TXT"
        ? { name: qname, type: "TXT", ttl, data: [r.value] }
        : { name: qname, type: r.type, ttl, data: r.value };
    if (match.length > 0)
        return { ...base, rcode: "NOERROR", answers: [...chain, ...match.map(toRR)] };
    const cn = recs.find((r) => r.type === "CNAME");
    if (cn && chain.length < MAX_CNAME_CHAIN) {
        const rr = toRR(cn);
        const t = lower(cn.value);
        const tz = findZone(ix, t);
        if (tz) {
            const inner = answerIn(ix, cn.value, t, tz, qtype, flags);
            return { ...inner, answers: [...chain, rr, ...inner.answers], aa: false, ra: true };
        }
        return externalAnswer(ix, cn.value, t, qtype, flags, [...chain, rr]);
    }
    return { ...base, rcode: "NOERROR", answers: chain };
}
function lookupByType(ix, qname, l, z, qtype) {
    const ttl = ix.ttl;
    switch (qtype) {
        case QTYPE.A:
        case QTYPE.AAAA: {
            const r = addressRecords(ix, qname, l, z, qtype, []);
            return { err: r.err, recs: r.records, extra: [], chase: r.chase };
        }
        case QTYPE.TXT: {
            const recs = [];
            const f = lookupServices(ix, l, z, qtype);
            if (f === "nx")
                return { err: true, recs, extra: [] };
            for (const it of f)
                if (it.text !== undefined)
                    recs.push({ name: qname, type: "TXT", ttl: DNS_VERSION_TTL, data: [it.text] });
            return { err: false, recs, extra: [] };
        }
        case QTYPE.CNAME: {
            const recs = [];
            const f = lookupServices(ix, l, z, qtype);
            if (f === "nx")
                return { err: true, recs, extra: [] };
            if (f.length > 0 && f[0].text === undefined && !isIP(f[0].host))
                recs.push({ name: qname, type: "CNAME", ttl, data: f[0].host });
            return { err: false, recs, extra: [] };
        }
        case QTYPE.PTR: {
            const r = ptrRecords(ix, qname, l, z);
            return { err: r.err, recs: r.records, extra: [] };
        }
        case QTYPE.SRV: {
            const r = srvRecords(ix, qname, l, z);
            return { err: r.err, recs: r.records, extra: r.extra };
        }
        case QTYPE.SOA:
            // CoreDNS answers SOA only at the apex; elsewhere an empty NOERROR.
            return { err: false, recs: l === z ? [{ ...soa(ix, z), name: qname, ttl }] : [], extra: [] };
        default: {
            if (qtype === QTYPE.NS && l === z)
                return {
                    err: false,
                    recs: [{ name: qname, type: "NS", ttl, data: ix.nsName }],
                    extra: [addrRR(ix, ix.nsName, ix.dnsIP)],
                };
            // NS below the apex and every other type:
            // A fake A lookup tells NODATA from NXDOMAIN.
            const f = lookupServices(ix, l, z, QTYPE.A);
            return { err: f === "nx", recs: [], extra: [] };
        }
    }
}
function answerIn(ix, qname, l, z, qtype, flags) {
    const r = lookupByType(ix, qname, l, z, qtype);
    let recs = r.recs;
    let chase = r.chase;
    if (r.err) {
        // fallthrough in-addr.arpa ip6.arpa: reverse misses go to the next plugin (forward).
        if (z !== ix.zone) {
            if (flags.forward)
                return { rcode: "NOERROR", aa: false, ra: true, answers: [], authority: [], additional: [], forward: true };
        }
        return { rcode: "NXDOMAIN", aa: true, ra: false, answers: [], authority: [soa(ix, z)], additional: [] };
    }
    if (recs.length === 0)
        return { rcode: "NOERROR", aa: true, ra: false, answers: [], authority: [soa(ix, z)], additional: [] };
    if (chase && !flags.forward) {
        // No upstream: the ExternalName's outside target is looked up in externalDNS.
        const ext = externalAnswer(ix, chase.name, lower(chase.name), chase.type, {});
        recs = [...recs, ...ext.answers];
        chase = undefined;
    }
    const out = { rcode: "NOERROR", aa: true, ra: false, answers: recs, authority: [], additional: r.extra };
    if (chase)
        out.chase = chase;
    return out;
}
/** IN (1) and ANY (255); anything else is refused. */
function queryClass(c) {
    if (c === undefined)
        return 1;
    if (typeof c === "number")
        return c;
    const u = c.toUpperCase();
    return u === "IN" ? 1 : u === "ANY" ? 255 : -1;
}
function answer(ix, q, flags) {
    const qtype = typeNumber(q.type) ?? -1;
    const qclass = queryClass(q.class);
    const empty = { answers: [], authority: [], additional: [] };
    if (qclass !== 1 && qclass !== 255)
        return { rcode: "REFUSED", aa: false, ra: false, ...empty };
    if (qtype === QTYPE.AXFR || qtype === QTYPE.IXFR)
        return { rcode: "REFUSED", aa: false, ra: false, ...empty };
    const qname = stripDot(q.name);
    const l = lower(qname);
    const z = findZone(ix, l);
    if (!z)
        return externalAnswer(ix, qname, l, qtype, flags);
    return answerIn(ix, qname, l, z, qtype, flags);
}
/** dnsutil.ExtractAddressFromReverse: a full reverse name → the IP, else undefined. */
export function addressFromReverse(l) {
    if (l.endsWith(".in-addr.arpa")) {
        const parts = l.slice(0, -".in-addr.arpa".length).split(".");
        if (parts.length !== 4)
            return undefined;
        const ip = parts.reverse().join(".");
        return isIPv4(ip) ? ip : undefined;
    }
    if (l.endsWith(".ip6.arpa")) {
        const parts = l.slice(0, -".ip6.arpa".length).split(".");
        if (parts.length !== 32 || !parts.every((p) => /^[0-9a-f]$/.test(p)))
            return undefined;
        const hex = parts.reverse().join("");
        const groups = hex.match(/.{4}/g).map((g) => g.replace(/^0+(?=.)/, ""));
        // Canonical (RFC 5952) form so it matches addresses as Kubernetes writes them.
        let best = -1;
        let bestLen = 0;
        for (let i = 0; i < 8;) {
            if (groups[i] !== "0") {
                i++;
                continue;
            }
            let j = i;
            while (j < 8 && groups[j] === "0")
                j++;
            if (j - i > bestLen && j - i > 1) {
                best = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (best < 0)
            return groups.join(":");
        return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
    }
    return undefined;
}
//# sourceMappingURL=zone.js.map
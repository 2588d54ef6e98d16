// The cluster zone, answering questions the way CoreDNS's kubernetes plugin does with
// kubeadm's Corefile (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure;
// fallthrough in-addr.arpa ip6.arpa; ttl 30 }`). Pure: no sockets, no files.
//
// The structure follows the plugin's code so its corner cases come out the same:
//   parseRequest  → which kind of name (apex, namespace, service, endpoint, _port._proto)
//   findServices  → the "services" (host, port, target) a name stands for, or a name error
//   plugin.A/SRV/PTR/… → records from those services, per query type
//   handler       → name error → NXDOMAIN (or fallthrough for reverse zones); no records → NODATA
// Negative answers carry CoreDNS's SOA in the authority section.
import type { ClusterState, EndpointSliceState, ServiceState } from "../control/state.js";
import {
  DNS_SCHEMA_VERSION,
  DNS_VERSION_TTL,
  clusterDnsIP,
  hasClusterIP,
  readyAddresses,
  serviceFqdn,
  slicesByService,
  soaData,
} from "../control/dns.js";
import { isIPv4 } from "../net/ipv4.js";
import { isIP } from "../manifest/net.js";

export type PodsMode = "insecure" | "verified" | "disabled";
export type Rcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";
export const RCODE: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

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
} as const;
export type RRType = "A" | "AAAA" | "CNAME" | "PTR" | "NS" | "TXT" | "SRV" | "SOA";
const TYPE_NAME = new Map<number, string>(Object.entries(QTYPE).map(([k, v]) => [v, k]));
export function typeName(t: number): string {
  return TYPE_NAME.get(t) ?? `TYPE${t}`;
}
export function typeNumber(t: string | number): number | undefined {
  if (typeof t === "number") return t;
  const u = t.toUpperCase();
  if (u in QTYPE) return QTYPE[u as keyof typeof QTYPE];
  const m = /^TYPE(\d+)$/.exec(u);
  return m ? Number(m[1]) : undefined;
}

export interface Srv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export type RR =
  | { name: string; type: "A" | "AAAA" | "CNAME" | "PTR" | "NS"; ttl: number; data: string }
  | { name: string; type: "TXT"; ttl: number; data: string[] }
  | { name: string; type: "SRV"; ttl: number; data: Srv }
  | { name: string; type: "SOA"; ttl: number; data: Soa };

export interface Question {
  name: string;
  type: string | number;
  class?: string | number;
}
export interface AnswerFlags {
  /** The server has upstreams: names outside the zones (and reverse misses) are forwarded. */
  forward?: boolean;
}
export interface ZoneAnswer {
  rcode: Rcode;
  aa: boolean;
  /** Recursion available: set for answers that stand in for the upstream resolver. */
  ra: boolean;
  answers: RR[];
  authority: RR[];
  additional: RR[];
  /** The server should forward the query to its upstreams (outside the zones / fallthrough). */
  forward?: boolean;
  /** An ExternalName's target outside the zone: the server appends the upstream's answer. */
  chase?: { name: string; type: number };
}

export interface ZoneOptions {
  /** CoreDNS kubernetes plugin default 5; kubeadm's Corefile sets 30. */
  ttl?: number;
  /** `pods insecure|verified|disabled` (CoreDNS default disabled; kubeadm insecure). */
  pods?: PodsMode;
  /** SOA serial. CoreDNS uses the Unix time of the last API change; default: the state's clock + 1. */
  serial?: number;
}

export interface Zone {
  readonly zone: string;
  readonly serial: number;
  readonly ttl: number;
  answer(q: Question, flags?: AnswerFlags): ZoneAnswer;
  /** True when the name lies in a zone this server is authoritative for. */
  inZone(name: string): boolean;
}

interface Item {
  host: string; // an IP, or a name for ExternalName (CNAME)
  port: number; // -1: no ports (sentinel)
  target: string; // the owner name SRV targets (lower-case FQDN)
  text?: string;
}
type Found = Item[] | "nx";

type Ready = { ip: string; hostname: string; ports: { name?: string; port: number; protocol: string }[] }[];

/** A Service and its FQDN; its ready addresses are worked out when a query first needs them. */
class SvcEntry {
  private ready_: Ready | undefined;
  constructor(
    readonly svc: ServiceState,
    readonly fqdn: string,
    private readonly slices: () => EndpointSliceState[],
  ) {}
  get ready(): Ready {
    this.ready_ ??= this.svc.type === "ExternalName" ? [] : readyAddresses(this.svc, this.slices());
    return this.ready_;
  }
}

const REVERSE_ZONES = ["in-addr.arpa", "ip6.arpa"];
const MAX_CNAME_CHAIN = 8;

const stripDot = (s: string): string => (s.endsWith(".") ? s.slice(0, -1) : s);
const lower = (n: string): string => {
  const s = stripDot(n);
  // Most queries are already lower-case: avoid the allocation.
  return /[A-Z]/.test(s) ? s.toLowerCase() : s;
};
const stripUnderscore = (s: string): string => (s.startsWith("_") ? s.slice(1) : s);

/** The zone's settings and the indexes built once per state; every lookup reads them. */
interface ZoneIndex {
  zone: string;
  ttl: number;
  pods: PodsMode;
  serial: number;
  /** The cluster zone and the reverse zones. */
  zones: string[];
  namespaces: Set<string>;
  /** By "name.ns", lower-case. */
  services: Map<string, SvcEntry>;
  /** PTR of a cluster IP: the Service's name; of an endpoint IP: every endpoint name for it. Built at the first PTR query. */
  ptr: () => { ptrSvc: Map<string, string>; ptrEp: Map<string, string[]> };
  /** "ns/ip" of every pod (pods verified). */
  podIPs: Set<string>;
  dnsIP: string;
  nsName: string;
  external: Map<string, { type: string; value: string }[]>;
}

export function createZone(
  state: Omit<ClusterState, "dns"> & Partial<Pick<ClusterState, "dns">>,
  opts: ZoneOptions = {},
): Zone {
  const ix = buildIndex(state, opts);
  return {
    zone: ix.zone,
    serial: ix.serial,
    ttl: ix.ttl,
    answer: (q: Question, flags: AnswerFlags = {}) => answer(ix, q, flags),
    inZone: (n: string) => findZone(ix, lower(n)) !== undefined,
  };
}

// --- indexes ---------------------------------------------------------------------

function buildIndex(
  state: Omit<ClusterState, "dns"> & Partial<Pick<ClusterState, "dns">>,
  opts: ZoneOptions,
): ZoneIndex {
  const zone = lower(state.config.networking.dnsDomain);
  const services = indexServices(state, zone);
  let ptr: ReturnType<typeof indexPtr> | undefined;
  const podIPs = new Set<string>();
  for (const p of state.pods) if (p.podIP) podIPs.add(`${p.namespace.toLowerCase()}/${p.podIP}`);
  const dnsSvc = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns");
  return {
    zone,
    ttl: opts.ttl ?? state.config.dns?.ttl ?? 5,
    pods: opts.pods ?? state.config.dns?.pods ?? "disabled",
    serial: opts.serial ?? (state.clock >>> 0) + 1,
    zones: [zone, ...REVERSE_ZONES],
    namespaces: new Set<string>(state.namespaces.map((n) => n.name.toLowerCase())),
    services,
    ptr: () => (ptr ??= indexPtr(services)),
    podIPs,
    dnsIP: dnsSvc && hasClusterIP(dnsSvc) ? dnsSvc.clusterIP! : clusterDnsIP(state.config),
    nsName: `kube-dns.kube-system.svc.${zone}`,
    external: indexExternal(state.config.externalDNS ?? []),
  };
}

/** Every Service with its FQDN and ready addresses (none for ExternalName). */
function indexServices(state: Omit<ClusterState, "dns">, zone: string): Map<string, SvcEntry> {
  let bySvc: Map<string, EndpointSliceState[]> | undefined;
  const services = new Map<string, SvcEntry>(); // "name.ns" lower-case
  for (const svc of state.services) {
    const slices = () => (bySvc ??= slicesByService(state.endpointSlices)).get(`${svc.namespace}/${svc.name}`) ?? [];
    services.set(`${svc.name}.${svc.namespace}`.toLowerCase(), new SvcEntry(svc, serviceFqdn(svc, zone), slices));
  }
  return services;
}

/** PTR: cluster IPs first (one name), else every endpoint naming the IP. */
function indexPtr(services: Map<string, SvcEntry>): { ptrSvc: Map<string, string>; ptrEp: Map<string, string[]> } {
  const ptrSvc = new Map<string, string>();
  const ptrEp = new Map<string, string[]>();
  for (const e of services.values()) {
    if (hasClusterIP(e.svc)) {
      if (!ptrSvc.has(e.svc.clusterIP!)) ptrSvc.set(e.svc.clusterIP!, e.fqdn);
    } else {
      const seen = new Set<string>();
      for (const a of e.ready) {
        const n = `${a.hostname}.${e.fqdn}`;
        if (seen.has(`${a.ip} ${n}`)) continue;
        seen.add(`${a.ip} ${n}`);
        const l = ptrEp.get(a.ip);
        if (l) l.push(n);
        else ptrEp.set(a.ip, [n]);
      }
    }
  }
  // ClusterIP Services also have endpoint names in CoreDNS; index their PTRs as endpoints.
  for (const e of services.values()) {
    if (!hasClusterIP(e.svc)) continue;
    for (const a of e.ready) {
      const n = `${a.hostname}.${e.fqdn}`;
      const l = ptrEp.get(a.ip) ?? [];
      if (!l.includes(n)) l.push(n);
      ptrEp.set(a.ip, l);
    }
  }
  return { ptrSvc, ptrEp };
}

/** The config's externalDNS records by lower-case name (CNAME targets without the dot). */
function indexExternal(records: ClusterState["config"]["externalDNS"]): Map<string, { type: string; value: string }[]> {
  const external = new Map<string, { type: string; value: string }[]>();
  for (const r of records) {
    const k = lower(r.name);
    const l = external.get(k) ?? [];
    l.push({ type: r.type, value: r.type === "CNAME" ? stripDot(r.value) : r.value });
    external.set(k, l);
  }
  return external;
}

function findZone(ix: ZoneIndex, l: string): string | undefined {
  for (const z of ix.zones)
    if (l === z || (l.length > z.length && l.endsWith(z) && l[l.length - z.length - 1] === ".")) return z;
  return undefined;
}

function soa(ix: ZoneIndex, z: string): RR {
  return {
    name: z,
    type: "SOA",
    ttl: Math.min(ix.ttl, 300),
    data: soaData(z, ix.serial, ix.ttl) as unknown as Soa,
  };
}

function addrRR(ix: ZoneIndex, name: string, ip: string): RR {
  return { name, type: ip.includes(":") ? "AAAA" : "A", ttl: ix.ttl, data: ip };
}

// --- CoreDNS: parseRequest + findServices / findPods --------------------------------

function records(ix: ZoneIndex, l: string, z: string): Found {
  if (z !== ix.zone) return "nx"; // reverse zones hold no forward names (IsReverse → errNoItems)
  const base = l === z ? "" : l.slice(0, l.length - z.length - 1);
  if (base === "" || base === "svc" || base === "pod") return []; // NODATA for apex queries
  const segs = base.split(".");
  let last = segs.length - 1;
  const podOrSvc = segs[last];
  if (podOrSvc !== "svc" && podOrSvc !== "pod") return "nx"; // errInvalidRequest
  const namespace = segs[--last];
  const service = last - 1 >= 0 ? segs[last - 1] : "";
  last -= 2;
  let endpoint = "";
  let port = "";
  let protocol = "";
  if (last === 0) endpoint = segs[0];
  else if (last === 1) {
    protocol = stripUnderscore(segs[1]);
    port = stripUnderscore(segs[0]);
  } else if (last > 1) return "nx"; // too long
  // CoreDNS's findPods ignores endpoint/port labels in front of the pod name.
  if (podOrSvc === "pod") return findPods(ix, namespace, service);
  return findServices(ix, namespace, service, endpoint, port, protocol);
}

function findPods(ix: ZoneIndex, namespace: string, podname: string): Found {
  if (ix.pods === "disabled") return "nx";
  if (podname === "") return ix.namespaces.has(namespace) ? [] : "nx";
  const dashes = podname.split("-").length - 1;
  const ip = dashes === 3 && !podname.includes("--") ? podname.replaceAll("-", ".") : podname.replaceAll("-", ":");
  if (!isIP(ip)) return "nx";
  const host = ip;
  const target = `${podname}.${namespace}.pod.${ix.zone}`;
  if (ix.pods === "insecure") return [{ host, port: -1, target }];
  return ix.podIPs.has(`${namespace}/${ip}`) ? [{ host, port: -1, target }] : "nx";
}

function findServices(
  ix: ZoneIndex,
  namespace: string,
  service: string,
  endpoint: string,
  port: string,
  protocol: string,
): Found {
  if (service === "") return ix.namespaces.has(namespace) ? [] : "nx";
  const e = ix.services.get(`${service}.${namespace}`);
  if (!e) return "nx";
  const svc = e.svc;
  if (svc.type === "ExternalName") {
    if (endpoint !== "") return "nx";
    const host = svc.externalName ? stripDot(svc.externalName) : "";
    if (host === "" || isIP(host)) return "nx"; // only a name makes a CNAME
    return [{ host, port: 0, target: e.fqdn }];
  }
  const matchPP = (pname: string | undefined, pproto: string) =>
    (port === "" || port === (pname ?? "").toLowerCase()) && (protocol === "" || protocol === pproto.toLowerCase());
  if (!hasClusterIP(svc) || endpoint !== "") return endpointItems(e, endpoint, matchPP);
  const out: Item[] = [];
  for (const p of svc.ports) {
    if (!matchPP(p.name, p.protocol)) continue;
    out.push({ host: svc.clusterIP!, port: p.port, target: e.fqdn });
  }
  return out.length > 0 ? out : "nx";
}

/** A headless Service's (or a named endpoint's) addresses, per matching port. */
function endpointItems(
  e: SvcEntry,
  endpoint: string,
  matchPP: (pname: string | undefined, pproto: string) => boolean,
): Found {
  const out: Item[] = [];
  let found = false;
  for (const a of e.ready) {
    if (endpoint !== "" && endpoint !== a.hostname) continue;
    const ports = a.ports.length > 0 ? a.ports : [{ name: "", port: -1, protocol: "" }];
    for (const p of ports) {
      if (!matchPP(p.name, p.protocol)) continue;
      found = true;
      out.push({ host: a.ip, port: p.port, target: `${a.hostname}.${e.fqdn}` });
    }
  }
  return found ? out : "nx";
}

// --- kubernetes.Services(): the TXT and ns.dns special cases ---------------------------
function lookupServices(ix: ZoneIndex, l: string, z: string, qtype: number): Found {
  const zone = ix.zone;
  if (qtype === QTYPE.TXT && z === zone) {
    if (l === `dns-version.${zone}`) return [{ host: "", port: -1, target: l, text: DNS_SCHEMA_VERSION }];
    const r = records(ix, l, z);
    return r === "nx" ? "nx" : [];
  }
  if (z === zone && l === `ns.dns.${zone}`) {
    return qtype === QTYPE.A || qtype === QTYPE.AAAA ? [{ host: ix.dnsIP, port: -1, target: l }] : [];
  }
  return records(ix, l, z);
}

// --- plugin.A / AAAA with CNAME following ----------------------------------------------
type Res = { err: boolean; records: RR[]; chase?: { name: string; type: number } };
function addressRecords(ix: ZoneIndex, qname: string, l: string, z: string, qtype: number, chain: RR[]): Res {
  const found = lookupServices(ix, l, z, qtype);
  if (found === "nx") return { err: true, records: [] };
  const recs: RR[] = [];
  const dup = new Set<string>();
  let chase: Res["chase"];
  for (const it of found) {
    if (it.text !== undefined) continue;
    if (!isIP(it.host)) {
      // ExternalName: a CNAME, followed inside the zone, else looked up upstream.
      const target = it.host.toLowerCase();
      if (target === l) continue; // CNAME loop
      if (chain.length > MAX_CNAME_CHAIN - 1) continue;
      const cname: RR = { name: qname, type: "CNAME", ttl: ix.ttl, data: it.host };
      if (chain.some((c) => c.type === "CNAME" && c.name.toLowerCase() === qname.toLowerCase())) continue;
      const tz = findZone(ix, target);
      if (tz === ix.zone) {
        const next = addressRecords(ix, it.host, target, tz, qtype, [...chain, cname]);
        if (!next.err && next.records.length > 0) recs.push(cname, ...next.records);
        continue;
      }
      recs.push(cname);
      chase = { name: it.host, type: qtype };
      continue;
    }
    const want = qtype === QTYPE.AAAA ? it.host.includes(":") : isIPv4(it.host);
    if (!want || dup.has(it.host)) continue;
    dup.add(it.host);
    recs.push(addrRR(ix, qname, it.host));
  }
  return { err: false, records: recs, chase };
}

function srvRecords(ix: ZoneIndex, qname: string, l: string, z: string): { err: boolean; records: RR[]; extra: RR[] } {
  const found = lookupServices(ix, l, z, QTYPE.SRV);
  if (found === "nx") return { err: true, records: [], extra: [] };
  const ttl = ix.ttl;
  const recs: RR[] = [];
  const extra: RR[] = [];
  const weight = Math.max(1, Math.floor(100 / Math.max(1, found.length)));
  const dupSrv = new Set<string>();
  const dupAddr = new Set<string>();
  for (const it of found) {
    if (it.port === -1 || it.text !== undefined) continue;
    if (!isIP(it.host)) {
      recs.push({ name: qname, type: "SRV", ttl, data: { priority: 0, weight, port: it.port, target: it.host } });
      continue;
    }
    const k = `${it.target}:${it.port}`;
    if (!dupSrv.has(k))
      recs.push({ name: qname, type: "SRV", ttl, data: { priority: 0, weight, port: it.port, target: it.target } });
    dupSrv.add(k);
    const ka = `${it.target} ${it.host}`;
    if (!dupAddr.has(ka)) extra.push(addrRR(ix, it.target, it.host));
    dupAddr.add(ka);
  }
  return { err: false, records: recs, extra };
}

function ptrRecords(ix: ZoneIndex, qname: string, l: string, z: string): { err: boolean; records: RR[] } {
  const ip = addressFromReverse(l);
  if (ip === undefined) {
    const r = records(ix, l, z);
    return { err: r === "nx", records: [] };
  }
  const ttl = ix.ttl;
  const { ptrSvc, ptrEp } = ix.ptr();
  const s = ptrSvc.get(ip);
  if (s) return { err: false, records: [{ name: qname, type: "PTR", ttl, data: s }] };
  const eps = ptrEp.get(ip);
  if (!eps || eps.length === 0) return { err: true, records: [] };
  return { err: false, records: eps.map((n) => ({ name: qname, type: "PTR" as const, ttl, data: n })) };
}

// --- names outside the zones -------------------------------------------------------
function externalAnswer(
  ix: ZoneIndex,
  qname: string,
  l: string,
  qtype: number,
  flags: AnswerFlags,
  chain: RR[] = [],
): ZoneAnswer {
  if (flags.forward)
    return { rcode: "NOERROR", aa: false, ra: true, answers: [], authority: [], additional: [], forward: true };
  const ttl = ix.ttl;
  const recs = ix.external.get(l);
  const base = { aa: false, ra: true, authority: [] as RR[], additional: [] as RR[] };
  if (!recs) return { ...base, rcode: chain.length > 0 ? "NOERROR" : "NXDOMAIN", answers: chain };
  const tn = typeName(qtype);
  const match = recs.filter((r) => r.type === tn);
  const toRR = (r: { type: string; value: string }): RR =>
    r.type === "TXT"
      ? { name: qname, type: "TXT", ttl, data: [r.value] }
      : { name: qname, type: r.type as "A", ttl, data: r.value };
  if (match.length > 0) return { ...base, rcode: "NOERROR", answers: [...chain, ...match.map(toRR)] };
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

// --- the handler ------------------------------------------------------------------

/** The records of one query type (plugin.A/SRV/PTR/…); err: the name does not exist. */
interface Lookup {
  err: boolean;
  recs: RR[];
  extra: RR[];
  chase?: ZoneAnswer["chase"];
}

function lookupByType(ix: ZoneIndex, qname: string, l: string, z: string, qtype: number): Lookup {
  const ttl = ix.ttl;
  switch (qtype) {
    case QTYPE.A:
    case QTYPE.AAAA: {
      const r = addressRecords(ix, qname, l, z, qtype, []);
      return { err: r.err, recs: r.records, extra: [], chase: r.chase };
    }
    case QTYPE.TXT: {
      const recs: RR[] = [];
      const f = lookupServices(ix, l, z, qtype);
      if (f === "nx") return { err: true, recs, extra: [] };
      for (const it of f)
        if (it.text !== undefined) recs.push({ name: qname, type: "TXT", ttl: DNS_VERSION_TTL, data: [it.text] });
      return { err: false, recs, extra: [] };
    }
    case QTYPE.CNAME: {
      const recs: RR[] = [];
      const f = lookupServices(ix, l, z, qtype);
      if (f === "nx") return { err: true, recs, extra: [] };
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

function answerIn(ix: ZoneIndex, qname: string, l: string, z: string, qtype: number, flags: AnswerFlags): ZoneAnswer {
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
  const out: ZoneAnswer = { rcode: "NOERROR", aa: true, ra: false, answers: recs, authority: [], additional: r.extra };
  if (chase) out.chase = chase;
  return out;
}

/** IN (1) and ANY (255); anything else is refused. */
function queryClass(c: Question["class"]): number {
  if (c === undefined) return 1;
  if (typeof c === "number") return c;
  const u = c.toUpperCase();
  return u === "IN" ? 1 : u === "ANY" ? 255 : -1;
}

function answer(ix: ZoneIndex, q: Question, flags: AnswerFlags): ZoneAnswer {
  const qtype = typeNumber(q.type) ?? -1;
  const qclass = queryClass(q.class);
  const empty = { answers: [], authority: [], additional: [] };
  if (qclass !== 1 && qclass !== 255) return { rcode: "REFUSED", aa: false, ra: false, ...empty };
  if (qtype === QTYPE.AXFR || qtype === QTYPE.IXFR) return { rcode: "REFUSED", aa: false, ra: false, ...empty };
  const qname = stripDot(q.name);
  const l = lower(qname);
  const z = findZone(ix, l);
  if (!z) return externalAnswer(ix, qname, l, qtype, flags);
  return answerIn(ix, qname, l, z, qtype, flags);
}

/** dnsutil.ExtractAddressFromReverse: a full reverse name → the IP, else undefined. */
export function addressFromReverse(l: string): string | undefined {
  if (l.endsWith(".in-addr.arpa")) {
    const parts = l.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join(".");
    return isIPv4(ip) ? ip : undefined;
  }
  if (l.endsWith(".ip6.arpa")) {
    const parts = l.slice(0, -".ip6.arpa".length).split(".");
    if (parts.length !== 32 || !parts.every((p) => /^[0-9a-f]$/.test(p))) return undefined;
    const hex = parts.reverse().join("");
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ""));
    // Canonical (RFC 5952) form so it matches addresses as Kubernetes writes them.
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== "0") {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === "0") j++;
      if (j - i > bestLen && j - i > 1) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (best < 0) return groups.join(":");
    return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  }
  return undefined;
}

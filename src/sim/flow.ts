// traceFlow: parse FROM/TO, resolve names, and enumerate every combination of random
// choices (statistic / numgen / IPVS) as its own path with its probability.

import { hostsLookup } from "../control/hosts.js";
import { externalEntry } from "../control/metallb.js";
import type { ClusterState, ServiceState } from "../control/state.js";
import type { DataplaneIR, NetNs, PodNet } from "../ir/types.js";
import { ForkFallback, LocalEnum, Walk, type PathSink, type WalkOptions } from "./engine.js";
import { intToIp, ipToInt, isIPv4 } from "../net/ipv4.js";
import { makePkt, type Pkt } from "./packet.js";
import { topologyOf, type Topology } from "./topology.js";
import type { DnsQuery, DnsTimeout, Flow, Protocol, TracePath, TraceResult } from "./trace.js";

export class TraceInputError extends Error {}

export interface FlowSpec {
  /** `[ns/]pod` | `node/NAME` | `external[:IP]` */
  from: string;
  /** `[ns/]pod` | `svc/[ns/]NAME` | `IP` | `IP:PORT` | URL */
  to: string;
  port?: number;
  protocol?: Protocol;
  /** IP total length (default 60: a TCP SYN with options). */
  size?: number;
  /** IP TTL of the first packet (default 64). */
  ttl?: number;
  reply?: boolean;
}

/** A resolver walk (the DNS helper's resolveFromPod fits this shape). */
export type Resolver = (
  pod: PodNet,
  name: string,
) => {
  nameserver: string;
  walk: DnsQuery[];
  answer?: string;
  hosts?: { line: number; text: string };
  timeout?: DnsTimeout;
};

export interface TraceOptions extends WalkOptions {
  /** For names (svc/…, URLs, pods in other namespaces): the control-plane state. Network facts still come from the IR. */
  state?: ClusterState;
  /** The resolver walk; defaults to a glibc-style walk over state.dns records. */
  resolve?: Resolver;
  /** Cap on enumerated paths (default 4096). */
  maxPaths?: number;
  /** Source port (default: derived from the flow). */
  sport?: number;
  /** Skip the DNS query's own trace. */
  noDnsPath?: boolean;
  /**
   * Enumerate by replaying whole walks, one per choice sequence (the reference the
   * forking walk is tested against; slower).
   */
  replay?: boolean;
}

interface Src {
  ns: NetNs;
  ip: number;
  label: string;
  pod?: PodNet;
}

function findPod(t: Topology, ref: string, state?: ClusterState): PodNet | undefined {
  if (ref.includes("/")) return t.podsByKey.get(ref);
  const def = t.podsByKey.get(`default/${ref}`);
  if (def) return def;
  const l = t.podsByName.get(ref);
  if (l && l.length === 1) return l[0];
  if (l && l.length > 1)
    throw new TraceInputError(
      `pod name "${ref}" exists in several namespaces (${l.map((p) => p.namespace).join(", ")}): use NAMESPACE/NAME`,
    );
  // Prefix of a generated name ("order-app" for "order-app-7d4b8c6f5-abc12") when unique.
  const ns = "default";
  const cands = t.ir.pods.filter((p) => p.namespace === ns && p.name.startsWith(ref + "-"));
  if (cands.length >= 1 && state === undefined) return cands[0];
  return cands[0];
}

function resolveSrc(t: Topology, from: string, state?: ClusterState): Src {
  if (from.startsWith("node/")) {
    const n = t.nodesByName.get(from.slice(5));
    if (!n)
      throw new TraceInputError(`unknown node "${from.slice(5)}" (nodes: ${t.ir.nodes.map((x) => x.name).join(", ")})`);
    return { ns: n.ns, ip: ipToInt(n.address), label: from };
  }
  if (from === "external" || from.startsWith("external:")) {
    const ip = from.includes(":") ? from.slice(from.indexOf(":") + 1) : t.ir.underlay?.externalClient;
    if (!ip || !isIPv4(ip)) throw new TraceInputError(`external client address "${ip ?? ""}" is not an IPv4 address`);
    const ext = t.externalAt(ip);
    return { ns: ext, ip: ipToInt(ip), label: from };
  }
  const p = findPod(t, from.startsWith("pod/") ? from.slice(4) : from, state);
  if (!p) throw new TraceInputError(`unknown pod "${from}"`);
  if (!p.node || !p.ip) throw new TraceInputError(`pod ${p.namespace}/${p.name} is not running (no node/IP)`);
  if (p.hostNetwork || !p.ns) {
    const n = t.nodesByName.get(p.node);
    if (!n) throw new TraceInputError(`pod ${p.namespace}/${p.name}: node ${p.node} not in the IR`);
    return { ns: n.ns, ip: ipToInt(p.ip), label: `${p.namespace}/${p.name}`, pod: p };
  }
  return { ns: p.ns, ip: ipToInt(p.ip), label: `${p.namespace}/${p.name}`, pod: p };
}

interface Dst {
  ip: number;
  port?: number;
  protocol?: Protocol;
  service?: string;
  host?: string;
  path?: string;
  dns?: TraceResult["dns"];
}

function svcLookup(state: ClusterState | undefined, ns: string, name: string) {
  if (!state) throw new TraceInputError(`resolving "${ns}/${name}" needs the cluster state`);
  return state.services.find((s) => s.namespace === ns && s.name === name);
}

function defaultResolver(state: ClusterState | undefined): Resolver {
  return (pod, name) => {
    const rc = pod.resolvConf ?? "";
    const nameserver = /^nameserver\s+(\S+)/m.exec(rc)?.[1] ?? "";
    // Files before dns (nsswitch `hosts: files dns`): the pod's /etc/hosts first.
    const h = pod.hosts ? hostsLookup(pod.hosts, name, "A", "glibc")[0] : undefined;
    if (h) return { nameserver, walk: [], answer: h.address, hosts: { line: h.line, text: h.text } };
    const search = (/^search\s+(.+)$/m.exec(rc)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
    const ndots = Number(/ndots:(\d+)/.exec(rc)?.[1] ?? 1);
    const abs = name.endsWith(".");
    const bare = name.replace(/\.$/, "").toLowerCase();
    const dots = (bare.match(/\./g) ?? []).length;
    const cands = abs
      ? [bare]
      : dots >= ndots
        ? [bare, ...search.map((s) => `${bare}.${s}`)]
        : [...search.map((s) => `${bare}.${s}`), bare];
    const walk: DnsQuery[] = [];
    const recs = state?.dns.records ?? [];
    const extern = state?.config.externalDNS ?? [];
    for (const q of cands) {
      let n = q;
      const answers: string[] = [];
      for (let i = 0; i < 8; i++) {
        const a = recs.filter((r) => r.name === n && r.type === "A").map((r) => String(r.data));
        const ea = extern.filter((r) => r.name.toLowerCase() === n && r.type === "A").map((r) => r.value);
        if (a.length || ea.length) {
          answers.push(...a, ...ea);
          break;
        }
        const c =
          recs.find((r) => r.name === n && r.type === "CNAME") ??
          extern.find((r) => r.name.toLowerCase() === n && r.type === "CNAME");
        if (!c) break;
        n = String("data" in c ? c.data : c.value)
          .replace(/\.$/, "")
          .toLowerCase();
      }
      const exists = answers.length > 0 || recs.some((r) => r.name === q || r.name.endsWith("." + q));
      walk.push({ name: q, type: "A", rcode: answers.length ? "NOERROR" : exists ? "NODATA" : "NXDOMAIN", answers });
      if (answers.length) return { nameserver, walk, answer: answers[0] };
    }
    return { nameserver, walk };
  };
}

/** TO as `NAME:PORT` (a host name, not an IP: those are read first). */
export const HOST_PORT = /^([^/:]+):(\d{1,5})$/;

/** A port written in TO (URL, IP:PORT or NAME:PORT): 1-65535, as a TCP/UDP destination port must be. */
function checkPort(text: string, to: string): void {
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n < 1 || n > 65535)
    throw new TraceInputError(`port "${text}" in "${to}" is not a valid port (1-65535)`);
}

function resolveDst(t: Topology, src: Src, spec: FlowSpec, opts: TraceOptions): Dst {
  const to = spec.to;
  const state = opts.state;
  if (to.startsWith("svc/")) {
    const ref = to.slice(4);
    const [ns, name] = ref.includes("/") ? ref.split("/", 2) : [src.pod?.namespace ?? "default", ref];
    const s = svcLookup(state, ns, name);
    if (!s) throw new TraceInputError(`unknown Service "${ns}/${name}"`);
    if (spec.from === "external" || spec.from.startsWith("external:")) {
      // From outside: the LoadBalancer IP or a NodePort, as a client on the LAN would use.
      const e = externalEntry(state!, s, spec.port);
      if (typeof e === "string") throw new TraceInputError(e);
      const sp = s.ports.find((p) => (e.via === "NodePort" ? p.nodePort : p.port) === e.port);
      return {
        ip: ipToInt(e.ip),
        port: e.port,
        protocol: spec.protocol ?? (sp?.protocol.toLowerCase() as Protocol | undefined),
        service: `${ns}/${name}`,
      };
    }
    if (s.clusterIP === "None" && src.pod) {
      // Headless: no virtual IP, clients look the name up and get the pods' addresses
      // (https://kubernetes.io/docs/concepts/services-networking/service/#headless-services).
      const sp = headlessPort(state, s, spec.protocol);
      const host = ns === src.pod.namespace ? name : `${name}.${ns}`;
      const d = byName(src.pod, host, spec.port ?? sp?.port, undefined, opts);
      if (d.port === undefined) throw new TraceInputError(`Service ${ns}/${name} has no port: give -p PORT`);
      return {
        ...d,
        protocol: spec.protocol ?? (sp?.protocol.toLowerCase() as Protocol | undefined),
        service: `${ns}/${name}`,
      };
    }
    if (!s.clusterIP || s.clusterIP === "None")
      throw new TraceInputError(`Service ${ns}/${name} has no cluster IP (${s.clusterIP ?? s.type})`);
    const sp =
      spec.port !== undefined
        ? (s.ports.find((p) => p.port === spec.port && p.protocol.toLowerCase() === spec.protocol) ??
          s.ports.find((p) => p.port === spec.port))
        : firstPort(s.ports, spec.protocol);
    return {
      ip: ipToInt(s.clusterIP),
      port: spec.port ?? sp?.port,
      protocol: spec.protocol ?? (sp?.protocol.toLowerCase() as Protocol | undefined),
      service: `${ns}/${name}`,
    };
  }
  // The host may be a bracketed IPv6 literal (RFC 3986 IP-literal): read, then refused.
  const url = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]/?#]*\]|[^/:?#]+)(?::(\d*))?([^?#]*)/i.exec(to);
  if (url) {
    const [, scheme, host, port, path] = url;
    if (port !== undefined && port !== "") checkPort(port, to);
    if (host.startsWith("[")) throw new TraceInputError(`"${host}" in "${to}" is IPv6: the cluster is IPv4-only`);
    const dport = spec.port ?? (port ? Number(port) : scheme.toLowerCase() === "https" ? 443 : 80);
    if (isIPv4(host)) return { ip: ipToInt(host), port: dport, host, path: path || "/" };
    if (!src.pod)
      throw new TraceInputError(`resolving "${host}" needs a pod as the source (its resolv.conf has the search list)`);
    return byName(src.pod, host, dport, path || "/", opts);
  }
  const ipPort = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(to);
  if (ipPort && !isIPv4(ipPort[1])) throw new TraceInputError(`"${ipPort[1]}" is not an IPv4 address`);
  if (ipPort?.[2] !== undefined) checkPort(ipPort[2], to);
  if (ipPort) {
    const port = spec.port ?? (ipPort[2] ? Number(ipPort[2]) : undefined);
    if (port !== undefined || spec.protocol === "icmp") return { ip: ipToInt(ipPort[1]), port };
    return { ip: ipToInt(ipPort[1]), ...defaultPortAt(t, ipPort[1], spec.protocol, state) };
  }
  // NAME:PORT is a host and a port, as an app's "redis-cart:6379" means: looked up by the
  // pod's resolver. Never a pod: a pod's name is a DNS subdomain, which has no ':'
  // (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names).
  const hostPort = HOST_PORT.exec(to);
  if (hostPort) {
    checkPort(hostPort[2], to);
    if (!src.pod)
      throw new TraceInputError(
        `resolving "${hostPort[1]}" needs a pod as the source (its resolv.conf has the search list)`,
      );
    return byName(src.pod, hostPort[1], spec.port ?? Number(hostPort[2]), undefined, opts);
  }
  const p = findPod(t, to.startsWith("pod/") ? to.slice(4) : to, state);
  if (!p)
    throw new TraceInputError(
      `unknown destination "${to}" (expected a pod, svc/NAME, NAME:PORT, an IP, IP:PORT or a URL)`,
    );
  if (!p.ip) throw new TraceInputError(`pod ${p.namespace}/${p.name} has no IP`);
  const first = p.listeners[0];
  return {
    ip: ipToInt(p.ip),
    port: spec.port ?? first?.port,
    protocol: spec.protocol ?? (first?.protocol.toLowerCase() as Protocol | undefined),
  };
}

/** A name looked up by the source pod's resolver walk (a URL's host, a headless Service). */
function byName(
  pod: PodNet,
  host: string,
  port: number | undefined,
  path: string | undefined,
  opts: TraceOptions,
): Dst {
  const resolver = opts.resolve ?? defaultResolver(opts.state);
  const r = resolver(pod, host);
  const dns: TraceResult["dns"] = { nameserver: r.nameserver, walk: r.walk };
  if (r.answer) dns.answer = r.answer;
  if (r.hosts) dns.hosts = r.hosts;
  if (r.timeout) dns.timeout = r.timeout;
  const at = path === undefined ? {} : { path };
  return { ip: r.answer ? ipToInt(r.answer) : NaN, port, host, ...at, dns };
}

/** The first port of a list, of the flow's protocol when it is given. */
function firstPort<T extends { protocol: string }>(ports: T[], protocol: Protocol | undefined): T | undefined {
  return protocol ? ports.find((p) => p.protocol.toLowerCase() === protocol) : ports[0];
}

/**
 * The port a client of a headless Service connects to when none is given: nothing translates
 * ports for it, so it is the endpoint's port (its EndpointSlice's, as CoreDNS's SRV answer
 * gives it), not the Service port; a numeric targetPort when no slice says.
 */
export function headlessPort(
  state: ClusterState | undefined,
  svc: ServiceState,
  protocol: Protocol | undefined,
): { port: number; protocol: string } | undefined {
  const sp = firstPort(svc.ports, protocol);
  if (!sp) return undefined;
  for (const sl of state?.endpointSlices ?? [])
    if (sl.namespace === svc.namespace && sl.serviceName === svc.name) {
      const ep = sl.ports.find((p) => (p.name ?? "") === (sp.name ?? "") && p.protocol === sp.protocol);
      if (ep) return { port: ep.port, protocol: sp.protocol };
    }
  return { port: typeof sp.targetPort === "number" ? sp.targetPort : sp.port, protocol: sp.protocol };
}

/**
 * The port an address stands for when TO gives none: a cluster IP's Service's first port,
 * a pod's first listener (as for svc/NAME and a pod's name). Undefined elsewhere: the
 * caller asks for -p, naming what the address is.
 */
function defaultPortAt(
  t: Topology,
  ip: string,
  protocol: Protocol | undefined,
  state: ClusterState | undefined,
): { port?: number; protocol?: Protocol } {
  const svc = state?.services.find((s) => s.clusterIP === ip);
  const pod = svc ? undefined : t.ir.pods.find((p) => p.ip === ip && !p.hostNetwork);
  const first = svc ? firstPort(svc.ports, protocol) : pod ? firstPort(pod.listeners, protocol) : undefined;
  if (first) return { port: first.port, protocol: first.protocol.toLowerCase() as Protocol };
  const what = svc
    ? `Service ${svc.namespace}/${svc.name} has no ${protocol ? `${protocol} ` : ""}port`
    : pod
      ? `pod ${pod.namespace}/${pod.name} has no ${protocol ? `${protocol} ` : ""}listener`
      : `${ip} is neither a Service's cluster IP nor a pod's address`;
  throw new TraceInputError(`no destination port: ${what}: give -p PORT`);
}

export function traceFlow(ir: DataplaneIR, spec: FlowSpec, opts: TraceOptions = {}): TraceResult {
  const t = topologyOf(ir);
  const src = resolveSrc(t, spec.from, opts.state);
  const dst = resolveDst(t, src, spec, opts);
  const protocol: Protocol = spec.protocol ?? dst.protocol ?? "tcp";
  const port = protocol === "icmp" ? undefined : (dst.port ?? spec.port);
  if (protocol !== "icmp" && port === undefined) throw new TraceInputError(`no destination port: give -p PORT`);
  const size = spec.size ?? 60;
  const sport =
    opts.sport ??
    (protocol === "icmp"
      ? 0
      : 32768 + ((((src.ip ^ (Number.isNaN(dst.ip) ? 0 : dst.ip)) >>> 0) + (port ?? 0) * 7919) % 28232));
  const flow: Flow = {
    from: spec.from,
    to: spec.to,
    srcNs: src.ns.id,
    src: intToIp(src.ip),
    dst: Number.isNaN(dst.ip) ? "" : intToIp(dst.ip),
    protocol,
    size,
  };
  if (port !== undefined) flow.port = port;
  if (protocol !== "icmp") flow.sport = sport;
  if (dst.service) flow.service = dst.service;
  if (dst.host) flow.host = dst.host;
  if (dst.path) flow.path = dst.path;
  const result = { flow } as TraceResult;
  if (dst.dns) {
    result.dns = dst.dns;
    if (!opts.noDnsPath && !dst.dns.hosts && dst.dns.nameserver && isIPv4(dst.dns.nameserver)) {
      const q = traceFlow(
        ir,
        { from: spec.from, to: `${dst.dns.nameserver}:53`, protocol: "udp", size: 80 },
        { ...opts, noDnsPath: true, state: opts.state },
      );
      result.dns.path = q.paths;
    }
    if (Number.isNaN(dst.ip)) {
      result.paths = [];
      return result;
    }
  }
  result.paths = [];
  const mk = (): Pkt =>
    makePkt({
      src: src.ip,
      dst: dst.ip,
      proto: protocol,
      sport,
      dport: port ?? 0,
      ttl: spec.ttl ?? 64,
      size,
      df: true,
      mark: 0,
    });
  const max = opts.maxPaths ?? 4096;
  const what =
    protocol === "icmp"
      ? `icmp echo ${flow.src} → ${flow.dst}`
      : `${protocol} ${flow.src}:${sport} → ${flow.dst}:${port}`;
  const detail = `${what} (${size} bytes, DF) from ${src.label}${dst.host ? ` [${dst.host}${dst.path ?? ""}]` : ""}`;
  const rc: ReplyCtx = { reply: !!spec.reply, t, protocol, size };
  if (!opts.replay) {
    // Fork mode: the walk forks at each random choice (see Walk.forkAt); the prefix
    // before a choice is walked once.
    try {
      const w = new Walk(t, new LocalEnum(), opts);
      w.fork = true;
      w.maxPaths = max;
      const sink = new ForkSink(rc);
      w.sink = sink;
      const pkt = mk();
      w.setClient(src.ns, pkt);
      w.originate(src.ns, pkt, detail);
      if (!w.forked) w.emit();
      result.paths = sink.paths;
      if (w.truncated) result.truncated = true;
      return result;
    } catch (e) {
      if (!(e instanceof ForkFallback)) throw e;
      // A choice on the reply's way: enumerate whole walks instead.
    }
  }
  const en = new LocalEnum();
  do {
    en.pos = 0;
    const w = new Walk(t, en, opts);
    const pkt = mk();
    w.setClient(src.ns, pkt);
    w.originate(src.ns, pkt, detail);
    const fwd = w.takePath();
    replyOf(rc, w, fwd, false);
    result.paths.push(fwd);
    if (result.paths.length >= max) {
      if (en.next()) result.truncated = true;
      break;
    }
  } while (en.next());
  return result;
}

/** What the reply of a forward path needs from its trace (a record: see PathSink on closures). */
interface ReplyCtx {
  reply: boolean;
  t: Topology;
  protocol: Protocol;
  size: number;
}

/** Fork mode's collector: each finished path, copied, with its reply. */
class ForkSink implements PathSink {
  readonly paths: TracePath[] = [];
  constructor(private readonly rc: ReplyCtx) {}
  take(w: Walk): void {
    const fwd = w.copyPath();
    replyOf(this.rc, w, fwd, true);
    this.paths.push(fwd);
  }
}

/** The reply of a delivered forward path (its last packet turned around). `fork`: the walk goes on after it (restore its state). */
function replyOf(rc: ReplyCtx, w: Walk, fwd: TracePath, fork: boolean): void {
  if (!rc.reply || fwd.disposition.verdict !== "DELIVERED") return;
  const endNs = fwd.disposition.ns ? rc.t.nsOf(fwd.disposition.ns) : undefined;
  const last = fwd.hops[fwd.hops.length - 1]?.steps.at(-1)?.packet;
  if (!endNs || !last) return;
  const { protocol, size } = rc;
  const rp: Pkt = makePkt({
    src: ipToInt(last.dst),
    dst: ipToInt(last.src),
    proto: protocol,
    sport: last.dport ?? 0,
    dport: last.sport ?? 0,
    ttl: 64,
    size,
    df: true,
    mark: 0,
  });
  const detail = `reply ${protocol} ${last.dst}:${last.dport ?? ""} → ${last.src}:${last.sport ?? ""} from ${fwd.disposition.container ?? endNs.id}`;
  let rep: TracePath;
  if (fork) rep = w.replyPath(endNs, rp, detail);
  else {
    w.originate(endNs, rp, detail);
    rep = w.takePath();
  }
  rep.probability = 1;
  fwd.reply = rep;
}

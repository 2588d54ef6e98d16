// `podnet verify`: the model checked against the kernel on a running cluster.
//
// The IR is recomputed from the inputs `podnet up` recorded (nothing is read back from
// the kernel), every flow is traced by the interpreter (sim/), and the same flow is run
// for real from inside the source's network namespace. Each flow's outcome is a set of
// outcome keys, compared as sets:
//   "delivered NS/POD"  a pod answered (the HTTP body / UDP "hostname" echo names it);
//                       "delivered" alone when the answer cannot name its pod (DNS servers)
//   "refused"           RST or ICMP port unreachable (nothing listens; a REJECT rule)
//   "unreachable"       ICMP host/net unreachable, or no route at the source
//   "dropped"           no answer within the timeout
//   DNS flows: "answer A,B" (sorted addresses) | "notfound" (NXDOMAIN/NODATA) | "servfail"
// Flows: "pod" every ordered pod pair on every declared container port; "service" every
// Service port from every pod; "nodeport" every NodePort on every node and "external"
// every LoadBalancer/external IP, both from the outside client in the underlay; "dns"
// every Service name (short, NAME.NS, FQDN) from one pod per namespace.
// For a Service the model lists one path per endpoint choice; the kernel repeats the
// flow (up to 10 × the model's outcomes, stopping once it has seen them all) so that the
// sets compare. With sessionAffinity: ClientIP one endpoint answers every time: then the
// kernel's set must be one of the model's.
//
// Efficiency: ONE python3 client per source namespace (`ip netns exec NS python3 -c …`)
// runs all of that source's flows on a thread pool and prints JSON lines; a few sources
// run at once. Drops cost a bounded timeout (TCP connect 0.5 s, UDP 0.3 s). Traffic goes
// only to pod, Service, node and DNS addresses of the cluster, from inside its namespaces.

import { spawn } from "node:child_process";
import type { ClusterState } from "../control/state.js";
import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import { traceFlow } from "../sim/index.js";
import type { Protocol, TracePath, TraceResult } from "../sim/trace.js";
import { resolveFromPod } from "../dns/resolver.js";
import { guardCommand, nsName } from "../linux/names.js";
import { readRecord } from "../linux/state.js";
import { isDnsListener } from "../linux/supervisor.js";

export type FlowSet = "pods" | "services" | "dns";
export const FLOW_SETS: FlowSet[] = ["pods", "services", "dns"];

/** What the client does for one flow. */
type Probe = "http" | "udp" | "dns-udp" | "dns-tcp" | "resolve";

export interface ModelPath {
  probability: number;
  verdict: string;
  reason?: string;
  detail: string;
  /** Where the path ended ("pod/default/web-0") and the container that listens. */
  ns?: string;
  container?: string;
  /** The random choices (KUBE-SVC → KUBE-SEP …). */
  choices: string[];
  /** The object that decided (REJECT rule, policy rule, listener …). */
  object?: string;
  outcome: string;
}

export interface VerifyFlow {
  id: number;
  kind: "pod" | "service" | "nodeport" | "external" | "dns";
  /** "default/order-app-…" or "external". */
  from: string;
  /** Human form of the destination ("default/web-0 10.244.1.7:80/tcp", "svc default/user-service 10.96.11.236:80/tcp", "user-service"). */
  to: string;
  protocol?: Protocol;
  dst?: string;
  port?: number;
  /** DNS flows: the name asked. */
  name?: string;
  model: {
    outcomes: string[];
    paths?: ModelPath[];
    walk?: { name: string; rcode: string; answers: string[] }[];
    dnsStep?: string[];
  };
  kernel: { outcomes: string[]; counts: Record<string, number>; tries: number; errors?: string[] };
  agree: boolean;
  /** Why they (dis)agree in one line. */
  note?: string;
}

export interface VerifyReport {
  cluster: string;
  flowSets: FlowSet[];
  flows: number;
  agree: number;
  disagree: number;
  byKind: Record<string, { flows: number; agree: number; disagree: number }>;
  /** Flows not run, with why (e.g. SCTP listeners). */
  skipped: { what: string; why: string }[];
  ms: number;
  /** Every flow (JSON output); the text output prints only disagreements. */
  results: VerifyFlow[];
}

export interface VerifyOptions {
  cluster: string;
  flows?: FlowSet[];
  /** Defaults: TCP connect 500 ms, UDP 300 ms. */
  tcpTimeoutMs?: number;
  udpTimeoutMs?: number;
  /** Source namespaces probed at once (default 6). */
  parallel?: number;
  /** The IR/state to compare with (default: recomputed from the recorded inputs). */
  ir?: DataplaneIR;
  state?: ClusterState;
  log?: (s: string) => void;
}

// ---------------------------------------------------------------------------
// The model side

const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The pod (key) a path ended in: its own namespace, or a hostNetwork pod listening in the node's. */
function endPod(ir: DataplaneIR, path: TracePath): string | undefined {
  const ns = path.disposition.ns;
  if (!ns) return undefined;
  if (ns.startsWith("pod/")) return ns.slice(4);
  if (ns.startsWith("node/")) {
    // A hostNetwork pod's listener in the node's namespace is named "NS/POD/CONTAINER".
    const c = path.disposition.container?.split("/");
    if (c?.length === 3) return `${c[0]}/${c[1]}`;
    const node = ns.slice(5);
    const hp = ir.pods.find(
      (p) =>
        p.hostNetwork &&
        p.node === node &&
        p.listeners.some(
          (l) =>
            l.port === path.disposition.port &&
            (!path.disposition.container || l.container === path.disposition.container),
        ),
    );
    return hp ? podKey(hp) : ns;
  }
  return ns;
}

/** A model path as an outcome key (the kernel's vocabulary). */
export function pathOutcome(ir: DataplaneIR, path: TracePath): string {
  const d = path.disposition;
  switch (d.verdict) {
    case "DELIVERED":
      return `delivered ${endPod(ir, path) ?? "?"}`;
    case "REFUSED":
      return "refused";
    case "DROPPED": {
      // A REJECT rule answers with an ICMP error: the client sees it at once.
      if (/^rejected/.test(d.detail))
        return /host-unreachable|net-unreachable|admin-prohib|host-prohib|net-prohib/.test(d.object?.text ?? "")
          ? "unreachable"
          : "refused";
      if (d.reason === "NO_ROUTE") return "unreachable";
      return "dropped";
    }
    case "EXITS_CLUSTER":
      return "dropped"; // nothing outside answers: the underlay's gateway has nowhere to send it
  }
  return "dropped";
}

function modelPaths(ir: DataplaneIR, r: TraceResult): ModelPath[] {
  return r.paths
    .filter((p) => p.probability > 0)
    .map((p) => {
      const d = p.disposition;
      const m: ModelPath = {
        probability: Number(p.probability.toFixed(4)),
        verdict: d.verdict,
        detail: d.detail,
        choices: p.choices,
        outcome: pathOutcome(ir, p),
      };
      if (d.reason) m.reason = d.reason;
      if (d.ns) m.ns = d.ns;
      if (d.container) m.container = d.container;
      if (d.object) m.object = d.object.text;
      return m;
    });
}

const uniq = (a: string[]) => [...new Set(a)].sort();

// ---------------------------------------------------------------------------
// Flow planning

export interface Planned {
  flow: VerifyFlow;
  /** Kernel namespace the flow starts in. */
  srcNetns: string;
  probe: {
    id: number;
    probe: Probe;
    dst: string;
    port: number;
    tries: number;
    expect: string[];
    name?: string;
    qname?: string;
  };
  /** Outcomes compare as "delivered" without the pod (the answer does not name it). */
  anonymous: boolean;
  affinity: boolean;
  /** UDP "hostname" answers → pod key. */
  names?: Record<string, string>;
}

function probeFor(pod: PodNet | undefined, l: { port: number; protocol: string }): Probe | null {
  const dns = pod ? isDnsListener(pod, l as Listener) : false;
  if (l.protocol === "TCP") return dns ? "dns-tcp" : "http";
  if (l.protocol === "UDP") return dns ? "dns-udp" : "udp";
  return null;
}

export function planFlows(
  ir: DataplaneIR,
  state: ClusterState | undefined,
  cluster: string,
  sets: FlowSet[],
  skipped: VerifyReport["skipped"],
): Planned[] {
  const out: Planned[] = [];
  let id = 0;
  const sources = ir.pods.filter((p) => p.ns && p.node && p.ip);
  const srcNs = (p: PodNet) => nsName(cluster, p.ns!.id);
  const qname = state
    ? `kubernetes.default.svc.${state.config.networking.dnsDomain}`
    : "kubernetes.default.svc.cluster.local";
  // Pod names → keys for UDP "hostname" answers (a name in two namespaces stays ambiguous).
  const nameCount = new Map<string, number>();
  for (const p of ir.pods) nameCount.set(p.name, (nameCount.get(p.name) ?? 0) + 1);
  const names: Record<string, string> = {};
  for (const p of ir.pods) if (nameCount.get(p.name) === 1) names[p.name] = podKey(p);

  const traced = (
    from: string,
    to: string,
    port: number,
    protocol: Protocol,
  ): { outcomes: string[]; paths: ModelPath[] } => {
    const r = traceFlow(ir, { from, to, port, protocol }, { state });
    const paths = modelPaths(ir, r);
    return { outcomes: uniq(paths.map((p) => p.outcome)), paths };
  };
  const push = (p: Omit<Planned, "flow"> & { flow: Omit<VerifyFlow, "id" | "kernel" | "agree"> }) => {
    const flow = { ...p.flow, id, kernel: { outcomes: [], counts: {}, tries: 0 }, agree: false } as VerifyFlow;
    out.push({ ...p, flow, probe: { ...p.probe, id } });
    id++;
  };

  if (sets.includes("pods")) {
    for (const from of sources) {
      for (const to of ir.pods) {
        if (!to.ip || !to.node) continue;
        for (const l of to.listeners) {
          const probe = probeFor(to, l);
          if (!probe) {
            if (from === sources[0])
              skipped.push({
                what: `${podKey(to)} ${l.protocol} ${l.port}`,
                why: `${l.protocol}: no kernel probe (TCP and UDP only)`,
              });
            continue;
          }
          const protocol = l.protocol.toLowerCase() as Protocol;
          const m = traced(podKey(from), `${to.ip}:${l.port}`, l.port, protocol);
          push({
            flow: {
              kind: "pod",
              from: podKey(from),
              to: `${podKey(to)} ${to.ip}:${l.port}/${protocol}`,
              protocol,
              dst: to.ip,
              port: l.port,
              model: m,
            },
            srcNetns: srcNs(from),
            probe: { id: 0, probe, dst: to.ip, port: l.port, tries: 1, expect: [], qname },
            anonymous: probe.startsWith("dns"),
            affinity: false,
            names,
          });
        }
      }
    }
  }

  if (sets.includes("services") && state) {
    for (const s of state.services) {
      if (!s.clusterIP || s.clusterIP === "None") continue;
      for (const sp of s.ports) {
        if (sp.protocol !== "TCP" && sp.protocol !== "UDP") {
          skipped.push({
            what: `svc ${s.namespace}/${s.name} ${sp.protocol} ${sp.port}`,
            why: `${sp.protocol}: no kernel probe`,
          });
          continue;
        }
        const protocol = sp.protocol.toLowerCase() as Protocol;
        const dnsSvc = s.namespace === "kube-system" && sp.port === 53;
        const probe: Probe = dnsSvc
          ? protocol === "udp"
            ? "dns-udp"
            : "dns-tcp"
          : protocol === "udp"
            ? "udp"
            : "http";
        for (const from of sources) {
          const m = traced(podKey(from), `svc/${s.namespace}/${s.name}`, sp.port, protocol);
          push({
            flow: {
              kind: "service",
              from: podKey(from),
              to: `svc ${s.namespace}/${s.name} ${s.clusterIP}:${sp.port}/${protocol}`,
              protocol,
              dst: s.clusterIP,
              port: sp.port,
              model: m,
            },
            srcNetns: srcNs(from),
            probe: {
              id: 0,
              probe,
              dst: s.clusterIP,
              port: sp.port,
              tries: probe.startsWith("dns") ? 2 : Math.max(3, 10 * m.outcomes.length),
              expect: [],
              qname,
            },
            anonymous: dnsSvc,
            affinity: s.sessionAffinity === "ClientIP",
            names,
          });
        }
        // LoadBalancer and external IPs from the outside client (no NodePort needed). The
        // underlay namespace has no link out of podnet's namespaces: nothing leaves.
        if (ir.underlay?.externalClient) {
          for (const ip of [...new Set([...s.loadBalancerIPs, ...s.externalIPs])]) {
            const m = traced("external", `${ip}:${sp.port}`, sp.port, protocol);
            push({
              flow: {
                kind: "external",
                from: "external",
                to: `${s.loadBalancerIPs.includes(ip) ? "loadbalancer" : "externalIP"} ${s.namespace}/${s.name} ${ip}:${sp.port}/${protocol}`,
                protocol,
                dst: ip,
                port: sp.port,
                model: m,
              },
              srcNetns: nsName(cluster, ir.underlay.ns.id),
              probe: {
                id: 0,
                probe,
                dst: ip,
                port: sp.port,
                tries: probe.startsWith("dns") ? 2 : Math.max(3, 10 * m.outcomes.length),
                expect: [],
                qname,
              },
              anonymous: dnsSvc,
              affinity: s.sessionAffinity === "ClientIP",
              names,
            });
          }
        }
        // NodePorts from the outside client (the underlay namespace), to every node.
        if (sp.nodePort && ir.underlay?.externalClient) {
          for (const n of ir.nodes) {
            const m = traced("external", `${n.address}:${sp.nodePort}`, sp.nodePort, protocol);
            push({
              flow: {
                kind: "nodeport",
                from: "external",
                to: `nodeport ${s.namespace}/${s.name} ${n.name} ${n.address}:${sp.nodePort}/${protocol}`,
                protocol,
                dst: n.address,
                port: sp.nodePort,
                model: m,
              },
              srcNetns: nsName(cluster, ir.underlay.ns.id),
              probe: {
                id: 0,
                probe,
                dst: n.address,
                port: sp.nodePort,
                tries: probe.startsWith("dns") ? 2 : Math.max(3, 10 * m.outcomes.length),
                expect: [],
                qname,
              },
              anonymous: dnsSvc,
              affinity: s.sessionAffinity === "ClientIP",
              names,
            });
          }
        }
      }
    }
  }

  if (sets.includes("dns") && state) {
    const domain = state.config.networking.dnsDomain;
    // One pod per Kubernetes namespace (the first by name) asks every Service name three ways.
    const firstIn = new Map<string, PodNet>();
    // Preferably a pod that uses the cluster DNS (dnsPolicy Default pods use the node's resolver).
    const dnsIP = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP ?? "";
    const usesCluster = (p: PodNet) =>
      new RegExp(`^nameserver\\s+${dnsIP.replace(/\./g, "\\.")}\\s*$`, "m").test(p.resolvConf ?? "") ? 0 : 1;
    for (const p of [...sources].sort((a, b) => usesCluster(a) - usesCluster(b) || podKey(a).localeCompare(podKey(b))))
      if (!firstIn.has(p.namespace)) firstIn.set(p.namespace, p);
    for (const from of firstIn.values()) {
      // The DNS query's own path: the resolver's nameserver on UDP 53.
      const ns = /^nameserver\s+(\S+)/m.exec(from.resolvConf ?? "")?.[1];
      let step: ModelPath[] = [];
      if (ns)
        step = modelPaths(
          ir,
          traceFlow(ir, { from: podKey(from), to: `${ns}:53`, port: 53, protocol: "udp" }, { state }),
        );
      const reachable = step.some((p) => p.verdict === "DELIVERED");
      const names = state.services
        .filter((s) => s.type !== "ExternalName")
        .flatMap((s) => [s.name, `${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc.${domain}`]);
      // A nameserver the model says does not answer: every name fails alike, and each
      // failure costs the resolver its retries: one name stands for all.
      if (!reachable && names.length > 1)
        skipped.push({
          what: `${names.length - 1} of ${names.length} names from ${podKey(from)}`,
          why: `its nameserver ${ns ?? "(none)"} does not answer in the model (${uniq(step.map((p) => p.verdict + (p.reason ? " " + p.reason : ""))).join(", ") || "no nameserver"}): one name checked`,
        });
      for (const name of reachable ? names : names.slice(0, 1)) {
        const w = resolveFromPod(state, podKey(from), name, { libc: "glibc" });
        const walk = w.queries.map((q) => ({
          name: q.name,
          rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
          answers: q.answers.filter((a) => a.type === "A").map((a) => String(a.data)),
        }));
        let outcome: string;
        if (!reachable)
          outcome = "servfail"; // no answer: the resolver times out (EAI_AGAIN)
        else if (w.result.status === "found" && w.result.values.length)
          outcome = `answer ${[...w.result.values].sort().join(",")}`;
        else if (w.result.status === "SERVFAIL") outcome = "servfail";
        else outcome = "notfound";
        push({
          flow: {
            kind: "dns",
            from: podKey(from),
            to: name,
            name,
            model: {
              outcomes: [outcome],
              walk,
              dnsStep: uniq(step.map((p) => `${p.verdict}${p.reason ? " " + p.reason : ""} ${p.ns ?? ""}`.trim())),
            },
          },
          srcNetns: srcNs(from),
          probe: { id: 0, probe: "resolve", dst: "", port: 0, tries: 1, expect: [], name },
          anonymous: false,
          affinity: false,
        });
      }
    }
  }
  // The client stops repeating once it has seen every outcome the model predicts.
  for (const p of out)
    p.probe.expect = p.flow.model.outcomes.map((o) => (p.anonymous && o.startsWith("delivered") ? "delivered" : o));
  return out;
}

// ---------------------------------------------------------------------------
// The kernel side: one python3 client per source namespace

// stdin: {"tcp": s, "udp": s, "flows": [{id, probe, dst, port, tries, expect, name, qname}]}
// stdout: one JSON line per flow: {"id", "counts": {outcome: n}, "tries", "errors"?}
const CLIENT = String.raw`
import json, socket, struct, sys, errno, random, threading
from concurrent.futures import ThreadPoolExecutor
cfg = json.load(sys.stdin)
TCP, UDP = cfg["tcp"], cfg["udp"]
lock = threading.Lock()
def err_outcome(e):
    n = getattr(e, "errno", None)
    if isinstance(e, socket.timeout) or n in (errno.ETIMEDOUT, errno.EAGAIN, errno.EINPROGRESS): return "dropped"
    if n == errno.ECONNREFUSED: return "refused"
    if n in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM): return "unreachable"
    if n in (errno.ECONNRESET,): return "refused"
    return "error:" + (errno.errorcode.get(n, str(n)) if n else type(e).__name__)
def http(f):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TCP)
    try:
        s.connect((f["dst"], f["port"]))
    except Exception as e:
        s.close(); return err_outcome(e)
    try:
        s.settimeout(3)
        s.sendall(b"GET / HTTP/1.0\r\nHost: podnet-verify\r\n\r\n")
        buf = b""
        while True:
            c = s.recv(65536)
            if not c: break
            buf += c
        body = buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""
        try:
            j = json.loads(body)
            return "delivered %s/%s" % (j["namespace"], j["pod"])
        except Exception:
            return "delivered ?"
    except Exception as e:
        return "delivered ?" if getattr(e, "errno", None) == errno.ECONNRESET else "error:after-connect:" + str(e)
    finally:
        s.close()
def udp(f):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UDP)
    try:
        s.connect((f["dst"], f["port"]))
        s.send(b"hostname")
        d = s.recv(65536)
        return "name " + d.decode("utf-8", "replace").strip()
    except Exception as e:
        return err_outcome(e)
    finally:
        s.close()
def dnsq(f, tcp):
    qid = random.randint(0, 65535)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(x)]) + x.encode() for x in f["qname"].split(".")) + b"\x00" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    s.settimeout(TCP if tcp else UDP)
    try:
        s.connect((f["dst"], f["port"]))
        if tcp:
            s.settimeout(3); s.sendall(struct.pack(">H", len(q)) + q); d = s.recv(65536)[2:]
        else:
            s.send(q); s.settimeout(1.0); d = s.recv(65536)
        return "delivered" if len(d) >= 2 and struct.unpack(">H", d[:2])[0] == qid else "error:bad-dns-answer"
    except Exception as e:
        return err_outcome(e)
    finally:
        s.close()
def hosts_sources():
    try:
        for l in open("/etc/nsswitch.conf"):
            w = l.split("#")[0].split()
            if w and w[0] == "hosts:": return w[1:]
    except OSError:
        pass
    return ["files", "dns"]
# podnet up gives each pod "hosts: files dns"; the host's may have mdns/resolve modules,
# which would ask daemons of the root namespace: never resolve through those.
SAFE_NSS = all(x in ("files", "dns") for x in hosts_sources())
def resolve(f):
    if not SAFE_NSS: return "error:nsswitch-not-files-dns"
    try:
        r = socket.getaddrinfo(f["name"], None, socket.AF_INET, socket.SOCK_STREAM)
        return "answer " + ",".join(sorted(set(x[4][0] for x in r)))
    except socket.gaierror as e:
        if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)): return "notfound"
        if e.errno == socket.EAI_AGAIN: return "servfail"
        return "error:gai%d" % e.errno
def run(f):
    counts, tries = {}, 0
    want = set(f["expect"])
    for i in range(f["tries"]):
        p = f["probe"]
        o = http(f) if p == "http" else udp(f) if p == "udp" else dnsq(f, p == "dns-tcp") if p.startswith("dns") else resolve(f)
        counts[o] = counts.get(o, 0) + 1
        tries += 1
        seen = set(counts)
        if want and want <= seen: break
        if not want: break
    line = json.dumps({"id": f["id"], "counts": counts, "tries": tries})
    with lock:
        sys.stdout.write(line + "\n"); sys.stdout.flush()
with ThreadPoolExecutor(max_workers=min(24, max(1, len(cfg["flows"])))) as ex:
    list(ex.map(run, cfg["flows"]))
`;

function runClient(
  netns: string,
  probes: Planned["probe"][],
  tcpS: number,
  udpS: number,
): Promise<Map<number, { counts: Record<string, number>; tries: number }>> {
  const argv = ["ip", "netns", "exec", netns, "python3", "-c", CLIENT];
  guardCommand(argv);
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("error", reject);
    c.on("close", (code) => {
      const m = new Map<number, { counts: Record<string, number>; tries: number }>();
      for (const line of out.split("\n")) {
        if (!line.trim()) continue;
        try {
          const j = JSON.parse(line) as { id: number; counts: Record<string, number>; tries: number };
          m.set(j.id, j);
        } catch {
          /* a partial line from a crash: the flow is reported missing */
        }
      }
      if (code !== 0 && m.size === 0)
        reject(
          new Error(`probe client in ${netns} failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`),
        );
      else resolve(m);
    });
    c.stdin.end(JSON.stringify({ tcp: tcpS, udp: udpS, flows: probes }));
  });
}

// ---------------------------------------------------------------------------

/** The IR and state of a running cluster, recomputed from what `podnet up` recorded. */
export async function recompute(cluster: string): Promise<{ ir: DataplaneIR; state?: ClusterState }> {
  const rec = readRecord(cluster);
  if (!rec) throw new Error(`cluster "${cluster}" has no state in /run/podnet/${cluster} (is it up? podnet status)`);
  if (rec.phase !== "up") throw new Error(`cluster "${cluster}" is not up (phase ${rec.phase})`);
  if (rec.inputs.fixture) {
    const { fixtureIR } = await import("../linux/fixture.js");
    return { ir: fixtureIR(cluster) };
  }
  const { loadCluster } = await import("../load/cluster.js");
  const { buildIR } = await import("../dataplane/build.js");
  const { state } = await loadCluster({ files: rec.inputs.files, config: rec.inputs.config, seed: rec.inputs.seed });
  return { ir: buildIR(state), state };
}

export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const t0 = Date.now();
  const sets = o.flows?.length ? o.flows : FLOW_SETS;
  const log = o.log ?? (() => {});
  const { ir, state } = o.ir ? { ir: o.ir, state: o.state } : await recompute(o.cluster);
  const skipped: VerifyReport["skipped"] = [];
  if (!state && (sets.includes("services") || sets.includes("dns")))
    skipped.push({ what: "services, dns", why: "the cluster was built from a bare IR (no control-plane state)" });
  const plan = planFlows(ir, state, o.cluster, sets, skipped);
  log(
    `${plan.length} flows planned from ${new Set(plan.map((p) => p.srcNetns)).size} sources (model traced in ${Date.now() - t0} ms)`,
  );

  const bySrc = new Map<string, Planned[]>();
  for (const p of plan) bySrc.set(p.srcNetns, [...(bySrc.get(p.srcNetns) ?? []), p]);
  const srcs = [...bySrc.keys()];
  const results = new Map<number, { counts: Record<string, number>; tries: number }>();
  const errors = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < srcs.length) {
      const ns = srcs[next++];
      try {
        const m = await runClient(
          ns,
          bySrc.get(ns)!.map((p) => p.probe),
          (o.tcpTimeoutMs ?? 500) / 1000,
          (o.udpTimeoutMs ?? 300) / 1000,
        );
        for (const [k, v] of m) results.set(k, v);
      } catch (e) {
        errors.set(ns, (e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel ?? 6, srcs.length) }, worker));

  const byKind: VerifyReport["byKind"] = {};
  let agree = 0;
  for (const p of plan) {
    const f = p.flow;
    const r = results.get(f.id);
    const canon = (k: string) => {
      if (k.startsWith("name ")) {
        const n = k.slice(5);
        return `delivered ${p.names?.[n] ?? "?/" + n}`;
      }
      return k;
    };
    const anon = (k: string) => (p.anonymous && k.startsWith("delivered") ? "delivered" : k);
    if (r) {
      const counts: Record<string, number> = {};
      for (const [k, v] of Object.entries(r.counts)) counts[canon(k)] = (counts[canon(k)] ?? 0) + v;
      f.kernel = { outcomes: uniq(Object.keys(counts).map(anon)), counts, tries: r.tries };
    } else
      f.kernel = {
        outcomes: [],
        counts: {},
        tries: 0,
        errors: [errors.get(p.srcNetns) ?? "no result from the probe client"],
      };
    const model = uniq(f.model.outcomes.map(anon));
    const kern = f.kernel.outcomes;
    if (p.affinity) f.agree = kern.length === 1 && model.includes(kern[0]);
    else f.agree = kern.length > 0 && kern.length === model.length && kern.every((k, i) => k === model[i]);
    if (!f.agree) {
      const missing = model.filter((k) => !kern.includes(k));
      const extra = kern.filter((k) => !model.includes(k));
      f.note =
        [
          missing.length ? `model only: ${missing.join("; ")}` : "",
          extra.length ? `kernel only: ${extra.join("; ")}` : "",
        ]
          .filter(Boolean)
          .join(" — ") || "no kernel result";
    }
    const b = (byKind[f.kind] ??= { flows: 0, agree: 0, disagree: 0 });
    b.flows++;
    if (f.agree) {
      b.agree++;
      agree++;
    } else b.disagree++;
  }
  const flows = plan.map((p) => p.flow);
  return {
    cluster: o.cluster,
    flowSets: sets,
    flows: flows.length,
    agree,
    disagree: flows.length - agree,
    byKind,
    skipped,
    ms: Date.now() - t0,
    results: flows,
  };
}

/** The text report: the summary line, per kind, then every disagreement with both sides' evidence. */
export function formatVerify(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(
    `cluster ${r.cluster} (${r.flowSets.join(", ")}): ${r.flows} flows, ${r.agree} agree, ${r.disagree} disagree (${(r.ms / 1000).toFixed(1)} s)`,
  );
  for (const [k, b] of Object.entries(r.byKind))
    lines.push(`  ${k.padEnd(9)} ${b.flows} flows, ${b.agree} agree, ${b.disagree} disagree`);
  for (const s of r.skipped) lines.push(`  skipped: ${s.what} (${s.why})`);
  for (const f of r.results.filter((x) => !x.agree)) {
    lines.push("");
    lines.push(`DISAGREE [${f.kind}] ${f.from} → ${f.to}${f.note ? `: ${f.note}` : ""}`);
    if (f.model.paths) {
      for (const p of f.model.paths) {
        lines.push(
          `  model:  ${p.verdict}${p.reason ? " " + p.reason : ""} (p=${p.probability}) ${p.ns ?? ""}${p.container ? " container " + p.container : ""} — ${p.detail}`,
        );
        if (p.choices.length) lines.push(`          via ${p.choices.join(" → ")}`);
        if (p.object) lines.push(`          decided by: ${p.object}`);
      }
    }
    if (f.model.walk) {
      lines.push(
        `  model:  ${f.model.outcomes.join("; ")}  (DNS query path: ${f.model.dnsStep?.join("; ") || "none"})`,
      );
      for (const q of f.model.walk)
        lines.push(`          ${q.name} ${q.rcode}${q.answers.length ? " " + q.answers.join(",") : ""}`);
    }
    const c = Object.entries(f.kernel.counts).map(([k, v]) => `${k} ×${v}`);
    lines.push(
      `  kernel: ${c.join(", ") || "(no observation)"}${f.kernel.tries ? ` in ${f.kernel.tries} tr${f.kernel.tries === 1 ? "y" : "ies"}` : ""}${f.kernel.errors ? " — " + f.kernel.errors.join("; ") : ""}`,
    );
  }
  return lines.join("\n") + "\n";
}

// `podnet diagnose --all --name N`: the whole-cluster checks of `diagnose --all` run for real
// on the running cluster, from the same pods: a ping between one pod of every node pair, a
// connection to every Service port, a lookup of every Service's name, and a DNS query from
// every pod to its nameserver. What fails in the kernel is listed (worst first, as the model's
// findings), with what the model expected, so a failure the model foresaw reads differently
// from one it did not.

import type { KernelIO } from "../linux/diagnose-io.js";
import type { ProbeKind, ProbeRequest, ProbeResult } from "../linux/probe.js";
import type { PodState } from "../control/state.js";
import { resolveFromPod } from "../dns/resolver.js";
import { indexPolicies } from "../policy/engine.js";
import { askable, clusterSample, podEndpoints, readyEndpoints } from "./diagnose-all.js";
import { outcomeAgrees } from "./diagnose-kernel.js";
import { dnsEgressNote } from "./dns-verdict.js";
import type { ModelSession } from "./trace.js";
import { pathOutcome } from "./verify.js";

export interface ClusterKernelFinding {
  /** As `diagnose --all` names it: "path.route", "service.answers", "dns.resolve", "dns.reach". */
  code: string;
  subject: string;
  /** What the model expects, and what the kernel did. */
  model: string;
  kernel: string;
  agree: boolean;
}

export interface ClusterKernelDiagnosis {
  cluster: string;
  checked: { nodePairs: number; servicePorts: number; serviceNames: number; pods: number };
  /** Checks that failed in the kernel or differ from the model, worst first. */
  findings: ClusterKernelFinding[];
  /** How many of them the model did not expect. */
  differ: number;
  ms: number;
}

const ref = (x: { namespace: string; name: string }) => `${x.namespace}/${x.name}`;
const podNs = (p: PodState) => `pod/${p.namespace}/${p.name}`;

interface Ask {
  code: string;
  subject: string;
  src: string;
  model: string[];
  req: Omit<ProbeRequest, "id">;
  /** The kernel outcome counts as a failure (an answer, a delivery is not). */
  fails: (kernel: string[]) => boolean;
}

const delivered = (k: string[]) => k.length > 0 && k.every((o) => o.startsWith("delivered") || o.startsWith("name "));

function servicePortAsks(session: ModelSession, asks: Ask[], checked: ClusterKernelDiagnosis["checked"]): void {
  const { state } = session;
  const { client, dnsClient } = clusterSample(state);
  for (const svc of state.services) {
    if (!askable(svc)) continue;
    const from = client(svc.namespace);
    if (!from) continue;
    for (const sp of svc.ports) {
      if (sp.protocol === "SCTP" || !podEndpoints(state, svc) || !readyEndpoints(state, svc, sp.name)) continue;
      checked.servicePorts++;
      const proto = sp.protocol.toLowerCase() as "tcp" | "udp";
      const r = session.trace(
        { from: ref(from), to: `${svc.clusterIP}:${sp.port}`, protocol: proto },
        { maxPaths: 64, noDnsPath: true },
      );
      const model = [...new Set(r.paths.filter((p) => p.probability > 0).map((p) => pathOutcome(session.ir, p)))];
      const dnsSvc = svc.namespace === "kube-system" && sp.port === 53;
      const probe: ProbeKind = dnsSvc ? (proto === "udp" ? "dns-udp" : "dns-tcp") : proto === "udp" ? "udp" : "http";
      asks.push({
        code: "service.answers",
        subject: `${ref(svc)}:${sp.port}/${sp.protocol}`,
        src: podNs(from),
        model,
        req: { probe, dst: svc.clusterIP!, port: sp.port, tries: 3, expect: model, qname: "kubernetes.default" },
        fails: (k) => !delivered(k),
      });
    }
    const asker = dnsClient(svc.namespace) ?? from;
    checked.serviceNames++;
    const fqdn = `${svc.name}.${svc.namespace}.svc.${state.dns.zone}.`;
    const w = resolveFromPod(state, ref(asker), fqdn).result;
    const want = w.status === "found" ? [`answer ${[...w.values].sort().join(",")}`] : ["notfound"];
    asks.push({
      code: "dns.resolve",
      subject: fqdn,
      src: podNs(asker),
      model: want,
      req: { probe: "resolve", dst: "", port: 0, name: fqdn, tries: 1, expect: [] },
      fails: (k) => !k.some((o) => o.startsWith("answer ")),
    });
  }
}

/** Every pod that uses the cluster DNS asks it (UDP 53) a question; a policy may deny it, the model says when. */
function podDnsAsks(session: ModelSession, asks: Ask[]): number {
  const { state } = session;
  const ix = indexPolicies(state);
  const { pods } = clusterSample(state);
  const dnsIP = state.services.find((s) => s.namespace === "kube-system" && s.name === "kube-dns")?.clusterIP;
  for (const p of pods) {
    const ns = /^nameserver\s+(\S+)/m.exec(p.resolvConf ?? "")?.[1];
    if (!ns || ns !== dnsIP) continue;
    const denied = dnsEgressNote(ix, p);
    asks.push({
      code: "dns.reach",
      subject: ref(p),
      src: podNs(p),
      model: [denied ? "dropped" : "delivered"],
      req: { probe: "dns-udp", dst: ns, port: 53, tries: 2, expect: [], qname: "kubernetes.default" },
      fails: (k) => !delivered(k),
    });
  }
  return pods.length;
}

/** Node pairs: `ping -c 1` from one pod of each node to one of every other (the model's ICMP trace). */
async function nodePairs(session: ModelSession, io: KernelIO): Promise<{ n: number; found: ClusterKernelFinding[] }> {
  const { onNode } = clusterSample(session.state);
  const jobs: (() => Promise<ClusterKernelFinding | undefined>)[] = [];
  for (const [a, pa] of onNode)
    for (const [b, pb] of onNode) {
      if (a === b) continue;
      const r = session.trace({ from: ref(pa), to: pb.podIP!, protocol: "icmp" }, { maxPaths: 16 });
      const modelOk = r.paths.every((p) => p.disposition.verdict === "DELIVERED");
      const model = modelOk
        ? "delivered"
        : (r.paths.find((p) => p.disposition.verdict !== "DELIVERED")!.disposition.reason ?? "dropped");
      jobs.push(async () => {
        const x = await io.exec(podNs(pa), ["ping", "-c", "1", "-W", "1", "-q", pb.podIP!]);
        const ok = x.code === 0;
        if (ok && modelOk) return undefined;
        return {
          code: "path.route",
          subject: `${a} → ${b}`,
          model,
          kernel: ok ? "echo reply" : `no echo reply (${ref(pa)} → ${ref(pb)})`,
          agree: ok === modelOk,
        };
      });
    }
  const found: ClusterKernelFinding[] = [];
  for (let i = 0; i < jobs.length; i += 8) {
    const got = await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
    for (const f of got) if (f) found.push(f);
  }
  return { n: jobs.length, found };
}

/** Runs `diagnose --all`'s checks on the running cluster's kernel. */
export async function diagnoseAllKernel(
  cluster: string,
  session: ModelSession,
  io: KernelIO,
): Promise<ClusterKernelDiagnosis> {
  const t0 = Date.now();
  const checked = { nodePairs: 0, servicePorts: 0, serviceNames: 0, pods: 0 };
  const asks: Ask[] = [];
  servicePortAsks(session, asks, checked);
  checked.pods = podDnsAsks(session, asks);
  const bySrc = new Map<string, ProbeRequest[]>();
  asks.forEach((a, id) => {
    const l = bySrc.get(a.src) ?? [];
    l.push({ ...a.req, id });
    bySrc.set(a.src, l);
  });
  const [results, pairs] = await Promise.all([io.probeMany(bySrc), nodePairs(session, io)]);
  checked.nodePairs = pairs.n;
  const byCode = new Map<string, ClusterKernelFinding[]>();
  asks.forEach((a, id) => {
    const r: ProbeResult | undefined = results.get(id);
    const kernel = r ? Object.keys(r.counts).sort() : [];
    const fails = !r || a.fails(kernel);
    const agree = !!r && outcomeAgrees(a.model, kernel);
    if (!fails && agree) return;
    const l = byCode.get(a.code) ?? [];
    l.push({
      code: a.code,
      subject: a.subject,
      model: a.model.join(", "),
      kernel: r ? kernel.join(", ") : "the probe client did not run",
      agree,
    });
    byCode.set(a.code, l);
  });
  // Worst first, as the model's --all: the network between nodes, then Services and names, then pods.
  const findings = [
    ...pairs.found,
    ...(byCode.get("service.answers") ?? []),
    ...(byCode.get("dns.resolve") ?? []),
    ...(byCode.get("dns.reach") ?? []),
  ];
  return { cluster, checked, findings, differ: findings.filter((f) => !f.agree).length, ms: Date.now() - t0 };
}

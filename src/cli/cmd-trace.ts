// `podnet trace FROM TO`: walk a packet through the Dataplane IR hop by hop.
//   FROM: [ns/]pod | node/NAME | external[:IP]
//   TO:   [ns/]pod | svc/[ns/]NAME | IP | IP:PORT | URL (names resolved by the pod's resolver walk)
// --rules-from FILE --node NAME replaces that node's netfilter with a real iptables-save dump.

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import { buildIR } from "../ir/build.js";
import { parseIptablesSave, IptablesParseError } from "../ir/parse-iptables.js";
import { resolveFromPod, rdataText } from "../dns/resolver.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import type { ProxyModeName } from "../spec/config.js";
import { traceFlow, renderTrace, withNodeRules, TraceInputError } from "../sim/index.js";
import type { Protocol, Resolver } from "../sim/index.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./main.js";

const MODES = ["iptables", "nftables", "ipvs", "none"];
const PROTOS = ["tcp", "udp", "sctp", "icmp"];

interface TraceFlags extends ClusterFlags {
  port?: string;
  protocol?: string;
  size?: string;
  reply?: boolean;
  ttl?: string;
  rulesFrom?: string;
  node?: string;
  output: string;
  proxyMode?: string;
  verbose?: boolean;
  maxPaths?: string;
}

/** The DNS helper's resolver walk, adapted to the interpreter's Resolver shape. */
export function clusterResolver(state: ClusterState): Resolver {
  return (pod, name) => {
    const r = resolveFromPod(state, `${pod.namespace}/${pod.name}`, name);
    const walk = r.queries.map((q) => ({
      name: q.name.replace(/\.$/, ""),
      type: "A" as const,
      rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
      answers: q.answers.filter((a) => a.type === "A").map((a) => rdataText(a)),
    }));
    const out: ReturnType<Resolver> = { nameserver: r.nameserver ?? "", walk };
    if (r.result.status === "found" && r.result.values.length) out.answer = r.result.values[0];
    return out;
  };
}

/** ipvs mode's ipsets (not part of the IR), per node namespace. */
export function ipsetsFor(state: ClusterState, mode: string): ((nsId: string) => Record<string, (string | number)[]> | undefined) | undefined {
  if (mode !== "ipvs") return undefined;
  const cache = new Map<string, Record<string, (string | number)[]> | undefined>();
  return (nsId) => {
    if (!cache.has(nsId)) {
      const node = nsId.startsWith("node/") ? state.nodes.find((n) => n.name === nsId.slice(5)) : undefined;
      cache.set(nsId, node ? (ipvsIpsets(state, node) as unknown as Record<string, (string | number)[]>) : undefined);
    }
    return cache.get(nsId);
  };
}

function int(v: string | undefined, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be an integer ${min}-${max}: "${v}"`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command("trace")
    .description("trace a packet hop by hop: FROM = [ns/]pod | node/NAME | external[:IP]; TO = [ns/]pod | svc/[ns/]NAME | IP[:PORT] | URL")
    .argument("<from>", "source")
    .argument("<to>", "destination")
    .option("-p, --port <port>", "destination port (default: the Service's first port, the URL's, or the pod's first listener)")
    .option("--protocol <proto>", "tcp|udp|sctp|icmp")
    .option("--size <bytes>", "IP packet size (default 60; DF is set)")
    .option("--ttl <n>", "IP TTL of the packet (default 64)")
    .option("--reply", "also trace the reply back to the client (NAT undone by conntrack)")
    .option("--rules-from <file>", "iptables-save output of a real node to use instead of the model's rules")
    .option("--node <name>", "the node whose rules --rules-from replaces")
    .option("--proxy-mode <mode>", "kube-proxy mode (default: the config's)")
    .option("--verbose", "show every netfilter rule that matched, RETURNs and no-op jumps included")
    .option("--max-paths <n>", "cap on enumerated random branches", "4096")
    .option("-o, --output <format>", "text|json", "text");
  addClusterOptions(cmd);
  cmd.action(async (from: string, to: string, o: TraceFlags) => {
    if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: "${o.output}"`);
    if (o.protocol && !PROTOS.includes(o.protocol)) throw new UsageError(`--protocol must be one of ${PROTOS.join("|")}: "${o.protocol}"`);
    if (o.proxyMode && !MODES.includes(o.proxyMode)) throw new UsageError(`--proxy-mode must be one of ${MODES.join("|")}: "${o.proxyMode}"`);
    if (o.rulesFrom && !o.node) throw new UsageError("--rules-from needs --node NAME (the node whose rules the file holds)");
    const port = int(o.port, "-p/--port", 1, 65535);
    const size = int(o.size, "--size", 28, 65535);
    const ttl = int(o.ttl, "--ttl", 1, 255);
    const maxPaths = int(o.maxPaths, "--max-paths", 1, 1_000_000);
    const { state } = await loadFromFlags(o);
    let ir = buildIR(state, o.proxyMode ? { proxyMode: o.proxyMode as ProxyModeName } : {});
    if (o.rulesFrom) {
      const text = readFileSync(o.rulesFrom, "utf8");
      let layer;
      try {
        layer = parseIptablesSave(text, o.rulesFrom);
      } catch (e) {
        if (e instanceof IptablesParseError) throw new UsageError(e.message);
        throw e;
      }
      try {
        ir = withNodeRules(ir, o.node!, layer);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    let result;
    try {
      result = traceFlow(ir, { from, to, port, protocol: o.protocol as Protocol | undefined, size, ttl, reply: !!o.reply }, { state, resolve: clusterResolver(state), verbose: !!o.verbose, maxPaths, ipsets: ipsetsFor(state, ir.proxyMode) });
    } catch (e) {
      if (e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    process.stdout.write(o.output === "json" ? JSON.stringify(result, null, 2) + "\n" : renderTrace(result));
  });
}

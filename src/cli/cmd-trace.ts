// `podnet trace FROM TO`: walk a packet through the Dataplane IR hop by hop.
//   FROM: [ns/]pod | node/NAME | external[:IP]
//   TO:   [ns/]pod | svc/[ns/]NAME (headless: its name, looked up to a pod) | NAME:PORT | IP | IP:PORT | URL (names resolved by the pod's resolver walk;
//         from outside by the cluster config's externalDNS, else an Ingress host → the
//         controller's LoadBalancer IP). A URL that reaches the Ingress controller is followed
//         through its routing decision to the backend pod (src/questions/ingress-path.ts).
// Pods by the lookup every command shares (resolve-target.ts): name, ns/name with -n,
// a workload's name, a unique prefix.
// --rules-from FILE --node NAME replaces that node's netfilter with a real iptables-save dump.

import { readTextFile } from "../load/input.js";
import type { Command } from "commander";
import type { ProxyModeName } from "../manifest/config.js";
import { HOST_PORT, modelSession, IptablesParseError, TraceInputError, type Protocol } from "../questions/trace.js";
import { legTraceJson, renderLegTrace, traceLegs, type LegTrace } from "../questions/ingress-path.js";
import type { ClusterState } from "../control/state.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findPod, podKey } from "./resolve-target.js";

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
  namespace?: string;
}

/** FROM and TO with their pods named exactly (ns/name) by the one pod lookup of every
 *  command; nodes, external clients, Services, IPs and URLs pass as given. */
export function canonicalEnds(
  state: ClusterState,
  from: string,
  to: string,
  namespace: string | undefined,
): { from: string; to: string } {
  // An IPv6 literal: Kubernetes takes them, the model's clusters are IPv4-only.
  if (/^\[?[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*\]?(:\d+)?$/i.test(to))
    throw new UsageError(`"${to}" is an IPv6 address: the cluster is IPv4-only`);
  const fromIsPod = !from.startsWith("node/") && from !== "external" && !from.startsWith("external:");
  // NAME:PORT is a host name and a port (pod names have no ':'), looked up as the app would.
  const toIsPod =
    !to.startsWith("svc/") &&
    !/^[a-z][a-z0-9+.-]*:\/\//i.test(to) &&
    !/^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(to) &&
    !HOST_PORT.test(to);
  const src = fromIsPod ? findPod(state, from, namespace) : undefined;
  let dst = to;
  if (toIsPod) dst = podKey(state, to, namespace);
  // svc/NAME without a namespace: the -n namespace, else the source pod's (as before).
  else if (to.startsWith("svc/") && !to.slice(4).includes("/") && namespace !== undefined)
    dst = `svc/${namespace}/${to.slice(4)}`;
  return { from: src ? `${src.namespace}/${src.name}` : from, to: dst };
}

function int(v: string | undefined, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = /^-?[0-9]{1,16}$/.test(v) ? Number(v) : NaN; // decimal digits only: not 1e3, 0x10
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${what} must be an integer ${min}-${max}: "${v}"`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command("trace")
    .description(
      "trace a packet hop by hop: FROM = [ns/]pod | node/NAME | external[:IP]; TO = [ns/]pod | svc/[ns/]NAME | NAME:PORT | IP[:PORT] | URL",
    )
    .argument("<from>", "source")
    .argument("<to>", "destination")
    .option(
      "-p, --port <port>",
      "destination port (default: the URL's, the Service's first port — also for its cluster IP — or the pod's first listener — also for its IP)",
    )
    .option("--protocol <proto>", "tcp|udp|sctp|icmp")
    .option("--size <bytes>", "IP packet size (default 60; DF is set)")
    .option("--ttl <n>", "IP TTL of the packet (default 64)")
    .option("--reply", "also trace the reply back to the client (NAT undone by conntrack)")
    .option("--rules-from <file>", "iptables-save output of a real node to use instead of the model's rules")
    .option("--node <name>", "the node whose rules --rules-from replaces")
    .option("--proxy-mode <mode>", "kube-proxy mode (default: the config's)")
    .option("--verbose", "show every netfilter rule that matched, RETURNs and no-op jumps included")
    .option("--max-paths <n>", "cap on enumerated random branches", "4096")
    .option("-n, --namespace <ns>", "namespace of FROM and TO pods given by name (default: default, then any)")
    .option("-o, --output <format>", "text|json", "text");
  addClusterOptions(cmd);
  cmd.action(async (from: string, to: string, o: TraceFlags) => {
    if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: "${o.output}"`);
    if (o.protocol && !PROTOS.includes(o.protocol))
      throw new UsageError(`--protocol must be one of ${PROTOS.join("|")}: "${o.protocol}"`);
    if (o.proxyMode && !MODES.includes(o.proxyMode))
      throw new UsageError(`--proxy-mode must be one of ${MODES.join("|")}: "${o.proxyMode}"`);
    if (o.rulesFrom && !o.node)
      throw new UsageError("--rules-from needs --node NAME (the node whose rules the file holds)");
    const port = int(o.port, "-p/--port", 1, 65535);
    const size = int(o.size, "--size", 28, 65535);
    const ttl = int(o.ttl, "--ttl", 1, 255);
    const maxPaths = int(o.maxPaths, "--max-paths", 1, 1_000_000);
    const { state } = await loadFromFlags(o);
    ({ from, to } = canonicalEnds(state, from, to, o.namespace));
    let session = modelSession(state, { proxyMode: o.proxyMode as ProxyModeName | undefined });
    if (o.rulesFrom) {
      const text = readTextFile(o.rulesFrom);
      try {
        session = session.withNodeRules(o.node!, text, o.rulesFrom);
      } catch (e) {
        if (e instanceof IptablesParseError || e instanceof TraceInputError) throw new UsageError(e.message);
        throw e;
      }
    }
    let result: LegTrace;
    try {
      result = traceLegs(
        session,
        { from, to, port, protocol: o.protocol as Protocol | undefined, size, ttl, reply: !!o.reply },
        { verbose: !!o.verbose, maxPaths },
      );
    } catch (e) {
      if (e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    process.stdout.write(
      o.output === "json" ? JSON.stringify(legTraceJson(result), null, 2) + "\n" : renderLegTrace(result),
    );
  });
}

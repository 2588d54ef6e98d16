// `podnet compare-cni FROM TO`: the same flow traced with flannel, Calico and Cilium on the
// same cluster, side by side (src/questions/compare-cni.ts). FROM and TO as trace takes them.

import type { Command } from "commander";
import type { Backend, ProxyModeName } from "../manifest/config.js";
import { BACKENDS } from "../manifest/config.js";
import { quoteValue } from "../manifest/diag.js";
import { type CniChoice, compareCni, defaultFlavors } from "../questions/compare-cni.js";
import { TraceInputError, type Protocol } from "../questions/trace.js";
import { renderCompareCni } from "../views/compare-cni.js";
import { addClusterOptions, loadFromFlags, type ClusterFlags } from "./cluster-opts.js";
import { canonicalEnds } from "./cmd-trace.js";
import { UsageError } from "./errors.js";

const PROTOS = ["tcp", "udp", "sctp", "icmp"];
const PROXY = ["iptables", "nftables", "ipvs", "none"];
// Cilium keeps kube-proxy's rules in front when asked (kubeProxyReplacement=false): iptables or nftables.
const CILIUM_PROXY = ["none", "iptables", "nftables"];

interface Flags extends ClusterFlags {
  port?: string;
  protocol?: string;
  namespace?: string;
  output: string;
  flannelBackend?: string;
  calicoBackend?: string;
  ciliumBackend?: string;
  proxyMode?: string;
  ciliumProxyMode?: string;
}

function oneOf(v: string | undefined, ok: readonly string[], flag: string): string | undefined {
  if (v !== undefined && !ok.includes(v))
    throw new UsageError(`${flag} must be one of ${ok.join("|")}: ${quoteValue(v)}`);
  return v;
}

export function register(program: Command): void {
  const cmd = program
    .command("compare-cni")
    .description(
      "the same flow with flannel, Calico and Cilium side by side: packet processing, node crossing, hops, NAT, policy, rules/map lookups, verdict",
    )
    .argument("<from>", "source: [ns/]pod | node/NAME | external[:IP]")
    .argument("<to>", "destination: [ns/]pod | svc/[ns/]NAME | NAME:PORT | IP[:PORT] | URL")
    .option("-p, --port <port>", "destination port (default as trace)")
    .option("--protocol <proto>", "tcp|udp|sctp|icmp")
    .option("-n, --namespace <ns>", "namespace of FROM and TO pods given by name")
    .option("--flannel-backend <b>", "vxlan|host-gw (default vxlan)")
    .option("--calico-backend <b>", "bgp|ipip|vxlan (default bgp)")
    .option("--cilium-backend <b>", "vxlan|geneve|native (default vxlan)")
    .option("--proxy-mode <mode>", "kube-proxy mode for flannel and Calico (default: the config's, else iptables)")
    .option("--cilium-proxy-mode <mode>", "none (kube-proxy replacement, default)|iptables|nftables")
    .option("-o, --output <format>", "text|json", "text");
  addClusterOptions(cmd);
  cmd.action(async (from: string, to: string, o: Flags) => {
    if (o.output !== "text" && o.output !== "json")
      throw new UsageError(`-o must be text or json: ${quoteValue(o.output)}`);
    oneOf(o.protocol, PROTOS, "--protocol");
    let port: number | undefined;
    if (o.port !== undefined) {
      port = /^[0-9]{1,5}$/.test(o.port) ? Number(o.port) : NaN;
      if (!(port >= 1 && port <= 65535))
        throw new UsageError(`-p/--port must be an integer 1-65535: ${quoteValue(o.port)}`);
    }
    const fb = oneOf(o.flannelBackend, BACKENDS.flannel, "--flannel-backend") as Backend | undefined;
    const cb = oneOf(o.calicoBackend, BACKENDS.calico, "--calico-backend") as Backend | undefined;
    const ib = oneOf(o.ciliumBackend, BACKENDS.cilium, "--cilium-backend") as Backend | undefined;
    const pm = oneOf(o.proxyMode, PROXY, "--proxy-mode") as ProxyModeName | undefined;
    const cpm = oneOf(o.ciliumProxyMode, CILIUM_PROXY, "--cilium-proxy-mode") as ProxyModeName | undefined;
    const { spec, state } = await loadFromFlags(o);
    ({ from, to } = canonicalEnds(state, from, to, o.namespace));
    const flavors: CniChoice[] = defaultFlavors(spec).map((c) => {
      if (c.cni === "flannel") return { ...c, ...(fb ? { backend: fb } : {}), ...(pm ? { kubeProxyMode: pm } : {}) };
      if (c.cni === "calico") return { ...c, ...(cb ? { backend: cb } : {}), ...(pm ? { kubeProxyMode: pm } : {}) };
      return { ...c, ...(ib ? { backend: ib } : {}), ...(cpm ? { kubeProxyMode: cpm } : {}) };
    });
    let r: ReturnType<typeof compareCni>;
    try {
      r = compareCni(spec, from, to, { flavors, seed: o.seed, port, protocol: o.protocol as Protocol | undefined });
    } catch (e) {
      if (e instanceof TraceInputError) throw new UsageError(e.message);
      throw e;
    }
    process.stdout.write(o.output === "json" ? JSON.stringify(r, null, 2) + "\n" : renderCompareCni(r));
  });
}

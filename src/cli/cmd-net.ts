// `podnet routes|links|neigh|fdb|addrs TARGET` print a node's or pod's namespace in the
// formats of `ip route`, `ip -d link`, `ip neigh`, `bridge fdb`, `ip addr`;
// `podnet ir [TARGET] -o json` prints the Dataplane IR itself.
// TARGET: a node name, `node/NAME`, `underlay`, or a pod `[ns/]pod` (a hostNetwork pod
// shows its node's namespace). Only the target's node is built.

import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import { buildContext, buildIR, buildNodeIR, buildUnderlay, UNDERLAY_NS } from "../dataplane/build.js";
import type { BuildContext } from "../dataplane/build.js";
import { ifindexOf, renderAddrs, renderFdb, renderLinks, renderNeigh, renderRoutes } from "../ir/render-ip.js";
import type { TableSel } from "../ir/render-ip.js";
import type { NetNs } from "../ir/types.js";
import type { ProxyModeName } from "../manifest/config.js";
import { addClusterOptions, loadFromFlags } from "./cluster-opts.js";
import type { ClusterFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";
import { findNode, findPod } from "./resolve-target.js";

const MODES = ["iptables", "nftables", "ipvs", "none"];

export interface ResolvedNs {
  ns: NetNs;
  /** What the target is ("node/worker-1", "pod/default/x", "underlay"). */
  label: string;
  note?: string;
  peerIndex: (ns: string, name: string) => number | undefined;
}

/** Builds only what the target needs: its node (with that node's pods), or the underlay. */
export function resolveNs(state: ClusterState, target: string, ctx: BuildContext, namespace?: string): ResolvedNs {
  let underlay: NetNs | undefined;
  const getUnderlay = () => (underlay ??= buildUnderlay(state, ctx).ns);
  const nodeCache = new Map<string, ReturnType<typeof buildNodeIR>>();
  const nodeBuild = (name: string) => {
    let b = nodeCache.get(name);
    if (!b) nodeCache.set(name, (b = buildNodeIR(state, name, ctx)));
    return b;
  };
  const peerIndex = (id: string, name: string): number | undefined => {
    if (id === UNDERLAY_NS) {
      // lo, podnet0, then one port per node in node order: no need to build it.
      const m = /^node(\d+)$/.exec(name);
      return m ? 3 + Number(m[1]) : ifindexOf(getUnderlay(), name);
    }
    if (id.startsWith("node/")) return ifindexOf(nodeBuild(id.slice(5)).node.ns, name);
    if (id.startsWith("pod/")) {
      const [, namespace, pod] = id.split("/");
      const p = state.pods.find((x) => x.namespace === namespace && x.name === pod);
      const b = p?.nodeName
        ? nodeBuild(p.nodeName).pods.find((x) => x.namespace === namespace && x.name === pod)
        : undefined;
      return b?.ns ? ifindexOf(b.ns, name) : undefined;
    }
    return undefined;
  };
  if (target === UNDERLAY_NS) return { ns: getUnderlay(), label: UNDERLAY_NS, peerIndex };
  const asNode = target.startsWith("node/")
    ? target.slice(5)
    : state.nodes.some((n) => n.name === target)
      ? target
      : null;
  if (asNode !== null) {
    const node = findNode(state, asNode);
    return { ns: nodeBuild(node.name).node.ns, label: `node/${node.name}`, peerIndex };
  }
  const pod = findPod(state, target, namespace);
  if (!pod.nodeName)
    throw new UsageError(
      `pod ${pod.namespace}/${pod.name} is not scheduled (${pod.reason ?? "Pending"}): it has no network namespace yet`,
    );
  const b = nodeBuild(pod.nodeName);
  const pn = b.pods.find((x) => x.namespace === pod.namespace && x.name === pod.name)!;
  if (!pn.ns) {
    return {
      ns: b.node.ns,
      label: `node/${pod.nodeName}`,
      note: `pod ${pod.namespace}/${pod.name} uses the host network: showing node ${pod.nodeName}`,
      peerIndex,
    };
  }
  return { ns: pn.ns, label: pn.ns.id, peerIndex };
}

interface NetFlags extends ClusterFlags {
  proxyMode?: string;
  namespace?: string;
  table?: string;
  output?: string;
}

async function load(o: NetFlags) {
  if (o.proxyMode && !MODES.includes(o.proxyMode))
    throw new UsageError(`--proxy-mode must be one of ${MODES.join("|")}: "${o.proxyMode}"`);
  const { state } = await loadFromFlags(o);
  const ctx = buildContext(state, o.proxyMode ? { proxyMode: o.proxyMode as ProxyModeName } : {});
  return { state, ctx };
}

function netCommand(
  program: Command,
  name: string,
  description: string,
  render: (r: ResolvedNs, o: NetFlags) => string,
  extra?: (c: Command) => void,
) {
  const cmd = program.command(`${name} <target>`).description(description);
  addClusterOptions(cmd);
  cmd.option("--proxy-mode <mode>", "kube-proxy mode (default: the config's)");
  cmd.option("-n, --namespace <ns>", "the pod's namespace");
  extra?.(cmd);
  cmd.action(async (target: string, o: NetFlags) => {
    const { state, ctx } = await load(o);
    const r = resolveNs(state, target, ctx, o.namespace);
    if (r.note) process.stderr.write(`# ${r.note}\n`);
    process.stdout.write(render(r, o));
  });
}

const TABLES = ["main", "local", "all"];

export function register(program: Command): void {
  netCommand(
    program,
    "routes",
    "the routing table of a node or pod, as `ip route show [table local|all]` prints it",
    (r, o) => {
      const t = o.table ?? "main";
      if (!TABLES.includes(t) && !/^\d+$/.test(t))
        throw new UsageError(`--table must be one of ${TABLES.join("|")} or a number: "${t}"`);
      return renderRoutes(r.ns, (/^\d+$/.test(t) ? Number(t) : t) as TableSel);
    },
    (c) => c.option("--table <table>", "main|local|all", "main"),
  );
  netCommand(program, "links", "interfaces of a node or pod, as `ip -d link show` prints them", (r) =>
    renderLinks(r.ns, { peerIndex: r.peerIndex }),
  );
  netCommand(program, "addrs", "IPv4 addresses of a node or pod, as `ip addr` prints them", (r) =>
    renderAddrs(r.ns, { peerIndex: r.peerIndex }),
  );
  netCommand(program, "neigh", "the neighbour (ARP) table, as `ip neigh show` prints it", (r) => renderNeigh(r.ns));
  netCommand(
    program,
    "fdb",
    "the bridge/VXLAN forwarding database, as `bridge fdb show` prints it (unicast entries)",
    (r) => renderFdb(r.ns),
  );

  const ir = program
    .command("ir [target]")
    .description("the Dataplane IR: of one node (with its pods), one pod, the underlay, or the whole cluster");
  addClusterOptions(ir);
  ir.option("--proxy-mode <mode>", "kube-proxy mode (default: the config's)")
    .option("-n, --namespace <ns>", "the pod's namespace")
    .option("-o, --output <format>", "json", "json")
    .action(async (target: string | undefined, o: NetFlags) => {
      if (o.output !== "json") throw new UsageError(`--output must be json: "${o.output}"`);
      const { state, ctx } = await load(o);
      let out: unknown;
      if (!target) out = buildIR(state, { proxyMode: ctx.proxyModeName });
      else if (target === UNDERLAY_NS) out = buildUnderlay(state, ctx);
      else {
        const asNode = target.startsWith("node/")
          ? target.slice(5)
          : state.nodes.some((n) => n.name === target)
            ? target
            : null;
        if (asNode !== null) out = buildNodeIR(state, findNode(state, asNode).name, ctx);
        else {
          const pod = findPod(state, target, o.namespace);
          if (!pod.nodeName)
            throw new UsageError(`pod ${pod.namespace}/${pod.name} is not scheduled: it has no network state`);
          out = buildNodeIR(state, pod.nodeName, ctx).pods.find(
            (p) => p.namespace === pod.namespace && p.name === pod.name,
          );
        }
      }
      process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    });
}

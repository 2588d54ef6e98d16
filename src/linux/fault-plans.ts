// What each named fault is in the kernel of a running cluster (faults.ts runs the plan):
// the kernel state a fault will change is read first, so that every action carries its undo.
import type { DataplaneIR, NodeNet, PodNet } from "../ir/types.js";
import { type Fault, formatFault } from "../manifest/faults.js";
import { birdPaths, birdProtocols } from "./bird.js";
import type { Runner } from "./exec.js";
import type { FaultAction, FaultStep } from "./fault-store.js";
import { RefusedChange } from "./live.js";
import { nsName, stateDir } from "./names.js";
import { stillOurs, type ClusterRecord } from "./state.js";

/** What a plan needs: the running cluster, its record and IR, a runner, a log. */
export interface Ctx {
  cluster: string;
  rec: ClusterRecord;
  ir: DataplaneIR;
  runner: Runner;
  log: (s: string) => void;
}

// ---------------------------------------------------------------------------
// What each fault is in the kernel

const run = (argv: string[], input?: string, expect?: string): FaultStep => ({
  t: "run",
  argv,
  ...(input !== undefined ? { input } : {}),
  ...(expect ? { expect } : {}),
});

export async function planFault(ctx: Ctx, f: Fault): Promise<FaultAction[]> {
  const { cluster, ir } = ctx;
  switch (f.kind) {
    case "coredns-down":
    case "coredns-replica-down":
      return stopDns(ctx, f.pod);
    case "dns-upstream-down":
    case "pod-not-ready":
      // The model's part only: the endpoint turns not ready / the upstream goes silent, and
      // the rules and DNS servers follow the model (followModel: the servers reload on
      // SIGHUP and stop answering names outside the zones, dns/server.ts upstreamDown).
      if (f.pod) podOf(ctx, f.pod);
      return [];
    case "kube-proxy-down":
      nodeOf(ctx, f.node!);
      // kube-proxy stopped leaves its rules as they are; live changes skip the node
      // (fault-store.ts kubeProxyFrozen). Back: a full sync to the current model.
      return [{ does: [], undo: [{ t: "rules", node: f.node! }] }];
    case "kube-proxy-flushed":
      return [{ does: [await flushKubeProxy(ctx, nodeOf(ctx, f.node!))], undo: [{ t: "rules", node: f.node! }] }];
    case "cni-bridge-down": {
      const n = nodeOf(ctx, f.node!);
      const br = n.ns.links.find((l) => l.kind === "bridge");
      if (!br) throw refuse(f, `node ${n.name} has no CNI bridge (${ir.cni ?? "this CNI"} routes each pod's veth)`);
      return [await linkDown(ctx, nsName(cluster, n.ns.id), br.name)];
    }
    case "underlay-link-down": {
      const n = nodeOf(ctx, f.node!);
      const up = n.ns.links.find((l) => l.peer?.ns === "underlay");
      if (!up) throw refuse(f, `node ${n.name} has no link to the underlay`);
      return [await linkDown(ctx, nsName(cluster, n.ns.id), up.name)];
    }
    case "veth-down": {
      const p = podOf(ctx, f.pod!);
      const peer = p.ns!.links.find((l) => l.kind === "veth" && l.peer)?.peer;
      if (!peer) throw refuse(f, `pod ${f.pod} has no veth`);
      return [await linkDown(ctx, nsName(cluster, peer.ns), peer.name)];
    }
    case "pod-route-missing":
      return podRouteMissing(ctx, f, podOf(ctx, f.pod!));
    case "ip-forward-off":
      return ipForwardOff(ctx, nsName(cluster, nodeOf(ctx, f.node!).ns.id));
    case "rp-filter-strict": {
      const ns = nsName(cluster, nodeOf(ctx, f.node!).ns.id);
      const key = "net/ipv4/conf/all/rp_filter";
      const was = (await sysctls(ctx, ns, [key]))[0];
      return [{ does: [sysctlSet(ns, key, "1")], undo: [sysctlSet(ns, key, was.value)] }];
    }
    case "node-partition":
      return partition(ctx, f, nodeOf(ctx, f.node!), nodeOf(ctx, f.peer!));
    case "vxlan-fdb-missing":
      return fdbMissing(ctx, f, nodeOf(ctx, f.node!), nodeOf(ctx, f.peer!));
    case "mtu-mismatch":
      return mtuMismatch(ctx, f, nodeOf(ctx, f.node!));
    case "bgp-down":
      return bgpDown(ctx, f, nodeOf(ctx, f.node!));
  }
}

const refuse = (f: Fault, why: string) => new RefusedChange(`fault "${formatFault(f)}": ${why}`);

function nodeOf(ctx: Ctx, name: string): NodeNet {
  const n = ctx.ir.nodes.find((x) => x.name === name);
  if (!n)
    throw new RefusedChange(
      `no node "${name.slice(0, 80)}" in cluster "${ctx.cluster}" (nodes: ${ctx.ir.nodes.map((x) => x.name).join(", ")})`,
    );
  return n;
}

function podOf(ctx: Ctx, key: string): PodNet {
  const p = ctx.ir.pods.find((x) => `${x.namespace}/${x.name}` === key);
  if (!p)
    throw new RefusedChange(
      `no pod "${key.slice(0, 120)}" in cluster "${ctx.cluster}" (podnet get pods --name ${ctx.cluster} -A)`,
    );
  if (!p.ns || !p.node)
    throw new RefusedChange(`pod "${key}" has no network namespace of its own (hostNetwork or not scheduled)`);
  return p;
}

/** The CoreDNS pods' DNS servers (podnet's, one per CoreDNS pod) stopped by their recorded PID. */
function stopDns(ctx: Ctx, pod?: string): FaultAction[] {
  const dir = stateDir(ctx.cluster);
  const servers = ctx.rec.processes.filter((p) => p.role === "dns" && stillOurs(p));
  const key = (m: string) => m.slice(dir.length + 1);
  const chosen = pod ? servers.filter((p) => key(p.marker) === pod) : servers;
  if (chosen.length === 0)
    throw new RefusedChange(
      pod
        ? `pod "${pod}" runs no DNS server (CoreDNS pods served: ${servers.map((p) => key(p.marker)).join(", ") || "none"})`
        : `cluster "${ctx.cluster}" runs no DNS server (brought up with --no-processes?)`,
    );
  return chosen.map((p) => {
    const k = key(p.marker);
    const podNet = podOf(ctx, k);
    return {
      does: [{ t: "dns-stop", pod: k }],
      undo: [{ t: "dns-start", pod: k, netns: nsName(ctx.cluster, podNet.ns!.id), node: p.node ?? podNet.node! }],
    };
  });
}

interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  table?: string;
  flags?: string[];
}

async function json<T>(ctx: Ctx, argv: string[]): Promise<T[]> {
  const r = await ctx.runner.run(argv);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as T[]) : [];
}

/** `ip route replace` of a route as `ip -j route` printed it. */
function routeArgv(ns: string, r: IpRoute): string[] {
  const a = ["ip", "-n", ns, "route", "replace"];
  if (r.type && r.type !== "unicast") a.push(r.type);
  a.push(r.dst);
  if (r.gateway) a.push("via", r.gateway);
  if (r.dev) a.push("dev", r.dev);
  if (r.flags?.includes("onlink")) a.push("onlink");
  if (r.protocol) a.push("proto", r.protocol);
  if (r.scope) a.push("scope", r.scope);
  if (r.prefsrc) a.push("src", r.prefsrc);
  if (r.metric !== undefined) a.push("metric", String(r.metric));
  if (r.table) a.push("table", r.table);
  return a;
}

/**
 * `ip link set DEV down`. The kernel then drops the routes through DEV and its permanent
 * neighbours (neigh_ifdown) and VXLAN FDB entries; bringing it up restores only the
 * prefix routes of its addresses. So the undo puts back every other one as it was read.
 */
async function linkDown(ctx: Ctx, ns: string, dev: string): Promise<FaultAction> {
  const routes = await json<IpRoute>(ctx, ["ip", "-n", ns, "-j", "route", "show", "table", "all"]);
  const neigh = await neighOf(ctx, ns, dev, "nud", "permanent");
  const fdb = await fdbOf(ctx, ns, dev);
  const undo: FaultStep[] = [run(["ip", "-n", ns, "link", "set", "dev", dev, "up"])];
  for (const r of routes) if (r.dev === dev && r.protocol !== "kernel") undo.push(run(routeArgv(ns, r)));
  for (const n of neigh)
    if (n.lladdr)
      undo.push(run(["ip", "-n", ns, "neigh", "replace", n.dst, "lladdr", n.lladdr, "dev", dev, "nud", "permanent"]));
  for (const e of fdb)
    if (e.dst && e.state === "permanent")
      undo.push(run(["bridge", "-n", ns, "fdb", "replace", e.mac, "dev", dev, "dst", e.dst, "self", "permanent"]));
  return { does: [run(["ip", "-n", ns, "link", "set", "dev", dev, "down"])], undo };
}

async function podRouteMissing(ctx: Ctx, f: Fault, p: PodNet): Promise<FaultAction[]> {
  const ns = nsName(ctx.cluster, p.ns!.id);
  const def = (await json<IpRoute>(ctx, ["ip", "-n", ns, "-j", "route", "show", "default"]))[0];
  if (!def) throw refuse(f, `pod ${f.pod} has no default route`);
  return [{ does: [run(["ip", "-n", ns, "route", "del", "default"])], undo: [run(routeArgv(ns, def))] }];
}

/** Values of sysctls (paths under /proc/sys, globs allowed) read in namespace `ns`. */
async function sysctls(ctx: Ctx, ns: string, keys: string[]): Promise<{ key: string; value: string }[]> {
  const r = await ctx.runner.run([
    "ip",
    "netns",
    "exec",
    ns,
    "sh",
    "-c",
    `cd /proc/sys && grep -H . ${keys.join(" ")}`,
  ]);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const i = l.lastIndexOf(":");
      return { key: l.slice(0, i), value: l.slice(i + 1) };
    });
}

const sysctlSet = (ns: string, key: string, value: string): FaultStep =>
  run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", `${key}=${value}`]);

/**
 * net.ipv4.ip_forward=0. Writing it sets every interface's `forwarding` too (the kernel's
 * devinet_sysctl_forward): the undo writes it back, then each interface's value as read.
 */
async function ipForwardOff(ctx: Ctx, ns: string): Promise<FaultAction[]> {
  const [fwd, ...confs] = await sysctls(ctx, ns, ["net/ipv4/ip_forward", "net/ipv4/conf/*/forwarding"]);
  return [
    {
      does: [sysctlSet(ns, "net/ipv4/ip_forward", "0")],
      undo: [sysctlSet(ns, fwd.key, fwd.value), ...confs.map((c) => sysctlSet(ns, c.key, c.value))],
    },
  ];
}

/** kube-proxy's chains flushed: `iptables -F` of every KUBE-* chain / `nft flush table ip kube-proxy`. */
async function flushKubeProxy(ctx: Ctx, n: NodeNet): Promise<FaultStep> {
  const ns = nsName(ctx.cluster, n.ns.id);
  if (n.ns.netfilter.mode === "nftables")
    return run(["ip", "netns", "exec", ns, "nft", "flush", "table", "ip", "kube-proxy"]);
  const save = (await ctx.runner.run(["ip", "netns", "exec", ns, "iptables-save"])).stdout;
  let input = "";
  let table = "";
  let chains: string[] = [];
  const flushTable = () => {
    if (table && chains.length) input += `*${table}\n${chains.map((c) => `-F ${c}\n`).join("")}COMMIT\n`;
  };
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) {
      flushTable();
      table = line.slice(1);
      chains = [];
    } else if (line.startsWith(":KUBE-")) chains.push(line.slice(1).split(" ")[0]);
  }
  flushTable();
  if (!input) throw new RefusedChange(`node ${n.name} has no kube-proxy chains (KUBE-*) to flush`);
  return run(["ip", "netns", "exec", ns, "iptables-restore", "--noflush"], input);
}

/** Drops in the underlay's bridge between the two nodes' addresses (UDP 8472, IPIP, BGP: everything IPv4). */
function partition(ctx: Ctx, f: Fault, a: NodeNet, b: NodeNet): FaultAction[] {
  if (a.name === b.name) throw refuse(f, "a node cannot be partitioned from itself");
  const ns = nsName(ctx.cluster, "underlay");
  const table = `podnet_partition_${[a.address, b.address].sort().join("_").replace(/\./g, "_")}`;
  const text =
    `table bridge ${table} {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n` +
    `    ip saddr ${a.address} ip daddr ${b.address} drop\n    ip saddr ${b.address} ip daddr ${a.address} drop\n  }\n}\n`;
  return [
    {
      does: [run(["ip", "netns", "exec", ns, "nft", "-f", "-"], text)],
      undo: [run(["ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", table])],
    },
  ];
}

const neighOf = (ctx: Ctx, ns: string, dev: string, ...filter: string[]) =>
  json<{ dst: string; lladdr?: string; state?: string[] }>(ctx, [
    "ip",
    "-n",
    ns,
    "-j",
    "neigh",
    "show",
    "dev",
    dev,
    ...filter,
  ]);

const fdbOf = (ctx: Ctx, ns: string, dev: string) =>
  json<{ mac: string; dst?: string; state?: string }>(ctx, ["bridge", "-n", ns, "-j", "fdb", "show", "dev", dev]);

/** `bridge fdb del` of the peer's VTEP on the node's VXLAN device, and `ip neigh del` of its address. */
async function fdbMissing(ctx: Ctx, f: Fault, n: NodeNet, peer: NodeNet): Promise<FaultAction[]> {
  const vx = n.ns.links.find((l) => l.kind === "vxlan");
  if (!vx) throw refuse(f, `node ${n.name} has no VXLAN device (the backend does not use VXLAN)`);
  const ns = nsName(ctx.cluster, n.ns.id);
  const fdb = await fdbOf(ctx, ns, vx.name);
  const e = fdb.find((x) => x.dst === peer.address);
  if (!e) throw refuse(f, `${vx.name} on node ${n.name} has no FDB entry for ${peer.name}'s VTEP (${peer.address})`);
  const neigh = await neighOf(ctx, ns, vx.name);
  const out: FaultAction[] = [
    {
      does: [run(["bridge", "-n", ns, "fdb", "del", e.mac, "dev", vx.name, "dst", peer.address, "self"])],
      undo: [
        run([
          "bridge",
          "-n",
          ns,
          "fdb",
          "replace",
          e.mac,
          "dev",
          vx.name,
          "dst",
          peer.address,
          "self",
          e.state ?? "permanent",
        ]),
      ],
    },
  ];
  for (const x of neigh.filter((y) => y.lladdr === e.mac))
    out.push({
      does: [run(["ip", "-n", ns, "neigh", "del", x.dst, "dev", vx.name])],
      undo: [
        run([
          "ip",
          "-n",
          ns,
          "neigh",
          "replace",
          x.dst,
          "lladdr",
          e.mac,
          "dev",
          vx.name,
          "nud",
          (x.state?.[0] ?? "PERMANENT").toLowerCase(),
        ]),
      ],
    });
  return out;
}

/** The node's pods' veths (both ends) at the underlay's MTU: not lowered for the VXLAN header. */
async function mtuMismatch(ctx: Ctx, f: Fault, n: NodeNet): Promise<FaultAction[]> {
  const under = n.ns.links.find((l) => l.peer?.ns === "underlay");
  if (!under) throw refuse(f, `node ${n.name} has no link to the underlay`);
  const ends: { ns: string; dev: string }[] = [];
  for (const p of ctx.ir.pods) {
    if (p.node !== n.name || !p.ns) continue;
    for (const l of p.ns.links)
      if (l.kind === "veth" && l.peer)
        ends.push(
          { ns: nsName(ctx.cluster, p.ns.id), dev: l.name },
          { ns: nsName(ctx.cluster, l.peer.ns), dev: l.peer.name },
        );
  }
  const out: FaultAction[] = [];
  for (const e of ends) {
    const [l] = await json<{ mtu: number }>(ctx, ["ip", "-n", e.ns, "-j", "link", "show", "dev", e.dev]);
    if (!l || l.mtu === under.mtu) continue;
    out.push({
      does: [run(["ip", "-n", e.ns, "link", "set", "dev", e.dev, "mtu", String(under.mtu)])],
      undo: [run(["ip", "-n", e.ns, "link", "set", "dev", e.dev, "mtu", String(l.mtu)])],
    });
  }
  if (out.length === 0)
    throw refuse(f, `node ${n.name}'s pods already use the underlay MTU (${under.mtu}): nothing is encapsulated`);
  return out;
}

/** The routes BIRD wrote to the namespace's kernel (proto bird). */
export async function birdRoutes(ctx: Ctx, ns: string): Promise<string> {
  return (await ctx.runner.run(["ip", "-n", ns, "-4", "route", "show", "table", "all", "proto", "bird"])).stdout;
}

/** BIRD's mesh protocols disabled on the node (`birdc disable`): the sessions close, the routes are withdrawn. */
async function bgpDown(ctx: Ctx, f: Fault, n: NodeNet): Promise<FaultAction[]> {
  if (!n.bgp || !ctx.rec.processes.some((p) => p.role === "bird" && p.node === n.name && stillOurs(p)))
    throw refuse(f, `node ${n.name} runs no BIRD (BGP is Calico's bgp backend)`);
  const ns = nsName(ctx.cluster, n.ns.id);
  const ctl = birdPaths(ctx.cluster, n.name).ctl;
  const protos = await birdProtocols(ctx.cluster, n);
  const birdc = (verb: string, name: string) =>
    run(["ip", "netns", "exec", ns, "birdc", "-s", ctl, verb, name], undefined, `${name}: ${verb}d`);
  const out: FaultAction[] = protos.map((p) => ({ does: [birdc("disable", p.name)], undo: [birdc("enable", p.name)] }));
  // Back only when the sessions are up again and every node's routes learned (as before the fault).
  const routes: { ns: string; text: string }[] = [];
  for (const m of ctx.ir.nodes.filter((x) => x.bgp)) {
    const mns = nsName(ctx.cluster, m.ns.id);
    routes.push({ ns: mns, text: await birdRoutes(ctx, mns) });
  }
  out.unshift({ does: [], undo: [{ t: "bgp-wait", routes }] });
  return out;
}

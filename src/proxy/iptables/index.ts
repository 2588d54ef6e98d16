// kube-proxy iptables mode, modelled on pkg/proxy/iptables/proxier.go as of Kubernetes
// v1.31 (syncProxyRules; KUBE-FIREWALL is written by kube-proxy itself since
// localhostNodePorts defaults to true for IPv4). Rules keep kube-proxy's own argument
// order. The jumps from built-in chains are what `iptables -I` (EnsureRule Prepend)
// leaves after kubelet (KUBE-FIREWALL first) and kube-proxy ran.
//
// Sharing: one layer holds everything that is the same on every node; the per-node
// layer adds the node-dependent rules (Local traffic policies, LoadBalancer firewall
// tail, and the final KUBE-NODEPORTS jump so it stays last in nat KUBE-SERVICES).
// The per-node layer must follow the shared layer (chains concatenate in layer order).

import type { ClusterState, NodeState } from "../../control/state.js";
import type { IptChain, IptOpt, IptRule } from "../../ir/types.js";
import { defineCompactTable, quoteArg, renderIptRule, type TextOut } from "../../ir/render-iptables.js";
import type { ProxyMode, ProxyOutput } from "../mode.js";
import { portProtoHash, sepChainName } from "../hash.js";
import {
  cidrContains,
  clusterCIDR,
  localEndpoints,
  reachableEndpoints,
  servicePorts,
  totalEndpoints,
  type ProxyEndpoint,
  type ProxyServicePort,
} from "../model.js";
import {
  DST_LOCAL,
  LayerBuilder,
  M_ADDRTYPE,
  M_COMMENT,
  M_CONNTRACK,
  M_MARK,
  M_RECENT,
  M_STATISTIC,
  MODE_RANDOM,
  SRC_LOCAL,
  comment,
  not,
  o,
  proto,
  rule,
} from "./rules.js";

/** kube-proxy's --iptables-masquerade-bit 14; kube-proxy's tests print it as 0x4000. */
export const MASQ_MARK = "0x4000";
/** largeClusterEndpointsThreshold: above it, per-endpoint comments are left out. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

export interface SvcChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}
export function serviceChains(sp: Pick<ProxyServicePort, "name" | "protocol">): SvcChains {
  const h = portProtoHash(sp.name, sp.protocol);
  return { svc: "KUBE-SVC-" + h, svl: "KUBE-SVL-" + h, ext: "KUBE-EXT-" + h, fw: "KUBE-FW-" + h };
}

/** probability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

interface PortCtx {
  sp: ProxyServicePort;
  chains: SvcChains;
  sepByStr: Map<string, string>;
  usesFWChain: boolean;
  /** `--comment <svcPortName>` shared by the port's KUBE-SEP rules. */
  sepComment: IptOpt;
  /** The DNAT rule's options, the same for every endpoint of the port (without affinity). */
  dnatOpts?: IptOpt[];
  /** Large clusters: the DNAT rule's text between the chain name and `--to-destination` (" -m tcp -p tcp -j DNAT"). */
  dnatText?: string;
  /** "ip:port" of the endpoint chains in the shared layer (built on first per-node use). */
  sharedEps?: Set<string>;
}

const probOpts = new Map<number, IptOpt>();
function probOpt(n: number): IptOpt {
  let p = probOpts.get(n);
  if (!p) probOpts.set(n, (p = Object.freeze(o("--probability", probability(n))) as IptOpt));
  return p;
}
// Frozen option lists shared by many rules (large clusters have no per-endpoint comments,
// so most rules' options repeat exactly). Never mutate a rule's opts.
const NO_OPTS = Object.freeze([]) as unknown as IptOpt[];
const probLists = new Map<number, IptOpt[]>();
function probList(n: number): IptOpt[] {
  let l = probLists.get(n);
  if (!l) probLists.set(n, (l = Object.freeze([M_STATISTIC, MODE_RANDOM, probOpt(n)]) as unknown as IptOpt[]));
  return l;
}

interface IptCtx {
  large: boolean;
  cidr: string;
  masqAll: boolean;
  /** Service ports whose rules differ per node. */
  perNode: PortCtx[];
}

const ctxOf = new WeakMap<ProxyOutput, IptCtx>();

function sepName(pc: PortCtx, ep: ProxyEndpoint): string {
  let n = pc.sepByStr.get(ep.str);
  if (!n) {
    n = sepChainName(pc.sp.name, pc.sp.protocol, ep.str);
    pc.sepByStr.set(ep.str, n);
  }
  return n;
}

function svcMatch(sp: ProxyServicePort, dst: string, port: number): IptOpt[] {
  const [m, p] = proto(sp.protocol);
  return [m, p, o("-d", dst), o("--dport", String(port))];
}

const MASQ_TARGET = "KUBE-MARK-MASQ";
const SET = Object.freeze(o("--set")) as IptOpt;

/** writeServiceToEndpointRules: affinity checks, then the statistic ladder. */
function writeServiceToEndpointRules(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx, chain: string, eps: ProxyEndpoint[], seps?: string[]): void {
  const sp = pc.sp;
  const c = lb.chain("nat", chain).rules;
  const sepOf = (i: number) => (seps ? seps[i] : sepName(pc, eps[i]));
  if (sp.affinity) {
    const secs = String(sp.affinityTimeout);
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[i];
      const sep = sepOf(i);
      const opts: IptOpt[] = ctx.large ? [] : comment(`${sp.name} -> ${ep.str}`);
      opts.push(M_RECENT, o("--name", sep), o("--rcheck"), o("--seconds", secs), o("--reap"));
      c.push(rule(opts, sep));
    }
  }
  const n = eps.length;
  for (let i = 0; i < n; i++) {
    const ep = eps[i];
    const last = i === n - 1;
    let opts: IptOpt[];
    if (ctx.large) opts = last ? NO_OPTS : probList(n - i);
    else {
      const cm = o("--comment", `${sp.name} -> ${ep.str}`);
      opts = last ? [M_COMMENT, cm] : [M_COMMENT, cm, M_STATISTIC, MODE_RANDOM, probOpt(n - i)];
    }
    c.push({ opts, target: sepOf(i) });
  }
}

function writeEndpointChain(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint): void {
  const sep = sepName(pc, ep);
  lb.chain("nat", sep).rules.push(...endpointRules(ctx, pc, ep, sep));
}

/** The KUBE-SEP chain's rules: hairpin masquerade, then DNAT. */
function endpointRules(ctx: IptCtx, pc: PortCtx, ep: ProxyEndpoint, sep: string): IptRule[] {
  const sp = pc.sp;
  const [m, p] = proto(sp.protocol);
  const src = o("-s", ep.ip);
  const dnat = [o("--to-destination", ep.str)];
  let r1: IptOpt[];
  let r2: IptOpt[];
  if (ctx.large) {
    r1 = [src];
    r2 = sp.affinity ? [M_RECENT, o("--name", sep), SET, m, p] : (pc.dnatOpts ??= Object.freeze([m, p]) as unknown as IptOpt[]);
  } else {
    r1 = [M_COMMENT, pc.sepComment, src];
    r2 = sp.affinity
      ? [M_COMMENT, pc.sepComment, M_RECENT, o("--name", sep), SET, m, p]
      : (pc.dnatOpts ??= Object.freeze([M_COMMENT, pc.sepComment, m, p]) as unknown as IptOpt[]);
  }
  return [{ opts: r1, target: MASQ_TARGET }, { opts: r2, target: "DNAT", targetOpts: dnat }];
}

function internalMasqRule(ctx: IptCtx, sp: ProxyServicePort): IptRule {
  const opts = [...comment(`${sp.name} cluster IP`), ...svcMatch(sp, sp.clusterIP, sp.port.port)];
  if (!ctx.masqAll) opts.push(not("-s", ctx.cidr));
  return rule(opts, MASQ_TARGET);
}

/** Jumps from built-in chains, in the order repeated `iptables -I` leaves them. */
function builtinJumps(lb: LayerBuilder): void {
  const NEW = [M_CONNTRACK, o("--ctstate", "NEW")];
  type J = [table: "filter" | "nat", dst: string, src: string, cmt: string, extra: IptOpt[]];
  // kubelet (kubelet_network_linux.go) runs first: INPUT/OUTPUT -j KUBE-FIREWALL.
  const kubelet: J[] = [
    ["filter", "KUBE-FIREWALL", "OUTPUT", "", []],
    ["filter", "KUBE-FIREWALL", "INPUT", "", []],
  ];
  // iptablesJumpChains, each EnsureRule(Prepend, …).
  const proxy: J[] = [
    ["filter", "KUBE-EXTERNAL-SERVICES", "INPUT", "kubernetes externally-visible service portals", NEW],
    ["filter", "KUBE-EXTERNAL-SERVICES", "FORWARD", "kubernetes externally-visible service portals", NEW],
    ["filter", "KUBE-NODEPORTS", "INPUT", "kubernetes health check service ports", []],
    ["filter", "KUBE-SERVICES", "FORWARD", "kubernetes service portals", NEW],
    ["filter", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", NEW],
    ["filter", "KUBE-FORWARD", "FORWARD", "kubernetes forwarding rules", []],
    ["filter", "KUBE-PROXY-FIREWALL", "INPUT", "kubernetes load balancer firewall", NEW],
    ["filter", "KUBE-PROXY-FIREWALL", "OUTPUT", "kubernetes load balancer firewall", NEW],
    ["filter", "KUBE-PROXY-FIREWALL", "FORWARD", "kubernetes load balancer firewall", NEW],
    ["nat", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", []],
    ["nat", "KUBE-SERVICES", "PREROUTING", "kubernetes service portals", []],
    ["nat", "KUBE-POSTROUTING", "POSTROUTING", "kubernetes postrouting rules", []],
  ];
  for (const [table, dst, src, cmt, extra] of [...kubelet, ...proxy]) {
    const opts = [...extra];
    if (cmt) opts.push(...comment(cmt));
    lb.chain(table, src).rules.unshift(rule(opts, dst));
  }
}

function buildShared(state: ClusterState): { out: ProxyOutput; ctx: IptCtx } {
  const sps = servicePorts(state);
  const ctx: IptCtx = {
    large: totalEndpoints(sps) > LARGE_CLUSTER_ENDPOINTS,
    cidr: clusterCIDR(state),
    masqAll: !!state.config.networking.masqueradeAll,
    perNode: [],
  };
  const lb = new LayerBuilder("kube-proxy");
  // The cluster endpoints' KUBE-SEP chains (most of a large cluster's chains) stay compact
  // until someone reads layer.tables.nat (see defineCompactTable); natOrder keeps the
  // creation order of all nat chains (names, or indexes into seps) for that moment.
  const natOrder: (string | number)[] = [];
  const seps: { name: string; pc: PortCtx; ep: ProxyEndpoint }[] = [];
  lb.track("nat", natOrder);
  // Chains in kube-proxy's declaration order (iptables-save sorts them anyway).
  lb.chain("mangle", "KUBE-PROXY-CANARY");
  for (const c of ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL", "KUBE-PROXY-CANARY"])
    lb.chain("filter", c);
  for (const c of ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-PROXY-CANARY"]) lb.chain("nat", c);
  builtinJumps(lb);

  lb.add("nat", "KUBE-POSTROUTING", rule([M_MARK, not("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "RETURN"));
  lb.add("nat", "KUBE-POSTROUTING", rule([], "MARK", [o("--xor-mark", MASQ_MARK)]));
  lb.add("nat", "KUBE-POSTROUTING", rule(comment("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]));
  lb.add("nat", "KUBE-MARK-MASQ", rule([], "MARK", [o("--or-mark", MASQ_MARK)]));
  lb.add(
    "filter",
    "KUBE-FIREWALL",
    rule(
      [...comment("block incoming localnet connections"), o("-d", "127.0.0.0/8"), not("-s", "127.0.0.0/8"), M_CONNTRACK, not("--ctstate", "RELATED,ESTABLISHED,DNAT")],
      "DROP",
    ),
  );

  const natSvc = lb.chain("nat", "KUBE-SERVICES").rules;
  const natNP = lb.chain("nat", "KUBE-NODEPORTS").rules;
  const fSvc = lb.chain("filter", "KUBE-SERVICES").rules;
  const fExt = lb.chain("filter", "KUBE-EXTERNAL-SERVICES").rules;
  const fNP = lb.chain("filter", "KUBE-NODEPORTS").rules;
  const fFw = lb.chain("filter", "KUBE-PROXY-FIREWALL").rules;

  for (const sp of sps) {
    const chains = serviceChains(sp);
    const usesFWChain = sp.hasEndpoints && sp.lbIPs.length > 0 && sp.sourceRanges.length > 0;
    const pc: PortCtx = { sp, chains, sepByStr: new Map(), usesFWChain, sepComment: Object.freeze(o("--comment", sp.name)) as IptOpt };
    const name = sp.name;
    const port = sp.port.port;
    const [pm, pp] = proto(sp.protocol);
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints;
    const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
    if (sp.usesLocalEndpoints || usesFWChain) ctx.perNode.push(pc);

    // Capture the clusterIP.
    if (!sp.hasEndpoints) {
      fSvc.push(rule([...comment(`${name} has no endpoints`), ...svcMatch(sp, sp.clusterIP, port)], "REJECT"));
    } else if (!sp.internalLocal) {
      natSvc.push(rule([...comment(`${name} cluster IP`), ...svcMatch(sp, sp.clusterIP, port)], chains.svc));
    } // internalTrafficPolicy Local: per node.

    // externalIPs
    for (const ip of sp.externalIPs) {
      if (sp.hasEndpoints) natSvc.push(rule([...comment(`${name} external IP`), ...svcMatch(sp, ip, port)], chains.ext));
      else fExt.push(rule([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT"));
    }
    // LoadBalancer ingress IPs
    for (const ip of sp.lbIPs) {
      if (sp.hasEndpoints)
        natSvc.push(rule([...comment(`${name} loadbalancer IP`), ...svcMatch(sp, ip, port)], usesFWChain ? chains.fw : chains.ext));
      if (usesFWChain)
        fFw.push(rule([...comment(`${name} traffic not accepted by ${chains.fw}`), ...svcMatch(sp, ip, port)], "DROP"));
    }
    if (!sp.hasEndpoints)
      for (const ip of sp.lbIPs) fExt.push(rule([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT"));
    // NodePorts
    if (sp.nodePort) {
      if (sp.hasEndpoints) natNP.push(rule([M_COMMENT, o("--comment", name), pm, pp, o("--dport", String(sp.nodePort))], chains.ext));
      else
        fExt.push(rule([...comment(`${name} has no endpoints`), M_ADDRTYPE, DST_LOCAL, pm, pp, o("--dport", String(sp.nodePort))], "REJECT"));
    }
    if (sp.healthCheckNodePort) {
      const [tm, tp] = proto("tcp");
      fNP.push(rule([...comment(`${name} health check node port`), tm, tp, o("--dport", String(sp.healthCheckNodePort))], "ACCEPT"));
    }

    // Internal traffic (Cluster policy): masquerade off-cluster sources.
    if (sp.hasEndpoints && !sp.internalLocal) lb.add("nat", chains.svc, internalMasqRule(ctx, sp));

    // External traffic chain.
    if (usesExternalTrafficChain) {
      const ext = lb.chain("nat", chains.ext).rules;
      if (!sp.externalLocal) {
        ext.push(rule(comment(`masquerade traffic for ${name} external destinations`), MASQ_TARGET));
        ext.push(rule([], chains.svc));
      } else {
        ext.push(rule([...comment(`pod traffic for ${name} external destinations`), o("-s", ctx.cidr)], chains.svc));
        ext.push(rule([...comment(`masquerade LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL], MASQ_TARGET));
        ext.push(rule([...comment(`route LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL], chains.svc));
        // "-j KUBE-SVL-…" when the node has local endpoints: per node.
      }
    }

    // Firewall chain (loadBalancerSourceRanges): the source ranges here, the rest per node.
    if (usesFWChain) {
      const fw = lb.chain("nat", chains.fw).rules;
      for (const cidr of sp.sourceRanges) fw.push(rule([...comment(`${name} loadbalancer IP`), o("-s", cidr)], chains.ext));
    }

    if (usesClusterPolicyChain) {
      const names = sp.clusterEndpoints.map((ep) => sepChainName(name, sp.protocol, ep.str));
      writeServiceToEndpointRules(lb, ctx, pc, chains.svc, sp.clusterEndpoints, names);
      sp.clusterEndpoints.forEach((ep, i) => {
        natOrder.push(seps.length);
        seps.push({ name: names[i], pc, ep });
      });
    }
  }

  // KUBE-FORWARD (conntrackTCPLiberal is false by default).
  const fwd = lb.chain("filter", "KUBE-FORWARD").rules;
  fwd.push(rule([M_CONNTRACK, o("--ctstate", "INVALID")], "DROP"));
  fwd.push(rule([...comment("kubernetes forwarding rules"), M_MARK, o("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "ACCEPT"));
  fwd.push(rule([...comment("kubernetes forwarding conntrack rule"), M_CONNTRACK, o("--ctstate", "RELATED,ESTABLISHED")], "ACCEPT"));

  const eager = lb.layer.tables.nat!;
  const sepRules = (i: number) => endpointRules(ctx, seps[i].pc, seps[i].ep, seps[i].name);
  // The text of the common shape (large cluster, no affinity) without building the rules:
  // renderIptRule's output for endpointRules' two rules, the DNAT options rendered once per port.
  const sepWrite = (i: number, out: TextOut): void => {
    const { name, pc, ep } = seps[i];
    if (!ctx.large || pc.sp.affinity) {
      for (const r of sepRules(i)) out.push(renderIptRule(name, r));
      return;
    }
    pc.dnatText ??= renderIptRule("", endpointRules(ctx, pc, ep, name)[1]).slice("-A ".length, -(" --to-destination ".length + quoteArg(ep.str).length));
    out.push("-A " + name + " -s " + quoteArg(ep.ip) + " -j KUBE-MARK-MASQ\n-A " + name + pc.dnatText + " --to-destination " + quoteArg(ep.str));
  };
  defineCompactTable(lb.layer, "nat", { eager, names: seps.map((s) => s.name), rules: sepRules, write: sepWrite }, () => {
    const all: Record<string, IptChain> = {};
    for (const x of natOrder) {
      if (typeof x === "string") all[x] = eager[x];
      else all[seps[x].name] = { name: seps[x].name, rules: sepRules(x) };
    }
    return all;
  });
  const out: ProxyOutput = { iptables: lb.layer };
  ctxOf.set(out, ctx);
  return { out, ctx };
}

function buildNode(state: ClusterState, node: NodeState, ctx: IptCtx): ProxyOutput {
  const lb = new LayerBuilder("kube-proxy/node");
  // Declare the chains this layer appends to, so the layer is self-describing.
  lb.chain("nat", "KUBE-SERVICES");
  for (const pc of ctx.perNode) {
    const { sp, chains } = pc;
    const name = sp.name;
    const port = sp.port.port;
    const local = localEndpoints(sp, node.name);
    const hasLocal = local.eps.length > 0;
    const usesLocalPolicyChain = hasLocal && sp.usesLocalEndpoints;

    if (sp.hasEndpoints && sp.internalLocal) {
      if (hasLocal) {
        lb.add("nat", "KUBE-SERVICES", rule([...comment(`${name} cluster IP`), ...svcMatch(sp, sp.clusterIP, port)], chains.svl));
        lb.add("nat", chains.svl, internalMasqRule(ctx, sp));
      } else {
        lb.add("filter", "KUBE-SERVICES", rule([...comment(`${name} has no local endpoints`), ...svcMatch(sp, sp.clusterIP, port)], "DROP"));
      }
    }
    if (sp.hasEndpoints && sp.externalLocal && !hasLocal) {
      const drop = (m: IptOpt[]) => lb.add("filter", "KUBE-EXTERNAL-SERVICES", rule([...comment(`${name} has no local endpoints`), ...m], "DROP"));
      for (const ip of sp.externalIPs) drop(svcMatch(sp, ip, port));
      for (const ip of sp.lbIPs) drop(svcMatch(sp, ip, port));
      if (sp.nodePort) {
        const [pm, pp] = proto(sp.protocol);
        drop([M_ADDRTYPE, DST_LOCAL, pm, pp, o("--dport", String(sp.nodePort))]);
      }
    }
    if (sp.hasEndpoints && sp.externallyAccessible && sp.externalLocal && hasLocal) lb.add("nat", chains.ext, rule([], chains.svl));

    if (pc.usesFWChain) {
      const allowFromNode = sp.sourceRanges.some((c) => cidrContains(c, node.address));
      if (allowFromNode)
        for (const ip of sp.lbIPs) lb.add("nat", chains.fw, rule([...comment(`${name} loadbalancer IP`), o("-s", ip)], chains.ext));
      lb.add("nat", chains.fw, rule(comment(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)));
    }

    if (usesLocalPolicyChain) writeServiceToEndpointRules(lb, ctx, pc, chains.svl, local.eps);
    // Endpoint chains not already in the shared layer.
    const shared = (pc.sharedEps ??= new Set(sp.usesClusterEndpoints ? sp.clusterEndpoints.map((e) => e.str) : []));
    for (const ep of reachableEndpoints(sp, local)) if (!shared.has(ep.str)) writeEndpointChain(lb, ctx, pc, ep);
  }
  // nodePortAddresses unset (MatchAll) and localhostNodePorts=true: the last KUBE-SERVICES rule.
  lb.add(
    "nat",
    "KUBE-SERVICES",
    rule([...comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"), M_ADDRTYPE, DST_LOCAL], "KUBE-NODEPORTS"),
  );
  return { iptables: lb.layer };
}

export const iptablesMode: ProxyMode = {
  name: "iptables",
  netfilter: "iptables",
  shared(state) {
    return buildShared(state).out;
  },
  perNode(state, node, shared) {
    let ctx = ctxOf.get(shared);
    if (!ctx) ctx = buildShared(state).ctx;
    return buildNode(state, node, ctx);
  },
};

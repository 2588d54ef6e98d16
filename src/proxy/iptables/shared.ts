// kube-proxy iptables mode: the shared layer (everything that is the same on every node).

import type { ClusterState } from "../../control/state.js";
import type { IptOpt, IptRule } from "../../ir/types.js";
import { bigInt32Array } from "../../ir/text.js";
import type { ProxyOutput } from "../mode.js";
import { frozen } from "../frozen.js";
import { lastDigestBase32Words, lastDigestSortKey, portProtoHash, digestPrefixed, packPrefix } from "../hash.js";
import { clusterCIDR, servicePorts, totalEndpoints } from "../model.js";
import {
  DST_LOCAL,
  LayerBuilder,
  M_ADDRTYPE,
  M_COMMENT,
  M_CONNTRACK,
  M_MARK,
  NO_ENDPOINTS,
  SRC_LOCAL,
  comment,
  loggedDropRules,
  not,
  o,
  proto,
  rule,
} from "./rules.js";
import { REC, R_SLOW, R_SVC, R_SVC_GROUP, type SvcRec, compactNat, record } from "./compact.js";
import {
  type IptCtx,
  LARGE_CLUSTER_ENDPOINTS,
  MASQ_MARK,
  MASQ_TARGET,
  type PortCtx,
  chainsOf,
  dottedQuad,
  internalMasqRule,
  svcMatch,
} from "./port.js";

export const ctxOf = new WeakMap<ProxyOutput, IptCtx>();

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

/** The shared chains in kube-proxy's declaration order, the jumps to them and their fixed rules. */
function sharedStaticRules(lb: LayerBuilder): void {
  // iptables-save sorts the chains anyway; the order is kube-proxy's.
  lb.chain("mangle", "KUBE-PROXY-CANARY");
  for (const c of [
    "KUBE-SERVICES",
    "KUBE-EXTERNAL-SERVICES",
    "KUBE-FORWARD",
    "KUBE-NODEPORTS",
    "KUBE-PROXY-FIREWALL",
    "KUBE-FIREWALL",
    "KUBE-PROXY-CANARY",
  ])
    lb.chain("filter", c);
  for (const c of ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ", "KUBE-PROXY-CANARY"])
    lb.chain("nat", c);
  builtinJumps(lb);

  lb.add("nat", "KUBE-POSTROUTING", rule([M_MARK, not("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "RETURN"));
  lb.add("nat", "KUBE-POSTROUTING", rule([], "MARK", [o("--xor-mark", MASQ_MARK)]));
  lb.add(
    "nat",
    "KUBE-POSTROUTING",
    rule(comment("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]),
  );
  lb.add("nat", "KUBE-MARK-MASQ", rule([], "MARK", [o("--or-mark", MASQ_MARK)]));
  lb.add(
    "filter",
    "KUBE-FIREWALL",
    rule(
      [
        ...comment("block incoming localnet connections"),
        o("-d", "127.0.0.0/8"),
        not("-s", "127.0.0.0/8"),
        M_CONNTRACK,
        not("--ctstate", "RELATED,ESTABLISHED,DNAT"),
      ],
      "DROP",
    ),
  );
}

/** KUBE-FORWARD (conntrackTCPLiberal is false by default); ipvs mode writes the same chain. */
export function forwardRules(lb: LayerBuilder): void {
  const fwd = lb.chain("filter", "KUBE-FORWARD").rules;
  fwd.push(rule([M_CONNTRACK, o("--ctstate", "INVALID")], "DROP"));
  fwd.push(
    rule([...comment("kubernetes forwarding rules"), M_MARK, o("--mark", `${MASQ_MARK}/${MASQ_MARK}`)], "ACCEPT"),
  );
  fwd.push(
    rule(
      [...comment("kubernetes forwarding conntrack rule"), M_CONNTRACK, o("--ctstate", "RELATED,ESTABLISHED")],
      "ACCEPT",
    ),
  );
}

/** The shared chains every service port adds its entry rules to. */
interface EntryChains {
  natSvc: IptRule[];
  natNP: IptRule[];
  fSvc: IptRule[];
  fExt: IptRule[];
  fNP: IptRule[];
  fFw: IptRule[];
}

/** A service port's rules in the shared entry chains: cluster IP, external and LoadBalancer IPs, NodePort, health check port. */
function portEntryRules(e: EntryChains, pc: PortCtx): void {
  const { sp, chains, usesFWChain } = pc;
  const { natSvc, natNP, fSvc, fExt, fNP, fFw } = e;
  const name = sp.name;
  const port = sp.port.port;
  const [pm, pp] = proto(sp.protocol);
  // Capture the clusterIP.
  if (!sp.hasEndpoints) {
    fSvc.push(
      ...loggedDropRules(
        [...comment(`${name} has no endpoints`), ...svcMatch(sp, sp.clusterIP, port)],
        "REJECT",
        NO_ENDPOINTS,
      ),
    );
  } else if (!sp.internalLocal) {
    natSvc.push(rule([...comment(`${name} cluster IP`), ...svcMatch(sp, sp.clusterIP, port)], chains.svc));
  } // internalTrafficPolicy Local: per node.

  // externalIPs
  for (const ip of sp.externalIPs) {
    if (sp.hasEndpoints) natSvc.push(rule([...comment(`${name} external IP`), ...svcMatch(sp, ip, port)], chains.ext));
    else
      fExt.push(
        ...loggedDropRules([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT", NO_ENDPOINTS),
      );
  }
  // LoadBalancer ingress IPs
  for (const ip of sp.lbIPs) {
    if (sp.hasEndpoints)
      natSvc.push(
        rule([...comment(`${name} loadbalancer IP`), ...svcMatch(sp, ip, port)], usesFWChain ? chains.fw : chains.ext),
      );
    if (usesFWChain)
      fFw.push(rule([...comment(`${name} traffic not accepted by ${chains.fw}`), ...svcMatch(sp, ip, port)], "DROP"));
  }
  if (!sp.hasEndpoints)
    for (const ip of sp.lbIPs)
      fExt.push(
        ...loggedDropRules([...comment(`${name} has no endpoints`), ...svcMatch(sp, ip, port)], "REJECT", NO_ENDPOINTS),
      );
  // NodePorts
  if (sp.nodePort) {
    if (sp.hasEndpoints)
      natNP.push(rule([M_COMMENT, o("--comment", name), pm, pp, o("--dport", String(sp.nodePort))], chains.ext));
    else
      fExt.push(
        ...loggedDropRules(
          [...comment(`${name} has no endpoints`), M_ADDRTYPE, DST_LOCAL, pm, pp, o("--dport", String(sp.nodePort))],
          "REJECT",
          NO_ENDPOINTS,
        ),
      );
  }
  if (sp.healthCheckNodePort) {
    const [tm, tp] = proto("tcp");
    fNP.push(
      rule(
        [...comment(`${name} health check node port`), tm, tp, o("--dport", String(sp.healthCheckNodePort))],
        "ACCEPT",
      ),
    );
  }
}

/** A service port's external-traffic and firewall chains (their per-node rules come per node). */
function portExternalChains(lb: LayerBuilder, ctx: IptCtx, pc: PortCtx): void {
  const { sp, chains, usesFWChain } = pc;
  const name = sp.name;
  const usesExternalTrafficChain = sp.hasEndpoints && sp.externallyAccessible;
  // External traffic chain.
  if (usesExternalTrafficChain) {
    const ext = lb.chain("nat", chains.ext).rules;
    if (!sp.externalLocal) {
      ext.push(rule(comment(`masquerade traffic for ${name} external destinations`), MASQ_TARGET));
      ext.push(rule([], chains.svc));
    } else {
      // Pods' traffic to an external address takes the Cluster path; only with a local detector.
      if (ctx.cidr !== undefined)
        ext.push(rule([...comment(`pod traffic for ${name} external destinations`), o("-s", ctx.cidr)], chains.svc));
      ext.push(
        rule(
          [...comment(`masquerade LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL],
          MASQ_TARGET,
        ),
      );
      ext.push(
        rule([...comment(`route LOCAL traffic for ${name} external destinations`), M_ADDRTYPE, SRC_LOCAL], chains.svc),
      );
      // "-j KUBE-SVL-…" when the node has local endpoints: per node.
    }
  }

  // Firewall chain (loadBalancerSourceRanges): the source ranges here, the rest per node.
  if (usesFWChain) {
    const fw = lb.chain("nat", chains.fw).rules;
    for (const cidr of sp.sourceRanges)
      fw.push(rule([...comment(`${name} loadbalancer IP`), o("-s", cidr)], chains.ext));
  }
}

export function buildShared(state: ClusterState): { out: ProxyOutput; ctx: IptCtx } {
  const sps = servicePorts(state);
  const ctx: IptCtx = {
    large: totalEndpoints(sps) > LARGE_CLUSTER_ENDPOINTS,
    cidr: clusterCIDR(state),
    masqAll: !!state.config.networking.masqueradeAll,
    perNode: [],
  };
  const lb = new LayerBuilder("kube-proxy");
  // The KUBE-SVC chains and the cluster endpoints' KUBE-SEP chains (most of a large
  // cluster's rules) stay compact until someone reads layer.tables.nat (see
  // defineCompactTable; renderIptables prints them from the records, layerChain builds one
  // on demand). Compact chain c (creation order): nameOf(c); its record in recs (see REC)
  // with its service port (svcs: a KUBE-SVC chain's own, or its KUBE-SEP chain's, whose
  // endpoint is epOf(c)). natOrder keeps the creation order of the plain nat chains.
  const natOrder: string[] = [];
  let C = 0; // compact chains so far
  // natOrder's compact chains are implicit: before eager chain natOrder[k], those below natAt[k].
  const natAt: number[] = [];
  const natTrack = {
    push: (n: string) => {
      natOrder.push(n);
      natAt.push(C);
    },
  };
  const svcs: SvcRec[] = [];
  const SVC_GROUP = R_SVC_GROUP;
  // Each compact chain's record (its 16 hash characters in words 1-4).
  let cap = 0;
  for (const sp of sps) cap += 1 + sp.clusterEndpoints.length;
  const recs = bigInt32Array(REC * cap); // see REC
  lb.track("nat", natTrack);
  sharedStaticRules(lb);

  const entry: EntryChains = {
    natSvc: lb.chain("nat", "KUBE-SERVICES").rules,
    natNP: lb.chain("nat", "KUBE-NODEPORTS").rules,
    fSvc: lb.chain("filter", "KUBE-SERVICES").rules,
    fExt: lb.chain("filter", "KUBE-EXTERNAL-SERVICES").rules,
    fNP: lb.chain("filter", "KUBE-NODEPORTS").rules,
    fFw: lb.chain("filter", "KUBE-PROXY-FIREWALL").rules,
  };

  for (const sp of sps) {
    const chains = chainsOf(portProtoHash(sp.name, sp.protocol));
    const svcKey = SVC_GROUP | lastDigestSortKey();
    const usesFWChain = sp.hasEndpoints && sp.lbIPs.length > 0 && sp.sourceRanges.length > 0;
    const pc: PortCtx = {
      sp,
      chains,
      sepByStr: new Map(),
      usesFWChain,
      sepComment: frozen(o("--comment", sp.name)),
    };
    let svc = -1;
    /** The port's KUBE-SVC chain, created (compact) on first use. */
    const svcChain = () => {
      if (svc < 0) {
        svc = svcs.length;
        svcs.push({ pc, self: C, first: 0, n: 0 });
        record(recs, C, svcKey, 0, R_SVC | (ctx.large && !sp.affinity ? 0 : R_SLOW), svc);
        for (let k = 0; k < 4; k++) {
          const j = 9 + 4 * k;
          const h = chains.svc;
          recs[REC * C + 1 + k] =
            (h.charCodeAt(j) << 24) | (h.charCodeAt(j + 1) << 16) | (h.charCodeAt(j + 2) << 8) | h.charCodeAt(j + 3);
        }
        C++;
      }
      return svcs[svc];
    };
    // Zone or node hints: the KUBE-SVC chain (and which KUBE-SEP chains exist) depends on the
    // node's zone or the node, so the per-node layer writes them (buildNode).
    const usesClusterPolicyChain = sp.clusterEndpoints.length > 0 && sp.usesClusterEndpoints && !sp.hinted;
    if (sp.usesLocalEndpoints || usesFWChain || sp.hinted) ctx.perNode.push(pc);

    portEntryRules(entry, pc);

    // Internal traffic (Cluster policy): masquerade off-cluster sources.
    if (sp.hasEndpoints && !sp.internalLocal && !sp.hinted) {
      const masq = internalMasqRule(ctx, sp);
      const rec = svcChain();
      if (masq) rec.masq = masq;
    }

    portExternalChains(lb, ctx, pc);

    if (usesClusterPolicyChain) {
      const rec = svcChain();
      rec.first = C;
      rec.n = sp.clusterEndpoints.length;
      const np = packPrefix(sp.name + sp.protocol);
      let lastPort = -1;
      let portText = "";
      for (const ep of sp.clusterEndpoints) {
        const c = C++;
        if (ep.port !== lastPort) portText = String((lastPort = ep.port)); // (one port, usually)
        digestPrefixed(np, ep.ip, ":", portText); // sepChainName's digest (name + protocol + epStr(ep))
        const key = lastDigestSortKey();
        const ip = dottedQuad(ep.ip);
        lastDigestBase32Words(recs, REC * c + 1);
        record(
          recs,
          c,
          key,
          ip | 0,
          (ep.port & 0xffff) | (ctx.large && !sp.affinity && ip >= 0 && ep.port === (ep.port & 0xffff) ? 0 : R_SLOW),
          svc,
        );
      }
    }
  }

  forwardRules(lb);

  compactNat(lb, ctx, { recs, svcs, count: C, natOrder, natAt });
  const out: ProxyOutput = { iptables: lb.layer };
  ctxOf.set(out, ctx);
  return { out, ctx };
}

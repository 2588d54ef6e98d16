// Hand-made kube-proxy layers for the interpreter's tests, as kube-proxy writes them
// (kubernetes pkg/proxy/iptables/proxier.go, pkg/proxy/nftables/proxier.go):
//   iptables: KUBE-SERVICES → KUBE-SVC (statistic) → KUBE-SEP (DNAT), MARK-MASQ,
//     KUBE-POSTROUTING masquerade, REJECT for no endpoints, eTP Local DROP, NodePorts, affinity.
//   nftables: table ip kube-proxy, its verdict maps and sets.
// fixtureIR (testing.ts) puts them on the nodes.

import type { IptChain, IptLayer, IptOpt, IptRule, NftLayer, NftRule, NftSet } from "../ir/types.js";
import { portProtoHash, sepChainName, hashAndTruncate } from "../proxy/hash.js";

export interface FxEndpoint {
  pod: string; // "default/web-0"
  port: number;
}
export interface FxService {
  namespace: string;
  name: string;
  portName?: string;
  clusterIP: string;
  port: number;
  protocol?: "tcp" | "udp";
  nodePort?: number;
  endpoints: FxEndpoint[];
  affinity?: number; // ClientIP timeout
  etpLocal?: boolean;
}

export const o = (opt: string, ...args: string[]): IptOpt => ({ opt, args });
export const no = (opt: string, ...args: string[]): IptOpt => ({ opt, args, neg: true });
export const rule = (opts: IptOpt[], target?: string, targetOpts?: IptOpt[]): IptRule => ({
  opts,
  ...(target ? { target } : {}),
  ...(targetOpts ? { targetOpts } : {}),
});

/** kube-proxy iptables mode, the shared part (argument order as kube-proxy writes it). */
export function kubeProxyIptables(services: FxService[], epIp: (e: FxEndpoint) => string): IptLayer {
  const nat: Record<string, IptChain> = {};
  const filter: Record<string, IptChain> = {};
  const ch = (t: Record<string, IptChain>, name: string, policy?: "ACCEPT") =>
    (t[name] ??= { name, ...(policy ? { policy } : {}), rules: [] }).rules;
  const cm = (s: string) => [o("-m", "comment"), o("--comment", s)];
  ch(nat, "PREROUTING", "ACCEPT").push(rule(cm("kubernetes service portals"), "KUBE-SERVICES"));
  ch(nat, "OUTPUT", "ACCEPT").push(rule(cm("kubernetes service portals"), "KUBE-SERVICES"));
  ch(nat, "POSTROUTING", "ACCEPT").push(rule(cm("kubernetes postrouting rules"), "KUBE-POSTROUTING"));
  ch(nat, "KUBE-MARK-MASQ").push(rule([], "MARK", [o("--or-mark", "0x4000")]));
  ch(nat, "KUBE-POSTROUTING").push(
    rule([o("-m", "mark"), no("--mark", "0x4000/0x4000")], "RETURN"),
    rule([], "MARK", [o("--xor-mark", "0x4000")]),
    rule(cm("kubernetes service traffic requiring SNAT"), "MASQUERADE", [o("--random-fully")]),
  );
  ch(nat, "KUBE-NODEPORTS");
  ch(filter, "INPUT", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule(cm("kubernetes health check service ports"), "KUBE-NODEPORTS"),
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes externally-visible service portals")],
      "KUBE-EXTERNAL-SERVICES",
    ),
  );
  ch(filter, "FORWARD", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule(cm("kubernetes forwarding rules"), "KUBE-FORWARD"),
    rule([o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes service portals")], "KUBE-SERVICES"),
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes externally-visible service portals")],
      "KUBE-EXTERNAL-SERVICES",
    ),
  );
  ch(filter, "OUTPUT", "ACCEPT").push(
    rule(
      [o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes load balancer firewall")],
      "KUBE-PROXY-FIREWALL",
    ),
    rule([o("-m", "conntrack"), o("--ctstate", "NEW"), ...cm("kubernetes service portals")], "KUBE-SERVICES"),
  );
  ch(filter, "KUBE-PROXY-FIREWALL");
  ch(filter, "KUBE-NODEPORTS");
  ch(filter, "KUBE-EXTERNAL-SERVICES");
  ch(filter, "KUBE-SERVICES");
  ch(filter, "KUBE-FORWARD").push(
    rule([o("-m", "conntrack"), o("--ctstate", "INVALID")], "DROP"),
    rule([...cm("kubernetes forwarding rules"), o("-m", "mark"), o("--mark", "0x4000/0x4000")], "ACCEPT"),
    rule(
      [...cm("kubernetes forwarding conntrack rule"), o("-m", "conntrack"), o("--ctstate", "RELATED,ESTABLISHED")],
      "ACCEPT",
    ),
  );
  for (const s of services) {
    const spn = `${s.namespace}/${s.name}${s.portName ? ":" + s.portName : ""}`;
    const proto = s.protocol ?? "tcp";
    const h = portProtoHash(spn, proto);
    const svc = `KUBE-SVC-${h}`;
    const m = [o("-m", proto), o("-p", proto)];
    if (!s.endpoints.length) {
      ch(filter, "KUBE-SERVICES").push({
        ...rule(
          [...cm(`${spn} has no endpoints`), ...m, o("-d", `${s.clusterIP}/32`), o("--dport", String(s.port))],
          "REJECT",
          [o("--reject-with", "icmp-port-unreachable")],
        ),
        drop: { reason: "SERVICE_BACKEND_NOT_FOUND" },
      });
      continue;
    }
    ch(nat, "KUBE-SERVICES").push(
      rule([...cm(`${spn} cluster IP`), ...m, o("-d", `${s.clusterIP}/32`), o("--dport", String(s.port))], svc),
    );
    const sv = ch(nat, svc);
    sv.push(
      rule(
        [
          ...cm(`${spn} cluster IP`),
          ...m,
          o("-d", `${s.clusterIP}/32`),
          o("--dport", String(s.port)),
          no("-s", "10.244.0.0/16"),
        ],
        "KUBE-MARK-MASQ",
      ),
    );
    const eps = [...s.endpoints].sort((a, b) => `${epIp(a)}:${a.port}`.localeCompare(`${epIp(b)}:${b.port}`));
    const seps = eps.map((e) => sepChainName(spn, proto, `${epIp(e)}:${e.port}`));
    if (s.affinity)
      for (const sep of seps)
        sv.push(
          rule(
            [
              ...cm(spn),
              o("-m", "recent"),
              o("--name", sep),
              o("--rcheck"),
              o("--seconds", String(s.affinity)),
              o("--reap"),
            ],
            sep,
          ),
        );
    eps.forEach((e, i) => {
      const n = eps.length;
      const stat =
        i < n - 1 ? [o("-m", "statistic"), o("--mode", "random"), o("--probability", (1 / (n - i)).toFixed(10))] : [];
      sv.push(rule([...cm(`${spn} -> ${epIp(e)}:${e.port}`), ...stat], seps[i]));
      ch(nat, seps[i]).push(
        rule([...cm(spn), o("-s", `${epIp(e)}/32`)], "KUBE-MARK-MASQ"),
        rule([...cm(spn), ...(s.affinity ? [o("-m", "recent"), o("--name", seps[i]), o("--set")] : []), ...m], "DNAT", [
          o("--to-destination", `${epIp(e)}:${e.port}`),
        ]),
      );
    });
    if (s.nodePort) {
      const ext = `KUBE-EXT-${h}`;
      ch(nat, "KUBE-NODEPORTS").push(rule([...cm(spn), ...m, o("--dport", String(s.nodePort))], ext));
      if (!s.etpLocal) {
        ch(nat, ext).push(
          rule(cm(`masquerade traffic for ${spn} external destinations`), "KUBE-MARK-MASQ"),
          rule([], svc),
        );
      }
    }
  }
  ch(nat, "KUBE-SERVICES").push(
    rule(
      [
        ...cm("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        o("-m", "addrtype"),
        o("--dst-type", "LOCAL"),
      ],
      "KUBE-NODEPORTS",
    ),
  );
  return { owner: "kube-proxy", role: "kube-proxy", tables: { nat, filter } };
}

/** kube-proxy's per-node part: eTP Local chains (KUBE-EXT → KUBE-SVL with local endpoints only). */
export function kubeProxyIptablesNode(
  services: FxService[],
  epIp: (e: FxEndpoint) => string,
  local: (e: FxEndpoint) => boolean,
): IptLayer {
  const nat: Record<string, IptChain> = {};
  const filter: Record<string, IptChain> = {};
  for (const s of services) {
    if (!s.etpLocal || !s.nodePort) continue;
    const spn = `${s.namespace}/${s.name}${s.portName ? ":" + s.portName : ""}`;
    const proto = s.protocol ?? "tcp";
    const h = portProtoHash(spn, proto);
    const svc = `KUBE-SVC-${h}`;
    const ext = `KUBE-EXT-${h}`;
    const svl = `KUBE-SVL-${h}`;
    const eps = s.endpoints.filter(local);
    nat[ext] = {
      name: ext,
      rules: [
        rule(
          [
            o("-s", "10.244.0.0/16"),
            o("-m", "comment"),
            o("--comment", "pod traffic for " + spn + " external destinations"),
          ],
          svc,
        ),
        rule(
          [
            o("-m", "comment"),
            o("--comment", `masquerade LOCAL traffic for ${spn} external destinations`),
            o("-m", "addrtype"),
            o("--src-type", "LOCAL"),
          ],
          "KUBE-MARK-MASQ",
        ),
        rule(
          [
            o("-m", "comment"),
            o("--comment", `route LOCAL traffic for ${spn} external destinations`),
            o("-m", "addrtype"),
            o("--src-type", "LOCAL"),
          ],
          svc,
        ),
        rule([], svl),
      ],
    };
    nat[svl] = {
      name: svl,
      rules: eps.map((e, i) =>
        rule(
          [
            o("-m", "comment"),
            o("--comment", `${spn} -> ${epIp(e)}:${e.port}`),
            ...(i < eps.length - 1
              ? [o("-m", "statistic"), o("--mode", "random"), o("--probability", (1 / (eps.length - i)).toFixed(10))]
              : []),
          ],
          sepChainName(spn, proto, `${epIp(e)}:${e.port}`),
        ),
      ),
    };
    if (!eps.length) {
      filter["KUBE-EXTERNAL-SERVICES"] = {
        name: "KUBE-EXTERNAL-SERVICES",
        rules: [
          {
            ...rule(
              [
                o("-m", "comment"),
                o("--comment", `${spn} has no local endpoints`),
                o("-m", "addrtype"),
                o("--dst-type", "LOCAL"),
                o("-m", proto),
                o("-p", proto),
                o("--dport", String(s.nodePort)),
              ],
              "DROP",
            ),
            drop: { reason: "SERVICE_BACKEND_NOT_FOUND", local: true },
          },
        ],
      };
    }
  }
  return { owner: "kube-proxy/node", role: "kube-proxy", tables: { nat, filter } };
}

/** kube-proxy nftables mode (table ip kube-proxy), the shapes of pkg/proxy/nftables. */
export function kubeProxyNft(services: FxService[], epIp: (e: FxEndpoint) => string): NftLayer {
  const chains: Record<
    string,
    {
      name: string;
      type?: "nat" | "filter";
      hook?: "prerouting" | "output" | "postrouting" | "input" | "forward";
      prio?: number;
      policy?: "accept";
      rules: NftRule[];
    }
  > = {};
  const base = (
    name: string,
    type: "nat" | "filter",
    hook: "prerouting" | "output" | "postrouting" | "input" | "forward",
    prio: number,
    rules: NftRule[],
  ) => (chains[name] = { name, type, hook, prio, policy: "accept", rules });
  const j = (target: string) => ({ jump: { target } });
  const daddr = { payload: { protocol: "ip", field: "daddr" } };
  const saddr = { payload: { protocol: "ip", field: "saddr" } };
  const mark = { meta: { key: "mark" } };
  base("nat-prerouting", "nat", "prerouting", -100, [{ expr: [j("services")] }]);
  base("nat-output", "nat", "output", -100, [{ expr: [j("services")] }]);
  base("nat-postrouting", "nat", "postrouting", 100, [{ expr: [j("masquerading")] }]);
  base("filter-forward", "filter", "forward", 0, [
    { expr: [{ match: { op: "in", left: { ct: { key: "state" } }, right: "new" } }, j("service-endpoints-check")] },
  ]);
  base("filter-output", "filter", "output", 0, [
    { expr: [{ match: { op: "in", left: { ct: { key: "state" } }, right: "new" } }, j("service-endpoints-check")] },
  ]);
  chains["mark-for-masquerade"] = {
    name: "mark-for-masquerade",
    rules: [{ expr: [{ mangle: { key: mark, value: { "|": [mark, 16384] } } }] }],
  };
  chains.masquerading = {
    name: "masquerading",
    rules: [
      { expr: [{ match: { op: "==", left: { "&": [mark, 16384] }, right: 0 } }, { return: null }] },
      { expr: [{ mangle: { key: mark, value: { "^": [mark, 16384] } } }] },
      { expr: [{ masquerade: { flags: ["fully-random"] } }] },
    ],
  };
  chains["reject-chain"] = {
    name: "reject-chain",
    rules: [{ expr: [{ reject: null }], comment: "helper for @no-endpoint-services / @no-endpoint-nodeports" }],
  };
  chains["service-endpoints-check"] = {
    name: "service-endpoints-check",
    rules: [
      {
        expr: [
          {
            vmap: {
              key: { concat: [daddr, { meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@no-endpoint-services",
            },
          },
        ],
        drop: { reason: "SERVICE_BACKEND_NOT_FOUND" },
      },
    ],
  };
  chains.services = {
    name: "services",
    rules: [
      {
        expr: [
          {
            vmap: {
              key: { concat: [daddr, { meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@service-ips",
            },
          },
        ],
      },
      {
        expr: [
          { match: { op: "==", left: { fib: { result: "type", flags: ["daddr"] } }, right: "local" } },
          {
            vmap: {
              key: { concat: [{ meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] },
              data: "@service-nodeports",
            },
          },
        ],
      },
    ],
  };
  const serviceIps: any[] = [];
  const affinitySets: Record<string, NftSet> = {};
  const nodeports: any[] = [];
  const noEp: any[] = [];
  for (const s of services) {
    const proto = s.protocol ?? "tcp";
    const base0 = `${s.namespace}/${s.name}/${proto}/${s.portName ?? ""}`;
    const svc = "service-" + hashAndTruncate(base0).replace(/^([A-Z0-9]{8})-/, "$1-");
    if (!s.endpoints.length) {
      noEp.push({
        key: { concat: [s.clusterIP, proto, s.port] },
        value: { goto: { target: "reject-chain" } },
        comment: base0,
      });
      continue;
    }
    serviceIps.push({
      key: { concat: [s.clusterIP, proto, s.port] },
      value: { goto: { target: svc } },
      comment: base0,
    });
    if (s.nodePort)
      nodeports.push({ key: { concat: [proto, s.nodePort] }, value: { goto: { target: "external-" + svc.slice(8) } } });
    const eps = [...s.endpoints].sort((a, b) => `${epIp(a)}:${a.port}`.localeCompare(`${epIp(b)}:${b.port}`));
    const epc = eps.map((e) => "endpoint-" + hashAndTruncate(`${base0}__${epIp(e)}/${e.port}`));
    const aff = (i: number) => "affinity-" + epc[i].slice("endpoint-".length);
    chains[svc] = {
      name: svc,
      rules: [
        {
          expr: [
            { match: { op: "==", left: daddr, right: s.clusterIP } },
            { match: { op: "==", left: { payload: { protocol: proto, field: "dport" } }, right: s.port } },
            { match: { op: "!=", left: saddr, right: { prefix: { addr: "10.244.0.0", len: 16 } } } },
            j("mark-for-masquerade"),
          ],
        },
        ...(s.affinity
          ? eps.map(
              (_, i): NftRule => ({
                expr: [{ match: { op: "==", left: saddr, right: "@" + aff(i) } }, { goto: { target: epc[i] } }],
              }),
            )
          : []),
        {
          expr: [
            {
              vmap: {
                key: { numgen: { mode: "random", mod: eps.length, offset: 0 } },
                data: { set: eps.map((_, i) => [i, { goto: { target: epc[i] } }]) },
              },
            },
          ],
        },
      ],
    };
    if (s.affinity)
      eps.forEach(
        (_, i) =>
          (affinitySets[aff(i)] = {
            name: aff(i),
            kind: "set",
            type: "ipv4_addr",
            flags: ["dynamic", "timeout"],
            timeout: s.affinity,
            elem: [],
          }),
      );
    if (s.nodePort)
      chains["external-" + svc.slice(8)] = {
        name: "external-" + svc.slice(8),
        rules: [{ expr: [j("mark-for-masquerade")] }, { expr: [{ goto: { target: svc } }] }],
      };
    eps.forEach((e, i) => {
      chains[epc[i]] = {
        name: epc[i],
        rules: [
          { expr: [{ match: { op: "==", left: saddr, right: epIp(e) } }, j("mark-for-masquerade")] },
          ...(s.affinity
            ? [{ expr: [{ set: { op: "update", elem: saddr, set: "@" + aff(i) } }] } satisfies NftRule]
            : []),
          {
            expr: [
              { match: { op: "==", left: { meta: { key: "l4proto" } }, right: proto } },
              { dnat: { addr: epIp(e), port: e.port } },
            ],
          },
        ],
      };
    });
  }
  const kt = ["ipv4_addr", "inet_proto", "inet_service"];
  return {
    owner: "kube-proxy",
    tables: [
      {
        family: "ip",
        name: "kube-proxy",
        comment: "rules for kube-proxy",
        role: "kube-proxy",
        chains: chains as any,
        sets: {
          "service-ips": { name: "service-ips", kind: "map", type: kt, map: "verdict", elem: serviceIps },
          "service-nodeports": {
            name: "service-nodeports",
            kind: "map",
            type: ["inet_proto", "inet_service"],
            map: "verdict",
            elem: nodeports,
          },
          "no-endpoint-services": { name: "no-endpoint-services", kind: "map", type: kt, map: "verdict", elem: noEp },
          ...affinitySets,
        },
      },
    ],
  };
}

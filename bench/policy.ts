// 10,000 NetworkPolicies over the threshold cluster, with the label variety real
// clusters have: per namespace a default deny (both directions), DNS egress for all,
// and per-application policies naming neighbours by label, other namespaces by label,
// named ports and ipBlocks.
import type { ClusterSpec } from "../src/manifest/cluster-spec.js";
import type { KubeObject } from "../src/manifest/types.js";

export function thresholdPolicies(spec: ClusterSpec, total = 10000): KubeObject[] {
  const namespaces = spec.objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
  const appsByNs = new Map<string, string[]>();
  for (const o of spec.objects) {
    if (o.kind !== "Deployment") continue;
    const ns = o.metadata.namespace ?? "default";
    const l = appsByNs.get(ns) ?? [];
    l.push(o.metadata.name);
    appsByNs.set(ns, l);
  }
  const out: KubeObject[] = [];
  const per = Math.ceil(total / Math.max(1, namespaces.length));
  for (let n = 0; n < namespaces.length && out.length < total; n++) {
    const ns = namespaces[n];
    const apps = appsByNs.get(ns) ?? [];
    const pol = (name: string, spec: unknown): KubeObject => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name, namespace: ns },
      spec,
    });
    out.push(pol("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }));
    out.push(
      pol("allow-dns", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      }),
    );
    for (let i = 0; i < per - 2 && out.length < total && apps.length > 0; i++) {
      const app = apps[i % apps.length];
      const prev = apps[(i + apps.length - 1) % apps.length];
      const other = namespaces[(n + 1) % namespaces.length];
      switch (i % 4) {
        case 0: // neighbours in the namespace on the named port
          out.push(
            pol(`${app}-from-${prev}`, {
              podSelector: { matchLabels: { app } },
              ingress: [{ from: [{ podSelector: { matchLabels: { app: prev } } }], ports: [{ port: "http" }] }],
            }),
          );
          break;
        case 1: // scraping from a monitoring namespace, by namespace + pod label
          out.push(
            pol(`${app}-metrics`, {
              podSelector: { matchLabels: { app } },
              ingress: [
                {
                  from: [
                    {
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": other } },
                      podSelector: { matchExpressions: [{ key: "group", operator: "Exists" }] },
                    },
                  ],
                  ports: [{ port: 9090 }],
                },
              ],
            }),
          );
          break;
        case 2: // egress to its group and to an external range
          out.push(
            pol(`${app}-egress`, {
              podSelector: { matchLabels: { app } },
              policyTypes: ["Egress"],
              egress: [
                { to: [{ podSelector: { matchLabels: { app: prev } } }], ports: [{ port: 8080 }] },
                {
                  to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
                  ports: [{ port: 443 }],
                },
              ],
            }),
          );
          break;
        default: // a port range from a labelled tier
          out.push(
            pol(`${app}-range`, {
              podSelector: { matchLabels: { app } },
              ingress: [
                {
                  from: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [prev, app] }] } }],
                  ports: [{ protocol: "TCP", port: 8000, endPort: 8100 }],
                },
              ],
            }),
          );
      }
    }
  }
  return out;
}

import { buildState } from "../src/control/build.js";
import { computeReach } from "../src/questions/reach.js";
import { decide, explainSide, indexPolicies } from "../src/policy/engine.js";
import { thresholdCluster, type ThresholdOptions } from "./control.js";

export interface PolicyBenchResult {
  policies: number;
  pods: number;
  classes: number;
  lines: number;
  reachMs: number;
  explainMs: number;
  peakRssMb: number;
}

/**
 * Calico's own policies on top (PODNET_BENCH_CALICO=1): a security tier whose global policy
 * denies one namespace's pods to another's and passes the rest, and a default-tier global
 * policy before the NetworkPolicies (order 100) allowing DNS: every policy, the 10,000
 * NetworkPolicies too, is then decided in Calico's order (policy/calico.ts).
 * Session 27, one run each on a quiet machine: reach 5.96 s (2,450 lines, 10,000 classes;
 * explanation 0.93 ms, peak RSS 656 MB) against 2.50 s without Calico's order.
 */
export function calicoPolicies(spec: ClusterSpec): KubeObject[] {
  const ns = spec.objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
  const obj = (kind: string, name: string, s: unknown): KubeObject => ({
    apiVersion: "projectcalico.org/v3",
    kind,
    metadata: { name },
    spec: s,
  });
  return [
    obj("Tier", "security", { order: 100 }),
    obj("GlobalNetworkPolicy", "security.isolate-first-ns", {
      tier: "security",
      selector: `projectcalico.org/namespace == '${ns[0]}'`,
      ingress: [
        { action: "Deny", source: { namespaceSelector: `kubernetes.io/metadata.name == '${ns[1]}'` } },
        { action: "Pass" },
      ],
      egress: [{ action: "Pass" }],
    }),
    obj("GlobalNetworkPolicy", "allow-dns", {
      order: 100,
      selector: "all()",
      types: ["Egress"],
      egress: [
        {
          action: "Allow",
          protocol: "UDP",
          destination: {
            selector: "k8s-app == 'kube-dns'",
            namespaceSelector: "kubernetes.io/metadata.name == 'kube-system'",
            ports: [53],
          },
        },
      ],
    }),
  ];
}

/** Times the full workload-level reach and one pair's explanation. */
export function benchPolicy(opts: ThresholdOptions & { policies?: number } = {}): PolicyBenchResult {
  const spec = thresholdCluster(opts);
  spec.objects.push(...thresholdPolicies(spec, opts.policies ?? 10000));
  if (opts.cni === "calico") spec.objects.push(...calicoPolicies(spec));
  const state = buildState(spec, {});
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  const r = computeReach(state);
  const reachMs = performance.now() - t0;
  // getrusage's high-water mark also sees the peak inside buildState and the reach.
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const ix = indexPolicies(state);
  const pods = state.pods.filter((p) => p.podIP && !p.spec.hostNetwork);
  const a = pods[Math.floor(pods.length / 3)];
  const b = pods[Math.floor((2 * pods.length) / 3)];
  const t1 = performance.now();
  const d = decide(ix, { kind: "pod", pod: a }, { kind: "pod", pod: b }, "TCP", 8080);
  explainSide(d.egress, d.egressRule, a.name);
  explainSide(d.ingress, d.ingressRule, b.name);
  const explainMs = performance.now() - t1;
  return {
    policies: state.networkPolicies.length,
    pods: state.pods.length,
    classes: r.classes,
    lines: r.lines.length,
    reachMs,
    explainMs,
    peakRssMb: Math.round(peak / 2 ** 20),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // node --expose-gc dist/bench/policy.js [policies] [runs]: medians over runs.
  const policies = Number(process.argv[2] ?? 10000);
  const runs = Number(process.argv[3] ?? 3);
  const rs: PolicyBenchResult[] = [];
  for (let i = 0; i < runs; i++) {
    rs.push(benchPolicy({ policies, ...(process.env.PODNET_BENCH_CALICO === "1" ? { cni: "calico" as const } : {}) }));
    (globalThis as { gc?: () => void }).gc?.();
    process.stderr.write(`  run ${i + 1}/${runs}: reach ${(rs[i].reachMs / 1000).toFixed(2)} s\n`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const r = rs[0];
  console.log(
    `podnet NetworkPolicy benchmark${process.env.PODNET_BENCH_CALICO === "1" ? " (Calico's order, with Calico's policies)" : ""}: ${r.policies} policies over ${r.pods} pods (${r.classes} equivalence classes), ${r.lines} reach lines`,
  );
  console.log(
    `  full workload-level reach   ${(med(rs.map((x) => x.reachMs)) / 1000).toFixed(2)} s (median of ${runs})   target ≤ 60 s`,
  );
  console.log(
    `  one pair's explanation      ${med(rs.map((x) => x.explainMs)).toFixed(2)} ms                target ≤ 10 ms`,
  );
  console.log(
    `  peak RSS                    ${Math.max(...rs.map((x) => x.peakRssMb))} MB                 target ≤ 6144 MB`,
  );
}

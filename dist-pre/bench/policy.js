export function thresholdPolicies(spec, total = 10000) {
    const namespaces = spec.objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
    const appsByNs = new Map();
    for (const o of spec.objects) {
        if (o.kind !== "Deployment")
            continue;
        const ns = o.metadata.namespace ?? "default";
        const l = appsByNs.get(ns) ?? [];
        l.push(o.metadata.name);
        appsByNs.set(ns, l);
    }
    const out = [];
    const per = Math.ceil(total / Math.max(1, namespaces.length));
    for (let n = 0; n < namespaces.length && out.length < total; n++) {
        const ns = namespaces[n];
        const apps = appsByNs.get(ns) ?? [];
        const pol = (name, spec) => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name, namespace: ns },
            spec,
        });
        out.push(pol("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }));
        out.push(pol("allow-dns", {
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
        }));
        for (let i = 0; i < per - 2 && out.length < total && apps.length > 0; i++) {
            const app = apps[i % apps.length];
            const prev = apps[(i + apps.length - 1) % apps.length];
            const other = namespaces[(n + 1) % namespaces.length];
            switch (i % 4) {
                case 0: // neighbours in the namespace on the named port
                    out.push(pol(`${app}-from-${prev}`, {
                        podSelector: { matchLabels: { app } },
                        ingress: [{ from: [{ podSelector: { matchLabels: { app: prev } } }], ports: [{ port: "http" }] }],
                    }));
                    break;
                case 1: // scraping from a monitoring namespace, by namespace + pod label
                    out.push(pol(`${app}-metrics`, {
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
                    }));
                    break;
                case 2: // egress to its group and to an external range
                    out.push(pol(`${app}-egress`, {
                        podSelector: { matchLabels: { app } },
                        policyTypes: ["Egress"],
                        egress: [
                            { to: [{ podSelector: { matchLabels: { app: prev } } }], ports: [{ port: 8080 }] },
                            {
                                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
                                ports: [{ port: 443 }],
                            },
                        ],
                    }));
                    break;
                default: // a port range from a labelled tier
                    out.push(pol(`${app}-range`, {
                        podSelector: { matchLabels: { app } },
                        ingress: [
                            {
                                from: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [prev, app] }] } }],
                                ports: [{ protocol: "TCP", port: 8000, endPort: 8100 }],
                            },
                        ],
                    }));
            }
        }
    }
    return out;
}
import { buildState } from "../src/control/build.js";
import { computeReach } from "../src/questions/reach.js";
import { decide, explainSide, indexPolicies } from "../src/policy/engine.js";
import { thresholdCluster } from "./control.js";
/** Times the full workload-level reach and one pair's explanation. */
export function benchPolicy(opts = {}) {
    const spec = thresholdCluster(opts);
    spec.objects.push(...thresholdPolicies(spec, opts.policies ?? 10000));
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
    const rs = [];
    for (let i = 0; i < runs; i++) {
        rs.push(benchPolicy({ policies }));
        globalThis.gc?.();
        process.stderr.write(`  run ${i + 1}/${runs}: reach ${(rs[i].reachMs / 1000).toFixed(2)} s\n`);
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const r = rs[0];
    console.log(`podnet NetworkPolicy benchmark: ${r.policies} policies over ${r.pods} pods (${r.classes} equivalence classes), ${r.lines} reach lines`);
    console.log(`  full workload-level reach   ${(med(rs.map((x) => x.reachMs)) / 1000).toFixed(2)} s (median of ${runs})   target ≤ 60 s`);
    console.log(`  one pair's explanation      ${med(rs.map((x) => x.explainMs)).toFixed(2)} ms                target ≤ 10 ms`);
    console.log(`  peak RSS                    ${Math.max(...rs.map((x) => x.peakRssMb))} MB                 target ≤ 6144 MB`);
}
//# sourceMappingURL=policy.js.map
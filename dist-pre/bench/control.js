// A cluster at Kubernetes' scalability thresholds (sig-scalability "Considerations for
// large clusters"): 5,000 nodes, 150,000 pods, 10,000 Services, 50 namespaces, up to
// 250 endpoints per Service.
import { parseConfig } from "../src/manifest/config.js";
export function thresholdCluster(opts = {}) {
    const nNodes = opts.nodes ?? 5000;
    const nPods = opts.pods ?? 150000;
    const nSvc = opts.services ?? 10000;
    const nNs = opts.namespaces ?? 50;
    const perDep = opts.podsPerDeployment ?? 14;
    const maxEp = opts.maxEndpointsPerService ?? 250;
    const nodes = [{ name: "control-plane", role: "control-plane" }];
    for (let i = 1; i < nNodes; i++)
        nodes.push({
            name: `worker-${i}`,
            role: "worker",
            labels: { "topology.kubernetes.io/zone": `zone-${i % 3}` },
        });
    const config = parseConfig({
        apiVersion: "podnet.dev/v1alpha1",
        kind: "Cluster",
        name: "threshold",
        nodes,
        networking: {
            podSubnet: "10.128.0.0/9", // 32,768 /24 node ranges
            serviceSubnet: "10.96.0.0/12",
            nodeSubnet: "172.16.0.0/16",
            nodeCIDRMaskSize: 24,
            cni: opts.cni ?? "flannel",
            loadBalancerSubnet: "192.168.240.0/20",
        },
    });
    const objects = [];
    for (let n = 0; n < nNs; n++)
        objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${n}` } });
    // Pods left for Deployments after the DaemonSets (kube-proxy + CNI on every node) and CoreDNS.
    const userPods = Math.max(0, nPods - 2 * nNodes - config.dns.replicas);
    const nDep = Math.ceil(userPods / perDep);
    const depPerNs = Math.ceil(nDep / nNs);
    // Services that select a group of Deployments reach up to maxEp endpoints.
    const groupSize = Math.max(1, Math.floor(maxEp / perDep));
    let made = 0;
    for (let d = 0; d < nDep; d++) {
        const ns = `ns-${d % nNs}`;
        const local = Math.floor(d / nNs);
        const replicas = Math.min(perDep, userPods - made);
        made += replicas;
        objects.push({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: `app-${local}`, namespace: ns },
            spec: {
                replicas,
                selector: { matchLabels: { app: `app-${local}` } },
                template: {
                    metadata: { labels: { app: `app-${local}`, group: `g-${Math.floor(local / groupSize)}` } },
                    spec: {
                        containers: [
                            {
                                name: "app",
                                image: "registry.example/app:1",
                                ports: [
                                    { name: "http", containerPort: 8080 },
                                    { name: "metrics", containerPort: 9090 },
                                ],
                            },
                        ],
                    },
                },
            },
        });
    }
    const svcPerNs = Math.ceil(nSvc / nNs);
    const groups = Math.max(1, Math.ceil(depPerNs / groupSize));
    for (let s = 0; s < nSvc; s++) {
        const ns = `ns-${s % nNs}`;
        const local = Math.floor(s / nNs);
        // One Service in ten selects a whole group (≈ maxEp endpoints), the rest one Deployment.
        const selector = local % 10 === 0 ? { group: `g-${(local / 10) % groups}` } : { app: `app-${local % depPerNs}` };
        const type = local % 50 === 1 ? "NodePort" : local % 100 === 2 ? "LoadBalancer" : "ClusterIP";
        objects.push({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: `svc-${local}`, namespace: ns },
            spec: {
                type,
                selector,
                ports: [
                    { name: "http", protocol: "TCP", port: 80, targetPort: "http" },
                    { name: "metrics", protocol: "TCP", port: 9090, targetPort: 9090 },
                ],
            },
        });
    }
    void svcPerNs;
    return { config, objects, warnings: [] };
}
//# sourceMappingURL=control.js.map
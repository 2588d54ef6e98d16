import { defaultConfig } from "../manifest/config.js";
import { computeDnsRecords } from "../control/dns.js";
import { emptyState, podState, serviceState, sliceState } from "../testing/fixtures.js";
export function fixtureState(o) {
    const config = defaultConfig();
    config.dns = { pods: "insecure", ttl: 30, replicas: 2 };
    o.config?.(config);
    const nsSet = new Set(["default", "kube-system", "kube-public", "kube-node-lease", ...(o.namespaces ?? [])]);
    const services = [];
    const slices = [];
    let next = 100;
    const all = [
        {
            namespace: "default",
            name: "kubernetes",
            clusterIP: "10.96.0.1",
            ports: [{ name: "https", port: 443, targetPort: 6443 }],
            endpoints: [{ ip: "192.168.1.2" }],
            created: 0,
        },
        {
            namespace: "kube-system",
            name: "kube-dns",
            clusterIP: "10.96.0.10",
            ports: [
                { name: "dns", port: 53, protocol: "UDP" },
                { name: "dns-tcp", port: 53, protocol: "TCP" },
                { name: "metrics", port: 9153, protocol: "TCP" },
            ],
            endpoints: [{ ip: "10.244.0.2" }, { ip: "10.244.0.3" }],
            created: 0,
        },
        ...(o.services ?? []),
    ];
    for (const s of all) {
        const namespace = s.namespace ?? "default";
        nsSet.add(namespace);
        const type = s.type ?? "ClusterIP";
        const clusterIP = type === "ExternalName" ? null : s.clusterIP === undefined ? `10.96.1.${next++}` : s.clusterIP;
        const ports = (s.ports ?? []).map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            protocol: p.protocol ?? "TCP",
            port: p.port,
            targetPort: p.targetPort ?? p.port,
        }));
        services.push(serviceState(namespace, s.name, {
            type,
            clusterIP,
            ports,
            ...(s.externalName ? { externalName: s.externalName } : {}),
            publishNotReadyAddresses: s.publishNotReadyAddresses ?? false,
            created: s.created ?? 1,
        }));
        if (s.endpoints && type !== "ExternalName")
            slices.push(sliceState(namespace, s.name, `${s.name}-abcde`, ports.map((p) => ({
                ...(p.name ? { name: p.name } : {}),
                port: typeof p.targetPort === "number" ? p.targetPort : p.port,
                protocol: p.protocol,
            })), s.endpoints));
    }
    const pods = (o.pods ?? []).map((p, i) => podState(p.namespace ?? "default", p.name, {
        uid: `pod-uid-${i}`,
        spec: { containers: [{ name: "c" }], ...(p.spec ?? {}) },
        nodeName: "kind-worker",
        podIP: p.ip,
        hostIP: "192.168.1.3",
        created: p.created ?? 10,
        containerID: `cid-${i}`,
    }));
    for (const p of pods)
        nsSet.add(p.namespace);
    const base = emptyState(config, {
        clock: o.clock ?? 41,
        namespaces: [...nsSet].map((name) => ({ name, labels: {} })),
        pods,
        services,
        endpointSlices: slices,
    });
    return { ...base, dns: computeDnsRecords(base) };
}
/** The seeds' demo cluster in miniature, with fixed IPs. */
export function demoFixture() {
    return fixtureState({
        namespaces: ["production"],
        config: (c) => {
            c.externalDNS = [{ name: "api.example.com", type: "A", value: "192.168.1.240" }];
        },
        services: [
            { name: "auth-service", clusterIP: "10.96.12.34", ports: [{ port: 80 }], endpoints: [{ ip: "10.244.1.5" }] },
            {
                name: "user-service",
                clusterIP: "10.96.20.1",
                ports: [{ name: "http", port: 80, targetPort: 8080 }],
                endpoints: [{ ip: "10.244.1.6" }, { ip: "10.244.2.7" }],
            },
            {
                namespace: "production",
                name: "user-service",
                clusterIP: "10.96.30.1",
                ports: [{ name: "http", port: 80, targetPort: 8080 }],
                endpoints: [{ ip: "10.244.2.9" }],
            },
            { name: "empty-service", clusterIP: "10.96.40.1", ports: [{ port: 80 }], endpoints: [] },
            {
                name: "my-headless-service",
                clusterIP: "None",
                ports: [{ name: "web", port: 80 }],
                endpoints: [
                    { ip: "10.244.1.10", hostname: "web-0" },
                    { ip: "10.244.2.11", hostname: "web-1" },
                    { ip: "10.244.2.12", hostname: "web-2", ready: false },
                ],
            },
            { name: "plain-headless", clusterIP: "None", ports: [{ port: 9000 }], endpoints: [{ ip: "10.244.1.20" }] },
            {
                name: "unready-headless",
                clusterIP: "None",
                ports: [{ port: 80 }],
                endpoints: [{ ip: "10.244.1.30", ready: false }],
            },
            {
                name: "publish-headless",
                clusterIP: "None",
                publishNotReadyAddresses: true,
                ports: [{ port: 80 }],
                endpoints: [{ ip: "10.244.1.31", ready: false }],
            },
            { name: "ext", type: "ExternalName", externalName: "api.example.com" },
            { name: "ext-in", type: "ExternalName", externalName: "auth-service.default.svc.cluster.local" },
        ],
        pods: [
            { name: "order-app-1", ip: "10.244.1.40" },
            { namespace: "production", name: "user-app-1", ip: "10.244.2.9" },
            { name: "alpine-musl", ip: "10.244.1.41" },
        ],
    });
}
//# sourceMappingURL=testing.js.map
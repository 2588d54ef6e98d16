// Hand-made ClusterState fixtures for the views' tests (independent of the control
// plane, so that the formatters are checked against kubectl's formats alone).
import { emptyState, nodeState, podState, serviceState, sliceState, testConfig } from "../testing/fixtures.js";
export function fixtureConfig() {
    return testConfig({ name: "demo" });
}
export function node(name, index, role = "worker") {
    const labels = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" };
    if (role === "control-plane")
        labels["node-role.kubernetes.io/control-plane"] = "";
    const taints = role === "control-plane" ? [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] : [];
    return nodeState(name, index, { role, labels, taints });
}
export function pod(ns, name, ip, nodeName, opts = {}) {
    const app = name.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, "");
    return podState(ns, name, {
        uid: `uid-${name}`,
        labels: { app },
        owner: { kind: "ReplicaSet", name: name.replace(/-[a-z0-9]{5}$/, "") },
        workload: { kind: "Deployment", namespace: ns, name: app },
        spec: {
            containers: [{ name: app, image: `example/${app}:1.0`, ports: [{ containerPort: 8080, protocol: "TCP" }] }],
        },
        nodeName,
        phase: nodeName ? "Running" : "Pending",
        podIP: ip,
        hostIP: nodeName ? "192.168.1.11" : null,
        ready: nodeName !== null,
        resolvConf: `search ${ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
        containerID: `cid-${name}`,
        ...opts,
    });
}
export function service(ns, name, opts = {}) {
    return serviceState(ns, name, { uid: `uid-svc-${name}`, ...opts });
}
export function slice(ns, svc, name, port, ips, portName) {
    return sliceState(ns, svc, name, [{ name: portName, port, protocol: "TCP" }], ips.map((ip) => ({ ip, node: "worker-1" })));
}
const H = 3600;
/** Seed 004's `kubectl get service`: kubernetes 40h old, users-service 17h, auth-service 2m4s. */
export function seed004State() {
    const clock = 40 * H;
    const services = [
        service("default", "auth-service", {
            selector: { app: "auth" },
            clusterIP: "10.109.214.64",
            ports: [{ protocol: "TCP", port: 80, targetPort: 80 }],
            created: clock - 124,
        }),
        service("default", "kubernetes", {
            clusterIP: "10.96.0.1",
            labels: { component: "apiserver", provider: "kubernetes" },
            ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: 6443 }],
            created: 0,
        }),
        service("default", "users-service", {
            type: "LoadBalancer",
            selector: { app: "users" },
            clusterIP: "10.109.194.160",
            ports: [{ protocol: "TCP", port: 8080, targetPort: 8080, nodePort: 31344 }],
            created: clock - 17 * H,
        }),
        service("kube-system", "kube-dns", {
            selector: { "k8s-app": "kube-dns" },
            clusterIP: "10.96.0.10",
            ports: [
                { name: "dns", protocol: "UDP", port: 53, targetPort: 53 },
                { name: "dns-tcp", protocol: "TCP", port: 53, targetPort: 53 },
                { name: "metrics", protocol: "TCP", port: 9153, targetPort: 9153 },
            ],
            created: 0,
        }),
    ];
    const pods = [
        pod("default", "auth-deployment-5c8b9d7f4-x2k9p", "10.244.1.5", "worker-1", { created: clock - 120 }),
        pod("default", "users-deployment-6d9f8b7c5-a1b2c", "10.244.1.6", "worker-1", { created: clock - 17 * H }),
        pod("default", "users-deployment-6d9f8b7c5-d3e4f", "10.244.2.3", "worker-2", {
            created: clock - 17 * H,
            hostIP: "192.168.1.12",
        }),
        pod("default", "users-deployment-6d9f8b7c5-g5h6i", null, null, { created: clock - 5, reason: "Unschedulable" }),
    ];
    return emptyState(fixtureConfig(), {
        seed: "podnet",
        clock,
        namespaces: [
            { name: "default", labels: {} },
            { name: "kube-system", labels: {} },
        ],
        nodes: [node("control-plane", 0, "control-plane"), node("worker-1", 1), node("worker-2", 2)],
        pods,
        services,
        endpointSlices: [
            slice("default", "auth-service", "auth-service-abcde", 80, ["10.244.1.5"]),
            slice("default", "kubernetes", "kubernetes", 6443, ["192.168.1.10"], "https"),
            slice("default", "users-service", "users-service-fghij", 8080, ["10.244.1.6", "10.244.2.3"]),
        ],
        events: [
            {
                type: "Normal",
                reason: "Scheduled",
                object: "pod/default/auth-deployment-5c8b9d7f4-x2k9p",
                message: "Successfully assigned default/auth-deployment-5c8b9d7f4-x2k9p to worker-1",
                time: clock - 120,
                source: "default-scheduler",
            },
        ],
    });
}
//# sourceMappingURL=testing.js.map
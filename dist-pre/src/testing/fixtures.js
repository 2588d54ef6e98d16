import { emptyState as controlEmptyState } from "../control/build.js";
import { defaultConfig } from "../manifest/config.js";
/** kind's defaults (pods 10.244.0.0/16, Services 10.96.0.0/12, nodes 192.168.1.0/24), no nodes, ipBlock not matching pods. */
export function testConfig(o = {}) {
    const d = defaultConfig();
    return {
        ...d,
        name: o.name ?? "test",
        nodes: [],
        networking: { ...d.networking, ipBlockMatchesPods: false, ...o.networking },
    };
}
/**
 * A ClusterState with nothing in it but `config` and the default namespace; `over` fills
 * in what a test needs. No `objects` / `replicaSets`: views then derive ReplicaSets from
 * the pods' owners, as they do for a state read from a dump.
 */
export function emptyState(config, over = {}) {
    const { objects: _objects, replicaSets: _replicaSets, ...bare } = controlEmptyState(config, "test");
    return { ...bare, namespaces: [{ name: "default", labels: {} }], ...over };
}
/** A worker node at 192.168.1.<10+index> with the pod range 10.244.<index>.0/24. */
export function nodeState(name, index, over = {}) {
    return {
        name,
        role: "worker",
        labels: { "kubernetes.io/hostname": name },
        taints: [],
        address: `192.168.1.${10 + index}`,
        podCIDR: `10.244.${index}.0/24`,
        blocks: [],
        maxPods: 110,
        index,
        ...over,
    };
}
/** A bare running pod (no node, no IP, no containers); `over` sets the rest. */
export function podState(namespace, name, over = {}) {
    return {
        namespace,
        name,
        uid: `uid-${namespace}-${name}`,
        labels: {},
        annotations: {},
        owner: null,
        workload: { kind: "Pod", namespace, name },
        spec: { containers: [] },
        nodeName: null,
        phase: "Running",
        podIP: null,
        hostIP: null,
        ready: true,
        terminating: false,
        created: 0,
        resolvConf: "",
        env: [],
        containerID: `cid-${namespace}-${name}`,
        ...over,
    };
}
/** A ClusterIP Service with kube-apiserver's defaults and no selector, IP or ports. */
export function serviceState(namespace, name, over = {}) {
    return {
        namespace,
        name,
        uid: `uid-${namespace}-${name}`,
        labels: {},
        type: "ClusterIP",
        selector: null,
        clusterIP: null,
        ports: [],
        externalIPs: [],
        loadBalancerIPs: [],
        sessionAffinity: "None",
        sessionAffinityTimeout: 10800,
        externalTrafficPolicy: "Cluster",
        internalTrafficPolicy: "Cluster",
        publishNotReadyAddresses: false,
        loadBalancerSourceRanges: [],
        created: 0,
        ...over,
    };
}
/** An endpoint as the EndpointSlice controller writes it (ready unless said otherwise). */
export function endpoint(e) {
    return {
        addresses: [e.ip],
        conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
        ...(e.hostname ? { hostname: e.hostname } : {}),
        ...(e.node ? { nodeName: e.node } : {}),
    };
}
/** A controller-managed IPv4 EndpointSlice. */
export function sliceState(namespace, serviceName, name, ports, eps) {
    return {
        namespace,
        name,
        serviceName,
        addressType: "IPv4",
        ports,
        endpoints: eps.map(endpoint),
        managedBy: "endpointslice-controller.k8s.io",
    };
}
//# sourceMappingURL=fixtures.js.map
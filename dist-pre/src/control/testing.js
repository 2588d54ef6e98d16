// Test helpers: a ClusterSpec from YAML text, with the defaults parseSpec applies
// (namespace "default", Service port protocol TCP, targetPort = port).
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../manifest/config.js";
export function objectsFromYaml(text, file = "test.yaml") {
    const out = [];
    parseAllDocuments(text).forEach((d, docIndex) => {
        const o = d.toJS();
        if (!o)
            return;
        o.metadata ??= { name: "" };
        if (o.kind !== "Namespace" && o.kind !== "Node")
            o.metadata.namespace ??= "default";
        if (o.kind === "Service" && o.spec?.ports)
            for (const p of o.spec.ports) {
                p.protocol ??= "TCP";
                p.targetPort ??= p.port;
            }
        const line = d.range ? text.slice(0, d.range[0]).split("\n").length : 1;
        out.push({ ...o, source: { file, docIndex, line } });
    });
    return out;
}
export function specFrom(configYaml, manifests) {
    const doc = typeof configYaml === "string" ? parseAllDocuments(configYaml)[0]?.toJS() : configYaml;
    return { config: parseConfig(doc ?? {}), objects: objectsFromYaml(manifests), warnings: [] };
}
import { buildState } from "./build.js";
/** The seeds' cluster: control-plane (tainted), worker-1 (zone a), worker-2 (zone b). */
export const THREE_NODES = {
    name: "demo",
    nodes: [
        { name: "control-plane", role: "control-plane" },
        { name: "worker-1", labels: { zone: "a" } },
        { name: "worker-2", labels: { zone: "b" } },
    ],
    networking: { loadBalancerSubnet: "192.168.1.240/28" },
};
export function cluster(manifests, config = THREE_NODES, seed) {
    return buildState(specFrom(config, manifests), seed === undefined ? {} : { seed });
}
export function podsOf(state, prefix, namespace = "default") {
    return state.pods.filter((p) => p.namespace === namespace && p.name.startsWith(prefix));
}
export function deployment(name, replicas, extra = {}) {
    const labels = JSON.stringify(extra.labels ?? { app: name });
    return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: ${labels}}
  template:
    metadata: {labels: ${labels}}
    spec:
${extra.spec ?? ""}
      containers:
        - name: ${name}
          image: example/${name}:1
          ports: ${extra.ports ?? "[{name: http, containerPort: 8080}]"}
---`;
}
/** A StatefulSet of nginx pods labelled app=<name>, governed by `serviceName` (default "nginx"). */
export function statefulSet(name, replicas, extra = {}) {
    const ports = extra.ports ? `, ports: ${extra.ports}` : "";
    return `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}}
spec:
  serviceName: ${extra.serviceName ?? "nginx"}
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: nginx, image: nginx${ports}}]}
---`;
}
//# sourceMappingURL=testing.js.map
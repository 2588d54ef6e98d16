// Test helpers: a ClusterSpec from YAML text, with the defaults parseSpec applies
// (namespace "default", Service port protocol TCP, targetPort = port).
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../manifest/config.js";
import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { KubeObject } from "../manifest/types.js";

export function objectsFromYaml(text: string, file = "test.yaml"): KubeObject[] {
  const out: KubeObject[] = [];
  parseAllDocuments(text).forEach((d, docIndex) => {
    const o = d.toJS() as KubeObject | null;
    if (!o) return;
    o.metadata ??= { name: "" };
    if (o.kind !== "Namespace" && o.kind !== "Node") o.metadata.namespace ??= "default";
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

export function specFrom(configYaml: string | object | undefined, manifests: string): ClusterSpec {
  const doc = typeof configYaml === "string" ? parseAllDocuments(configYaml)[0]?.toJS() : configYaml;
  return { config: parseConfig(doc ?? {}), objects: objectsFromYaml(manifests), warnings: [] };
}

import { buildState } from "./build.js";
import type { ClusterState, PodState } from "./state.js";

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

export function cluster(manifests: string, config: object = THREE_NODES, seed?: string): ClusterState {
  return buildState(specFrom(config, manifests), seed === undefined ? {} : { seed });
}

export function podsOf(state: ClusterState, prefix: string, namespace = "default"): PodState[] {
  return state.pods.filter((p) => p.namespace === namespace && p.name.startsWith(prefix));
}

export function deployment(
  name: string,
  replicas: number,
  extra: { labels?: Record<string, string>; spec?: string; ports?: string } = {},
): string {
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
export function statefulSet(
  name: string,
  replicas: number,
  extra: { serviceName?: string; ports?: string } = {},
): string {
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

/** A Deployment of two containers whose web container's readiness probe names `probePort`
 *  (its port is named web), and a Service to it (probes.test.ts, views/probes.test.ts). */
export const probeApp = (probePort: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{name: web, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /healthz, port: ${probePort}}}
        - name: log
          image: busybox
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: web}]
`;

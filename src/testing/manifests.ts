// YAML text that tests going through parseSpec or the command line share: a small cluster
// config and the web + client workloads of the cross-node tests. Folder kits (e.g.
// src/ingress/testing.ts `app`, `ingress`) hold their own shapes.

/**
 * A `kind: Cluster` config with a control-plane node and `workers` workers named
 * worker-1, worker-2 …; `networking` written as a flow mapping, `extra` appended as is.
 */
export function clusterYaml(
  name: string,
  o: { workers?: number; networking?: Record<string, string>; extra?: string } = {},
): string {
  const workers = Array.from({ length: o.workers ?? 2 }, (_, i) => `{name: worker-${i + 1}}`);
  const net = Object.entries(o.networking ?? {}).map(([k, v]) => `${k}: ${v}`);
  return `apiVersion: podnet.dev/v1alpha1
kind: Cluster
name: ${name}
nodes: [{name: control-plane, role: control-plane}, ${workers.join(", ")}]
${net.length ? `networking: {${net.join(", ")}}\n` : ""}${o.extra ?? ""}`;
}

/** The seeds' LAN and a MetalLB pool in it, for clusters with LoadBalancer Services. */
export const LB_NETWORKING = { nodeSubnet: "192.168.1.0/24", loadBalancerSubnet: "192.168.1.240/28" };

/**
 * Deployment web (2 nginx pods serving 8080, label app: web) and Pod client (curl, label
 * app: client), ending with `---`: the Services and policies follow.
 */
export const WEB_AND_CLIENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {app: client}}
spec:
  containers: [{name: c, image: curl}]
---
`;

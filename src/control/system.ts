// The objects every cluster has before the user applies anything: the four system
// namespaces, the `kubernetes` and `kube-dns` Services, CoreDNS, kube-proxy and the CNI's
// DaemonSet, shaped like kubeadm's and the CNI projects' manifests.
import type { ClusterConfig, CniName } from "../manifest/config.js";
import type { KubeObject } from "../manifest/types.js";
import { intToIp, parseCidr4 } from "../net/ipv4.js";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** The n-th address of the service range (1 → kubernetes, 10 → kube-dns). */
export function serviceRangeAddress(config: ClusterConfig, n: number): string {
  const c = parseCidr4(config.networking.serviceSubnet)!;
  return intToIp(c.first + n);
}

const TOLERATE_ALL = [{ operator: "Exists" }];

/** A CNI's node agent DaemonSet (namespace, name, labels, tolerations), from its manifest. */
const CNI_DAEMONSETS: Record<
  CniName,
  {
    namespace: string;
    name: string;
    labels: Record<string, string>;
    tolerations: unknown[];
    image: string;
    container: string;
  }
> = {
  // kube-flannel.yml: namespace kube-flannel, tolerations [{operator: Exists, effect: NoSchedule}]
  flannel: {
    namespace: "kube-flannel",
    name: "kube-flannel-ds",
    labels: { app: "flannel", "k8s-app": "flannel", tier: "node" },
    tolerations: [
      { operator: "Exists", effect: "NoSchedule" },
      { operator: "Exists", effect: "NoExecute" },
    ],
    image: "docker.io/flannel/flannel:v0.25.1",
    container: "kube-flannel",
  },
  // calico.yaml: tolerations NoSchedule/NoExecute Exists and CriticalAddonsOnly
  calico: {
    namespace: "kube-system",
    name: "calico-node",
    labels: { "k8s-app": "calico-node" },
    tolerations: [
      { effect: "NoSchedule", operator: "Exists" },
      { key: "CriticalAddonsOnly", operator: "Exists" },
      { effect: "NoExecute", operator: "Exists" },
    ],
    image: "docker.io/calico/node:v3.27.0",
    container: "calico-node",
  },
  cilium: {
    namespace: "kube-system",
    name: "cilium",
    labels: { "k8s-app": "cilium" },
    tolerations: TOLERATE_ALL,
    image: "quay.io/cilium/cilium:v1.15.0",
    container: "cilium-agent",
  },
};

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string | undefined,
  rest: Record<string, unknown>,
): KubeObject {
  const metadata: KubeObject["metadata"] = { name };
  if (namespace) metadata.namespace = namespace;
  if (rest.labels) metadata.labels = rest.labels as Record<string, string>;
  const o: KubeObject = { apiVersion, kind, metadata };
  for (const [k, v] of Object.entries(rest)) if (k !== "labels") o[k] = v;
  SYSTEM.add(o);
  return o;
}

// The objects systemObjects made (a WeakSet: marks without a field that would print).
const SYSTEM = new WeakSet<KubeObject>();

/** Whether podnet added this object itself (not the user's input). */
export function isSystemObject(o: KubeObject): boolean {
  return SYSTEM.has(o);
}

export function systemObjects(config: ClusterConfig): KubeObject[] {
  const cni = CNI_DAEMONSETS[config.networking.cni];
  const namespaces = [...SYSTEM_NAMESPACES];
  if (!namespaces.includes(cni.namespace)) namespaces.push(cni.namespace);
  const out: KubeObject[] = namespaces.map((n) =>
    obj("v1", "Namespace", n, undefined, { labels: { "kubernetes.io/metadata.name": n } }),
  );

  out.push(
    obj("v1", "Service", "kubernetes", "default", {
      labels: { component: "apiserver", provider: "kubernetes" },
      spec: {
        type: "ClusterIP",
        clusterIP: serviceRangeAddress(config, 1),
        ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: 6443 }],
        sessionAffinity: "None",
      },
    }),
  );
  const dnsLabels = { "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" };
  out.push(
    obj("v1", "Service", "kube-dns", "kube-system", {
      labels: dnsLabels,
      spec: {
        type: "ClusterIP",
        clusterIP: serviceRangeAddress(config, 10),
        selector: { "k8s-app": "kube-dns" },
        ports: [
          { name: "dns", protocol: "UDP", port: 53, targetPort: 53 },
          { name: "dns-tcp", protocol: "TCP", port: 53, targetPort: 53 },
          { name: "metrics", protocol: "TCP", port: 9153, targetPort: 9153 },
        ],
      },
    }),
  );
  // kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go).
  out.push(
    obj("apps/v1", "Deployment", "coredns", "kube-system", {
      labels: { "k8s-app": "kube-dns" },
      spec: {
        replicas: config.dns.replicas,
        selector: { matchLabels: { "k8s-app": "kube-dns" } },
        template: {
          metadata: { labels: { "k8s-app": "kube-dns" } },
          spec: {
            priorityClassName: "system-cluster-critical",
            serviceAccountName: "coredns",
            tolerations: [
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
            ],
            nodeSelector: { "kubernetes.io/os": "linux" },
            containers: [
              {
                name: "coredns",
                image: "registry.k8s.io/coredns/coredns:v1.11.1",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                  { name: "metrics", containerPort: 9153, protocol: "TCP" },
                ],
              },
            ],
            dnsPolicy: "Default",
          },
        },
      },
    }),
  );
  // kubeadm's kube-proxy DaemonSet: hostNetwork, tolerates everything.
  out.push(
    obj("apps/v1", "DaemonSet", "kube-proxy", "kube-system", {
      labels: { "k8s-app": "kube-proxy" },
      spec: {
        selector: { matchLabels: { "k8s-app": "kube-proxy" } },
        template: {
          metadata: { labels: { "k8s-app": "kube-proxy" } },
          spec: {
            hostNetwork: true,
            priorityClassName: "system-node-critical",
            tolerations: TOLERATE_ALL,
            nodeSelector: { "kubernetes.io/os": "linux" },
            containers: [
              {
                name: "kube-proxy",
                image: "registry.k8s.io/kube-proxy:v1.30.0",
                command: [
                  "/usr/local/bin/kube-proxy",
                  "--config=/var/lib/kube-proxy/config.conf",
                  "--hostname-override=$(NODE_NAME)",
                ],
              },
            ],
            dnsPolicy: "ClusterFirst",
          },
        },
      },
    }),
  );
  out.push(
    obj("apps/v1", "DaemonSet", cni.name, cni.namespace, {
      labels: cni.labels,
      spec: {
        selector: { matchLabels: cni.labels },
        template: {
          metadata: { labels: cni.labels },
          spec: {
            hostNetwork: true,
            priorityClassName: "system-node-critical",
            tolerations: cni.tolerations,
            nodeSelector: { "kubernetes.io/os": "linux" },
            containers: [{ name: cni.container, image: cni.image }],
          },
        },
      },
    }),
  );
  return out;
}

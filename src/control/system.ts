// The objects every cluster has before the user applies anything: the four system
// namespaces, the `kubernetes` and `kube-dns` Services, CoreDNS, kube-proxy and the CNI's
// DaemonSet, shaped like kubeadm's and the CNI projects' manifests; ingress-nginx when
// the input has Ingresses and no controller for them; podnet's Gateway controller when it
// has Gateways of podnet's class.
import { type ClusterConfig, type CniName, ingressSettings } from "../manifest/config.js";
import { hasCniAgent } from "../manifest/infer.js";
import { DEFAULT_CLASS_ANNOTATION, ingressClassOf } from "../manifest/ingress-class.js";
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
  if (rest.annotations) metadata.annotations = rest.annotations as Record<string, string>;
  const o: KubeObject = { apiVersion, kind, metadata };
  for (const [k, v] of Object.entries(rest)) if (k !== "labels" && k !== "annotations") o[k] = v;
  SYSTEM.add(o);
  return o;
}

const POD_OWNERS = new Set(["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"]);

/**
 * A k3s cluster's dump: its Nodes carry `providerID: k3s://…` or k3s's `k3s.io/…`
 * annotations. k3s runs kube-proxy and (by default) flannel inside its own process, not as
 * pods (https://docs.k3s.io/architecture, https://docs.k3s.io/networking/basic-network-options).
 */
function isK3s(input: readonly KubeObject[]): boolean {
  return input.some(
    (o) =>
      o.kind === "Node" &&
      ((typeof o.spec?.providerID === "string" && o.spec.providerID.startsWith("k3s://")) ||
        Object.keys(o.metadata?.annotations ?? {}).some((k) => k.startsWith("k3s.io/"))),
  );
}

/**
 * Whether the input has, in kube-system, pods (or a workload's template) whose labels pass
 * `test`, and not podnet's own workload `kind/name` (which then takes podnet's in place).
 */
function runsInKubeSystem(
  input: readonly KubeObject[],
  kind: string,
  name: string,
  test: (labels: Record<string, string>) => boolean,
): boolean {
  if (input.some((o) => o.kind === kind && o.metadata?.name === name && o.metadata.namespace === "kube-system"))
    return false;
  return input.some((o) => {
    if (o.metadata?.namespace !== "kube-system" || !POD_OWNERS.has(o.kind)) return false;
    const labels = o.kind === "Pod" ? o.metadata.labels : o.spec?.template?.metadata?.labels;
    return typeof labels === "object" && labels !== null && test(labels as Record<string, string>);
  });
}

/** Whether a kube-system pod (or pod template) labelled k8s-app=kube-dns declares the port. */
function dnsDeclares(input: readonly KubeObject[], port: number): boolean {
  return input.some((o) => {
    if (o.metadata?.namespace !== "kube-system" || !POD_OWNERS.has(o.kind)) return false;
    const meta = o.kind === "Pod" ? o.metadata : o.spec?.template?.metadata;
    const spec = o.kind === "Pod" ? o.spec : o.spec?.template?.spec;
    if (meta?.labels?.["k8s-app"] !== "kube-dns" || !Array.isArray(spec?.containers)) return false;
    return spec.containers.some(
      (c: { ports?: unknown }) =>
        Array.isArray(c?.ports) && c.ports.some((p: { containerPort?: unknown }) => p?.containerPort === port),
    );
  });
}

// The objects systemObjects made (a WeakSet: marks without a field that would print).
const SYSTEM = new WeakSet<KubeObject>();

/** Whether podnet added this object itself (not the user's input). */
export function isSystemObject(o: KubeObject): boolean {
  return SYSTEM.has(o);
}

/** The input's objects podnet's additions depend on (the Ingresses, a controller of its own). */
export function systemObjects(config: ClusterConfig, input: readonly KubeObject[] = []): KubeObject[] {
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
  // The input's own cluster DNS (GKE's kube-dns: dnsmasq, no metrics on 9153) gets the ports
  // its pods serve: CoreDNS's metrics port only where a container declares it.
  const ownDns = runsInKubeSystem(input, "Deployment", "coredns", (l) => l["k8s-app"] === "kube-dns");
  const metrics = !ownDns || dnsDeclares(input, 9153);
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
          ...(metrics ? [{ name: "metrics", protocol: "TCP", port: 9153, targetPort: 9153 }] : []),
        ],
      },
    }),
  );
  // kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go), unless
  // the input runs its own cluster DNS (GKE's kube-dns, a CoreDNS under another name).
  if (!ownDns)
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
  // kubeadm's kube-proxy DaemonSet: hostNetwork, tolerates everything; not when the input
  // runs kube-proxy otherwise (GKE's static pods, labelled component=kube-proxy; k3s), nor
  // when nothing runs it (kubeProxyMode none: Cilium's kube-proxy replacement, installed after
  // `kubeadm init --skip-phases=addon/kube-proxy`,
  // https://docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/).
  const k3s = isK3s(input);
  if (
    !k3s &&
    config.networking.kubeProxyMode !== "none" &&
    !runsInKubeSystem(
      input,
      "DaemonSet",
      "kube-proxy",
      (l) => l["k8s-app"] === "kube-proxy" || l.component === "kube-proxy",
    )
  )
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
  // The CNI's agent, unless the input has it under another name (GKE's anetd is Cilium).
  const ownAgent = input.some(
    (o) => o.kind === "DaemonSet" && o.metadata?.name === cni.name && o.metadata.namespace === cni.namespace,
  );
  const embeddedFlannel = k3s && config.networking.cni === "flannel";
  if (!embeddedFlannel && (ownAgent || !hasCniAgent(input as KubeObject[], config.networking.cni)))
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
  if (needsIngressController(config, input)) out.push(...ingressNginxObjects(config));
  out.push(...gatewayObjects(config, input));
  return out;
}

/** ingress-nginx's names (deploy/static/provider/{cloud,baremetal}/deploy.yaml). */
export const INGRESS_NGINX = {
  namespace: "ingress-nginx",
  name: "ingress-nginx-controller",
  /** The IngressClass's spec.controller (the controller's --controller-class). */
  controller: "k8s.io/ingress-nginx",
  /** The IngressClass's name (the controller's --ingress-class). */
  className: "nginx",
} as const;

/**
 * Ingresses that ingress-nginx would serve and nothing to serve them: no IngressClass of
 * ingress-nginx's controller (every install makes one) and no object in its namespace. An
 * Ingress of another class (`alb`, `gce`, `traefik` …) is another controller's, which podnet
 * does not add: a cluster that has one shows it serves them. The config can turn it off.
 */
function needsIngressController(config: ClusterConfig, input: readonly KubeObject[]): boolean {
  if (!ingressSettings(config).controller) return false;
  const ingresses: KubeObject[] = [];
  const classes: KubeObject[] = [];
  for (const o of input) {
    if (o.kind === "Ingress") ingresses.push(o);
    else if (o.kind === "IngressClass" && o.spec?.controller === INGRESS_NGINX.controller) return false;
    else if (o.metadata.namespace === INGRESS_NGINX.namespace) return false;
    if (o.kind === "IngressClass") classes.push(o);
  }
  // The class each would have beside the one podnet's install adds, marked default (an
  // Ingress without a class gets it, unless the input has a default of its own).
  classes.push({
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: INGRESS_NGINX.className, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
    spec: { controller: INGRESS_NGINX.controller },
  });
  return ingresses.some((ing) => ingressClassOf(ing, classes).name === INGRESS_NGINX.className);
}

/**
 * ingress-nginx as its static manifests install it (kubernetes/ingress-nginx
 * deploy/static/provider/cloud/deploy.yaml; baremetal/ has the NodePort Service): the
 * namespace, the controller Deployment, its Service and the IngressClass `nginx`, marked
 * default as the issue asks (the Helm chart's controller.ingressClassResource.default).
 */
function ingressNginxObjects(config: ClusterConfig): KubeObject[] {
  const { namespace, name, controller, className } = INGRESS_NGINX;
  const selector = {
    "app.kubernetes.io/component": "controller",
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/name": "ingress-nginx",
  };
  const version = "1.11.3";
  const labels = { ...selector, "app.kubernetes.io/part-of": "ingress-nginx", "app.kubernetes.io/version": version };
  const serviceType = ingressSettings(config).serviceType;
  const nsLabels = {
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/name": "ingress-nginx",
    "kubernetes.io/metadata.name": namespace,
  };
  return [
    obj("v1", "Namespace", namespace, undefined, { labels: nsLabels }),
    obj("v1", "Service", name, namespace, {
      labels,
      spec: {
        type: serviceType,
        // cloud/deploy.yaml: Local keeps the client's address for X-Forwarded-For.
        ...(serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local" } : {}),
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
        selector,
        ports: [
          { appProtocol: "http", name: "http", port: 80, protocol: "TCP", targetPort: "http" },
          { appProtocol: "https", name: "https", port: 443, protocol: "TCP", targetPort: "https" },
        ],
      },
    }),
    obj("apps/v1", "Deployment", name, namespace, {
      labels,
      spec: {
        replicas: 1,
        minReadySeconds: 0,
        revisionHistoryLimit: 10,
        selector: { matchLabels: selector },
        strategy: { rollingUpdate: { maxUnavailable: 1 }, type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "controller",
                image: `registry.k8s.io/ingress-nginx/controller:v${version}`,
                args: [
                  "/nginx-ingress-controller",
                  `--publish-service=$(POD_NAMESPACE)/${name}`,
                  "--election-id=ingress-nginx-leader",
                  `--controller-class=${controller}`,
                  `--ingress-class=${className}`,
                  `--configmap=$(POD_NAMESPACE)/${name}`,
                ],
                ports: [
                  { containerPort: 80, name: "http", protocol: "TCP" },
                  { containerPort: 443, name: "https", protocol: "TCP" },
                  { containerPort: 8443, name: "webhook", protocol: "TCP" },
                ],
              },
            ],
            dnsPolicy: "ClusterFirst",
            nodeSelector: { "kubernetes.io/os": "linux" },
            serviceAccountName: "ingress-nginx",
            terminationGracePeriodSeconds: 300,
          },
        },
      },
    }),
    obj("networking.k8s.io/v1", "IngressClass", className, undefined, {
      labels,
      annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" },
      spec: { controller },
    }),
  ];
}

/**
 * podnet's own Gateway API controller (issue 18 §4): the controller of every GatewayClass
 * whose spec.controllerName is `podnet.dev/gateway`. One Deployment and one Service in its
 * namespace serve the listeners of all its Gateways (as a "merged gateways" deployment of
 * Envoy Gateway does); src/ingress/gateway.ts holds its routing.
 */
export const PODNET_GATEWAY = {
  controllerName: "podnet.dev/gateway",
  namespace: "podnet-gateway",
  name: "podnet-gateway",
} as const;

const GATEWAY_API = "gateway.networking.k8s.io/v1";

/**
 * A Gateway whose class is not in the input gets that class, with podnet as its controller
 * (the router warns about it); Gateways of podnet's classes and no object in podnet's
 * gateway namespace get the controller. `ingress: {controller: false}` turns both off.
 */
function gatewayObjects(config: ClusterConfig, input: readonly KubeObject[]): KubeObject[] {
  if (!ingressSettings(config).controller) return [];
  const gateways = input.filter((o) => o.kind === "Gateway");
  if (gateways.length === 0) return [];
  const out: KubeObject[] = [];
  const classes = new Map<string, KubeObject>();
  for (const o of input) if (o.kind === "GatewayClass") classes.set(o.metadata.name, o);
  for (const g of gateways) {
    const name = g.spec?.gatewayClassName;
    if (typeof name !== "string" || name === "" || classes.has(name)) continue;
    const c = obj(GATEWAY_API, "GatewayClass", name, undefined, {
      spec: { controllerName: PODNET_GATEWAY.controllerName },
    });
    classes.set(name, c);
    out.push(c);
  }
  if (input.some((o) => o.metadata.namespace === PODNET_GATEWAY.namespace)) return out;
  const ours = gateways.filter(
    (g) => classes.get(g.spec?.gatewayClassName)?.spec?.controllerName === PODNET_GATEWAY.controllerName,
  );
  // One port per distinct listener port; its name from the first listener's protocol.
  const ports = new Map<number, string>();
  for (const g of ours)
    for (const l of Array.isArray(g.spec?.listeners) ? g.spec.listeners : [])
      if (Number.isInteger(l?.port) && l.port >= 1 && l.port <= 65535 && !ports.has(l.port))
        ports.set(
          l.port,
          `${
            String(l?.protocol ?? "tcp")
              .toLowerCase()
              .replace(/[^a-z0-9]/g, "")
              .slice(0, 8) || "tcp"
          }-${l.port}`,
        );
  if (ports.size === 0) return out;
  const sorted = [...ports].sort((a, b) => a[0] - b[0]);
  const { namespace, name } = PODNET_GATEWAY;
  const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "proxy" };
  const serviceType = ingressSettings(config).serviceType;
  out.push(
    obj("v1", "Namespace", namespace, undefined, { labels: { "kubernetes.io/metadata.name": namespace } }),
    obj("v1", "Service", name, namespace, {
      labels: selector,
      spec: {
        type: serviceType,
        ...(serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local" } : {}),
        selector,
        ports: sorted.map(([port, n]) => ({ name: n, port, protocol: "TCP", targetPort: port })),
      },
    }),
    obj("apps/v1", "Deployment", name, namespace, {
      labels: selector,
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: {
            containers: [
              {
                name: "proxy",
                image: "podnet.dev/gateway-proxy:1",
                ports: sorted.map(([port, n]) => ({ name: n, containerPort: port, protocol: "TCP" })),
              },
            ],
          },
        },
      },
    }),
  );
  return out;
}

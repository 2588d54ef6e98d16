// The objects of a `kubectl get -A -o yaml` dump as the API server returns them, made from
// buildState's result for bench/snapshot.ts: uid, resourceVersion, creationTimestamp; status
// blocks; ownerReferences with uids; last-applied-configuration on what a user applied;
// managedFields (FieldsV1) unless PODNET_BENCH_MANAGED_FIELDS=0.
import { uidFor } from "../src/control/hash.js";
import type { ClusterState, PodState, ServiceState } from "../src/control/state.js";
import type { KubeObject } from "../src/manifest/types.js";
import { type Json, sortedJson } from "./snapshot-yaml.js";

export const EPOCH = Date.parse("2025-06-02T08:14:00Z");
export const ts = (seconds: number) =>
  new Date(EPOCH + Math.round(seconds) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
export const MANAGED = process.env.PODNET_BENCH_MANAGED_FIELDS !== "0";
let rv = 1000;
export const nextRV = () => String((rv += 3));

function withoutSource(o: KubeObject): Record<string, unknown> {
  const { source: _s, ...rest } = o;
  const { annotations, ...md } = o.metadata;
  return { ...rest, metadata: { ...md, annotations: { ...(annotations ?? {}) } } };
}

export function lastApplied(o: KubeObject): Record<string, string> {
  return { "kubectl.kubernetes.io/last-applied-configuration": `${sortedJson(withoutSource(o))}\n` };
}

/** managedFields entries shaped like the API server's (FieldsV1). */
function managed(entries: [manager: string, time: string, fields: Json, subresource?: string][]): Json {
  return entries.map(([manager, time, fieldsV1, subresource]) => ({
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    fieldsV1,
    manager,
    operation: "Update",
    ...(subresource ? { subresource } : {}),
    time,
  }));
}

function fieldSet(keys: string[]): { [k: string]: Json } {
  const o: { [k: string]: Json } = { ".": {} };
  for (const k of keys) o[`f:${k}`] = {};
  return o;
}

const CONDITION_TYPES = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
const API_ACCESS: Json = {
  defaultMode: 420,
  sources: [
    { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
    { configMap: { items: [{ key: "ca.crt", path: "ca.crt" }], name: "kube-root-ca.crt" } },
    {
      downwardAPI: { items: [{ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" }, path: "namespace" }] },
    },
  ],
};

function ownerKindApi(kind: string): string {
  return kind === "Job" ? "batch/v1" : "apps/v1";
}

export function podItem(p: PodState): { [k: string]: Json } {
  const created = ts(p.created);
  const started = ts(p.created + 5);
  const tokenVolume = `kube-api-access-${p.uid.slice(0, 5)}`;
  const podSpec = p.spec as { serviceAccountName?: string; priorityClassName?: string };
  const sa = podSpec.serviceAccountName ?? "default";
  const containers = (p.spec.containers ?? []).map((c) => ({
    ...(JSON.parse(JSON.stringify(c)) as { [k: string]: Json }),
    name: c.name,
    image: c.image ?? "registry.example/app:1",
    imagePullPolicy: "IfNotPresent",
    ports: (c.ports ?? []).map((pt) => ({ ...pt, protocol: pt.protocol ?? "TCP" })) as Json,
    resources: {},
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    volumeMounts: [{ mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", name: tokenVolume, readOnly: true }],
  }));
  for (const c of containers) if ((c.ports as Json[]).length === 0) delete (c as { ports?: Json }).ports;
  const ownerRefs: Json = p.owner
    ? [
        {
          apiVersion: ownerKindApi(p.owner.kind),
          blockOwnerDeletion: true,
          controller: true,
          kind: p.owner.kind,
          name: p.owner.name,
          uid: uidFor(`${p.owner.kind}/${p.namespace}/${p.owner.name}`),
        },
      ]
    : [];
  const metadata: { [k: string]: Json } = {
    creationTimestamp: created,
    labels: p.labels,
    name: p.name,
    namespace: p.namespace,
    resourceVersion: nextRV(),
    uid: p.uid,
  };
  if (Object.keys(p.annotations).length) metadata.annotations = p.annotations;
  if (p.owner) {
    metadata.ownerReferences = ownerRefs;
    metadata.generateName =
      p.owner.kind === "StatefulSet" ? `${p.owner.name}-` : p.name.slice(0, p.name.lastIndexOf("-") + 1);
  }
  if (MANAGED)
    metadata.managedFields = managed([
      [
        "kube-controller-manager",
        created,
        {
          "f:metadata": {
            "f:generateName": {},
            "f:labels": fieldSet(Object.keys(p.labels)),
            ...(p.owner
              ? {
                  "f:ownerReferences": {
                    ".": {},
                    [`k:{"uid":"${uidFor(`${p.owner.kind}/${p.namespace}/${p.owner.name}`)}"}`]: {},
                  },
                }
              : {}),
          },
          "f:spec": {
            "f:containers": Object.fromEntries(
              containers.map((c) => [
                `k:{"name":"${c.name}"}`,
                fieldSet(["image", "imagePullPolicy", "name", "resources"]),
              ]),
            ),
            "f:dnsPolicy": {},
            "f:enableServiceLinks": {},
            "f:restartPolicy": {},
            "f:schedulerName": {},
            "f:securityContext": {},
            "f:terminationGracePeriodSeconds": {},
          },
        },
      ],
      [
        "kubelet",
        started,
        {
          "f:status": {
            "f:conditions": Object.fromEntries(
              CONDITION_TYPES.map((t) => [
                `k:{"type":"${t}"}`,
                fieldSet(["lastProbeTime", "lastTransitionTime", "status", "type"]),
              ]),
            ),
            "f:containerStatuses": {},
            "f:hostIP": {},
            "f:hostIPs": {},
            "f:phase": {},
            "f:podIP": {},
            "f:podIPs": { ".": {}, [`k:{"ip":"${p.podIP}"}`]: fieldSet(["ip"]) },
            "f:startTime": {},
          },
        },
        "status",
      ],
    ]);
  const spec: { [k: string]: Json } = {
    ...(JSON.parse(JSON.stringify(p.spec)) as { [k: string]: Json }),
    containers,
    dnsPolicy: p.spec.dnsPolicy ?? "ClusterFirst",
    enableServiceLinks: true,
    preemptionPolicy: "PreemptLowerPriority",
    priority:
      podSpec.priorityClassName === "system-node-critical" ? 2000001000 : podSpec.priorityClassName ? 2000000000 : 0,
    restartPolicy: "Always",
    schedulerName: "default-scheduler",
    securityContext: {},
    serviceAccount: sa,
    serviceAccountName: sa,
    terminationGracePeriodSeconds: 30,
    tolerations: [
      ...((p.spec.tolerations as Json[]) ?? []),
      { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 },
      { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 300 },
    ],
    volumes: [{ name: tokenVolume, projected: API_ACCESS }],
  };
  if (p.nodeName) spec.nodeName = p.nodeName;
  const status: { [k: string]: Json } = { phase: p.phase, qosClass: "BestEffort" };
  if (p.phase === "Running" && p.podIP && p.hostIP) {
    status.conditions = CONDITION_TYPES.map((type) => ({
      lastProbeTime: null,
      lastTransitionTime: type === "PodScheduled" || type === "Initialized" ? created : started,
      status: "True",
      type,
    }));
    status.containerStatuses = containers.map((c, i) => ({
      containerID: `containerd://${uidFor(`${p.uid}/${i}`).replace(/-/g, "")}${p.uid.replace(/-/g, "")}`,
      image: String(c.image).includes("/") ? c.image : `docker.io/library/${c.image}`,
      imageID: `${String(c.image).split(":")[0]}@sha256:${uidFor(String(c.image)).replace(/-/g, "")}${uidFor(`${c.image}/2`).replace(/-/g, "")}`,
      lastState: {},
      name: c.name,
      ready: p.ready,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: started } },
    }));
    status.hostIP = p.hostIP;
    status.hostIPs = [{ ip: p.hostIP }];
    status.podIP = p.podIP;
    status.podIPs = [{ ip: p.podIP }];
    status.startTime = created;
  } else {
    status.conditions = [
      {
        lastProbeTime: null,
        lastTransitionTime: created,
        message: p.message ?? "0/1 nodes are available",
        reason: "Unschedulable",
        status: "False",
        type: "PodScheduled",
      },
    ];
  }
  return { apiVersion: "v1", kind: "Pod", metadata, spec, status };
}

export function nodeItem(n: ClusterState["nodes"][number]): { [k: string]: Json } {
  const created = ts(n.role === "control-plane" ? 0 : 20 + n.index / 100);
  const heartbeat = ts(3600);
  const cond = (type: string, status: string, reason: string, message: string) => ({
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: created,
    message,
    reason,
    status,
    type,
  });
  const resources = {
    cpu: "8",
    "ephemeral-storage": "263112772Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    memory: "32827948Ki",
    pods: String(n.maxPods),
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      annotations: {
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
      creationTimestamp: created,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        ...n.labels,
      },
      name: n.name,
      resourceVersion: nextRV(),
      uid: uidFor(`Node/${n.name}`),
    },
    spec: {
      podCIDR: n.podCIDR,
      podCIDRs: [n.podCIDR],
      ...(n.taints.length ? { taints: n.taints as Json } : {}),
    },
    status: {
      addresses: [
        { address: n.address, type: "InternalIP" },
        { address: n.name, type: "Hostname" },
      ],
      allocatable: resources,
      capacity: resources,
      conditions: [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: "amd64",
        bootID: uidFor(`boot/${n.name}`),
        containerRuntimeVersion: "containerd://1.7.13",
        kernelVersion: "6.1.0-18-amd64",
        kubeProxyVersion: "v1.29.2",
        kubeletVersion: "v1.29.2",
        machineID: uidFor(`machine/${n.name}`).replace(/-/g, ""),
        operatingSystem: "linux",
        osImage: "Debian GNU/Linux 12 (bookworm)",
        systemUUID: uidFor(`system/${n.name}`),
      },
    },
  };
}

export function serviceItem(s: ServiceState, given: KubeObject | undefined, system: boolean): { [k: string]: Json } {
  const created = ts(s.created);
  const spec: { [k: string]: Json } = {
    internalTrafficPolicy: s.internalTrafficPolicy,
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    ports: s.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      ...(p.nodePort ? { nodePort: p.nodePort } : {}),
      port: p.port,
      protocol: p.protocol,
      targetPort: p.targetPort,
    })),
    sessionAffinity: s.sessionAffinity,
    type: s.type,
  };
  if (s.clusterIP) {
    spec.clusterIP = s.clusterIP;
    spec.clusterIPs = [s.clusterIP];
  }
  if (s.selector) spec.selector = s.selector;
  if (s.type === "NodePort" || s.type === "LoadBalancer") spec.externalTrafficPolicy = s.externalTrafficPolicy;
  if (s.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts = true;
  const metadata: { [k: string]: Json } = {
    creationTimestamp: created,
    name: s.name,
    namespace: s.namespace,
    resourceVersion: nextRV(),
    uid: s.uid,
  };
  if (Object.keys(s.labels).length) metadata.labels = s.labels;
  if (given && !system) {
    metadata.annotations = lastApplied(given);
    if (MANAGED)
      metadata.managedFields = managed([
        [
          "kubectl-client-side-apply",
          created,
          {
            "f:metadata": { "f:annotations": fieldSet(["kubectl.kubernetes.io/last-applied-configuration"]) },
            "f:spec": {
              "f:internalTrafficPolicy": {},
              "f:ports": {
                ".": {},
                ...Object.fromEntries(
                  s.ports.map((p) => [
                    `k:{"port":${p.port},"protocol":"${p.protocol}"}`,
                    fieldSet(["name", "port", "protocol", "targetPort"]),
                  ]),
                ),
              },
              "f:selector": {},
              "f:sessionAffinity": {},
              "f:type": {},
            },
          },
        ],
      ]);
  }
  const lb = s.loadBalancerIPs.map((ip) => ({ ip, ipMode: "VIP" }));
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec,
    status: { loadBalancer: lb.length ? { ingress: lb } : {} },
  };
}

export function sliceItem(
  e: ClusterState["endpointSlices"][number],
  svcUid: string | undefined,
): { [k: string]: Json } {
  const metadata: { [k: string]: Json } = {
    creationTimestamp: ts(10),
    generation: 1,
    labels: {
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      "kubernetes.io/service-name": e.serviceName,
    },
    name: e.name,
    namespace: e.namespace,
    resourceVersion: nextRV(),
    uid: uidFor(`EndpointSlice/${e.namespace}/${e.name}`),
  };
  if (e.name !== e.serviceName) {
    metadata.generateName = `${e.serviceName}-`;
    if (svcUid)
      metadata.ownerReferences = [
        {
          apiVersion: "v1",
          blockOwnerDeletion: true,
          controller: true,
          kind: "Service",
          name: e.serviceName,
          uid: svcUid,
        },
      ];
  }
  return {
    addressType: e.addressType,
    apiVersion: "discovery.k8s.io/v1",
    endpoints: JSON.parse(JSON.stringify(e.endpoints)) as Json,
    kind: "EndpointSlice",
    metadata,
    ports: JSON.parse(JSON.stringify(e.ports)) as Json,
  };
}

export function controllerItem(
  o: KubeObject,
  applied: boolean,
  status: { [k: string]: Json },
  extra: { [k: string]: Json } = {},
) {
  const ns = o.metadata.namespace ?? "default";
  const created = ts(o.kind === "ReplicaSet" ? 2 : 1);
  const metadata: { [k: string]: Json } = {
    ...(JSON.parse(JSON.stringify(o.metadata)) as { [k: string]: Json }),
    creationTimestamp: created,
    generation: 1,
    namespace: ns,
    resourceVersion: nextRV(),
    uid: uidFor(`${o.kind}/${ns}/${o.metadata.name}`),
    ...extra,
  };
  const annotations: { [k: string]: Json } = { ...((o.metadata.annotations as { [k: string]: Json }) ?? {}) };
  if (o.kind === "Deployment" || o.kind === "ReplicaSet") annotations["deployment.kubernetes.io/revision"] = "1";
  if (o.kind === "DaemonSet") annotations["deprecated.daemonset.template.generation"] = "1";
  if (applied) Object.assign(annotations, lastApplied(o));
  metadata.annotations = annotations;
  if (applied && MANAGED)
    metadata.managedFields = managed([
      [
        "kubectl-client-side-apply",
        created,
        {
          "f:metadata": { "f:annotations": fieldSet(["kubectl.kubernetes.io/last-applied-configuration"]) },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": { "f:metadata": { "f:labels": {} }, "f:spec": {} },
          },
        },
      ],
      ["kube-controller-manager", ts(20), { "f:status": fieldSet(Object.keys(status)) }, "status"],
    ]);
  const spec = JSON.parse(JSON.stringify(o.spec ?? {})) as { [k: string]: Json };
  const template = spec.template as { [k: string]: { [k: string]: Json } } | undefined;
  if (template?.metadata) template.metadata.creationTimestamp = null;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec, status };
}

export function configMaps(state: ClusterState): { [k: string]: Json }[] {
  const net = state.config.networking;
  const cm = (ns: string, name: string, data: { [k: string]: string }) => ({
    apiVersion: "v1",
    data,
    kind: "ConfigMap",
    metadata: {
      creationTimestamp: ts(1),
      name,
      namespace: ns,
      resourceVersion: nextRV(),
      uid: uidFor(`ConfigMap/${ns}/${name}`),
    },
  });
  const out = [
    cm("kube-system", "coredns", {
      Corefile: `.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes ${net.dnsDomain} in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n`,
    }),
    cm("kube-system", "kube-proxy", {
      "config.conf": `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: ${net.podSubnet}\nkind: KubeProxyConfiguration\nmode: ${net.kubeProxyMode}`,
    }),
  ];
  if (net.cni === "flannel")
    out.push(
      cm("kube-flannel", "kube-flannel-cfg", {
        "net-conf.json": `{\n  "Network": "${net.podSubnet}",\n  "Backend": {\n    "Type": "${net.backend ?? "vxlan"}"\n  }\n}\n`,
      }),
    );
  for (const ns of state.namespaces)
    out.push(
      cm(ns.name, "kube-root-ca.crt", {
        "ca.crt":
          "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIQ0VSVElGSUNBVEUwDQYJKoZIhvcNAQELBQAwFTETMBEG\n-----END CERTIFICATE-----\n",
      }),
    );
  return out;
}

export const byNsName = (a: { namespace?: string; name: string }, b: { namespace?: string; name: string }) =>
  (a.namespace ?? "") < (b.namespace ?? "")
    ? -1
    : (a.namespace ?? "") > (b.namespace ?? "")
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;
export const metaKey = (o: KubeObject) => ({ namespace: o.metadata.namespace ?? "default", name: o.metadata.name });

/** A NetworkPolicy as `kubectl get networkpolicies -o yaml` prints one applied with kubectl (no status). */
export function policyItem(o: KubeObject) {
  const ns = o.metadata.namespace ?? "default";
  const created = ts(3);
  const metadata: { [k: string]: Json } = {
    annotations: lastApplied(o),
    creationTimestamp: created,
    generation: 1,
    name: o.metadata.name,
    namespace: ns,
    resourceVersion: nextRV(),
    uid: uidFor(`NetworkPolicy/${ns}/${o.metadata.name}`),
  };
  if (MANAGED)
    metadata.managedFields = managed([
      [
        "kubectl-client-side-apply",
        created,
        {
          "f:metadata": { "f:annotations": fieldSet(["kubectl.kubernetes.io/last-applied-configuration"]) },
          "f:spec": fieldSet(Object.keys(o.spec ?? {})),
        },
      ],
    ]);
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata,
    spec: JSON.parse(JSON.stringify(o.spec ?? {})) as { [k: string]: Json },
  };
}

// Snapshot benchmark (issue 15 §6): the threshold cluster (5,000 nodes, 150,000 pods, 10,000
// Services) written the way
//   kubectl get nodes,namespaces,pods,services,endpointslices,networkpolicies,ingresses,
//     deployments,replicasets,statefulsets,daemonsets,jobs,configmaps -A -o yaml
// writes it, then loaded through podnet's loader (loadCluster, the path every `-f` takes).
// Target: loading ≤ 10 s wall, ≤ 4 GB peak RSS.
//
//   npm run bench -- snapshot                          (full scale)
//   node --max-old-space-size=8192 dist/bench/snapshot.js [nodes] [pods] [services] [--json]
//   node --max-old-space-size=16384 dist/bench/snapshot.js load FILE   (load an existing dump)
//   node dist/bench/snapshot.js fingerprint FILE   (hashes of the objects read and the state
//     built: a change to the loader must print the same as main's build, e.g. dist-base/)
//
// The dump is made from buildState's result, so names, IPs, node placement and endpoints are
// those of a cluster podnet computes, and it is shaped like kubectl's output (kubectl
// pkg/cmd/get/get.go; sigs.k8s.io/yaml over go-yaml v2):
// - one `apiVersion: v1, kind: List, metadata: {resourceVersion: ""}` holding every item,
//   kinds in the order requested, each kind in the API server's order (namespace, name);
// - keys sorted, sequences not indented under their key, strings that would read as another
//   type double-quoted, multi-line strings as literal blocks;
// - every object with uid, resourceVersion, creationTimestamp; status blocks (pods Running
//   with podIP(s), hostIP(s), conditions, containerStatuses; nodes with addresses, capacity,
//   conditions, nodeInfo; Deployments/ReplicaSets/DaemonSets with replica counts);
//   ownerReferences with uids (pod → ReplicaSet → Deployment, pod → DaemonSet, EndpointSlice
//   → Service); `kubectl.kubernetes.io/last-applied-configuration` on what a user applied;
//   managedFields (kubectl ≥ 1.21 prints them only with --show-managed-fields: set
//   PODNET_BENCH_MANAGED_FIELDS=0 for the default output).
//
// The load runs in a child process so that the generator's memory does not count in its peak
// RSS. The file goes to the OS temp directory and is removed afterwards unless
// PODNET_BENCH_KEEP=1.
//
// Figures (2 cores, 23 GB, shared with other builds; examples/snapshots/README.md says more).
// Session 11 (load average 13-36 on 2 cores: wall times say nothing): the threshold YAML with
// managedFields, `load FILE` alternated with main's build, three runs each: CPU 40.9-52.0 s,
// median 44.0 (main 50.9-56.5, median 51.5); peak RSS 1,736-1,790 MB (main 1,803-2,057).
// What went: the depth walk over every item (the fast reader bails past 64 levels itself),
// spreads, arrays and Sets made per observed pod, a second sha256 per pod (its container ID),
// the taken-names set when no name is generated, a regex per managedFields cut, a second scan
// per plain scalar. Still over the target: ~44 s of CPU; a full-scale profile before these:
// the collector ~28 % (scavenges), the item reader ~28 %, buildState ~24 %, depth walk ~4 %.
// Session 10 (load average 16-37 on 2 cores, so wall times say little): the threshold
// cluster as YAML with managedFields (1,002 MB), `load FILE` alternated with main's build,
// two runs each: peak RSS 1,885-1,894 MB (main 2,070-2,170), 46.5-50.3 s of CPU (main
// 48.5-51.2), wall 163-167 s (main 155-194). A tenth: the reader's parse alone, alternated
// in one process, 0.90x main's CPU. Earlier: 2.15 GB / 44-45 s of CPU (before reading in
// pieces: 4.0-4.1 GB, 62 s); JSON with managedFields (2,264 MB): 1.68-1.69 GB, 33-37 s of
// CPU. Over the 10 s target: ~47 s of CPU. A profile of a tenth (--cpu-prof, --trace-gc):
// the collector's scavenges ~28 % (what is read stays: each object is copied on its way to
// the old generation), the item reader ~30 %, buildState ~30 %, validation ~4 %, the line
// reader ~3 %. V8 heap flags do not help: --max-semi-space-size=64 takes 10 % more CPU and
// 80 MB more RSS on a tenth (128: more still), --single-threaded-gc is within noise, and
// allocation-site pretenuring on or off (the launcher turns it off) is within noise.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildState } from "../src/control/build.js";
import { uidFor } from "../src/control/hash.js";
import type { ClusterState, PodState, ServiceState } from "../src/control/state.js";
import { loadCluster } from "../src/load/cluster.js";
import type { KubeObject } from "../src/manifest/types.js";
import { thresholdCluster, type ThresholdOptions } from "./control.js";

// ---------------------------------------------------------------------------------------
// YAML as kubectl prints it.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// go-yaml v2 (YAML 1.1) resolves these as non-strings: such strings are double-quoted.
const BOOL_NULL =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|)$/;
const NUMBER =
  /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|0b[01_]+|0x[0-9a-fA-F_]+|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:$|[Tt ])/;
// What a plain scalar may look like (otherwise go-yaml's emitter falls back to single quotes).
const PLAIN = /^(?:[A-Za-z0-9_./$(]|-(?=\S))[^\n#'"`{}[\]|>&*!%@]*$/;

function scalar(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = v as string;
  if (BOOL_NULL.test(s) || NUMBER.test(s) || TIMESTAMP.test(s)) return JSON.stringify(s);
  if (PLAIN.test(s) && !s.includes(": ") && !s.endsWith(":") && !s.endsWith(" ")) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

function isMap(v: Json): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function entry(pre: string, key: string, v: Json, ind: string, out: string[]): void {
  const k = scalar(key);
  if (isMap(v)) {
    if (Object.keys(v).length === 0) out.push(`${pre}${k}: {}\n`);
    else {
      out.push(`${pre}${k}:\n`);
      map(v, `${ind}  `, out);
    }
  } else if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${pre}${k}: []\n`);
    else {
      out.push(`${pre}${k}:\n`);
      seq(v, ind, out);
    }
  } else if (typeof v === "string" && v.includes("\n")) {
    const body = v.endsWith("\n") ? v.slice(0, -1) : v;
    out.push(`${pre}${k}: |${v.endsWith("\n") ? "" : "-"}\n`);
    for (const line of body.split("\n")) out.push(line ? `${ind}  ${line}\n` : "\n");
  } else out.push(`${pre}${k}: ${scalar(v)}\n`);
}

function map(o: { [k: string]: Json }, ind: string, out: string[], first?: string): void {
  const keys = Object.keys(o).sort();
  for (let i = 0; i < keys.length; i++)
    entry(i === 0 && first !== undefined ? first : ind, keys[i], o[keys[i]], ind, out);
}

function seq(a: Json[], ind: string, out: string[]): void {
  for (const v of a) {
    if (isMap(v) && Object.keys(v).length > 0) map(v, `${ind}  `, out, `${ind}- `);
    else if (isMap(v)) out.push(`${ind}- {}\n`);
    else if (Array.isArray(v)) out.push(`${ind}- ${JSON.stringify(v)}\n`);
    else out.push(`${ind}- ${scalar(v)}\n`);
  }
}

/** One item of the List, as kubectl prints it under `items:`. */
export function itemYaml(o: { [k: string]: Json }): string {
  const out: string[] = [];
  map(o, "  ", out, "- ");
  return out.join("");
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isMap(v)) return v;
  const o: { [k: string]: Json } = {};
  for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
  return o;
}

/** One item of the List as `kubectl get -o json` prints it: 4-space indent, keys sorted. */
export function itemJson(o: { [k: string]: Json }): string {
  return JSON.stringify(sortKeys(o), null, 4).replace(/^/gm, "        ");
}

/** JSON with keys sorted, as kubectl stores the last-applied configuration. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  if (typeof v === "object" && v !== null)
    return `{${Object.keys(v)
      .filter((k) => k !== "source" && (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------
// The objects.

const EPOCH = Date.parse("2025-06-02T08:14:00Z");
const ts = (seconds: number) => new Date(EPOCH + Math.round(seconds) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
const MANAGED = process.env.PODNET_BENCH_MANAGED_FIELDS !== "0";
let rv = 1000;
const nextRV = () => String((rv += 3));

function withoutSource(o: KubeObject): Record<string, unknown> {
  const { source: _s, ...rest } = o;
  const { annotations, ...md } = o.metadata;
  return { ...rest, metadata: { ...md, annotations: { ...(annotations ?? {}) } } };
}

function lastApplied(o: KubeObject): Record<string, string> {
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

function podItem(p: PodState): { [k: string]: Json } {
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

function nodeItem(n: ClusterState["nodes"][number]): { [k: string]: Json } {
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

function serviceItem(s: ServiceState, given: KubeObject | undefined, system: boolean): { [k: string]: Json } {
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

function sliceItem(e: ClusterState["endpointSlices"][number], svcUid: string | undefined): { [k: string]: Json } {
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

function controllerItem(
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

function configMaps(state: ClusterState): { [k: string]: Json }[] {
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

const byNsName = (a: { namespace?: string; name: string }, b: { namespace?: string; name: string }) =>
  (a.namespace ?? "") < (b.namespace ?? "")
    ? -1
    : (a.namespace ?? "") > (b.namespace ?? "")
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;
const metaKey = (o: KubeObject) => ({ namespace: o.metadata.namespace ?? "default", name: o.metadata.name });

export interface SnapshotWritten {
  file: string;
  bytes: number;
  items: number;
  pods: number;
  generateMs: number;
  writeMs: number;
  /** Given pods the load is checked against (a sample): name → podIP. */
  sample: Record<string, string>;
}

/** Writes the threshold cluster (or a smaller one) as a `kubectl get -o yaml` dump (or `-o json`). */
export async function writeSnapshot(
  file: string,
  opts: ThresholdOptions & { format?: "yaml" | "json" } = {},
): Promise<SnapshotWritten> {
  const json = opts.format === "json";
  const t0 = performance.now();
  const spec = thresholdCluster(opts);
  const state = buildState(spec);
  const generateMs = performance.now() - t0;
  const t1 = performance.now();

  const objects = state.objects ?? [];
  const systemCount = objects.findIndex((o) => o.kind === "Namespace" && o.metadata.name.startsWith("ns-"));
  const isSystem = (o: KubeObject) => objects.indexOf(o) < systemCount;
  const given = new Map(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`, o]));
  const svcUid = new Map(state.services.map((s) => [`${s.namespace}/${s.name}`, s.uid]));
  const running = new Map<string, number>();
  for (const p of state.pods)
    if (p.owner && p.phase === "Running")
      running.set(`${p.namespace}/${p.owner.name}`, (running.get(`${p.namespace}/${p.owner.name}`) ?? 0) + 1);

  const stream = createWriteStream(file);
  let buf: string[] = [];
  let size = 0;
  let bytes = 0;
  let items = 0;
  const flush = async () => {
    const chunk = buf.join("");
    buf = [];
    size = 0;
    bytes += Buffer.byteLength(chunk);
    if (!stream.write(chunk)) await new Promise<void>((r) => stream.once("drain", () => r()));
  };
  const put = async (o: { [k: string]: Json }) => {
    const s = json ? `${items ? ",\n" : ""}${itemJson(o)}` : itemYaml(o);
    buf.push(s);
    size += s.length;
    items++;
    if (size > 1 << 20) await flush();
  };

  buf.push(json ? '{\n    "apiVersion": "v1",\n    "items": [\n' : "apiVersion: v1\nitems:\n");
  for (const n of [...state.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    await put(nodeItem(n));
  for (const ns of [...state.namespaces].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const o = given.get(`Namespace/default/${ns.name}`);
    await put({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        ...(o && !isSystem(o) ? { annotations: lastApplied(o) } : {}),
        creationTimestamp: ts(o && !isSystem(o) ? 30 : 0),
        labels: { ...ns.labels, "kubernetes.io/metadata.name": ns.name },
        name: ns.name,
        resourceVersion: nextRV(),
        uid: uidFor(`Namespace/${ns.name}`),
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  const pods = [...state.pods].sort(byNsName);
  const sample: Record<string, string> = {};
  const every = Math.max(1, Math.floor(pods.length / 1000));
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i];
    if (i % every === 0 && p.podIP && !p.spec.hostNetwork) sample[`${p.namespace}/${p.name}`] = p.podIP;
    await put(podItem(p));
  }
  for (const s of [...state.services].sort(byNsName)) {
    const o = given.get(`Service/${s.namespace}/${s.name}`);
    await put(serviceItem(s, o, !o || isSystem(o)));
  }
  for (const e of [...state.endpointSlices].sort(byNsName))
    await put(sliceItem(e, svcUid.get(`${e.namespace}/${e.serviceName}`)));
  const controllers = (kind: string) =>
    objects.filter((o) => o.kind === kind).sort((a, b) => byNsName(metaKey(a), metaKey(b)));
  for (const d of controllers("Deployment")) {
    const n = d.spec?.replicas ?? 1;
    const rs = state.replicaSets?.find((r) => r.deployment === d.metadata.name && r.namespace === metaKey(d).namespace);
    await put(
      controllerItem(d, !isSystem(d), {
        availableReplicas: n,
        conditions: [
          {
            lastTransitionTime: ts(20),
            lastUpdateTime: ts(20),
            message: "Deployment has minimum availability.",
            reason: "MinimumReplicasAvailable",
            status: "True",
            type: "Available",
          },
          {
            lastTransitionTime: ts(1),
            lastUpdateTime: ts(20),
            message: `ReplicaSet "${rs?.name ?? d.metadata.name}" has successfully progressed.`,
            reason: "NewReplicaSetAvailable",
            status: "True",
            type: "Progressing",
          },
        ],
        observedGeneration: 1,
        readyReplicas: n,
        replicas: n,
        updatedReplicas: n,
      }),
    );
  }
  const deployments = new Map(
    objects.filter((o) => o.kind === "Deployment").map((d) => [`${metaKey(d).namespace}/${d.metadata.name}`, d]),
  );
  for (const rs of [...(state.replicaSets ?? [])].sort(byNsName)) {
    const d = rs.deployment ? deployments.get(`${rs.namespace}/${rs.deployment}`) : undefined;
    if (!d) continue;
    const labels = { ...(d.spec.template?.metadata?.labels ?? {}), "pod-template-hash": rs.podTemplateHash };
    const o: KubeObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: rs.name, namespace: rs.namespace, labels },
      spec: {
        replicas: rs.replicas,
        selector: { matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), "pod-template-hash": rs.podTemplateHash } },
        template: { ...d.spec.template, metadata: { ...(d.spec.template?.metadata ?? {}), labels } },
      },
    };
    const n = running.get(`${rs.namespace}/${rs.name}`) ?? 0;
    await put(
      controllerItem(
        o,
        false,
        { availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: 1, readyReplicas: n, replicas: n },
        {
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              blockOwnerDeletion: true,
              controller: true,
              kind: "Deployment",
              name: rs.deployment as string,
              uid: uidFor(`Deployment/${rs.namespace}/${rs.deployment}`),
            },
          ],
        },
      ),
    );
  }
  for (const ds of controllers("DaemonSet")) {
    const n = running.get(`${metaKey(ds).namespace}/${ds.metadata.name}`) ?? 0;
    await put(
      controllerItem(ds, !isSystem(ds), {
        currentNumberScheduled: n,
        desiredNumberScheduled: n,
        numberAvailable: n,
        numberMisscheduled: 0,
        numberReady: n,
        observedGeneration: 1,
        updatedNumberScheduled: n,
      }),
    );
  }
  for (const cm of configMaps(state).sort((a, b) => byNsName(a.metadata as never, b.metadata as never))) await put(cm);
  buf.push(
    json
      ? '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
      : 'kind: List\nmetadata:\n  resourceVersion: ""\n',
  );
  await flush();
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { file, bytes, items, pods: pods.length, generateMs, writeMs: performance.now() - t1, sample };
}

// ---------------------------------------------------------------------------------------
// Loading it.

export interface SnapshotLoad {
  ok: boolean;
  wallMs: number;
  /** CPU time of the load (user + system, all threads): steadier than wall time on a shared machine. */
  cpuMs: number;
  peakRssMB: number;
  error?: string;
  warnings: number;
  firstWarnings: string[];
  nodes?: number;
  pods?: number;
  running?: number;
  services?: number;
  /** Of the sampled given pods: found under their own name, and with their own IP. */
  sampled?: { total: number; sameName: number; sameIP: number };
}

/** Times loadCluster on FILE in this process; peak RSS is the process's high-water mark. */
export async function timeLoad(file: string, sample: Record<string, string> = {}): Promise<SnapshotLoad> {
  let warnings = 0;
  const firstWarnings: string[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const cpuMs = () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  try {
    const { state } = await loadCluster({
      files: [file],
      warn: (m) => {
        if (warnings++ < 3) firstWarnings.push(m.length > 240 ? `${m.slice(0, 240)}…` : m);
      },
    });
    const wallMs = performance.now() - t0;
    const cpu = cpuMs();
    const byName = new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
    const names = Object.keys(sample);
    return {
      ok: true,
      wallMs,
      cpuMs: cpu,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      warnings,
      firstWarnings,
      nodes: state.nodes.length,
      pods: state.pods.length,
      running: state.pods.filter((p) => p.phase === "Running").length,
      services: state.services.length,
      sampled: {
        total: names.length,
        sameName: names.filter((n) => byName.has(n)).length,
        sameIP: names.filter((n) => byName.get(n)?.podIP === sample[n]).length,
      },
    };
  } catch (e) {
    const err = e as Error & { diagnostics?: { message: string }[]; code?: string };
    const d = err.diagnostics;
    const error = d
      ? `${d.length} error(s); first: ${d
          .slice(0, 3)
          .map((x) => x.message)
          .join(" | ")}`
      : `${err.code ? `${err.code}: ` : ""}${err.message}`;
    return {
      ok: false,
      wallMs: performance.now() - t0,
      cpuMs: cpuMs(),
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      error: error.length > 600 ? `${error.slice(0, 600)}…` : error,
      warnings,
      firstWarnings,
    };
  }
}

/**
 * Hashes of what loadCluster gives for FILE: the objects read (with the config, warnings and
 * inferred settings) and the ClusterState. Maps and Sets count with their entries in order.
 */
export async function fingerprint(file: string): Promise<{ spec: string; state: string }> {
  const { spec, state } = await loadCluster({ files: [file] });
  const plain = (_k: string, v: unknown) =>
    v instanceof Map
      ? ["Map", ...v]
      : v instanceof Set
        ? ["Set", ...v]
        : typeof v === "number" && !Number.isFinite(v)
          ? String(v)
          : v;
  const hash = (parts: unknown[]) => {
    const h = createHash("sha256");
    for (const x of parts) h.update(`${JSON.stringify(x, plain) ?? "undefined"}\n`);
    return h.digest("hex").slice(0, 16);
  };
  return {
    spec: hash([spec.config, spec.warnings, spec.inferred, ...spec.objects]),
    state: hash(Object.entries(state)),
  };
}

// ---------------------------------------------------------------------------------------
// Command line.

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "load") {
    const file = argv[1];
    const sampleFile = `${file}.sample.json`;
    const sample = existsSync(sampleFile)
      ? (JSON.parse(readFileSync(sampleFile, "utf8")) as Record<string, string>)
      : {};
    process.stdout.write(`${JSON.stringify(await timeLoad(file, sample))}\n`);
    return 0;
  }
  if (argv[0] === "fingerprint") {
    if (!argv[1] || !existsSync(argv[1])) {
      console.error(
        `usage: snapshot.js fingerprint FILE (${JSON.stringify((argv[1] ?? "").slice(0, 80))}: no such file)`,
      );
      return 1;
    }
    process.stdout.write(`${JSON.stringify(await fingerprint(argv[1]))}\n`);
    return 0;
  }
  const format = argv.includes("--json") ? "json" : "yaml";
  const nums = argv.filter((a) => !a.startsWith("--"));
  const [nodes, pods, services] = [Number(nums[0] ?? 5000), Number(nums[1] ?? 150000), Number(nums[2] ?? 10000)];
  const file = join(tmpdir(), `podnet-snapshot-${nodes}-${pods}-${services}.${format}`);
  console.log(
    `podnet snapshot benchmark: ${nodes} nodes, ${pods} pods, ${services} Services as \`kubectl get -A -o ${format}\``,
  );
  const w = await writeSnapshot(file, { nodes, pods, services, format });
  writeFileSync(`${file}.sample.json`, JSON.stringify(w.sample));
  console.log(
    `wrote ${file}: ${mb(w.bytes)}, ${w.items} items (${w.pods} pods), managedFields ${MANAGED ? "on" : "off"}; ` +
      `buildState ${sec(w.generateMs)}, serialize+write ${sec(w.writeMs)}`,
  );
  const heap = process.env.PODNET_BENCH_LOAD_HEAP ?? "16384";
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heap}`, self, "load", file], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (process.env.PODNET_BENCH_KEEP !== "1") {
    rmSync(file, { force: true });
    rmSync(`${file}.sample.json`, { force: true });
  }
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let res: SnapshotLoad | undefined;
  try {
    res = JSON.parse(line) as SnapshotLoad;
  } catch {
    console.log(`load process ended with ${r.status ?? r.signal}; stderr:\n${r.stderr.slice(-2000)}`);
    return 1;
  }
  const rows: [string, string, string][] = [
    ["load (loadCluster -f dump)", `${sec(res.wallMs)}${res.ok ? "" : " (failed)"}`, "≤ 10 s"],
    ["CPU of the load (user+sys)", sec(res.cpuMs), ""],
    ["peak RSS of the load process", `${res.peakRssMB.toFixed(0)} MB (heap cap ${heap} MB)`, "≤ 4096 MB"],
  ];
  if (res.ok) {
    rows.push(["state", `${res.nodes} nodes, ${res.pods} pods (${res.running} Running), ${res.services} Services`, ""]);
    const s = res.sampled;
    if (s)
      rows.push([
        "given pods kept (sample)",
        `${s.sameName}/${s.total} by name, ${s.sameIP}/${s.total} with their IP`,
        `${s.total}/${s.total}`,
      ]);
  }
  rows.push(["warnings", String(res.warnings), ""]);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  console.log(`\n${"measure".padEnd(w0)}  ${"podnet".padEnd(w1)}  target`);
  console.log(`${"-".repeat(w0)}  ${"-".repeat(w1)}  ------`);
  for (const x of rows) console.log(`${x[0].padEnd(w0)}  ${x[1].padEnd(w1)}  ${x[2]}`);
  if (res.error) console.log(`\nerror: ${res.error}`);
  for (const m of res.firstWarnings) console.log(`warning: ${m}`);
  if (existsSync(file)) console.log(`\nkept ${file} (${mb(statSync(file).size)})`);
  return res.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

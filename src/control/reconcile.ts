// The control loop, collapsed into one pure step: given the previous state and the desired
// objects, run the controllers (Deployment → ReplicaSet → pods, StatefulSet, DaemonSet,
// Job), the scheduler, the CNI's IPAM, the Service allocators, the EndpointSlice
// controller, kubelet's resolv.conf/env and the DNS zone, and return the new state plus
// the events that happened. buildState, apply, delete and scale all go through here.
import type { KubeObject, PodSpec, Toleration } from "../manifest/types.js";
import { Diags, where } from "../manifest/diag.js";
import { SpecError } from "../manifest/errors.js";
import { computeDnsRecords } from "./dns.js";
import { serviceEnvFor } from "./env.js";
import { PodIndex, SliceNamer, givenSlice, mirrorEndpoints, slicesForService } from "./endpoints.js";
import { randomSuffix, sha256Hex, stableJson, templateHash, uidFor } from "./hash.js";
import { ipamFor, type AllocResult } from "./ipam.js";
import { computeNodes } from "./nodes.js";
import { resolvConfFor } from "./resolvconf.js";
import { Scheduler, staticReason } from "./schedule.js";
import { reconcileServices } from "./services.js";
import type {
  ClusterState,
  EndpointSliceState,
  KEvent,
  NodeState,
  OwnerRef,
  PodState,
  ReplicaSetState,
  ServiceState,
  WorkloadRef,
} from "./state.js";
import { SYSTEM_NAMESPACES } from "./system.js";

export const WORKLOAD_KINDS = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);
const CLUSTER_SCOPED = new Set(["Namespace", "Node"]);

export function objKey(o: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return CLUSTER_SCOPED.has(o.kind)
    ? `${o.kind}//${o.metadata.name}`
    : `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

function sameObject(a: KubeObject | undefined, b: KubeObject): boolean {
  if (!a) return false;
  if (a === b) return true;
  const strip = (o: KubeObject) => {
    const { source: _s, ...rest } = o;
    void _s;
    return stableJson(rest);
  };
  return strip(a) === strip(b);
}

/** DaemonSet pods get these tolerations from the controller (daemon/util AddOrUpdateDaemonPodTolerations). */
function daemonTolerations(spec: PodSpec): Toleration[] {
  const add: Toleration[] = [
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
    { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
  ];
  if (spec.hostNetwork)
    add.push({ key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" });
  const have = spec.tolerations ?? [];
  return [...have, ...add.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect))];
}

interface Want {
  namespace: string;
  name?: string; // fixed (StatefulSet, bare Pod)
  base?: string; // generateName base (`<rs>`)
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
  owner: OwnerRef | null;
  workload: WorkloadRef;
  pinned?: NodeState; // DaemonSet
  requestedIP?: string; // a dumped pod's status.podIP
  ready: boolean;
  terminating: boolean;
  /** SuccessfulCreate on the controller. */
  created?: { object: string; source: string; message: (pod: string) => string };
}

export interface ReconcileOptions {
  /** Pods the user deleted ("ns/name"). */
  deletePods?: Set<string>;
}

export function reconcile(
  prev: ClusterState,
  objects: KubeObject[],
  opts: ReconcileOptions = {},
): { state: ClusterState; events: KEvent[] } {
  const config = prev.config;
  const seed = prev.seed;
  const svcTime = prev.clock + 1;
  const clock = prev.clock + 2; // Services of a change exist before its pods (env visibility)
  const events: KEvent[] = [];
  const ev = (type: KEvent["type"], reason: string, object: string, message: string, source?: string, time = clock) => {
    const e: KEvent = { type, reason, object, message, time };
    if (source) e.source = source;
    events.push(e);
  };
  const prevObjects = new Map((prev.objects ?? []).map((o) => [objKey(o), o]));
  const unchanged = (o: KubeObject) => sameObject(prevObjects.get(objKey(o)), o);

  // Basic validity of what reached us (the parser checks the rest).
  const diags = new Diags();
  const seen = new Set<string>();
  for (const o of objects) {
    if (!o.metadata?.name) diags.error(where(o), "metadata.name", undefined, "is required");
    const k = objKey(o);
    if (seen.has(k)) diags.error(where(o), "metadata.name", o.metadata.name, `duplicates another ${o.kind}`);
    seen.add(k);
  }
  if (diags.errors.length) throw new SpecError(diags.errors);

  const byKind = new Map<string, KubeObject[]>();
  for (const o of objects) {
    let l = byKind.get(o.kind);
    if (!l) byKind.set(o.kind, (l = []));
    l.push(o);
  }
  const kind = (k: string) => byKind.get(k) ?? [];

  // Namespaces: the system ones, the declared ones, and any an object lives in.
  const nsLabels = new Map<string, Record<string, string>>();
  for (const n of SYSTEM_NAMESPACES) nsLabels.set(n, { "kubernetes.io/metadata.name": n });
  for (const o of kind("Namespace"))
    nsLabels.set(o.metadata.name, { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name });
  for (const o of objects) {
    const ns = o.metadata.namespace;
    if (ns && !CLUSTER_SCOPED.has(o.kind) && !nsLabels.has(ns)) nsLabels.set(ns, { "kubernetes.io/metadata.name": ns });
  }
  const namespaces = [...nsLabels].map(([name, labels]) => ({ name, labels }));
  const sameNs = prev.namespaces.length === namespaces.length && stableJson(prev.namespaces) === stableJson(namespaces);

  // Nodes and IPAM.
  let nodes = computeNodes(config, kind("Node"), prev.nodes);
  const nodesChanged = nodes.length !== prev.nodes.length || nodes.some((n, i) => n !== prev.nodes[i]);
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const ipam = ipamFor(config, prev.ipam, nodes);

  // ---- controllers: what pods should exist --------------------------------------------
  const existingByWorkload = new Map<string, PodState[]>();
  const kept = new Set<PodState>();
  const toDelete: { pod: PodState; by?: { object: string; source: string } }[] = [];
  for (const p of prev.pods) {
    if (opts.deletePods?.has(`${p.namespace}/${p.name}`)) {
      toDelete.push({ pod: p });
      continue;
    }
    const k = `${p.workload.kind}/${p.workload.namespace}/${p.workload.name}`;
    let l = existingByWorkload.get(k);
    if (!l) existingByWorkload.set(k, (l = []));
    l.push(p);
  }
  const wants: Want[] = [];
  const replicaSets: ReplicaSetState[] = [];
  const prevRs = new Map((prev.replicaSets ?? []).map((r) => [`${r.namespace}/${r.name}`, r]));
  const prevRsByDeployment = new Map<string, ReplicaSetState[]>();
  for (const r of prev.replicaSets ?? []) {
    if (!r.deployment) continue;
    const k = `${r.namespace}/${r.deployment}`;
    let l = prevRsByDeployment.get(k);
    if (!l) prevRsByDeployment.set(k, (l = []));
    l.push(r);
  }

  /** ReplicaSet / Job scale: keep up to n, delete by the controller's ranking, want the rest. */
  const scaleTo = (existing: PodState[], n: number, want: Want, by: { object: string; source: string }) => {
    if (existing.length > n) {
      const perNode = new Map<string, number>();
      for (const p of existing) if (p.nodeName) perNode.set(p.nodeName, (perNode.get(p.nodeName) ?? 0) + 1);
      // controller.ActivePodsWithRanks: unassigned, then not ready, then doubled-up on a node, then newer first.
      const ranked = existing
        .map((p, i) => ({ p, i }))
        .sort(
          (a, b) =>
            +!!a.p.nodeName - +!!b.p.nodeName ||
            +a.p.ready - +b.p.ready ||
            (perNode.get(b.p.nodeName ?? "") ?? 0) - (perNode.get(a.p.nodeName ?? "") ?? 0) ||
            b.p.created - a.p.created ||
            b.i - a.i,
        );
      const drop = new Set(ranked.slice(0, existing.length - n).map((x) => x.p));
      for (const p of existing) drop.has(p) ? toDelete.push({ pod: p, by }) : kept.add(p);
    } else {
      for (const p of existing) kept.add(p);
      for (let i = existing.length; i < n; i++) wants.push(want); // read-only: shared by the replicas
    }
  };

  const workloadObjs: KubeObject[] = [];
  const adoptWarnings: string[] = [];
  const present = new Set(objects.map(objKey));
  for (const o of objects) {
    if (!WORKLOAD_KINDS.has(o.kind) && o.kind !== "Pod") continue;
    const ns = o.metadata.namespace ?? "default";
    const name = o.metadata.name;
    // A dump (kubectl get all -o yaml) lists the controllers' ReplicaSets and pods too:
    // when their controller is given, the controller makes its own.
    const ctrl = o.metadata.ownerReferences?.find((r) => r.controller);
    if (ctrl && WORKLOAD_KINDS.has(ctrl.kind) && present.has(`${ctrl.kind}/${ns}/${ctrl.name}`)) {
      adoptWarnings.push(
        `${where(o).object ? `(${where(o).object}) ` : ""}is controlled by ${ctrl.kind} ${ns}/${ctrl.name}, which is given too: its controller creates it instead (ignored)`,
      );
      continue;
    }
    const wkey = `${o.kind}/${ns}/${name}`;
    const existing = existingByWorkload.get(wkey) ?? [];
    existingByWorkload.delete(wkey);
    if (o.kind !== "Pod") workloadObjs.push(o);
    const tmpl = o.spec?.template ?? { spec: { containers: [] } };
    const tLabels: Record<string, string> = tmpl.metadata?.labels ?? {};
    const tAnn: Record<string, string> = tmpl.metadata?.annotations ?? {};
    const tSpec: PodSpec = tmpl.spec ?? { containers: [] };
    switch (o.kind) {
      case "Deployment":
      case "ReplicaSet": {
        const replicas: number = o.spec?.replicas ?? 1;
        let hash: string;
        let rsName: string;
        let workload: WorkloadRef;
        if (o.kind === "Deployment") {
          hash = templateHash(tmpl, seed, o.status?.collisionCount ?? 0);
          rsName = `${name}-${hash}`;
          workload = { kind: "Deployment", namespace: ns, name };
        } else {
          hash = tLabels["pod-template-hash"] ?? "";
          rsName = name;
          workload = { kind: "ReplicaSet", namespace: ns, name };
        }
        const labels = hash ? { ...tLabels, "pod-template-hash": hash } : tLabels;
        const current = existing.filter((p) => p.owner?.name === rsName);
        const old = existing.filter((p) => p.owner?.name !== rsName);
        const rsObj = `replicaset/${ns}/${rsName}`;
        for (const p of old)
          toDelete.push({
            pod: p,
            by: { object: `replicaset/${ns}/${p.owner?.name}`, source: "replicaset-controller" },
          });
        if (o.kind === "Deployment") {
          const before = prevRs.get(`${ns}/${rsName}`)?.replicas ?? 0;
          if (before !== replicas)
            ev(
              "Normal",
              "ScalingReplicaSet",
              `deployment/${ns}/${name}`,
              `Scaled ${replicas > before ? "up" : "down"} replica set ${rsName} to ${replicas}`,
              "deployment-controller",
              svcTime,
            );
          for (const r of prevRsByDeployment.get(`${ns}/${name}`) ?? [])
            if (r.name !== rsName) {
              if (r.replicas > 0)
                ev(
                  "Normal",
                  "ScalingReplicaSet",
                  `deployment/${ns}/${name}`,
                  `Scaled down replica set ${r.name} to 0 from ${r.replicas}`,
                  "deployment-controller",
                  svcTime,
                );
              replicaSets.push(r.replicas === 0 ? r : { ...r, replicas: 0 });
            }
        }
        replicaSets.push({
          namespace: ns,
          name: rsName,
          deployment: o.kind === "Deployment" ? name : null,
          podTemplateHash: hash,
          replicas,
        });
        const owner = { kind: "ReplicaSet", name: rsName };
        scaleTo(
          current,
          replicas,
          {
            namespace: ns,
            base: rsName,
            labels,
            annotations: tAnn,
            spec: tSpec,
            owner,
            workload,
            ready: true,
            terminating: false,
            created: { object: rsObj, source: "replicaset-controller", message: (p) => `Created pod: ${p}` },
          },
          { object: rsObj, source: "replicaset-controller" },
        );
        break;
      }
      case "Job": {
        const parallelism: number = o.spec?.parallelism ?? 1;
        const completions: number = o.spec?.completions ?? parallelism;
        const n = Math.min(parallelism, completions); // active pods at once
        const uid = o.metadata.uid ?? uidFor(`${seed}/job/${ns}/${name}`);
        const labels = {
          ...tLabels,
          "batch.kubernetes.io/controller-uid": uid,
          "batch.kubernetes.io/job-name": name,
          "controller-uid": uid,
          "job-name": name,
        };
        const obj = `job/${ns}/${name}`;
        scaleTo(
          existing,
          n,
          {
            namespace: ns,
            base: name,
            labels,
            annotations: tAnn,
            spec: tSpec,
            owner: { kind: "Job", name },
            workload: { kind: "Job", namespace: ns, name },
            ready: true,
            terminating: false,
            created: { object: obj, source: "job-controller", message: (p) => `Created pod: ${p}` },
          },
          { object: obj, source: "job-controller" },
        );
        break;
      }
      case "StatefulSet": {
        const replicas: number = o.spec?.replicas ?? 1;
        const rev = `${name}-${templateHash(tmpl, seed)}`;
        const serviceName: string | undefined = o.spec?.serviceName;
        const obj = `statefulset/${ns}/${name}`;
        const byName = new Map(existing.map((p) => [p.name, p]));
        for (const p of existing) {
          const ord = Number(p.name.slice(name.length + 1));
          if (!(ord < replicas)) toDelete.push({ pod: p, by: { object: obj, source: "statefulset-controller" } });
        }
        for (let i = 0; i < replicas; i++) {
          const podName = `${name}-${i}`;
          const p = byName.get(podName);
          if (p && p.labels["controller-revision-hash"] === rev) {
            kept.add(p);
            continue;
          }
          if (p) toDelete.push({ pod: p, by: { object: obj, source: "statefulset-controller" } });
          const spec: PodSpec = { ...tSpec, hostname: podName };
          if (serviceName) spec.subdomain = serviceName;
          wants.push({
            namespace: ns,
            name: podName,
            labels: {
              ...tLabels,
              "apps.kubernetes.io/pod-index": String(i),
              "controller-revision-hash": rev,
              "statefulset.kubernetes.io/pod-name": podName,
            },
            annotations: tAnn,
            spec,
            owner: { kind: "StatefulSet", name },
            workload: { kind: "StatefulSet", namespace: ns, name },
            ready: true,
            terminating: false,
            created: {
              object: obj,
              source: "statefulset-controller",
              message: (pn) => `create Pod ${pn} in StatefulSet ${name} successful`,
            },
          });
        }
        break;
      }
      case "DaemonSet": {
        const hash = templateHash(tmpl, seed);
        const labels = {
          ...tLabels,
          "controller-revision-hash": hash,
          "pod-template-generation": String((o.metadata as any).generation ?? 1),
        };
        const spec: PodSpec = { ...tSpec, tolerations: daemonTolerations(tSpec) };
        const obj = `daemonset/${ns}/${name}`;
        const byNode = new Map<string, PodState>();
        for (const p of existing) {
          const ok =
            p.nodeName &&
            p.labels["controller-revision-hash"] === hash &&
            !byNode.has(p.nodeName) &&
            nodeByName.has(p.nodeName);
          if (ok) byNode.set(p.nodeName!, p);
          else if (!p.nodeName && p.labels["controller-revision-hash"] === hash) byNode.set(`?${p.name}`, p);
          else toDelete.push({ pod: p, by: { object: obj, source: "daemonset-controller" } });
        }
        for (const [k, p] of byNode)
          if (k.startsWith("?")) {
            toDelete.push({ pod: p });
            byNode.delete(k);
          }
        for (const n of nodes) {
          // nodeShouldRunDaemonPod: taints (NoSchedule/NoExecute) and node affinity/selector.
          const eligible = staticReason(n, spec) === null;
          const p = byNode.get(n.name);
          if (p) {
            if (eligible) kept.add(p);
            else toDelete.push({ pod: p, by: { object: obj, source: "daemonset-controller" } });
            continue;
          }
          if (!eligible) continue;
          wants.push({
            namespace: ns,
            base: name,
            labels,
            annotations: tAnn,
            spec,
            owner: { kind: "DaemonSet", name },
            workload: { kind: "DaemonSet", namespace: ns, name },
            pinned: n,
            ready: true,
            terminating: false,
            created: { object: obj, source: "daemonset-controller", message: (pn) => `Created pod: ${pn}` },
          });
        }
        break;
      }
      case "Pod": {
        const prevObj = prevObjects.get(objKey(o));
        const p = existing.find((x) => x.name === name);
        if (p && prevObj && sameObject(prevObj, o)) {
          kept.add(p);
          break;
        }
        if (p) toDelete.push({ pod: p });
        const st = o.status ?? {};
        const readyCond = (st.conditions ?? []).find((c: any) => c.type === "Ready");
        const ready = !(readyCond && String(readyCond.status) === "False") && !(st.phase && st.phase !== "Running");
        wants.push({
          namespace: ns,
          name,
          labels: o.metadata.labels ?? {},
          annotations: o.metadata.annotations ?? {},
          spec: o.spec ?? { containers: [] },
          owner: null,
          workload: { kind: "Pod", namespace: ns, name },
          ready,
          terminating: !!(o.metadata as any).deletionTimestamp,
          requestedIP: typeof st.podIP === "string" ? st.podIP : undefined,
        });
        break;
      }
    }
  }
  // Pods whose controller is gone (garbage collection).
  for (const l of existingByWorkload.values()) for (const p of l) toDelete.push({ pod: p });

  // ---- deletions -----------------------------------------------------------------------
  const deleted = new Set<PodState>();
  for (const { pod, by } of toDelete) {
    if (deleted.has(pod)) continue;
    deleted.add(pod);
    if (by) ev("Normal", "SuccessfulDelete", by.object, `Deleted pod: ${pod.name}`, by.source, svcTime);
    if (pod.nodeName)
      for (const c of pod.spec.containers ?? [])
        ev("Normal", "Killing", `pod/${pod.namespace}/${pod.name}`, `Stopping container ${c.name}`, "kubelet", svcTime);
    const node = pod.nodeName ? nodeByName.get(pod.nodeName) : undefined;
    if (node && pod.podIP && !pod.spec.hostNetwork) ipam.release(node, pod.podIP);
  }
  const survivors = prev.pods.filter((p) => !deleted.has(p));
  const changedNs = new Set<string>();
  for (const p of deleted) changedNs.add(p.namespace);

  // ---- Services (before the pods: env vars see Services created earlier) ---------------
  const svcObjs = kind("Service");
  const svc = reconcileServices({ config, seed, created: svcTime }, svcObjs, prev.services, prev.ipam, unchanged);
  const services = svc.services;
  const prevSvcSet = new Set(prev.services);
  for (const s of services) if (!prevSvcSet.has(s)) changedNs.add(s.namespace);
  const svcNow = new Set(services);
  for (const s of prev.services) if (!svcNow.has(s)) changedNs.add(s.namespace);

  // ---- new pods: name, schedule, address -----------------------------------------------
  const scheduler = new Scheduler(nodes, survivors);
  // Names taken, only in the namespaces that get new pods.
  const names = new Set<string>();
  const wantNs = new Set(wants.map((w) => w.namespace));
  if (wantNs.size) for (const p of survivors) if (wantNs.has(p.namespace)) names.add(`${p.namespace}/${p.name}`);
  const created: PodState[] = [];
  const counters = new Map<string, number>();
  const podUid = (ns: string, name: string) => uidFor(`${seed}/pod/${ns}/${name}/${clock}`);
  // Dumped pods keep their addresses: reserve them before anything else is allocated.
  const reserved = new Map<Want, AllocResult>();
  for (const w of wants) {
    if (!w.requestedIP || !w.name || !w.spec.nodeName || w.spec.hostNetwork) continue;
    const node = nodeByName.get(w.spec.nodeName);
    const r = node && ipam.allocateSpecific?.(node, w.requestedIP, sha256Hex(`${seed}/${podUid(w.namespace, w.name)}`));
    if (r) reserved.set(w, r);
  }
  for (const w of wants) {
    let name = w.name;
    if (!name) {
      const ck = `${w.namespace}/${w.base}`;
      let n = counters.get(ck) ?? 0;
      do name = `${w.base}-${randomSuffix(`${seed}/${w.namespace}/${w.base}/${clock}/${n++}`)}`;
      while (names.has(`${w.namespace}/${name}`));
      counters.set(ck, n);
    }
    names.add(`${w.namespace}/${name}`);
    const podObj = `pod/${w.namespace}/${name}`;
    if (w.created) ev("Normal", "SuccessfulCreate", w.created.object, w.created.message(name), w.created.source);
    const uid = podUid(w.namespace, name);
    const containerID = sha256Hex(`${seed}/${uid}`);
    const pod: PodState = {
      namespace: w.namespace,
      name,
      uid,
      labels: w.labels,
      annotations: w.annotations,
      owner: w.owner,
      workload: w.workload,
      spec: w.spec,
      nodeName: null,
      phase: "Pending",
      podIP: null,
      hostIP: null,
      ready: false,
      terminating: w.terminating,
      created: clock,
      resolvConf: "",
      env: [],
      containerID,
    };
    created.push(pod);
    changedNs.add(w.namespace);

    // Scheduling.
    let node: NodeState | undefined;
    if (w.spec.nodeName) {
      // Bound by the user: kubelet takes it without the scheduler.
      node = nodeByName.get(w.spec.nodeName);
      if (node) scheduler.bind(node, w.spec);
      else {
        pod.reason = "NodeNotFound";
        pod.message = `node "${w.spec.nodeName}" not found`;
      }
    } else if (w.pinned) {
      const r = scheduler.fitsOn(w.pinned, w.spec);
      if (r) {
        pod.reason = "Unschedulable";
        pod.message = scheduler.failure(w.spec, w.pinned);
        ev("Warning", "FailedScheduling", podObj, pod.message, "default-scheduler");
      } else {
        node = w.pinned;
        scheduler.bind(node, w.spec);
      }
    } else {
      const r = scheduler.place(w.spec);
      if ("node" in r) node = r.node;
      else {
        pod.reason = "Unschedulable";
        pod.message = r.message;
        ev("Warning", "FailedScheduling", podObj, r.message, "default-scheduler");
      }
    }
    if (!node) continue;
    if (!w.spec.nodeName)
      ev(
        "Normal",
        "Scheduled",
        podObj,
        `Successfully assigned ${w.namespace}/${name} to ${node.name}`,
        "default-scheduler",
      );
    pod.nodeName = node.name;
    pod.hostIP = node.address;
    if (w.spec.hostNetwork) {
      pod.podIP = node.address;
    } else {
      const r = reserved.get(w) ?? ipam.allocate(node, containerID);
      if (!r.ip) {
        pod.reason = "ContainerCreating";
        pod.message = r.error;
        ev(
          "Warning",
          "FailedCreatePodSandBox",
          podObj,
          `Failed to create pod sandbox: plugin type="${ipam.networkName}" failed (add): ${r.error}`,
          "kubelet",
        );
        continue;
      }
      pod.podIP = r.ip;
      pod.hostIfName = ipam.hostIfName(w.namespace, name, containerID);
      ev("Normal", "AddedInterface", podObj, `Add eth0 [${r.cidr}] from ${ipam.networkName}`, "multus");
    }
    pod.phase = "Running";
    pod.ready = w.ready;
  }
  const finished = ipam.finish(nodes);
  nodes = finished.nodes;
  if (nodes.length === prev.nodes.length && nodes.every((n, i) => n === prev.nodes[i])) nodes = prev.nodes;

  const pods = deleted.size === 0 && created.length === 0 ? prev.pods : [...survivors, ...created];

  // ---- EndpointSlices ------------------------------------------------------------------
  const sliceObjs = kind("EndpointSlice");
  const epObjs = kind("Endpoints");
  for (const o of [...sliceObjs, ...epObjs]) if (!unchanged(o)) changedNs.add(o.metadata.namespace ?? "default");
  for (const o of prev.objects ?? [])
    if ((o.kind === "EndpointSlice" || o.kind === "Endpoints") && !seen.has(objKey(o)))
      changedNs.add(o.metadata.namespace ?? "default");
  if (!sameNs || nodesChanged) for (const n of namespaces) changedNs.add(n.name);
  const warnings: string[] = [];
  const svcWarnings = new Map<string, string[]>();
  const prevWarnings = new Map<string, string[]>();
  for (const w of prev.warnings) {
    const m = /\(Service ([^)\s]+)\)/.exec(w);
    if (!m) continue;
    let l = prevWarnings.get(m[1]);
    if (!l) prevWarnings.set(m[1], (l = []));
    l.push(w);
  }
  const endpointSlices = buildSlices();
  function buildSlices(): EndpointSliceState[] {
    const prevByService = new Map<string, EndpointSliceState[]>();
    for (const s of prev.endpointSlices) {
      const k = `${s.namespace}/${s.serviceName}`;
      let l = prevByService.get(k);
      if (!l) prevByService.set(k, (l = []));
      l.push(s);
    }
    const sliceCtx = { seed, clock, nodes: nodeByName, shared: new WeakMap() };
    const namer = new SliceNamer(sliceCtx, prev.endpointSlices);
    const index = new PodIndex(pods.filter((p) => changedNs.has(p.namespace)));
    const out: EndpointSliceState[] = [];
    const svcByKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
    const svcObjByKey = new Map(svcObjs.map((x) => [`${x.metadata.namespace ?? "default"}/${x.metadata.name}`, x]));
    for (const s of services) {
      const k = `${s.namespace}/${s.name}`;
      const prevSlices = prevByService.get(k) ?? [];
      if (!s.selector) {
        if (
          s.namespace === "default" &&
          s.name === "kubernetes" &&
          !epObjs.some((o) => objKey(o) === "Endpoints/default/kubernetes") &&
          !sliceObjs.some(
            (o) =>
              o.metadata.labels?.["kubernetes.io/service-name"] === "kubernetes" &&
              (o.metadata.namespace ?? "default") === "default",
          )
        ) {
          out.push(apiserverSlice(nodes, s));
        }
        continue;
      }
      if (!changedNs.has(s.namespace)) {
        for (const p of prevSlices) if (p.managedBy === "endpointslice-controller.k8s.io") out.push(p);
        const pw = prevWarnings.get(k);
        if (pw) svcWarnings.set(k, pw);
        continue;
      }
      const mine = prevSlices.filter((p) => p.managedBy === "endpointslice-controller.k8s.io").map((p) => p.name);
      const o = svcObjByKey.get(k);
      const list: string[] = [];
      const sl = slicesForService(sliceCtx, s, index.select(s.namespace, s.selector), mine, namer, (field, msg) => {
        const wh = o ? where(o) : { object: `Service ${k}` };
        const d = new Diags();
        d.warn(wh, field, undefined, msg);
        list.push(d.list[0].message);
      });
      if (list.length) svcWarnings.set(k, list);
      out.push(...sl);
    }
    // Given slices: as given. Endpoints: mirrored for Services without a selector.
    for (const o of sliceObjs) {
      // Slices the controller made (from a dump) for a Service with a selector: it replaces them.
      const svcName = o.metadata.labels?.["kubernetes.io/service-name"];
      const owner = svcName ? svcByKey.get(`${o.metadata.namespace ?? "default"}/${svcName}`) : undefined;
      if (
        owner?.selector &&
        o.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io"
      )
        continue;
      out.push(givenSlice(o));
    }
    for (const o of epObjs) {
      const ns = o.metadata.namespace ?? "default";
      const s = svcByKey.get(`${ns}/${o.metadata.name}`);
      if (!s || s.selector) continue;
      const prevNames = (prevByService.get(`${ns}/${o.metadata.name}`) ?? [])
        .filter((p) => p.managedBy === "user")
        .map((p) => p.name);
      out.push(...mirrorEndpoints(o, namer, prevNames));
    }
    return out;
  }
  warnings.push(...adoptWarnings);
  for (const l of svcWarnings.values()) warnings.push(...l);
  for (const n of nodes)
    if (scheduler.isFull(n))
      warnings.push(
        `(Node ${n.name}) is full: ${n.maxPods}/${n.maxPods} pods (maxPods); new pods cannot be scheduled on it`,
      );

  // ---- kubelet: resolv.conf and env of new pods ----------------------------------------
  const svcByNs = new Map<string, ServiceState[]>();
  for (const s of services) {
    let l = svcByNs.get(s.namespace);
    if (!l) svcByNs.set(s.namespace, (l = []));
    l.push(s);
  }
  const kubeSvc = services.find((s) => s.namespace === "default" && s.name === "kubernetes");
  const resolvMemo = new WeakMap<PodSpec, Map<string, ReturnType<typeof resolvConfFor>>>();
  const envMemo = new Map<string, { name: string; value: string }[]>();
  const envWithOwn = new WeakMap<PodSpec, Map<string, { name: string; value: string }[]>>();
  for (const pod of created) {
    let m = resolvMemo.get(pod.spec);
    if (!m) resolvMemo.set(pod.spec, (m = new Map()));
    let r = m.get(pod.namespace);
    if (!r) m.set(pod.namespace, (r = resolvConfFor(config, pod.namespace, pod.spec)));
    pod.resolvConf = r.text;
    for (const e of r.events) ev(e.type, e.reason, `pod/${pod.namespace}/${pod.name}`, e.message, "kubelet");
    const links = pod.spec.enableServiceLinks !== false;
    const ek = `${pod.namespace}\u0000${pod.created}\u0000${links}`;
    let base = envMemo.get(ek);
    if (!base) {
      const visible = [...(svcByNs.get(pod.namespace) ?? [])];
      if (kubeSvc && pod.namespace !== "default") visible.push(kubeSvc);
      envMemo.set(ek, (base = serviceEnvFor(visible, pod.namespace, pod.created, links)));
    }
    const own = (pod.spec.containers?.[0]?.env ?? [])
      .filter((e) => typeof e.value === "string")
      .map((e) => ({ name: e.name, value: e.value! }));
    if (own.length === 0) pod.env = base;
    else {
      let om = envWithOwn.get(pod.spec);
      if (!om) envWithOwn.set(pod.spec, (om = new Map()));
      let env = om.get(ek);
      if (!env) om.set(ek, (env = [...base, ...own]));
      pod.env = env;
    }
  }

  const state: ClusterState = {
    config,
    seed,
    clock,
    namespaces: sameNs ? prev.namespaces : namespaces,
    nodes,
    pods,
    services,
    endpointSlices,
    networkPolicies: kind("NetworkPolicy").map((o) => ({
      namespace: o.metadata.namespace ?? "default",
      name: o.metadata.name,
      spec: o.spec ?? { podSelector: {} },
      source: o.source,
    })),
    ingresses: kind("Ingress"),
    workloads: workloadObjs,
    dns: prev.dns,
    events: [...prev.events, ...events],
    ipam: {
      ...finished.ipam,
      serviceIPs: svc.serviceIPs,
      nodePorts: svc.nodePorts,
      loadBalancerIPs: svc.loadBalancerIPs,
    },
    warnings,
    objects,
    replicaSets,
  };
  const { dns: _old, ...withoutDns } = state;
  void _old;
  state.dns = computeDnsRecords(withoutDns);
  return { state, events };
}

/** The apiserver's own slice for default/kubernetes: every control-plane node's :6443. */
function apiserverSlice(nodes: NodeState[], _s: ServiceState): EndpointSliceState {
  const cps = nodes.filter((n) => n.role === "control-plane");
  return {
    namespace: "default",
    name: "kubernetes",
    serviceName: "kubernetes",
    addressType: "IPv4",
    ports: [{ name: "https", port: 6443, protocol: "TCP" }],
    endpoints: cps.map((n) => ({
      addresses: [n.address],
      conditions: { ready: true, serving: true, terminating: false },
    })),
    managedBy: "kube-apiserver",
  };
}

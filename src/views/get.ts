// `kubectl get` for the ClusterState: resource names and short names, kubectl's
// columns (pkg/printers/internalversion/printers.go), -o wide|yaml|json|name,
// --show-labels, -l, -n/-A, and its messages for empty and missing results.

import { blockingSidecar } from "../control/probes.js";
import type {
  CiliumPolicyState,
  AdminPolicyState,
  ClusterState,
  EndpointSliceState,
  NodeState,
  PodState,
  ServiceState,
} from "../control/state.js";
import type { KubeObject, Labels, LabelSelector } from "../manifest/types.js";
import { formatLabelSelector, matchSelector, parseSelector } from "../manifest/selector.js";
import { age, byNsName, formatLabels, nodeInfo, type ViewOptions } from "./common.js";
import {
  endpointSliceObject,
  endpointsList,
  endpointsObject,
  serviceNamed,
  sliceLabels,
  givenAs,
  givenMetadata,
  givenObject,
  listObject,
  loadBalancerAddresses,
  namespaceObject,
  nodeObject,
  containerReady,
  podObject,
  sidecarsOf,
  serviceObject,
  toJson,
  toYaml,
  type EndpointsView,
} from "./objects.js";
import { objectAge, observedNodeCells, observedPodCells } from "./observed.js";
import { configErrorStatus } from "./env.js";
import type { Item, Resource } from "./get-types.js";
import { cronjobs, jobs, nsOf, replicasets, workloadResource } from "./get-workloads.js";
import { horizontalpodautoscalers } from "./get-hpa.js";
import { kubectlTable } from "./tabwriter.js";
import { admittedClass, classesOf, publishedAddresses } from "./ingress.js";
import { GATEWAY_RESOURCES } from "./gateway.js";
import { CALICO_RESOURCES, findCalicoResource } from "./get-calico.js";

export type { Item, Resource } from "./get-types.js";

// ---- pods -----------------------------------------------------------------

function podStatus(p: PodState): string {
  if (p.terminating) return "Terminating";
  if (p.phase === "Pending" && p.nodeName) {
    // printPod: initializing at an init container that runs and has not completed (a sidecar
    // whose startup probe errors): "Init:<its index>/<init containers>".
    const blocked = blockingSidecar(p.spec, p.probeFailures);
    if (blocked >= 0) return `Init:${blocked}/${(p.spec.initContainers ?? []).length}`;
    return configErrorStatus(p) ?? "ContainerCreating";
  }
  return p.phase;
}

const pods: Resource<PodState> = {
  kind: "Pod",
  plural: "pods",
  singular: "pod",
  shortNames: ["po"],
  nameRef: "pod",
  namespaced: true,
  items: (s) => s.pods.map((p) => ({ namespace: p.namespace, name: p.name, labels: p.labels, value: p })),
  header: (wide) => [
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    "AGE",
    ...(wide ? ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"] : []),
  ],
  row(state, item, wide) {
    const p = item.value;
    if (p.observed) {
      const c = observedPodCells(state, p);
      const r = [p.name, c.ready, c.status, c.restarts, c.age];
      if (wide) r.push(c.ip, p.nodeName ?? "<none>", c.nominatedNode, c.readinessGates);
      return r;
    }
    // printPod (kubectl printers.go): restartable init containers count with the containers.
    const all = [...sidecarsOf(p), ...p.spec.containers];
    const total = all.length;
    const ready = all.filter((c) => containerReady(p, c.name)).length;
    const r = [p.name, `${ready}/${total}`, podStatus(p), "0", age(state, p.created)];
    if (wide) r.push(p.podIP ?? "<none>", p.nodeName ?? "<none>", "<none>", "<none>");
    return r;
  },
  object: (state, item, opts) => podObject(state, item.value, opts),
};

// ---- services -------------------------------------------------------------

/** printers.go loadBalancerStatusStringer: sorted, de-duplicated, truncated to 16
 *  characters ("…" as "...") unless wide. */
export function loadBalancerString(ips: string[], wide: boolean): string {
  let r = [...new Set(ips)].sort().join(",");
  if (!wide && r.length > 16) r = r.slice(0, 13) + "...";
  return r;
}

/** printers.go printService's EXTERNAL-IP; `lb`: the status's addresses (an IP, else a hostname). */
export function serviceExternalIP(s: ServiceState, wide: boolean, lb: string[] = s.loadBalancerIPs): string {
  switch (s.type) {
    case "ClusterIP":
    case "NodePort":
      return s.externalIPs.length ? s.externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const r = loadBalancerString(lb, wide);
      if (s.externalIPs.length) return [...(r ? r.split(",") : []), ...s.externalIPs].join(",");
      return r || "<pending>";
    }
    case "ExternalName":
      return s.externalName ?? "";
  }
  return "<unknown>";
}

/** printers.go makePortString: "80/TCP", "8080:31344/TCP", joined by ",". */
export function servicePorts(s: ServiceState): string {
  const r = s.ports
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
    .join(",");
  return r || "<none>";
}

const services: Resource<ServiceState> = {
  kind: "Service",
  plural: "services",
  singular: "service",
  shortNames: ["svc"],
  nameRef: "service",
  namespaced: true,
  items: (s) => s.services.map((x) => ({ namespace: x.namespace, name: x.name, labels: x.labels, value: x })),
  header: (wide) => ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", ...(wide ? ["SELECTOR"] : [])],
  row(state, item, wide) {
    const s = item.value;
    const clusterIP = s.type === "ExternalName" || !s.clusterIP ? "<none>" : s.clusterIP;
    const r = [
      s.name,
      s.type,
      clusterIP,
      serviceExternalIP(s, wide, loadBalancerAddresses(state, s)),
      servicePorts(s),
      objectAge(state, "Service", s.namespace, s.name, s.created),
    ];
    if (wide) r.push(formatLabels(s.selector));
    return r;
  },
  object: (state, item, opts) => serviceObject(state, item.value, opts),
};

// ---- endpoints and slices ---------------------------------------------------

/** printers.go formatEndpoints: ready addresses as ip:port, at most 3, then " + N more...". */
export function formatEndpoints(e: EndpointsView): string {
  if (e.subsets.length === 0) return "<none>";
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of e.subsets) {
    if (ss.ports.length === 0) {
      count += ss.addresses.length;
      for (const a of ss.addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports) {
      count += ss.addresses.length;
      for (const a of ss.addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(",");
  return more ? `${ret} + ${count - max} more...` : ret;
}

function joinHostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(",");
  if (more) return `${ret} + ${count - max} more...`;
  return ret === "" ? "<unset>" : ret;
}

export function formatSlicePorts(s: EndpointSliceState): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of s.ports) {
    if (list.length < 3) list.push(p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? "*"));
    else more = true;
    count++;
  }
  return listWithMore(list, more, count, 3);
}

export function formatSliceEndpoints(s: EndpointSliceState): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ep of s.endpoints)
    for (const a of ep.addresses) {
      if (list.length < 3) list.push(a);
      else more = true;
      count++;
    }
  return listWithMore(list, more, count, 3);
}

// Each slice row asks for its Service: one map per listing, not a scan per row (10,000
// Services and their slices in a threshold-size dump).
function serviceCreated(state: ClusterState, ns: string, name: string): number | undefined {
  return serviceNamed(state, ns, name)?.created;
}

const endpoints: Resource<EndpointsView> = {
  kind: "Endpoints",
  plural: "endpoints",
  singular: "endpoints",
  shortNames: ["ep"],
  nameRef: "endpoints",
  namespaced: true,
  items: (s) => endpointsList(s).map((e) => ({ namespace: e.namespace, name: e.name, labels: e.labels, value: e })),
  header: () => ["NAME", "ENDPOINTS", "AGE"],
  row: (state, item) => {
    const e = item.value;
    return [
      e.name,
      formatEndpoints(e),
      objectAge(state, "Endpoints", e.namespace, e.name, e.created, { kind: "Service", name: e.name }),
    ];
  },
  object: (state, item, opts) => endpointsObject(state, item.value, opts),
};

const endpointslices: Resource<EndpointSliceState> = {
  kind: "EndpointSlice",
  plural: "endpointslices",
  singular: "endpointslice",
  shortNames: [],
  nameRef: "endpointslice.discovery.k8s.io",
  namespaced: true,
  items: (s) =>
    s.endpointSlices.map((x) => ({
      namespace: x.namespace,
      name: x.name,
      labels: sliceLabels(s, x),
      value: x,
    })),
  header: () => ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
  row: (state, item) => {
    const s = item.value;
    return [
      s.name,
      s.addressType,
      formatSlicePorts(s),
      formatSliceEndpoints(s),
      objectAge(state, "EndpointSlice", s.namespace, s.name, serviceCreated(state, s.namespace, s.serviceName), {
        kind: "Service",
        name: s.serviceName,
      }),
    ];
  },
  object: (state, item, opts) => endpointSliceObject(state, item.value, opts),
};

// ---- nodes, namespaces ------------------------------------------------------

/** printers.go findNodeRoles: node-role.kubernetes.io/<role> and kubernetes.io/role. */
export function nodeRoles(labels: Labels): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

const nodes: Resource<NodeState> = {
  kind: "Node",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  nameRef: "node",
  namespaced: false,
  items: (s) =>
    [...s.nodes]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((n) => ({ namespace: "", name: n.name, labels: n.labels, value: n })),
  header: (wide) => [
    "NAME",
    "STATUS",
    "ROLES",
    "AGE",
    "VERSION",
    ...(wide ? ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"] : []),
  ],
  row(state, item, wide, opts) {
    const n = item.value;
    if (n.observed || n.implied) {
      const c = observedNodeCells(state, n);
      const r = [n.name, c.status, nodeRoles(n.labels), c.age, c.version];
      if (wide) r.push(c.internalIP, c.externalIP, c.osImage, c.kernelVersion, c.containerRuntime);
      return r;
    }
    const info = nodeInfo(opts);
    const r = [n.name, "Ready", nodeRoles(n.labels), age(state, 0), info.kubeletVersion];
    if (wide) r.push(n.address, "<none>", info.osImage, info.kernelVersion, info.containerRuntimeVersion);
    return r;
  },
  object: (state, item, opts) => nodeObject(state, item.value, opts),
};

type NamespaceView = ClusterState["namespaces"][number];

const namespaces: Resource<NamespaceView> = {
  kind: "Namespace",
  plural: "namespaces",
  singular: "namespace",
  shortNames: ["ns"],
  nameRef: "namespace",
  namespaced: false,
  items: (s) =>
    [...s.namespaces]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((n) => ({
        namespace: "",
        name: n.name,
        labels: { "kubernetes.io/metadata.name": n.name, ...n.labels },
        value: n,
      })),
  header: () => ["NAME", "STATUS", "AGE"],
  row: (state, item) => [item.name, "Active", objectAge(state, "Namespace", "", item.name, 0)],
  object: (state, item, opts) => namespaceObject(state, item.value, opts),
};

// ---- networkpolicies, ingresses --------------------------------------------

type Netpol = ClusterState["networkPolicies"][number];

const networkpolicies: Resource<Netpol> = {
  kind: "NetworkPolicy",
  plural: "networkpolicies",
  singular: "networkpolicy",
  shortNames: ["netpol"],
  nameRef: "networkpolicy.networking.k8s.io",
  namespaced: true,
  items: (s) =>
    s.networkPolicies.map((n) => ({
      namespace: n.namespace,
      name: n.name,
      labels: givenMetadata(s, "NetworkPolicy", n.namespace, n.name)?.labels ?? {},
      value: n,
    })),
  header: () => ["NAME", "POD-SELECTOR", "AGE"],
  row: (state, item) => [
    item.name,
    formatLabelSelector(item.value.spec.podSelector),
    objectAge(state, "NetworkPolicy", item.namespace, item.name, 0),
  ],
  object: (state, item, opts) => {
    const n = item.value;
    const given = givenMetadata(state, "NetworkPolicy", n.namespace, n.name);
    return givenObject(
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { ...given, name: n.name, namespace: n.namespace },
        spec: n.spec,
      },
      n.namespace,
      opts,
    );
  },
};

/** printers.go formatHosts: at most 3 hosts, "*" when none. */
export function ingressHosts(rules: { host?: string }[]): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === 3) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (list.length === 0) return "*";
  return more ? `${list.join(",")} + ${rules.length - 3} more...` : list.join(",");
}

const ingresses: Resource<KubeObject> = {
  kind: "Ingress",
  plural: "ingresses",
  singular: "ingress",
  shortNames: ["ing"],
  nameRef: "ingress.networking.k8s.io",
  namespaced: true,
  items: (s) =>
    s.ingresses.map((o) => ({ namespace: nsOf(o), name: o.metadata.name, labels: o.metadata.labels ?? {}, value: o })),
  header: () => ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
  row(state, item, wide) {
    const o = item.value;
    return [
      item.name,
      admittedClass(state, o) ?? "<none>",
      ingressHosts(o.spec?.rules ?? []),
      loadBalancerString(publishedAddresses(state, o), wide),
      (o.spec?.tls ?? []).length ? "80, 443" : "80",
      objectAge(state, "Ingress", item.namespace, item.name, 0),
    ];
  },
  object: (_state, item, opts) => givenObject(item.value, item.namespace, opts),
};

const ingressclasses: Resource<KubeObject> = {
  kind: "IngressClass",
  plural: "ingressclasses",
  singular: "ingressclass",
  shortNames: [],
  nameRef: "ingressclass.networking.k8s.io",
  namespaced: false,
  items: (s) =>
    classesOf(s).map((o) => ({ namespace: "", name: o.metadata.name, labels: o.metadata.labels ?? {}, value: o })),
  header: () => ["NAME", "CONTROLLER", "PARAMETERS", "AGE"],
  row(state, item) {
    const p = item.value.spec?.parameters;
    const params = p ? `${p.kind}/${p.name}` : "<none>";
    return [
      item.name,
      String(item.value.spec?.controller ?? ""),
      params,
      objectAge(state, "IngressClass", "", item.name, 0),
    ];
  },
  object: (_state, item, opts) => givenObject(item.value, undefined, opts),
};

// ---- Cilium's policies ------------------------------------------------------

/**
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy as `kubectl get` prints a CRD: the
 * columns its additionalPrinterColumns declare (cilium/cilium
 * pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml: Age, then Valid from the
 * status condition the agent sets; a policy podnet read is one the agent would take).
 */
function ciliumPolicyResource(
  kind: CiliumPolicyState["kind"],
  plural: string,
  shortNames: string[],
): Resource<CiliumPolicyState> {
  const namespaced = kind === "CiliumNetworkPolicy";
  return {
    kind,
    plural,
    singular: plural.slice(0, -3) + "y",
    shortNames,
    nameRef: `${plural.slice(0, -3)}y.cilium.io`,
    namespaced,
    items: (s) =>
      (s.ciliumPolicies ?? [])
        .filter((p) => p.kind === kind)
        .map((p) => ({
          namespace: p.namespace ?? "",
          name: p.name,
          labels: givenMetadata(s, kind, p.namespace, p.name)?.labels ?? {},
          value: p,
        })),
    header: () => ["NAME", "AGE", "VALID"],
    row: (state, item) => {
      const given = givenAs(state, kind, item.value.namespace, item.name);
      const valid = (given?.status?.conditions ?? []).find((c: { type?: string }) => c?.type === "Valid")?.status;
      return [
        item.name,
        objectAge(state, kind, item.namespace, item.name, 0),
        typeof valid === "string" ? valid : "True",
      ];
    },
    object: (state, item, opts) => {
      const given = givenAs(state, kind, item.value.namespace, item.name);
      return given
        ? givenObject(given, item.value.namespace, opts)
        : { apiVersion: "cilium.io/v2", kind, metadata: { name: item.name }, spec: item.value.rules[0] };
    },
  };
}

// ---- The network-policy-api's policies ----------------------------------------

/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy as `kubectl get` prints their CRDs
 * (kubernetes-sigs/network-policy-api config/crd/standard: additionalPrinterColumns
 * Priority (ANP only), then Age; short names anp and banp).
 */
function adminPolicyResource(
  kind: AdminPolicyState["kind"],
  plural: string,
  short: string,
): Resource<AdminPolicyState> {
  const anp = kind === "AdminNetworkPolicy";
  return {
    kind,
    plural,
    singular: plural.slice(0, -3) + "y",
    shortNames: [short],
    nameRef: `${plural.slice(0, -3)}y.policy.networking.k8s.io`,
    namespaced: false,
    items: (s) =>
      (s.adminPolicies ?? [])
        .filter((p) => p.kind === kind)
        .map((p) => ({
          namespace: "",
          name: p.name,
          labels: givenMetadata(s, kind, undefined, p.name)?.labels ?? {},
          value: p,
        })),
    header: () => (anp ? ["NAME", "PRIORITY", "AGE"] : ["NAME", "AGE"]),
    row: (state, item) => {
      const age = objectAge(state, kind, "", item.name, 0);
      const prio = item.value.spec.priority;
      return anp ? [item.name, typeof prio === "number" ? String(prio) : "", age] : [item.name, age];
    },
    object: (state, item, opts) => {
      const given = givenAs(state, kind, undefined, item.name);
      return given
        ? givenObject(given, undefined, opts)
        : {
            apiVersion: "policy.networking.k8s.io/v1alpha1",
            kind,
            metadata: { name: item.name },
            spec: item.value.spec,
          };
    },
  };
}

export const RESOURCES: Resource[] = [
  pods,
  services,
  endpoints,
  endpointslices,
  nodes,
  networkpolicies,
  ciliumPolicyResource("CiliumNetworkPolicy", "ciliumnetworkpolicies", ["cnp", "ciliumnp"]),
  ciliumPolicyResource("CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", ["ccnp"]),
  ...CALICO_RESOURCES,
  adminPolicyResource("AdminNetworkPolicy", "adminnetworkpolicies", "anp"),
  adminPolicyResource("BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", "banp"),
  ingresses,
  ingressclasses,
  ...GATEWAY_RESOURCES,
  namespaces,
  workloadResource("Deployment", "deployments", ["deploy"]),
  replicasets,
  workloadResource("StatefulSet", "statefulsets", ["sts"]),
  workloadResource("DaemonSet", "daemonsets", ["ds"]),
  workloadResource("ReplicationController", "replicationcontrollers", ["rc"]),
  horizontalpodautoscalers,
  cronjobs,
  jobs,
];

/**
 * The resource as the API server's NotFound names it: its plural with its API group
 * (schema.GroupResource.String(), k8s.io/apimachinery pkg/runtime/schema/group_version.go):
 * `pods`, `deployments.apps`, `ingresses.networking.k8s.io`.
 */
function qualifiedResource(res: Resource): string {
  const dot = res.nameRef.indexOf(".");
  return dot < 0 ? res.plural : `${res.plural}${res.nameRef.slice(dot)}`;
}

/** Resolve "pods", "pod", "po", "Pod", "deployments.apps" … to a resource. `cni`: the
 *  cluster's, which decides a short name two CNIs' resources share (`cnp`). */
export function findResource(name: string, cni?: string): Resource | undefined {
  const calico = findCalicoResource(name, cni);
  if (calico) return calico;
  const n = name
    .toLowerCase()
    .replace(/\.(apps|autoscaling|batch|discovery\.k8s\.io|networking\.k8s\.io|gateway\.networking\.k8s\.io|v1)$/, "");
  return RESOURCES.find(
    (r) => r.plural === n || r.singular === n || r.shortNames.includes(n) || r.kind.toLowerCase() === n,
  );
}

// ---- get --------------------------------------------------------------------

export interface GetOptions extends ViewOptions {
  names?: string[];
  namespace?: string; // default "default"
  allNamespaces?: boolean;
  output?: "" | "wide" | "yaml" | "json" | "name";
  showLabels?: boolean;
  /** `-L KEY`: a column per label key, headed by its name's last segment in capitals. */
  labelColumns?: string[];
  selector?: string;
  /** Several resource types in one call: NAME becomes "pod/x", "service/y" (kubectl). */
  prefixNames?: boolean;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The items one resource type contributes: namespace, selector and names applied, with
 *  kubectl's NotFound errors for the names that are missing. */
function selectItems(
  state: ClusterState,
  res: Resource,
  o: GetOptions,
): { items: Item[]; stderr: string; exitCode: number } {
  const ns = o.namespace ?? "default";
  let items = res.items(state);
  if (res.namespaced && !o.allNamespaces) items = items.filter((i) => i.namespace === ns);
  items = items.sort(byNsName);
  let sel: LabelSelector | undefined;
  if (o.selector) sel = parseSelector(o.selector);
  if (sel) items = items.filter((i) => matchSelector(sel!, i.labels));
  let stderr = "";
  let exitCode = 0;
  const wanted = o.names ?? [];
  if (wanted.length) {
    const found: Item[] = [];
    for (const n of wanted) {
      const it = items.find((i) => i.name === n);
      if (it) found.push(it);
      else {
        stderr += `Error from server (NotFound): ${qualifiedResource(res)} "${n}" not found\n`;
        exitCode = 1;
      }
    }
    items = found;
  }
  return { items, stderr, exitCode };
}

/**
 * `kubectl get TYPES… -o json|yaml` (kubernetes/kubectl pkg/cmd/get/get.go printGeneric):
 * unless exactly one object was asked for by name, every object of every type goes into
 * ONE `List` (apiVersion v1, metadata.resourceVersion ""), in type order then the
 * server's; an empty answer is an empty List.
 */
export function getObjectsView(
  state: ClusterState,
  parts: { res: Resource; names: string[] }[],
  o: GetOptions,
): CommandOutput {
  const fmt = o.output === "json" ? toJson : toYaml;
  if (o.allNamespaces && parts.some((p) => p.names.length))
    return { stdout: "", stderr: "error: a resource cannot be retrieved by name across all namespaces\n", exitCode: 1 };
  const objs: Record<string, unknown>[] = [];
  let stderr = "";
  let exitCode = 0;
  for (const p of parts) {
    const r = selectItems(state, p.res, { ...o, names: p.names });
    for (const i of r.items) objs.push(p.res.object(state, i, o));
    stderr += r.stderr;
    exitCode = Math.max(exitCode, r.exitCode);
  }
  const singleItemImplied = parts.length === 1 && parts[0].names.length === 1;
  if (singleItemImplied) return { stdout: objs.length ? fmt(objs[0]) : "", stderr, exitCode };
  return { stdout: fmt(listObject(objs)), stderr, exitCode };
}

/** `kubectl get RESOURCE [NAME…]`: the text kubectl prints and its exit code. */
export function getView(state: ClusterState, res: Resource, o: GetOptions = {}): CommandOutput {
  const ns = o.namespace ?? "default";
  const out = o.output ?? "";
  if (out === "yaml" || out === "json") return getObjectsView(state, [{ res, names: o.names ?? [] }], o);
  if (o.allNamespaces && o.names?.length)
    return { stdout: "", stderr: "error: a resource cannot be retrieved by name across all namespaces\n", exitCode: 1 };
  const all = !!o.allNamespaces;
  const wanted = o.names ?? [];
  const { items, stderr, exitCode } = selectItems(state, res, o);
  if (items.length === 0 && !wanted.length) {
    // get.go: "No resources found in NS namespace." for namespaced lists, else no period.
    const msg = res.namespaced && !all ? `No resources found in ${ns} namespace.` : "No resources found";
    return { stdout: "", stderr: msg + "\n", exitCode: 0 };
  }
  if (items.length === 0) return { stdout: "", stderr, exitCode };

  let stdout: string;
  if (out === "name") stdout = items.map((i) => `${res.nameRef}/${i.name}\n`).join("");
  else {
    const wide = out === "wide";
    const showNs = res.namespaced && all;
    // kubectl's decorateTable (k8s.io/cli-runtime pkg/printers/tablegenerator.go): the -L
    // columns after the table's own (formatLabelHeaders: the key's last "/" segment, upper
    // case; a missing label is an empty cell), then LABELS.
    const cols = o.labelColumns ?? [];
    const header = [
      ...(showNs ? ["NAMESPACE"] : []),
      ...res.header(wide),
      ...cols.map((k) => (k.split("/").at(-1) ?? k).toUpperCase()),
      ...(o.showLabels ? ["LABELS"] : []),
    ];
    const rows = items.map((i) => {
      const r = res.row(state, i, wide, o);
      if (o.prefixNames) r[0] = `${res.nameRef}/${r[0]}`;
      return [
        ...(showNs ? [i.namespace] : []),
        ...r,
        ...cols.map((k) => i.labels[k] ?? ""),
        ...(o.showLabels ? [formatLabels(i.labels)] : []),
      ];
    });
    stdout = kubectlTable([header, ...rows]);
  }
  return { stdout, stderr, exitCode };
}

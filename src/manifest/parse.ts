// Manifests (YAML or JSON text) -> ClusterSpec. Pure: the caller reads the files.
//
// - Reading the text into documents (YAML 1.1 as kubectl, JSON, Lists, large dumps split by
//   kubectl's layout): documents.ts.
// - A `kind: Cluster` document (apiVersion podnet.dev/v1alpha1) among the manifests is the
//   cluster config unless one is passed separately (then it is ignored with a warning).
// - Understood kinds are kept (raw object plus the defaults Kubernetes applies at
//   admission that podnet relies on); other kinds give one warning per kind.
// - A document with neither apiVersion nor kind (a Helm values file, a test report) is
//   not a Kubernetes object: skipped, one warning per file. One of the two alone is an error.
// - The same object (kind/namespace/name) twice: identical, it is one object; different,
//   an error naming both places.
// - All errors of all documents are collected and thrown as one SpecError. In tolerant
//   mode (the reading commands) an API-validation error the network does not depend on
//   is a warning instead (validate.ts lists which are network-relevant).
import type { ClusterSpec } from "./cluster-spec.js";
import type { Diagnostic, KubeObject, SourceRef } from "./types.js";
import {
  type ClusterConfig,
  CONFIG_API_VERSION,
  KIND_CONFIG_API_VERSION,
  defaultConfig,
  parseConfig,
} from "./config.js";
import {
  CALICO_NETWORK_POLICY,
  Diags,
  MAX_DEPTH,
  type Mapping,
  NO_VALUE,
  deeperThan,
  isNamespaced,
  isObj,
  objectLabel,
  where,
} from "./diag.js";
import { SpecError } from "./errors.js";
import { type RawDocument, type SourceText, readDocuments as readAll } from "./documents.js";
import { asInstalled } from "./helm-hooks.js";
import { dumpNamesNodes, inferConfig, isSnapshot } from "./infer.js";
import { dedupeObjects, validateObjects } from "./validate.js";

export { type ByteSource, type RawDocument, type SourceText, SPLIT_ABOVE, readDocuments } from "./documents.js";

/** apiVersion each understood kind is served at. */
export const KIND_API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  Node: "v1",
  Pod: "v1",
  Service: "v1",
  Endpoints: "v1",
  Deployment: "apps/v1",
  ReplicaSet: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  // Its Jobs come on its schedule; reach lists its pods by the job template (questions/reach.ts).
  CronJob: "batch/v1",
  ReplicationController: "v1",
  EndpointSlice: "discovery.k8s.io/v1",
  NetworkPolicy: "networking.k8s.io/v1",
  Ingress: "networking.k8s.io/v1",
  // Which controller serves an Ingress (spec.ingressClassName, the default class).
  IngressClass: "networking.k8s.io/v1",
  // Read for the cluster's settings (infer.ts): CoreDNS's Corefile, kube-proxy's mode,
  // flannel's net-conf.json, kubeadm-config; Calico's IP pools (calicoctl's CRD form).
  // ConfigMaps also feed containers' environments (envFrom, configMapKeyRef).
  ConfigMap: "v1",
  // Read for containers' environments (envFrom, secretKeyRef); its values are never printed.
  Secret: "v1",
  IPPool: "crd.projectcalico.org/v1",
  // The Tigera operator's Installation (cluster-scoped, named `default`): the IP pools it
  // creates, with their encapsulation (https://docs.tigera.io/calico/latest/reference/installation/api).
  Installation: "operator.tigera.io/v1",
  // Gateway API (gateway.networking.k8s.io, standard channel): podnet's Gateway controller
  // routes HTTP with them (src/ingress/gateway.ts).
  GatewayClass: "gateway.networking.k8s.io/v1",
  Gateway: "gateway.networking.k8s.io/v1",
  HTTPRoute: "gateway.networking.k8s.io/v1",
  ReferenceGrant: "gateway.networking.k8s.io/v1beta1",
  // Sets its target's replicas within [minReplicas, maxReplicas] (control/hpa.ts).
  HorizontalPodAutoscaler: "autoscaling/v2",
  // Cilium's own policies (https://docs.cilium.io/en/stable/security/policy/language/):
  // enforced when the cluster's CNI is Cilium (policy/cilium.ts).
  CiliumNetworkPolicy: "cilium.io/v2",
  CiliumClusterwideNetworkPolicy: "cilium.io/v2",
  // Calico's own policies (https://docs.tigera.io/calico/latest/reference/resources/):
  // enforced when the cluster's CNI is Calico (policy/calico.ts). Its NetworkPolicy is told
  // from Kubernetes' by the group (CALICO_NETWORK_POLICY).
  [CALICO_NETWORK_POLICY]: "projectcalico.org/v3",
  GlobalNetworkPolicy: "projectcalico.org/v3",
  NetworkSet: "projectcalico.org/v3",
  GlobalNetworkSet: "projectcalico.org/v3",
  Tier: "projectcalico.org/v3",
  // The network-policy-api's cluster-wide policies (https://network-policy-api.sigs.k8s.io/):
  // enforced when the CNI is Calico, in the tiers Calico gives them (policy/anp.ts).
  AdminNetworkPolicy: "policy.networking.k8s.io/v1alpha1",
  BaselineAdminNetworkPolicy: "policy.networking.k8s.io/v1alpha1",
};
// Other versions the API server still serves for a kind (the Gateway API CRDs serve
// v1beta1 beside v1: config/crd/standard/gateway.networking.k8s.io_*.yaml).
const ALSO_SERVED: Record<string, readonly string[]> = {
  GatewayClass: ["gateway.networking.k8s.io/v1beta1"],
  Gateway: ["gateway.networking.k8s.io/v1beta1"],
  HTTPRoute: ["gateway.networking.k8s.io/v1beta1"],
  HorizontalPodAutoscaler: ["autoscaling/v1"],
  // The same pool as served by the Calico API server (`kubectl get ippools` once it is installed,
  // as the operator does): projectcalico.org/v3, the same spec
  // (https://docs.tigera.io/calico/latest/reference/resources/ippool).
  IPPool: ["projectcalico.org/v3"],
  // Calico's resources as the CRDs store them (`kubectl get …crd.projectcalico.org` without
  // the Calico API server): the same spec.
  [CALICO_NETWORK_POLICY]: ["crd.projectcalico.org/v1"],
  GlobalNetworkPolicy: ["crd.projectcalico.org/v1"],
  NetworkSet: ["crd.projectcalico.org/v1"],
  GlobalNetworkSet: ["crd.projectcalico.org/v1"],
  Tier: ["crd.projectcalico.org/v1"],
};
// Kinds the network does not depend on: one the API server would refuse (an HPA in a removed
// version, autoscaling/v2beta2 in an old chart; a CronJob of batch/v1beta1, whose Jobs would
// come later) is only a warning for the reading commands.
const OFF_NETWORK_KINDS = new Set(["HorizontalPodAutoscaler", "CronJob"]);
// Versions that served these kinds once and were removed (kubectl: "no matches for kind").
const REMOVED_VERSIONS = new Set([
  "batch/v1beta1", // CronJob, removed in 1.25
  "extensions/v1beta1",
  "apps/v1beta1",
  "apps/v1beta2",
  "networking.k8s.io/v1beta1",
  "discovery.k8s.io/v1beta1",
]);

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

function isClusterDoc(v: unknown): boolean {
  if (!v || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return o.kind === "Cluster" && (o.apiVersion === CONFIG_API_VERSION || o.apiVersion === KIND_CONFIG_API_VERSION);
}

export interface SpecCheck {
  /** The spec as far as it could be read (objects with errors are still included). */
  spec: ClusterSpec;
  /** Errors and warnings, in input order. */
  diagnostics: Diagnostic[];
}

/**
 * strict: every API-validation error is an error (building or changing a real network).
 * tolerant: those the network does not depend on are warnings (reading commands).
 */
export type LoadMode = "strict" | "tolerant";

/** Like parseSpec, but returns the diagnostics instead of throwing. */
export function checkSpec(sources: SourceText[], config?: SourceText, mode: LoadMode = "strict"): SpecCheck {
  const diags = new Diags();
  const docs: RawDocument[] = [];
  // One push per document: spreading ~200,000 items of a dump overflows the call stack.
  for (const s of sources) for (const d of readDocuments(s, diags)) docs.push(d);

  // The cluster config: --config first, else a Cluster document among the manifests.
  const r: DocsRead = {
    cfg: config ? configFromFile(config, diags) : undefined,
    objects: [],
    ignored: new Map(),
    skipped: new Set(),
  };
  for (const d of docs) readDocument(d, config, diags, r);
  for (const [key, { count, first, enforcer }] of r.ignored)
    diags.warn(
      { source: { ...first, lineOf: undefined } },
      undefined,
      NO_VALUE,
      `ignored kind ${key} (${count} object${count === 1 ? "" : "s"})` +
        (enforcer
          ? `: podnet does not model this kind, and ${enforcer} enforces it, so reach, check, trace and diagnose may allow traffic the cluster denies`
          : ""),
    );

  const objects = asInstalled(dedupeObjects(r.objects, diags), diags);
  // No config: a dump of a live cluster shows its settings; manifests get the defaults.
  const inferred = !r.cfg && isSnapshot(objects) ? inferConfig(objects, defaultConfig()) : undefined;
  let cfg = r.cfg ?? inferred?.config ?? defaultConfig();
  // A config without nodes over a dump: the dump's nodes are the cluster's, not kind's three.
  if (r.cfg?.defaultNodes && isSnapshot(objects) && dumpNamesNodes(objects)) {
    cfg = { ...r.cfg, nodes: [] };
    delete cfg.defaultNodes;
  }
  for (const n of inferred?.notes ?? []) diags.warn(n.o ? where(n.o) : {}, undefined, NO_VALUE, n.text);
  validateObjects(objects, cfg, diags);
  if (mode === "tolerant") for (const d of diags.list) if (d.network === false) d.severity = "warning";
  for (const o of objects) applyDefaults(o);
  const spec: ClusterSpec = { config: cfg, objects, warnings: diags.warnings };
  if (inferred) spec.inferred = inferred.settings;
  return { spec, diagnostics: diags.list };
}

/** What reading the manifest documents gathers, in input order. */
interface DocsRead {
  cfg: ClusterConfig | undefined;
  /** The Cluster document the config came from (none with --config). */
  configDoc?: RawDocument;
  objects: KubeObject[];
  /** Kinds podnet does not model, counted, with the first place each was seen. */
  ignored: Map<string, { count: number; first: SourceRef; enforcer?: string }>;
  /** Files already warned about for documents that are not Kubernetes objects. */
  skipped: Set<string>;
}

/**
 * A file's documents, each at most MAX_DEPTH levels deep. A parser that recurses overflows
 * the stack on input nested thousands deep: that is an error about the file, not a crash.
 */
function readDocuments(src: SourceText, diags: Diags): RawDocument[] {
  let docs: RawDocument[];
  try {
    docs = readAll(src, diags);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    diags.add(
      "error",
      { source: { file: src.file, docIndex: 0, line: 1 } },
      undefined,
      NO_VALUE,
      `is nested too deeply to read (podnet reads documents at most ${MAX_DEPTH} levels deep)`,
    );
    return [];
  }
  const out: RawDocument[] = [];
  for (const d of docs) {
    if (d.shallow || !deeperThan(d.value, MAX_DEPTH)) {
      out.push(d);
      continue;
    }
    // The document's line comes from a scan that recurses too (jsonLineMap): guarded.
    let line: number | undefined;
    try {
      line = d.source.line;
    } catch {
      line = undefined;
    }
    diags.error(
      {
        source: { file: d.source.file, docIndex: d.source.docIndex, line: line ?? 1 },
        object: `document ${d.source.docIndex + 1}`,
      },
      undefined,
      NO_VALUE,
      `is nested more than ${MAX_DEPTH} levels deep (podnet's limit; no object it reads comes near)`,
    );
  }
  return out;
}

/** --config: exactly one Cluster document. */
function configFromFile(config: SourceText, diags: Diags): ClusterConfig | undefined {
  const cdocs = readDocuments(config, diags);
  const cd = cdocs.filter((d) => isClusterDoc(d.value));
  if (cdocs.length > 0 && cd.length === 0)
    diags.error(
      { source: cdocs[0].source, object: "document 1" },
      "kind",
      NO_VALUE,
      `the config file must hold a document with apiVersion ${CONFIG_API_VERSION} and kind Cluster`,
    );
  for (const extra of cd.slice(1))
    diags.error(
      {
        source: extra.source,
        object: objectLabel(
          "Cluster",
          undefined,
          isObj(extra.value) ? extra.value.name : undefined,
          extra.source.docIndex,
        ),
      },
      "kind",
      NO_VALUE,
      `more than one Cluster config (the first is at ${cd[0].source.file}:${cd[0].source.line})`,
    );
  return cd.length > 0 ? parseConfig(cd[0].value, cd[0].source, diags) : undefined;
}

/**
 * Who enforces a policy kind podnet does not model, by its API group: the CNIs' own policy
 * resources podnet does not read (Antrea's, Calico's and Cilium's kinds other than those it
 * enforces) and the network-policy-api's later versions (ClusterNetworkPolicy).
 */
function policyEnforcer(kind: string, group: string): string | undefined {
  if (!/NetworkPolicy$/.test(kind) && kind !== "ClusterNetworkPolicy") return undefined;
  // Calico's staged policies are previewed, never enforced
  // (https://docs.tigera.io/calico/latest/reference/resources/stagednetworkpolicy).
  if (kind.startsWith("Staged")) return undefined;
  if (group === "cilium.io") return "Cilium";
  if (group === "projectcalico.org" || group === "crd.projectcalico.org") return "Calico";
  if (group === "crd.antrea.io") return "Antrea";
  if (group === "policy.networking.k8s.io") return "the CNI that implements it";
  return undefined;
}

/** One manifest document: a Cluster config, an object podnet models, an ignored kind, or an error. */
function readDocument(d: RawDocument, config: SourceText | undefined, diags: Diags, r: DocsRead): void {
  const v = d.value;
  const src = d.source;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    diags.error(
      { source: src, object: `document ${src.docIndex + 1}` },
      undefined,
      v,
      "is not a Kubernetes object (a document must be a mapping)",
    );
    return;
  }
  const o = v as Mapping;
  if (
    o.kind === "NetworkPolicy" &&
    typeof o.apiVersion === "string" &&
    /^(crd\.)?projectcalico\.org\//.test(o.apiVersion)
  )
    o.kind = CALICO_NETWORK_POLICY;
  const kind = o.kind;
  const label = () => objectLabel(kind, undefined, o.metadata?.name ?? o.name, src.docIndex);
  if (isClusterDoc(o)) {
    if (config) {
      diags.warn(
        { source: src, object: label() },
        undefined,
        NO_VALUE,
        `ignored: the cluster config comes from ${config.file}`,
      );
    } else if (r.configDoc) {
      diags.error(
        { source: src, object: label() },
        "kind",
        NO_VALUE,
        `more than one Cluster config (the first is at ${r.configDoc.source.file}:${r.configDoc.source.line})`,
      );
    } else {
      r.configDoc = d;
      r.cfg = parseConfig(o, src, diags);
    }
    return;
  }
  const chart = helmChart(o);
  if (chart || ((o.kind === undefined || o.kind === null) && (o.apiVersion === undefined || o.apiVersion === null))) {
    // Not a Kubernetes object (a values file, a test report, a chart's Chart.yaml): kubectl -R
    // would refuse the directory; podnet reads what it can, once per file.
    if (!r.skipped.has(src.file)) {
      r.skipped.add(src.file);
      const message = chart
        ? `${src.file}: skipped: a Helm chart, not Kubernetes objects (its templates are not read): give podnet what \`helm template\` prints`
        : `${src.file}: skipped: not a Kubernetes object (no apiVersion/kind)`;
      diags.list.push({ severity: "warning", message, file: src.file });
    }
    return;
  }
  if (!hasKindAndVersion(o, src, label, diags)) return;
  // A List (List, PodList …) whose items are no list: documents.ts reads Lists with a list of
  // items only; kubectl refuses the rest ("items" must be an array).
  if (/List$/.test(kind) && o.apiVersion === "v1" && !Array.isArray(o.items)) {
    // Without items (null, absent) it is an empty list, as Go decodes it.
    if (o.items !== undefined && o.items !== null)
      diags.error({ source: src, object: label() }, "items", o.items, "must be a list of objects");
    return;
  }
  // Own keys only: a kind such as `__proto__` or `constructor` must not find Object's.
  const want = Object.hasOwn(KIND_API_VERSIONS, kind) ? KIND_API_VERSIONS[kind] : undefined;
  const group = groupOf(o.apiVersion);
  const alsoServed = want !== undefined && Object.hasOwn(ALSO_SERVED, kind) && ALSO_SERVED[kind].includes(o.apiVersion);
  if (!want || (group !== groupOf(want) && !REMOVED_VERSIONS.has(o.apiVersion) && !alsoServed)) {
    // Not ours (ConfigMap, CRDs, a Knative `Service` of serving.knative.dev …).
    const key = want ? `${kind}.${group}` : kind;
    const e = r.ignored.get(key);
    if (e) e.count++;
    else r.ignored.set(key, { count: 1, first: src, enforcer: policyEnforcer(kind, group) });
    return;
  }
  if (o.apiVersion !== want && !alsoServed) {
    diags.check(
      { source: src, object: label() },
      "apiVersion",
      o.apiVersion,
      `no matches for kind "${kind}" in version "${o.apiVersion}" (use "${want}")`,
      !OFF_NETWORK_KINDS.has(kind),
    );
    return;
  }
  if (typeof o.metadata !== "object" || o.metadata === null || Array.isArray(o.metadata)) {
    diags.error(
      { source: src, object: label() },
      "metadata",
      o.metadata ?? NO_VALUE,
      o.metadata === undefined ? "is required" : "must be a mapping",
    );
    return;
  }
  if (o.metadata.name === undefined || o.metadata.name === "" || o.metadata.name === null) {
    diags.error({ source: src, object: label() }, "metadata.name", NO_VALUE, "is required");
    return;
  }
  if (isNamespaced(kind)) {
    if (o.metadata.namespace === undefined || o.metadata.namespace === null || o.metadata.namespace === "")
      o.metadata.namespace = "default";
  } else delete o.metadata.namespace; // cluster-scoped: Kubernetes ignores it
  const obj = o as KubeObject;
  Object.defineProperty(obj, "source", { value: src, enumerable: false, writable: true, configurable: true });
  r.objects.push(obj);
}

/**
 * A Helm chart's Chart.yaml: apiVersion v1 or v2, no kind, and the chart's required name and
 * version (https://helm.sh/docs/topics/charts/#the-chartyaml-file).
 */
function helmChart(o: Mapping): boolean {
  return (
    (o.apiVersion === "v1" || o.apiVersion === "v2") &&
    o.kind === undefined &&
    typeof o.name === "string" &&
    (typeof o.version === "string" || typeof o.version === "number")
  );
}

/** kind and apiVersion are non-empty strings (both reported when both are missing). */
function hasKindAndVersion(o: Mapping, src: SourceRef, label: () => string, diags: Diags): boolean {
  let bad = false;
  if (typeof o.kind !== "string" || o.kind === "") {
    diags.error(
      { source: src, object: objectLabel(undefined, undefined, undefined, src.docIndex) },
      "kind",
      o.kind ?? NO_VALUE,
      o.kind === undefined ? "is required" : "must be a non-empty string",
    );
    bad = true;
  }
  if (typeof o.apiVersion !== "string" || o.apiVersion === "") {
    diags.error(
      { source: src, object: label() },
      "apiVersion",
      o.apiVersion ?? NO_VALUE,
      o.apiVersion === undefined ? "is required" : "must be a non-empty string",
    );
    bad = true;
  }
  return !bad;
}

/**
 * Parses and validates manifests (and an optional cluster config file). Throws one
 * SpecError carrying every error; warnings are in the result.
 */
export function parseSpec(sources: SourceText[], config?: SourceText, mode: LoadMode = "strict"): ClusterSpec {
  const { spec, diagnostics } = checkSpec(sources, config, mode);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new SpecError(errors);
  return spec;
}

// ---------------------------------------------------------------------------
// Defaults the API server applies at admission that podnet relies on. Only missing
// fields are filled; the raw object is kept otherwise.

function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.enableServiceLinks ??= true;
  spec.restartPolicy ??= "Always";
  for (const list of [spec.containers, spec.initContainers])
    if (Array.isArray(list))
      for (const c of list)
        if (c && Array.isArray(c.ports)) for (const p of c.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
}

function defaultRcSelector(o: KubeObject): void {
  const labels = o.spec.template?.metadata?.labels;
  if (!labels || typeof labels !== "object") return;
  const empty = (m: unknown) => !m || typeof m !== "object" || Object.keys(m).length === 0;
  if (empty(o.spec.selector)) o.spec.selector = { ...labels };
  if (empty(o.metadata.labels)) o.metadata.labels = { ...labels };
}

export function applyDefaults(o: KubeObject): void {
  const spec = o.spec;
  switch (o.kind) {
    case "Namespace":
      // NamespaceDefaultLabelName (GA in 1.22): lets namespaceSelectors pick a namespace by name.
      o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name };
      break;
    case "Pod":
      defaultPodSpec(spec);
      break;
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
    case "ReplicationController":
      if (!spec || typeof spec !== "object") break;
      if (o.kind !== "DaemonSet" && o.kind !== "Job") spec.replicas ??= 1;
      // SetDefaults_ReplicationController (pkg/apis/core/v1/defaults.go): an empty selector
      // and empty labels default to the template's labels.
      if (o.kind === "ReplicationController") defaultRcSelector(o);
      if (o.kind === "StatefulSet") spec.podManagementPolicy ??= "OrderedReady";
      if (o.kind === "Job") {
        // Both unset: a single pod run once; parallelism alone leaves completions unset (work queue).
        if (spec.parallelism === undefined && spec.completions === undefined) spec.completions = 1;
        spec.parallelism ??= 1;
        // Defaults run on what was read even when it holds errors: any shape may be here.
        if (isObj(spec.template) && isObj(spec.template.spec)) spec.template.spec.restartPolicy ??= "Never";
      }
      defaultPodSpec(spec.template?.spec);
      break;
    case "Service": {
      if (!spec || typeof spec !== "object") {
        o.spec = { type: "ClusterIP", sessionAffinity: "None" };
        break;
      }
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (spec.sessionAffinity === "ClientIP") {
        spec.sessionAffinityConfig ??= {};
        spec.sessionAffinityConfig.clientIP ??= {};
        spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
      }
      if (spec.type !== "ExternalName") spec.internalTrafficPolicy ??= "Cluster";
      if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
      // SetDefaults_Service (pkg/apis/core/v1/defaults.go).
      if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
      if (Array.isArray(spec.ports))
        for (const p of spec.ports) {
          if (!p || typeof p !== "object") continue;
          p.protocol ??= "TCP";
          if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
        }
      break;
    }
    case "NetworkPolicy":
      if (!spec || typeof spec !== "object") break;
      spec.podSelector ??= {};
      // SetDefaults_NetworkPolicy (pkg/apis/networking/v1/defaults.go): with no policyTypes
      // (unset or empty), Ingress, and Egress when there is an egress rule
      // (len(spec.egress) != 0: `egress: []` adds none).
      if (
        spec.policyTypes === undefined ||
        spec.policyTypes === null ||
        (Array.isArray(spec.policyTypes) && !spec.policyTypes.length)
      )
        spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
      for (const rules of [spec.ingress, spec.egress])
        if (Array.isArray(rules))
          for (const r of rules)
            if (r && Array.isArray(r.ports))
              for (const p of r.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      break;
    case "EndpointSlice":
      if (Array.isArray(o.ports)) for (const p of o.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      if (Array.isArray(o.endpoints)) for (const e of o.endpoints) if (e && typeof e === "object") e.conditions ??= {};
      break;
    case "Endpoints":
      if (Array.isArray(o.subsets))
        for (const s of o.subsets)
          if (s && Array.isArray(s.ports))
            for (const p of s.ports) if (p && typeof p === "object") p.protocol ??= "TCP";
      break;
  }
}

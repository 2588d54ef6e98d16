// `podnet describe pod|svc|ep|endpointslice|node|netpol|ing|deploy|rs|ds|sts|rc|job|cj NAME`:
// kubectl describe's layout over the model.
// Like kubectl, a NAME that matches no object exactly describes every object whose
// name starts with it.
import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
import type { ViewOptions } from "../views/common.js";
import type { KubeObject } from "../manifest/types.js";
import { describeNode, describePod, describeService } from "../views/describe.js";
import {
  describeCronJob,
  describeDeployment,
  describeIngress,
  describeJob,
  describeNetworkPolicy,
} from "../views/describe-objects.js";
import type { CommandOutput } from "../views/get.js";
import { describeGatewayApi } from "../views/describe-gateway.js";
import { describeEndpointSlice, describeEndpoints } from "../views/describe-endpoints.js";
import {
  describeDaemonSet,
  describeReplicaSet,
  describeReplicationController,
  describeStatefulSet,
} from "../views/describe-workloads.js";
import { cronjobs, replicasets } from "../views/get-workloads.js";
import { endpointsList } from "../views/objects.js";
import { gatewayApiObjects } from "../views/gateway.js";
import { type CalicoKind, calicoKindNamed, calicoObjects } from "../views/get-calico.js";
import { addClusterOptions, emit, hostViewOptions, loadFromFlags } from "./cluster-opts.js";
import { UsageError } from "./errors.js";

type Kind =
  | "pod"
  | "service"
  | "endpoints"
  | "endpointslice"
  | "node"
  | "networkpolicy"
  | "ingress"
  | "deployment"
  | "replicaset"
  | "daemonset"
  | "statefulset"
  | "replicationcontroller"
  | "job"
  | "cronjob"
  | GatewayKind
  | CalicoDescribed;
// Calico's resources (projectcalico.org/v3), by the generic describer too; their names are
// resolved as `get` resolves them (views/get-calico.ts), `networkpolicies` being Kubernetes'.
type CalicoDescribed = `projectcalico.org/${CalicoKind}`;
// Custom resources, described by kubectl's generic describer (views/describe-gateway.ts).
type GatewayKind =
  | "GatewayClass"
  | "Gateway"
  | "HTTPRoute"
  | "ReferenceGrant"
  | "CiliumNetworkPolicy"
  | "CiliumClusterwideNetworkPolicy"
  | "AdminNetworkPolicy"
  | "BaselineAdminNetworkPolicy";
const KINDS: Record<string, Kind> = {
  pod: "pod",
  pods: "pod",
  po: "pod",
  service: "service",
  services: "service",
  svc: "service",
  endpoints: "endpoints",
  ep: "endpoints",
  endpointslice: "endpointslice",
  endpointslices: "endpointslice",
  node: "node",
  nodes: "node",
  no: "node",
  networkpolicy: "networkpolicy",
  networkpolicies: "networkpolicy",
  netpol: "networkpolicy",
  ingress: "ingress",
  ingresses: "ingress",
  ing: "ingress",
  deployment: "deployment",
  deployments: "deployment",
  deploy: "deployment",
  replicaset: "replicaset",
  replicasets: "replicaset",
  rs: "replicaset",
  daemonset: "daemonset",
  daemonsets: "daemonset",
  ds: "daemonset",
  statefulset: "statefulset",
  statefulsets: "statefulset",
  sts: "statefulset",
  replicationcontroller: "replicationcontroller",
  replicationcontrollers: "replicationcontroller",
  rc: "replicationcontroller",
  job: "job",
  jobs: "job",
  cronjob: "cronjob",
  cronjobs: "cronjob",
  cj: "cronjob",
  ...Object.fromEntries(
    (["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"] as const).flatMap((k) => [
      [k.toLowerCase(), k],
      [k.endsWith("s") ? `${k.toLowerCase()}es` : `${k.toLowerCase()}s`, k],
    ]),
  ),
  // Cilium's CRDs: their names and short names (pkg/k8s/apis/cilium.io/client/crds/v2).
  ciliumnetworkpolicy: "CiliumNetworkPolicy",
  ciliumnetworkpolicies: "CiliumNetworkPolicy",
  cnp: "CiliumNetworkPolicy",
  ciliumnp: "CiliumNetworkPolicy",
  ciliumclusterwidenetworkpolicy: "CiliumClusterwideNetworkPolicy",
  ciliumclusterwidenetworkpolicies: "CiliumClusterwideNetworkPolicy",
  ccnp: "CiliumClusterwideNetworkPolicy",
  // The network-policy-api's CRDs (config/crd/standard: short names anp, banp).
  adminnetworkpolicy: "AdminNetworkPolicy",
  adminnetworkpolicies: "AdminNetworkPolicy",
  anp: "AdminNetworkPolicy",
  baselineadminnetworkpolicy: "BaselineAdminNetworkPolicy",
  baselineadminnetworkpolicies: "BaselineAdminNetworkPolicy",
  banp: "BaselineAdminNetworkPolicy",
};
const PLURAL: Record<Kind, string> = {
  pod: "pods",
  service: "services",
  endpoints: "endpoints",
  endpointslice: "endpointslices.discovery.k8s.io",
  node: "nodes",
  networkpolicy: "networkpolicies.networking.k8s.io",
  ingress: "ingresses.networking.k8s.io",
  deployment: "deployments.apps",
  replicaset: "replicasets.apps",
  daemonset: "daemonsets.apps",
  statefulset: "statefulsets.apps",
  replicationcontroller: "replicationcontrollers",
  job: "jobs.batch",
  cronjob: "cronjobs.batch",
  GatewayClass: "gatewayclasses.gateway.networking.k8s.io",
  Gateway: "gateways.gateway.networking.k8s.io",
  HTTPRoute: "httproutes.gateway.networking.k8s.io",
  ReferenceGrant: "referencegrants.gateway.networking.k8s.io",
  CiliumNetworkPolicy: "ciliumnetworkpolicies.cilium.io",
  CiliumClusterwideNetworkPolicy: "ciliumclusterwidenetworkpolicies.cilium.io",
  AdminNetworkPolicy: "adminnetworkpolicies.policy.networking.k8s.io",
  BaselineAdminNetworkPolicy: "baselineadminnetworkpolicies.policy.networking.k8s.io",
  "projectcalico.org/NetworkPolicy": "networkpolicies.projectcalico.org",
  "projectcalico.org/GlobalNetworkPolicy": "globalnetworkpolicies.projectcalico.org",
  "projectcalico.org/NetworkSet": "networksets.projectcalico.org",
  "projectcalico.org/GlobalNetworkSet": "globalnetworksets.projectcalico.org",
  "projectcalico.org/Tier": "tiers.projectcalico.org",
};
const CALICO_CLUSTER_SCOPED: ReadonlySet<Kind> = new Set([
  "projectcalico.org/GlobalNetworkPolicy",
  "projectcalico.org/GlobalNetworkSet",
  "projectcalico.org/Tier",
]);

/** The controllers listed as given (state.workloads): their kind and describer. */
const GIVEN: Record<
  "job" | "daemonset" | "statefulset" | "replicationcontroller",
  { kind: string; describe: (state: ClusterState, o: KubeObject, opts: ViewOptions) => string }
> = {
  job: { kind: "Job", describe: describeJob },
  daemonset: { kind: "DaemonSet", describe: describeDaemonSet },
  statefulset: { kind: "StatefulSet", describe: describeStatefulSet },
  replicationcontroller: { kind: "ReplicationController", describe: describeReplicationController },
};

/** The objects of one kind in the namespace (nodes: all), each with its describer. */
function candidates(state: ClusterState, kind: Kind, ns: string, opts: ViewOptions): Described[] {
  const nsOf = (o: KubeObject) => o.metadata.namespace ?? "default";
  switch (kind) {
    case "pod":
      return state.pods
        .filter((p) => p.namespace === ns)
        .map((p) => ({ name: p.name, text: () => describePod(state, p, opts) }));
    case "service":
      return state.services
        .filter((s) => s.namespace === ns)
        .map((s) => ({ name: s.name, text: () => describeService(state, s, opts) }));
    case "endpoints":
      return endpointsList(state)
        .filter((e) => e.namespace === ns)
        .map((e) => ({ name: e.name, text: () => describeEndpoints(state, e, opts) }));
    case "endpointslice":
      return state.endpointSlices
        .filter((s) => s.namespace === ns)
        .map((s) => ({ name: s.name, text: () => describeEndpointSlice(state, s, opts) }));
    case "node":
      return state.nodes.map((n) => ({ name: n.name, text: () => describeNode(state, n, opts) }));
    case "networkpolicy":
      return state.networkPolicies
        .filter((n) => n.namespace === ns)
        .map((n) => ({ name: n.name, text: () => describeNetworkPolicy(state, n, opts) }));
    case "ingress":
      return state.ingresses
        .filter((o) => nsOf(o) === ns)
        .map((o) => ({ name: o.metadata.name, text: () => describeIngress(state, o, opts) }));
    case "deployment":
      return state.workloads
        .filter((o) => o.kind === "Deployment" && nsOf(o) === ns)
        .map((o) => ({ name: o.metadata.name, text: () => describeDeployment(state, o, opts) }));
    case "replicaset":
      return replicasets
        .items(state)
        .filter((r) => r.namespace === ns)
        .map((r) => ({ name: r.name, text: () => describeReplicaSet(state, r.value, opts) }));
    case "cronjob":
      return cronjobs
        .items(state)
        .filter((c) => c.namespace === ns)
        .map((c) => ({ name: c.name, text: () => describeCronJob(state, c.value, opts) }));
    case "job":
    case "daemonset":
    case "statefulset":
    case "replicationcontroller": {
      const { kind: k, describe } = GIVEN[kind];
      return state.workloads
        .filter((o) => o.kind === k && nsOf(o) === ns)
        .map((o) => ({ name: o.metadata.name, text: () => describe(state, o, opts) }));
    }
    default:
      if (kind.startsWith("projectcalico.org/"))
        return calicoObjects(state, kind.slice("projectcalico.org/".length) as CalicoKind, ns).map((o) => ({
          name: o.metadata.name,
          text: () => describeGatewayApi(state, o, opts),
        }));
      return gatewayApiObjects(state, kind, ns).map((o) => ({
        name: o.metadata.name,
        text: () => describeGatewayApi(state, o, opts),
      }));
  }
}
interface Described {
  name: string;
  text: () => string;
}

export function runDescribe(
  state: ClusterState,
  kindArg: string,
  names: string[],
  namespace: string,
  opts: ViewOptions = {},
): CommandOutput {
  const norm = (k: string) =>
    k
      .toLowerCase()
      .replace(
        /(\.v1(beta1)?|\.v1alpha1)?\.(apps|batch|discovery\.k8s\.io|policy\.networking\.k8s\.io|networking\.k8s\.io|gateway\.networking\.k8s\.io)$|\.v1$/,
        "",
      );
  const kindOf = (k: string): Kind | undefined => {
    const calico = calicoKindNamed(k, state.config.networking.cni);
    if (calico) return `projectcalico.org/${calico}`;
    return Object.hasOwn(KINDS, norm(k)) ? KINDS[norm(k)] : undefined;
  };
  let kind = kindOf(kindArg);
  if (kindArg.includes("/") && names.length === 0) {
    const [k, n] = [kindArg.slice(0, kindArg.indexOf("/")), kindArg.slice(kindArg.indexOf("/") + 1)];
    kind = kindOf(k);
    names = [n];
  }
  if (!kind)
    throw new UsageError(
      `describe supports pod, service, endpoints, endpointslice, node, networkpolicy, ingress, deployment, replicaset, daemonset, statefulset, replicationcontroller, job, cronjob, gatewayclass, gateway, httproute, referencegrant, ciliumnetworkpolicy, ciliumclusterwidenetworkpolicy, networkpolicies.projectcalico.org, globalnetworkpolicy, networkset, globalnetworkset, tier, adminnetworkpolicy and baselineadminnetworkpolicy: "${kindArg}"`,
    );
  const all = candidates(state, kind, namespace, opts).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chosen: Described[] = [];
  let stderr = "";
  if (names.length === 0) chosen.push(...all);
  for (const n of names) {
    const exact = all.filter((x) => x.name === n);
    const hits = exact.length ? exact : all.filter((x) => x.name.startsWith(n));
    if (hits.length === 0) stderr += `Error from server (NotFound): ${PLURAL[kind]} "${n}" not found\n`;
    chosen.push(...hits);
  }
  const texts = chosen.map((x) => x.text());
  if (names.length === 0 && texts.length === 0) {
    return {
      stdout: "",
      stderr:
        kind === "node" || CALICO_CLUSTER_SCOPED.has(kind)
          ? "No resources found\n"
          : `No resources found in ${namespace} namespace.\n`,
      exitCode: 0,
    };
  }
  // kubectl separates described objects with a blank line.
  return { stdout: texts.join("\n\n"), stderr, exitCode: stderr ? 1 : 0 };
}

export function register(program: Command): void {
  addClusterOptions(
    program
      .command("describe")
      .description(
        "show one object in detail like kubectl describe: pod|svc|ep|endpointslice|node|netpol|ing|deploy|rs|ds|sts|rc|job|cronjob|cnp|ccnp|gnp|tier|anp|banp NAME",
      )
      .argument(
        "<kind>",
        "pod, svc, ep, endpointslice, node, netpol, ing, deploy, rs, ds, sts, rc or job (or KIND/NAME)",
      )
      .argument("[names...]", "names or name prefixes")
      .option("-n, --namespace <ns>", "namespace", "default"),
  ).action(async (kind: string, names: string[], o) => {
    const { state } = await loadFromFlags(o);
    emit(runDescribe(state, kind, names, o.namespace, hostViewOptions()));
  });
}

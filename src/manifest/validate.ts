// Validation of the understood objects, following the Kubernetes API server's rules
// (pkg/apis/*/validation) for the fields podnet uses, plus the cross-object checks
// that need the whole input: duplicates, two Services asking for one clusterIP or nodePort.
// Every finding goes to `diags`; nothing throws here. The per-kind rules live in
// validate/ (common, pod, workloads, cronjob, service, policy, endpoints, ingress, gateway, hpa).
//
// Each finding says whether the network model depends on it (Diagnostic.network): the
// sites that pass NET. Loading in tolerant mode (the reading commands) reports the others
// as warnings, with kubectl's text, and goes on; strict mode (`up`, `apply --name`) refuses
// both. Network-relevant, and so always an error:
//   - a value of the wrong type or shape where the model reads it (a mapping, list, string,
//     integer or boolean expected), and required structure (spec, template, containers,
//     a selector of a workload, a CronJob's job template, a NetworkPolicy's podSelector);
//   - port numbers and protocols (Service, container, hostPort, EndpointSlice, Endpoints,
//     NetworkPolicy, Ingress backend), every Gateway API finding (validate/gateway.ts), a Service port without a number, two Service ports
//     with one port/protocol, nodePorts (type, range, taken);
//   - IPs and CIDRs: clusterIP(s) (valid, in the service range, taken), externalIPs,
//     loadBalancerIP and SourceRanges, status.podIP, a Node's podCIDR(s), ipBlocks,
//     endpoint addresses, dnsConfig nameservers;
//   - what selects or places: selector operators and their values, workload replicas and
//     empty selectors, tolerations, taints and node affinity (where a pod runs), Service
//     type, sessionAffinity, traffic policies, allocateLoadBalancerNodePorts, dnsPolicy,
//     NetworkPolicy peers, policyTypes and endPorts, the shape of an endpoint's zone and node hints;
//   - two different objects under one kind/namespace/name.
// API rules alone (warnings when tolerant): name, namespace, label and annotation formats,
// a container or second Service port without a name, duplicate container/port names, a
// hostname's, subdomain's or serviceName's format, a selector that does not match its
// template's labels, a Service without ports, externalTrafficPolicy on a ClusterIP Service,
// >3 nameservers, >32 searches, >100 endpoint addresses, a policy type given twice, a
// ConfigMap's or Secret's keys and values (a Secret's never printed), a CronJob's name length,
// schedule, concurrency policy and history limits, a Service's trafficDistribution value and
// loadBalancerClass (its format, a type other than LoadBalancer), allocateLoadBalancerNodePorts
// on a type other than LoadBalancer, an endpoint's zone and node hints (more than 8, duplicates,
// names).
import type { KubeObject, SourceRef } from "./types.js";
import type { ClusterConfig } from "./config.js";
import { inFull } from "./documents.js";
import { ObjectIndex } from "./object-index.js";
import { CALICO_NETWORK_POLICY, type Diags, NO_VALUE, isInt, isObj, labelOf, where } from "./diag.js";
import { parseIPv4 } from "../net/ipv4.js";
import { serviceIPv4 } from "./net.js";
import { type Err, NET, checkMeta } from "./validate/common.js";
import { checkEndpointSlice, checkEndpoints } from "./validate/endpoints.js";
import { checkGateway, checkGatewayClass, checkHTTPRoute, checkReferenceGrant } from "./validate/gateway.js";
import { checkHorizontalPodAutoscaler } from "./validate/hpa.js";
import { checkCronJob } from "./validate/cronjob.js";
import { checkIngress, checkIngressClass } from "./validate/ingress.js";
import { checkNode, checkPod } from "./validate/pod.js";
import { checkNetworkPolicy } from "./validate/policy.js";
import { checkCiliumPolicy } from "./validate/cilium-policy.js";
import { checkCalicoNetworkSet, checkCalicoPolicy, checkCalicoTier } from "./validate/calico-policy.js";
import { checkAdminNetworkPolicy } from "./validate/anp.js";
import { checkConfigMap, checkSecret } from "./validate/secret.js";
import { checkService } from "./validate/service.js";
import { checkWorkload } from "./validate/workloads.js";

export { checkLabels, checkSelector, selectorMatches } from "./validate/common.js";

/** What the cross-object checks have seen so far, in input order. */
interface Seen {
  clusterIPs: Map<string, KubeObject>;
  nodePorts: Map<string, KubeObject>;
}

/** "file:line" of a field of another object, for "first defined at" texts. */
function at(s: SourceRef | undefined, field?: string): string {
  return s ? `${s.file}:${(field && s.lineOf?.(field)) || s.line}` : "another document";
}

/** Key order aside, the same JSON value (`source` is not enumerable, so not compared). */
function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameContent((a as Record<string, unknown>)[k], rb[k]));
}

/**
 * One object per kind/namespace/name. An identical second definition is the same object
 * (`kubectl apply` reports it "unchanged") and is dropped quietly; a different one is an
 * error naming both places.
 */
export function dedupeObjects(objects: KubeObject[], diags: Diags): KubeObject[] {
  const first = new ObjectIndex<KubeObject>();
  const out: KubeObject[] = [];
  for (const o of objects) {
    const f = first.add(o.kind, o.metadata.namespace ?? "", o.metadata.name, o);
    if (!f) out.push(o);
    else if (!sameContent(inFull(f), inFull(o)))
      diags.check(
        where(o),
        "metadata.name",
        o.metadata.name,
        `duplicate ${labelOf(o)}, defined differently (first defined at ${at(f.source, "metadata.name")})`,
        true,
      );
  }
  return out;
}

/** Validates every object, then the cross-object rules (duplicates: see dedupeObjects). */
export function validateObjects(objects: KubeObject[], config: ClusterConfig, diags: Diags): void {
  const seen: Seen = { clusterIPs: new Map(), nodePorts: new Map() };

  // Namespaces every cluster has; others must be created by a Namespace object.
  const namespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
  for (const o of objects)
    if (o.kind === "Namespace" && typeof o.metadata.name === "string") namespaces.add(o.metadata.name);
  const undeclared = new Set<string>();

  for (const o of objects) {
    const ns = o.metadata.namespace;
    // An object read from a live cluster (it has a status) lives in a namespace that exists there.
    const observed = o.status !== undefined && o.status !== null;
    if (typeof ns === "string" && o.kind !== "Namespace" && !namespaces.has(ns) && !undeclared.has(ns) && !observed) {
      // Not fatal: manifests are often applied into namespaces created elsewhere.
      undeclared.add(ns);
      diags.warn(
        where(o),
        "metadata.namespace",
        ns,
        `is not declared by a Namespace object (on a real cluster: namespaces "${ns}" not found)`,
      );
    }
    // Where the object is, worked out for a finding only (most of 207,000 objects have none).
    const err: Err = (field, value, text, net) => diags.check(where(o), field, value, text, net === NET);
    checkMeta(err, o);
    checkKind(err, o, config, diags);
    if (o.kind === "Service" && isObj(o.spec)) checkServiceConflicts(err, o, seen);
  }
}

/** The rules of the object's kind. */
function checkKind(err: Err, o: KubeObject, config: ClusterConfig, diags: Diags): void {
  switch (o.kind) {
    case "Pod":
      checkPod(err, o);
      break;
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet":
    case "Job":
    case "ReplicationController":
      checkWorkload(err, o);
      break;
    case "CronJob":
      checkCronJob(err, o);
      break;
    case "Service":
      checkService(err, o, config, (field, value, text) => diags.warn(where(o), field, value, text));
      break;
    case "NetworkPolicy":
      checkNetworkPolicy(err, o, (field, value, text) => diags.warn(where(o), field, value, text));
      break;
    case "CiliumNetworkPolicy":
    case "CiliumClusterwideNetworkPolicy":
      checkCiliumPolicy(err, o, (field, value, text) => diags.warn(where(o), field, value, text));
      break;
    case CALICO_NETWORK_POLICY:
    case "GlobalNetworkPolicy":
      checkCalicoPolicy(err, o, (field, value, text) => diags.warn(where(o), field, value, text));
      break;
    case "NetworkSet":
    case "GlobalNetworkSet":
      checkCalicoNetworkSet(err, o);
      break;
    case "Tier":
      checkCalicoTier(err, o);
      break;
    case "AdminNetworkPolicy":
    case "BaselineAdminNetworkPolicy":
      checkAdminNetworkPolicy(err, o);
      break;
    case "EndpointSlice":
      checkEndpointSlice(err, o);
      // Not an API error, but without it the slice belongs to no Service.
      if (o.metadata.labels?.["kubernetes.io/service-name"] === undefined)
        diags.warn(
          where(o),
          "metadata.labels",
          NO_VALUE,
          'has no "kubernetes.io/service-name" label: the slice belongs to no Service',
        );
      break;
    case "Endpoints":
      checkEndpoints(err, o);
      break;
    case "Ingress":
      checkIngress(err, o);
      break;
    case "IngressClass":
      checkIngressClass(err, o);
      break;
    case "GatewayClass":
      checkGatewayClass(err, o);
      break;
    case "Gateway":
      checkGateway(err, o);
      break;
    case "HTTPRoute":
      checkHTTPRoute(err, o);
      break;
    case "ReferenceGrant":
      checkReferenceGrant(err, o);
      break;
    case "Node":
      checkNode(err, o);
      break;
    case "Secret":
      checkSecret(err, o);
      break;
    case "ConfigMap":
      checkConfigMap(err, o);
      break;
    case "HorizontalPodAutoscaler":
      checkHorizontalPodAutoscaler(err, o);
      break;
  }
}

/** Two Services asking for the same clusterIP / nodePort: only one can have it. */
function checkServiceConflicts(err: Err, o: KubeObject, seen: Seen): void {
  const ip = serviceIPv4(o.spec);
  if (typeof ip === "string" && ip !== "None" && ip !== "" && parseIPv4(ip) !== undefined) {
    const field = ip === o.spec.clusterIP ? "spec.clusterIP" : `spec.clusterIPs[${o.spec.clusterIPs.indexOf(ip)}]`;
    const other = seen.clusterIPs.get(ip);
    if (other && other !== o)
      err(field, ip, `is already allocated to ${labelOf(other)} (${at(other.source, "spec.clusterIP")})`, NET);
    else seen.clusterIPs.set(ip, o);
  }
  if (Array.isArray(o.spec.ports))
    o.spec.ports.forEach((p: unknown, i: number) => {
      if (!isObj(p) || !isInt(p.nodePort) || p.nodePort === 0) return;
      const k = `${p.nodePort}/${p.protocol ?? "TCP"}`;
      const other = seen.nodePorts.get(k);
      if (other)
        err(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is already allocated (to ${labelOf(other)})`, NET);
      else seen.nodePorts.set(k, o);
    });
}

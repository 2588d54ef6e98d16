// buildState: the cluster as the control plane leaves it after the system objects and
// the user's manifests have been applied to an empty cluster.
//
// The control plane (pure, no I/O):
//   build.ts     buildState(spec, {seed}) → ClusterState
//   changes.ts   applyObjects / deleteObject / scale → {state, events} (new value, input untouched)
//   reconcile.ts the one step all of them run, as phases over a shared context
//                (reconcile-context.ts): controllers (controllers.ts), scheduler + IPAM for
//                new pods (new-pods.ts), Services, EndpointSlices (reconcile-slices.ts),
//                kubelet's resolv.conf/env (kubelet.ts, resolvconf.ts, env.ts), DNS (dns.ts)
//   system.ts    objects every cluster has (namespaces, kubernetes, kube-dns, CoreDNS, kube-proxy, CNI)
//   nodes.ts     node addresses and pod CIDRs (range allocator)
//   schedule.ts  kube-scheduler's filters, FitError text and node sampling (schedule-pods.ts:
//                the filters that look at other pods; schedule-score.ts: the default score
//                plugins; ties go to the first node examined, in the node tree's zone order)
//   ipam.ts      pod IPs per CNI (host-local, Calico blocks, Cilium)
//   services.ts  cluster IPs, NodePorts, LoadBalancer addresses
//   endpoints.ts the EndpointSlice controller; given slices and Endpoints; zone hints
//                (PreferClose; topology-mode Auto through topology-cache.ts)
//   hpa.ts       the HorizontalPodAutoscaler's bounds on its target's replicas
//   hash.ts      seeded names (pod-template-hash, 5-char suffixes, UIDs, container IDs)
import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { KubeObject } from "../manifest/types.js";
import { SpecError } from "../manifest/errors.js";
import { faultErrors } from "./faults.js";
import { knownKeys } from "./reconcile-context.js";
import { reconcile } from "./reconcile.js";
import { objNamespace } from "./objects.js";
import { ObjectIndex } from "../manifest/object-index.js";
import type { ClusterState } from "./state.js";
import { systemObjects } from "./system.js";

/** The seed used when none is given (`--seed`). */
export const DEFAULT_SEED = "podnet";

/** An empty cluster: nodes not yet computed, nothing allocated. */
export function emptyState(config: ClusterSpec["config"], seed: string): ClusterState {
  return {
    config,
    seed,
    clock: 0,
    namespaces: [],
    nodes: [],
    pods: [],
    services: [],
    endpointSlices: [],
    networkPolicies: [],
    ingresses: [],
    workloads: [],
    dns: { zone: config.networking.dnsDomain, records: [] },
    events: [],
    ipam: { nodes: {}, serviceIPs: {}, nodePorts: {}, loadBalancerIPs: {} },
    warnings: [],
    objects: [],
    replicaSets: [],
  };
}

/** System objects first; a user object with the same kind/namespace/name replaces the system one in place. */
export function mergeObjects(base: KubeObject[], overrides: KubeObject[]): KubeObject[] {
  const out = [...base];
  // By objKey's parts, not its string: the index lives as long as the list (knownKeys).
  const pos = new ObjectIndex<number>();
  let named = true;
  out.forEach((o, i) => {
    named &&= !!o.metadata.name;
    pos.set(o.kind, objNamespace(o), o.metadata.name, i);
  });
  for (const o of overrides) {
    named &&= !!o.metadata.name;
    const i = pos.add(o.kind, objNamespace(o), o.metadata.name, out.length);
    if (i !== undefined) out[i] = o;
    else out.push(o);
  }
  knownKeys(out, pos, named);
  return out;
}

export function buildState(spec: ClusterSpec, opts: { seed?: string } = {}): ClusterState {
  const seed = opts.seed ?? DEFAULT_SEED;
  const objects = mergeObjects(systemObjects(spec.config, spec.objects), spec.objects);
  const state = reconcile(emptyState(spec.config, seed), objects).state;
  // A fault naming a node or pod the cluster does not have is bad input, not a crash.
  const errs = faultErrors(state);
  if (errs.length) throw new SpecError(errs.map((message) => ({ severity: "error", message, field: "faults" })));
  return state;
}

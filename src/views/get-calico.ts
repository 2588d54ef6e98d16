// `get` and `describe` for Calico's own resources (projectcalico.org/v3 NetworkPolicy,
// GlobalNetworkPolicy, NetworkSet, GlobalNetworkSet, Tier) as kubectl shows them when the
// Calico API server serves them.
//
// The Calico API server is an aggregated API server that gives its storage no table
// convertor of its own, so the generic registry's default answers kubectl's table request
// (k8s.io/apiserver pkg/registry/rest/table.go DefaultTableConvertor): two columns, "Name"
// and "Created At", the creation time formatted as RFC 3339 in UTC. kubectl upper-cases the
// headers and adds NAMESPACE with -A.
//
// Names: the API server registers each storage with its plural and the short names
// its REST object returns (projectcalico/calico apiserver/pkg/registry/projectcalico/rest
// storage_calico.go): networkpolicies (cnp, caliconetworkpolicy, caliconetworkpolicies),
// globalnetworkpolicies (gnp, cgnp, calicoglobalnetworkpolicies), networksets (netsets),
// globalnetworksets, tiers. `networkpolicies` alone is Kubernetes' (kubectl prefers the
// built-in group), so Calico's is reached by its group: `networkpolicies.projectcalico.org`,
// or a prefix of the group (`networkpolicies.p`), as kubectl's REST mapper accepts.
import type { ClusterState } from "../control/state.js";
import { CALICO_NETWORK_POLICY } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import { calicoTypes } from "../policy/calico.js";
import type { ViewOptions } from "./common.js";
import type { Resource } from "./get-types.js";
import { givenAs, givenObject } from "./objects.js";

export const CALICO_GROUP = "projectcalico.org";
export const CALICO_API_VERSION = "projectcalico.org/v3";

/** The kinds as the API serves them. */
export type CalicoKind = "NetworkPolicy" | "GlobalNetworkPolicy" | "NetworkSet" | "GlobalNetworkSet" | "Tier";

/** podnet's name for the kind (parse.ts tells Calico's NetworkPolicy from Kubernetes' by it). */
export function calicoInternalKind(kind: CalicoKind): string {
  return kind === "NetworkPolicy" ? CALICO_NETWORK_POLICY : kind;
}

const NAMESPACED: ReadonlySet<CalicoKind> = new Set(["NetworkPolicy", "NetworkSet"]);

interface CalicoItem {
  namespace?: string;
  name: string;
}

/** The objects of a kind that the state holds (state.calico), namespace and name. */
function calicoItems(state: ClusterState, kind: CalicoKind): CalicoItem[] {
  const c = state.calico;
  if (!c) return [];
  switch (kind) {
    case "NetworkPolicy":
    case "GlobalNetworkPolicy":
      return c.policies.filter((p) => p.kind === kind);
    case "NetworkSet":
    case "GlobalNetworkSet":
      return c.networkSets.filter((s) => s.kind === kind);
    case "Tier":
      return c.tiers;
  }
}

/**
 * The object as the Calico API server returns it: the real kind and projectcalico.org/v3
 * (also for one given in the CRDs' crd.projectcalico.org/v1 form, which the API server
 * stores behind v3), and a policy's `types` as libcalico-go's client defaults them on create
 * (clientv3 defaultPolicyTypesField: Ingress, plus Egress with egress rules; Egress alone
 * with only egress rules).
 */
export function calicoObject(state: ClusterState, kind: CalicoKind, it: CalicoItem): KubeObject {
  const internal = calicoInternalKind(kind);
  const given = givenAs(state, internal, it.namespace, it.name);
  const base: KubeObject = given ?? { apiVersion: CALICO_API_VERSION, kind, metadata: { name: it.name }, spec: {} };
  const o: KubeObject = { ...base, apiVersion: CALICO_API_VERSION, kind };
  if (NAMESPACED.has(kind)) o.metadata = { ...o.metadata, namespace: it.namespace ?? "default" };
  if ((kind === "NetworkPolicy" || kind === "GlobalNetworkPolicy") && o.spec && typeof o.spec === "object") {
    const spec = o.spec as Record<string, unknown>;
    if (!Array.isArray(spec.types) || spec.types.length === 0) {
      const t = calicoTypes(spec);
      o.spec = { ...spec, types: [...(t.ingress ? ["Ingress"] : []), ...(t.egress ? ["Egress"] : [])] };
    }
  }
  return o;
}

/** The Calico objects of a kind in a namespace (every one for the cluster-scoped kinds), for describe. */
export function calicoObjects(state: ClusterState, kind: CalicoKind, ns: string): KubeObject[] {
  return calicoItems(state, kind)
    .filter((it) => !NAMESPACED.has(kind) || (it.namespace ?? "default") === ns)
    .map((it) => calicoObject(state, kind, it));
}

function resource(kind: CalicoKind, plural: string, shortNames: string[]): Resource<CalicoItem> {
  const namespaced = NAMESPACED.has(kind);
  const printed = (state: ClusterState, it: CalicoItem, opts: ViewOptions) =>
    givenObject(calicoObject(state, kind, it), namespaced ? (it.namespace ?? "default") : undefined, opts);
  return {
    // podnet's kind (apply and delete name objects by it); objects print the real one.
    kind: calicoInternalKind(kind),
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    nameRef: `${kind.toLowerCase()}.${CALICO_GROUP}`,
    namespaced,
    items: (s) =>
      calicoItems(s, kind).map((it) => ({
        namespace: namespaced ? (it.namespace ?? "default") : "",
        name: it.name,
        labels: givenAs(s, calicoInternalKind(kind), it.namespace, it.name)?.metadata.labels ?? {},
        value: it,
      })),
    header: () => ["NAME", "CREATED AT"],
    row: (state, item, _wide, opts) => {
      const meta = printed(state, item.value, opts).metadata as { creationTimestamp?: string };
      return [item.name, meta.creationTimestamp ?? ""];
    },
    object: (state, item, opts) => printed(state, item.value, opts),
  };
}

export const CALICO_RESOURCES: Resource[] = [
  resource("NetworkPolicy", "networkpolicies", ["cnp", "caliconetworkpolicy", "caliconetworkpolicies"]),
  resource("GlobalNetworkPolicy", "globalnetworkpolicies", ["gnp", "cgnp", "calicoglobalnetworkpolicies"]),
  resource("NetworkSet", "networksets", ["netsets"]),
  resource("GlobalNetworkSet", "globalnetworksets", []),
  resource("Tier", "tiers", []),
];

const KIND_OF_PLURAL: Record<string, CalicoKind> = {
  networkpolicies: "NetworkPolicy",
  globalnetworkpolicies: "GlobalNetworkPolicy",
  networksets: "NetworkSet",
  globalnetworksets: "GlobalNetworkSet",
  tiers: "Tier",
};

/** The Calico kind a resource name means (findCalicoResource), for describe. */
export function calicoKindNamed(name: string, cni?: string): CalicoKind | undefined {
  const r = findCalicoResource(name, cni);
  return r && KIND_OF_PLURAL[r.plural];
}

/** Whether a resource name matches one of Calico's (plural, singular, short name, kind). */
function names(r: Resource, n: string): boolean {
  return r.plural === n || r.singular === n || r.shortNames.includes(n) || r.kind.toLowerCase() === n;
}

/**
 * A name that means a Calico resource: `RESOURCE.GROUP` where GROUP is projectcalico.org,
 * a prefix of it, or projectcalico.org/v3 written `RESOURCE.v3.projectcalico.org`; or a
 * name only Calico registers (`gnp`, `tiers`, `caliconetworkpolicies`). `cnp` is also
 * Cilium's short name: it is Calico's on a Calico cluster (`cni`), Cilium's otherwise.
 */
export function findCalicoResource(name: string, cni?: string): Resource | undefined {
  const n = name.toLowerCase();
  const dot = n.indexOf(".");
  if (dot > 0) {
    const group = n.slice(dot + 1).replace(/^v3\./, "");
    if (group && CALICO_GROUP.startsWith(group)) return CALICO_RESOURCES.find((r) => names(r, n.slice(0, dot)));
    return undefined;
  }
  const hit = CALICO_RESOURCES.find((r) => names(r, n));
  if (!hit) return undefined;
  // networkpolicies/networkpolicy are Kubernetes' first.
  if (hit.kind === CALICO_NETWORK_POLICY && !hit.shortNames.includes(n)) return undefined;
  if (n === "cnp" && cni !== "calico") return undefined;
  return hit;
}

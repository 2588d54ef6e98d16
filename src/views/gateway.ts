// `get` and `describe` for the Gateway API kinds (GatewayClass, Gateway, HTTPRoute,
// ReferenceGrant) with the status podnet's Gateway controller writes (src/ingress/gateway.ts).
// Columns: the CRDs' additionalPrinterColumns (kubernetes-sigs/gateway-api
// config/crd/standard/gateway.networking.k8s.io_*.yaml); `-o wide` on httproutes adds
// ACCEPTED and RESOLVEDREFS (podnet's: the route's conditions on its first parent).
// describe: describe-gateway.ts.
import type { ClusterState } from "../control/state.js";
import { PODNET_GATEWAY } from "../control/system.js";
import { type GatewayRouter, gatewayRouter } from "../ingress/gateway.js";
import type { KubeObject } from "../manifest/types.js";
import { isNamespaced } from "../manifest/diag.js";
import { objectAge } from "./observed.js";
import type { Resource } from "./get-types.js";
import { nsOf } from "./get-workloads.js";
import { givenObject } from "./objects.js";

const routers = new WeakMap<ClusterState, GatewayRouter | null>();

/** podnet's Gateway controller over the state (null: it controls no Gateway). */
function routerOf(state: ClusterState): GatewayRouter | null {
  let r = routers.get(state);
  if (r === undefined) {
    const made = gatewayRouter(state);
    r = typeof made === "string" ? null : made;
    routers.set(state, r);
  }
  return r;
}

const ofKind = (s: ClusterState, kind: string) => (s.objects ?? []).filter((o) => o.kind === kind);

/** The status podnet's controller writes on the object (the given one when it has one). */
export function gatewayApiStatus(state: ClusterState, o: KubeObject): Record<string, unknown> | undefined {
  if (o.status) return o.status;
  if (o.kind === "GatewayClass" && o.spec?.controllerName === PODNET_GATEWAY.controllerName)
    return {
      conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "podnet controls this class" }],
    };
  const r = routerOf(state);
  if (!r) return undefined;
  if (o.kind === "HTTPRoute") {
    const parents = r.routeStatus(o);
    return parents.length ? { parents } : undefined;
  }
  if (o.kind === "Gateway") {
    const g = r.gatewayStatus(o);
    if (!g) return undefined;
    return {
      addresses: g.addresses.map((value) => ({ type: "IPAddress", value })),
      conditions: g.conditions,
      listeners: g.listeners,
    };
  }
  return undefined;
}

function condition(state: ClusterState, o: KubeObject, type: string, parent = false): string {
  const st = gatewayApiStatus(state, o) as
    | {
        conditions?: { type: string; status: string }[];
        parents?: { conditions: { type: string; status: string }[] }[];
      }
    | undefined;
  const list = parent ? st?.parents?.[0]?.conditions : st?.conditions;
  return list?.find((c) => c.type === type)?.status ?? "Unknown";
}

function resource(
  kind: string,
  plural: string,
  namespaced: boolean,
  header: (wide: boolean) => string[],
  cells: (state: ClusterState, o: KubeObject, wide: boolean) => string[],
): Resource<KubeObject> {
  return {
    kind,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [],
    nameRef: `${kind.toLowerCase()}.gateway.networking.k8s.io`,
    namespaced,
    items: (s) =>
      ofKind(s, kind).map((o) => ({
        namespace: namespaced ? nsOf(o) : "",
        name: o.metadata.name,
        labels: o.metadata.labels ?? {},
        value: o,
      })),
    header,
    row: (state, item, wide) => [
      item.name,
      ...cells(state, item.value, wide),
      objectAge(state, kind, item.namespace, item.name, 0),
    ],
    object: (state, item, opts) => {
      const out = givenObject(item.value, namespaced ? item.namespace : undefined, opts);
      const status = gatewayApiStatus(state, item.value);
      return status ? { ...out, status } : out;
    },
  };
}

export const GATEWAY_RESOURCES: Resource[] = [
  resource(
    "GatewayClass",
    "gatewayclasses",
    false,
    (wide) => ["NAME", "CONTROLLER", "ACCEPTED", "AGE", ...(wide ? ["DESCRIPTION"] : [])],
    (state, o) => [String(o.spec?.controllerName ?? ""), condition(state, o, "Accepted")],
  ),
  resource(
    "Gateway",
    "gateways",
    true,
    () => ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"],
    (state, o) => {
      const st = gatewayApiStatus(state, o) as { addresses?: { value: string }[] } | undefined;
      return [
        String(o.spec?.gatewayClassName ?? ""),
        st?.addresses?.[0]?.value ?? "",
        condition(state, o, "Programmed"),
      ];
    },
  ),
  resource(
    "HTTPRoute",
    "httproutes",
    true,
    (wide) => ["NAME", "HOSTNAMES", ...(wide ? ["ACCEPTED", "RESOLVEDREFS"] : []), "AGE"],
    (state, o, wide) => [
      Array.isArray(o.spec?.hostnames) ? JSON.stringify(o.spec.hostnames) : "",
      ...(wide ? [condition(state, o, "Accepted", true), condition(state, o, "ResolvedRefs", true)] : []),
    ],
  ),
  resource(
    "ReferenceGrant",
    "referencegrants",
    true,
    () => ["NAME", "AGE"],
    () => [],
  ),
];

/** The Gateway API objects of a kind in a namespace ("" for GatewayClass), for describe. */
export function gatewayApiObjects(state: ClusterState, kind: string, ns: string): KubeObject[] {
  return ofKind(state, kind).filter((o) => !isNamespaced(kind) || nsOf(o) === ns);
}

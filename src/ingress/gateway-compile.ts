// Compiling an HTTPRoute's rules for podnet's Gateway router (gateway.ts): one RouteMatch
// per HTTPRouteMatch, the rule's action (backendRefs, filters) and its ResolvedRefs
// condition (kubernetes-sigs/gateway-api apis/v1/httproute_types.go, referencegrant_types.go).
import type { Mapping } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import {
  arr,
  type BackendRef,
  type Condition,
  cond,
  createdOf,
  GATEWAY_GROUP,
  type HeaderMatch,
  keyOf,
  nsOf,
  type RouteMatch,
  type RuleAction,
} from "./gateway-types.js";
import type { BackendIndex } from "./nginx.js";

// One RegExp per pattern: thousands of routes often share their expressions.
const REGEX_CACHE = new Map<string, RegExp>();

/** The pattern as a whole-value match (^(?:…)$); a never-matching one when invalid. */
function wholeMatch(source: string): RegExp {
  let re = REGEX_CACHE.get(source);
  if (!re) {
    try {
      re = new RegExp(`^(?:${source})$`);
    } catch {
      re = /(?!)/; // validation refuses it; a reader never throws
    }
    if (REGEX_CACHE.size < 10000) REGEX_CACHE.set(source, re);
  }
  return re;
}

function valueMatch(h: Mapping | undefined, lower: boolean): HeaderMatch {
  const name = String(h?.name ?? "");
  const value = String(h?.value ?? "");
  if (h?.type === "RegularExpression")
    return { name: lower ? name.toLowerCase() : name, exact: null, re: wholeMatch(value) };
  return { name: lower ? name.toLowerCase() : name, exact: value, re: null };
}

export function compileRoute(route: KubeObject, grants: KubeObject[], idx: BackendIndex): RouteMatch[] {
  const out: RouteMatch[] = [];
  arr(route.spec?.rules).forEach((rule, r) => {
    const action = compileAction(route, rule, grants, idx);
    const matches = arr(rule?.matches);
    (matches.length ? matches : [{}]).forEach((m, i) => {
      const type = m?.path?.type ?? "PathPrefix";
      const value = typeof m?.path?.value === "string" ? m.path.value : "/";
      const pathKind: 0 | 1 | 2 = type === "Exact" ? 0 : type === "RegularExpression" ? 1 : 2;
      const regex = pathKind === 1 ? wholeMatch(value) : null;
      const headers = arr(m?.headers).map((h) => valueMatch(h, true));
      const query = arr(m?.queryParams).map((h) => valueMatch(h, false));
      const method = typeof m?.method === "string" ? m.method : null;
      const parts = [`${type} ${value}`];
      if (method) parts.push(`method ${method}`);
      for (const h of arr(m?.headers))
        parts.push(`header ${h?.name}${h?.type === "RegularExpression" ? " ~ " : ": "}${h?.value}`);
      for (const q of arr(m?.queryParams))
        parts.push(`query ${q?.name}${q?.type === "RegularExpression" ? " ~ " : "="}${q?.value}`);
      out.push({
        route,
        routeKey: keyOf(route),
        created: createdOf(route),
        rule: r,
        index: i,
        pathKind,
        path: pathKind === 2 && value.length > 1 ? value.replace(/\/+$/, "") || "/" : value,
        regex,
        method,
        headers,
        query,
        text: parts.join(", "),
        action,
      });
    });
  });
  return out;
}

function compileAction(
  route: KubeObject,
  rule: Mapping | undefined,
  grants: KubeObject[],
  idx: BackendIndex,
): RuleAction {
  const filters = arr(rule?.filters);
  const find = (t: string) => filters.find((f) => f?.type === t);
  const ext = filters.find((f) => f?.type === "ExtensionRef");
  const backends = arr(rule?.backendRefs).map((b) => backendRef(route, b, grants, idx));
  let chosen: BackendRef | null = null;
  for (const b of backends) if (b.weight > 0 && (chosen === null || b.weight > chosen.weight)) chosen = b;
  return {
    backends,
    chosen,
    redirect: find("RequestRedirect")?.requestRedirect ?? null,
    headerModifier: find("RequestHeaderModifier")?.requestHeaderModifier ?? null,
    rewrite: find("URLRewrite")?.urlRewrite ?? null,
    unsupported: ext ? `ExtensionRef filter ${ext.extensionRef?.kind ?? ""}/${ext.extensionRef?.name ?? ""}` : null,
  };
}

function backendRef(route: KubeObject, b: Mapping | undefined, grants: KubeObject[], idx: BackendIndex): BackendRef {
  const namespace = typeof b?.namespace === "string" ? b.namespace : nsOf(route);
  const name = String(b?.name ?? "");
  const ref: BackendRef = {
    service: `${namespace}/${name}`,
    namespace,
    name,
    port: Number.isInteger(b?.port) ? (b?.port ?? 0) : 0,
    weight: Number.isInteger(b?.weight) ? (b?.weight ?? 0) : 1,
    invalid: null,
    message: "",
  };
  const group = b?.group ?? "";
  const kind = b?.kind ?? "Service";
  if (group !== "" || kind !== "Service") {
    ref.invalid = "InvalidKind";
    ref.message = `backendRef ${group ? `${group}/` : ""}${kind} ${name}: podnet routes to Services only`;
  } else if (namespace !== nsOf(route) && !granted(grants, nsOf(route), namespace, name)) {
    ref.invalid = "RefNotPermitted";
    ref.message = `backendRef Service ${namespace}/${name}: no ReferenceGrant in ${namespace} allows HTTPRoutes from ${nsOf(route)}`;
  } else if (!idx.services.has(ref.service)) {
    ref.invalid = "BackendNotFound";
    ref.message = `backendRef Service ${ref.service} not found`;
  }
  return ref;
}

/** A ReferenceGrant in the target namespace lets HTTPRoutes of `fromNs` refer to the Service. */
function granted(grants: KubeObject[], fromNs: string, toNs: string, name: string): boolean {
  return grants.some(
    (g) =>
      nsOf(g) === toNs &&
      arr(g.spec?.from).some((f) => f?.group === GATEWAY_GROUP && f?.kind === "HTTPRoute" && f?.namespace === fromNs) &&
      arr(g.spec?.to).some(
        (t) => (t?.group ?? "") === "" && t?.kind === "Service" && (t?.name === undefined || t.name === name),
      ),
  );
}

export function resolvedRefs(matches: RouteMatch[], route: KubeObject): Condition {
  const seen = new Set<RuleAction>();
  for (const m of matches) {
    if (seen.has(m.action)) continue;
    seen.add(m.action);
    for (const b of m.action.backends) if (b.invalid) return cond("ResolvedRefs", false, b.invalid, b.message);
  }
  void route;
  return cond("ResolvedRefs", true, "ResolvedRefs", "all references resolved");
}

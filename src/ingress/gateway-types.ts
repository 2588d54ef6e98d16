// The Gateway API controller's data: what gateway.ts builds (listener tables, compiled
// matches, status conditions) and what gateway-route.ts and gateway-conf.ts read.
import type { Mapping } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import type { ParsedRequest } from "./request.js";
import type { RouteDecision } from "./types.js";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export interface Condition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
}

/** One entry of an HTTPRoute's status.parents (RouteParentStatus). */
export interface ParentStatus {
  parentRef: { group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number };
  controllerName: string;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses: string[];
  conditions: Condition[];
  listeners: { name: string; attachedRoutes: number; conditions: Condition[] }[];
}

export interface HeaderMatch {
  name: string;
  exact: string | null;
  re: RegExp | null;
}

export interface BackendRef {
  service: string;
  namespace: string;
  name: string;
  port: number;
  weight: number;
  /** Why it cannot be used (the ResolvedRefs reason), null when valid. */
  invalid: string | null;
  message: string;
}

/** What a rule does once one of its matches wins. */
export interface RuleAction {
  backends: BackendRef[];
  chosen: BackendRef | null;
  redirect: Mapping | null;
  headerModifier: Mapping | null;
  rewrite: Mapping | null;
  /** A filter podnet cannot apply (ExtensionRef): the spec asks for an error response. */
  unsupported: string | null;
}

/** One HTTPRouteMatch of one rule, compiled. */
export interface RouteMatch {
  route: KubeObject;
  routeKey: string;
  created: string;
  rule: number;
  index: number;
  /** 0 Exact, 1 RegularExpression, 2 PathPrefix. */
  pathKind: 0 | 1 | 2;
  /** The value as written; for PathPrefix, without its trailing `/`. */
  path: string;
  regex: RegExp | null;
  method: string | null;
  headers: HeaderMatch[];
  query: HeaderMatch[];
  /** "PathPrefix /api, method GET, header version: 2" */
  text: string;
  action: RuleAction;
}

/** A listener of a Gateway and the matches attached to it, by hostname. */
export interface ListenerTable {
  gateway: string;
  name: string;
  port: number;
  protocol: string;
  hostname: string | null;
  created: string;
  /** Matches of routes by exact hostname, each list in precedence order. */
  exact: Map<string, RouteMatch[]>;
  /** Matches of `*.suffix` routes by ".suffix". */
  wildcard: Map<string, RouteMatch[]>;
  /** Matches of routes without hostnames (the listener's own hostname then applies). */
  any: RouteMatch[];
  attached: Set<KubeObject>;
  /** "host ns/route" pairs already added. */
  added: Set<string>;
  /** The listener's allowedRoutes as given. */
  allowed: Mapping | undefined;
  /** The merged list per request host (computed on first use). */
  cache: Map<string, RouteMatch[]>;
}

export interface GatewayResult {
  decision: RouteDecision;
  gateway: string | null;
  listener: string | null;
  /** Every backendRef of the winning rule, with weights. */
  backends: { service: string; port: number; weight: number; invalid: string | null }[];
  /** The request headers after RequestHeaderModifier / URLRewrite ("Name: value" edits). */
  requestEdits: string[];
  /**
   * What a proxy splitting by weight may answer besides the decision: per other backendRef
   * of weight > 0, 200 with its endpoints, 500 (invalid) or 503 (no endpoints).
   */
  split: { status: number; endpoints: string[] }[];
  notes: string[];
}

export interface GatewayRouter {
  controllerName: string;
  /** podnet's Gateways ("NS/NAME"), oldest first. */
  gateways: KubeObject[];
  listeners: ListenerTable[];
  /** The HTTPRoutes with a parentRef to one of podnet's Gateways. */
  routes: KubeObject[];
  warnings: string[];
  routeStatus(route: KubeObject): ParentStatus[];
  gatewayStatus(gw: KubeObject): GatewayStatus | null;
  /** The addresses of podnet's gateway Service (where its listeners answer). */
  addresses: string[];
  /** Whether a listener takes the port and scheme and some accepted route covers the host. */
  serves(port: number, scheme: string, host: string): boolean;
  route(p: ParsedRequest): GatewayResult;
}

export const nsOf = (o: KubeObject) => o.metadata.namespace ?? "default";
export const keyOf = (o: KubeObject) => `${nsOf(o)}/${o.metadata.name}`;
export const createdOf = (o: KubeObject) => String(o.metadata.creationTimestamp ?? "");
export const arr = (v: unknown): Mapping[] => (Array.isArray(v) ? v : []);
export const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({
  type,
  status: ok ? "True" : "False",
  reason,
  message,
});

/** Whether a hostname pattern (exact or `*.suffix`; null: any) matches a host name. */
export function hostMatches(pattern: string | null, host: string): boolean {
  if (pattern === null) return true;
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

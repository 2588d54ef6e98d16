// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1),
// checked as their CRDs' schema and CEL rules check them (kubernetes-sigs/network-policy-api
// config/crd/standard/policy.networking.k8s.io_adminnetworkpolicies.yaml and
// _baselineadminnetworkpolicies.yaml; apis/v1alpha1).
import type { KubeObject } from "../types.js";
import { NO_VALUE, childPath, indexPath, isInt, isObj } from "../diag.js";
import { parseCidrAny } from "../net.js";
import { type Err, NET, checkSelector } from "./common.js";
import { ianaSvcName } from "../names.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const given = (v: unknown) => v !== undefined && v !== null;

/** Exactly one of `keys` is set (the schema's maxProperties: 1 / minProperties: 1). */
function oneOf(err: Err, field: string, o: Record<string, unknown>, keys: readonly string[]): string | undefined {
  const set = keys.filter((k) => o[k] !== undefined && o[k] !== null);
  if (set.length !== 1)
    err(field, o, `must set exactly one of ${keys.join(", ")}${set.length ? ` (has ${set.join(", ")})` : ""}`, NET);
  return set.length === 1 ? set[0] : undefined;
}

function checkPods(err: Err, field: string, v: unknown): void {
  if (!isObj(v)) return err(field, v, "must be a mapping {namespaceSelector, podSelector}", NET);
  // Both are required by the schema (an empty selector selects every one).
  for (const k of ["namespaceSelector", "podSelector"] as const) {
    if (v[k] === undefined || v[k] === null) err(childPath(field, k), NO_VALUE, "is required", NET);
    else checkSelector(err, childPath(field, k), v[k]);
  }
}

function checkPeer(err: Err, field: string, p: unknown, egress: boolean): void {
  if (!isObj(p)) return err(field, p, "must be a mapping", NET);
  const kinds = egress ? ["namespaces", "pods", "nodes", "networks"] : ["namespaces", "pods"];
  const k = oneOf(err, field, p, kinds);
  if (k === "namespaces" || k === "nodes") checkSelector(err, childPath(field, k), p[k]);
  else if (k === "pods") checkPods(err, childPath(field, "pods"), p.pods);
  else if (k === "networks") {
    const nets = p.networks;
    if (!Array.isArray(nets) || nets.length < 1 || nets.length > 25)
      return err(childPath(field, "networks"), nets, "must be a list of 1 to 25 CIDRs", NET);
    const seen = new Set<unknown>();
    nets.forEach((n: unknown, i: number) => {
      const f = indexPath(childPath(field, "networks"), i);
      // kubernetes-sigs/network-policy-api apis/v1alpha1/shared_types.go, type CIDR:
      // MaxLength 43 and the CEL rule self.contains(':') != self.contains('.') (no IPv4
      // embedded in IPv6); the list is a set (+listType=set: no duplicates).
      if (typeof n === "string" && n.length > 43) err(f, n, "must be at most 43 characters", NET);
      else if (typeof n === "string" && n.includes(":") === n.includes("."))
        err(
          f,
          n,
          "CIDR must be either an IPv4 or IPv6 address. IPv4 address embedded in IPv6 addresses are not supported",
          NET,
        );
      else if (typeof n !== "string" || !parseCidrAny(n).ok) err(f, n, "is not a valid CIDR", NET);
      else if (seen.has(n)) err(f, n, `Duplicate value: ${JSON.stringify(n)}`, NET);
      seen.add(n);
    });
  }
}

function checkPorts(err: Err, field: string, ports: unknown): void {
  if (ports === undefined || ports === null) return;
  if (!Array.isArray(ports) || ports.length < 1 || ports.length > 100)
    return err(field, ports, "must be a list of 1 to 100 ports", NET);
  ports.forEach((p: unknown, i: number) => {
    const f = indexPath(field, i);
    if (!isObj(p)) return err(f, p, "must be a mapping", NET);
    const k = oneOf(err, f, p, ["portNumber", "namedPort", "portRange"]);
    const proto = (v: Record<string, unknown>, pf: string) => {
      if (v.protocol !== undefined && !PROTOCOLS.includes(v.protocol as string))
        err(childPath(pf, "protocol"), v.protocol, "must be one of TCP, UDP, SCTP", NET);
    };
    const port = (pf: string, v: unknown) => {
      if (!isInt(v) || v < 1 || v > 65535) err(pf, v ?? NO_VALUE, "must be a port number (1-65535)", NET);
    };
    if (k === "portNumber") {
      const pn = p.portNumber;
      if (!isObj(pn)) return err(childPath(f, "portNumber"), pn, "must be a mapping {protocol, port}", NET);
      proto(pn, childPath(f, "portNumber"));
      port(childPath(childPath(f, "portNumber"), "port"), pn.port);
    } else if (k === "namedPort") {
      const e = typeof p.namedPort === "string" ? ianaSvcName(p.namedPort) : "must be a string";
      if (e) err(childPath(f, "namedPort"), p.namedPort, `is not a valid port name: ${e}`, NET);
    } else if (k === "portRange") {
      const r = p.portRange;
      if (!isObj(r)) return err(childPath(f, "portRange"), r, "must be a mapping {protocol, start, end}", NET);
      proto(r, childPath(f, "portRange"));
      port(childPath(childPath(f, "portRange"), "start"), r.start);
      port(childPath(childPath(f, "portRange"), "end"), r.end);
      // The CRD's CEL rule: "Start port must be less than End port".
      if (isInt(r.start) && isInt(r.end) && r.start >= r.end)
        err(childPath(f, "portRange"), r, "Start port must be less than End port", NET);
    }
  });
}

/** AdminNetworkPolicy and BaselineAdminNetworkPolicy. */
export function checkAdminNetworkPolicy(apiErr: Err, o: KubeObject): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const baseline = o.kind === "BaselineAdminNetworkPolicy";
  // The BANP CRD's CEL rule on metadata.name.
  if (baseline && o.metadata.name !== "default")
    err(
      "metadata.name",
      o.metadata.name,
      'Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
    );
  const s = o.spec;
  if (!isObj(s)) return err("spec", s ?? NO_VALUE, s === undefined || s === null ? "is required" : "must be a mapping");
  if (!baseline && (!isInt(s.priority) || s.priority < 0 || s.priority > 1000))
    err("spec.priority", s.priority ?? NO_VALUE, "must be an integer from 0 to 1000");
  if (!isObj(s.subject)) err("spec.subject", s.subject ?? NO_VALUE, "is required");
  else {
    const k = oneOf(err, "spec.subject", s.subject, ["namespaces", "pods"]);
    if (k === "namespaces") checkSelector(err, "spec.subject.namespaces", s.subject.namespaces);
    else if (k === "pods") checkPods(err, "spec.subject.pods", s.subject.pods);
  }
  const actions = baseline ? ["Allow", "Deny"] : ["Allow", "Deny", "Pass"];
  for (const dir of ["ingress", "egress"] as const) {
    const rules = s[dir];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules) || rules.length > 100) {
      err(`spec.${dir}`, rules, "must be a list of at most 100 rules");
      continue;
    }
    rules.forEach((r: unknown, i: number) => {
      const f = indexPath(`spec.${dir}`, i);
      if (!isObj(r)) return err(f, r, "must be a mapping");
      if (!actions.includes(r.action as string))
        err(childPath(f, "action"), r.action ?? NO_VALUE, `must be one of ${actions.join(", ")}`);
      if (typeof r.name === "string" && r.name.length > 100)
        err(childPath(f, "name"), r.name, "must be at most 100 characters");
      const key = dir === "ingress" ? "from" : "to";
      const peers = r[key];
      if (!Array.isArray(peers) || peers.length < 1 || peers.length > 100)
        err(childPath(f, key), peers ?? NO_VALUE, "must be a list of 1 to 100 peers");
      else
        peers.forEach((p: unknown, j: number) => checkPeer(err, indexPath(childPath(f, key), j), p, dir === "egress"));
      checkPorts(err, childPath(f, "ports"), r.ports);
      // The egress rules' CEL rule (kubernetes-sigs/network-policy-api apis/v1alpha1:
      // AdminNetworkPolicyEgressRule, BaselineAdminNetworkPolicyEgressRule): a named port is
      // a pod's, so not with networks or nodes peers.
      if (
        dir === "egress" &&
        Array.isArray(peers) &&
        peers.some((p) => isObj(p) && (given(p.networks) || given(p.nodes))) &&
        Array.isArray(r.ports) &&
        r.ports.some((p) => isObj(p) && given(p.namedPort))
      )
        err(f, r, "networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes");
    });
  }
}

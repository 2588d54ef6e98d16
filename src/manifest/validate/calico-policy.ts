// Calico's own policy resources (projectcalico.org/v3): NetworkPolicy, GlobalNetworkPolicy,
// NetworkSet, GlobalNetworkSet and Tier, checked as Calico's validator checks them
// (projectcalico/calico libcalico-go/lib/validator/v3/validator.go) for what podnet models.
// What podnet cannot model (HTTP match, source ports, Services as peers, service account
// labels, host endpoint policies) is a warning naming the field.
import type { KubeObject } from "../types.js";
import { NO_VALUE, childPath, indexPath, isObj } from "../diag.js";
import { parseCidrAny } from "../net.js";
import { type Err, NET, type Warn } from "./common.js";
import { ianaSvcName } from "../names.js";
import { parseCalicoSelector } from "../calico-selector.js";

export const CALICO_ACTIONS = ["Allow", "Deny", "Log", "Pass"] as const;
// numorstring.Protocol: these names (either case) or a number 1-255
// (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#rule).
const PROTOCOL_NAMES = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"];
// Protocols a rule's ports apply to (validator.go validateRule: "protocol does not support ports").
const PORT_PROTOCOLS = new Set(["TCP", "UDP", "SCTP", "UDPLITE", "6", "17", "132", "136"]);

/** A protocol as Calico reads it, upper-cased name or number as text; undefined when invalid. */
export function calicoProtocol(v: unknown): string | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 1 && v <= 255 ? String(v) : undefined;
  if (typeof v !== "string") return undefined;
  if (/^[0-9]+$/.test(v)) return calicoProtocol(Number(v));
  const hit = PROTOCOL_NAMES.find((n) => n === v || n.toLowerCase() === v);
  return hit?.toUpperCase();
}

/** A Calico port (numorstring.Port): a number, "min:max", or a port name. */
export type CalicoPort = { first: number; last: number } | { name: string };
export function calicoPort(v: unknown): CalicoPort | { error: string } {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > 65535) return { error: "is not a valid port (0-65535)" };
    return { first: v, last: v };
  }
  if (typeof v !== "string" || v === "") return { error: "must be a port number, a range min:max or a port name" };
  const m = /^([0-9]+)(?::([0-9]+))?$/.exec(v);
  if (m) {
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > 65535 || b > 65535) return { error: "is not a valid port (0-65535)" };
    if (a > b) return { error: "is not a valid port range: the minimum is above the maximum" };
    return { first: a, last: b };
  }
  const e = ianaSvcName(v);
  return e ? { error: `is not a valid port name: ${e}` } : { name: v };
}

function checkSelector(err: Err, field: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== "string") return err(field, v, "must be a selector string", NET);
  const r = parseCalicoSelector(v);
  if ("error" in r) err(field, v, `is not a valid selector: ${r.error}`, NET);
}

function checkNets(err: Err, field: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return err(field, v, "must be a list of CIDRs", NET);
  v.forEach((n, i) => {
    // The validator's "net": a CIDR or a single address (libcalico-go lib/net ParseCIDROrIP).
    if (typeof n !== "string" || !(parseCidrAny(n).ok || parseCidrAny(`${n}/${n.includes(":") ? 128 : 32}`).ok))
      err(indexPath(field, i), n, "is not a valid CIDR or IP address", NET);
  });
}

function checkEntity(err: Err, warn: Warn, field: string, e: unknown, portsOk: boolean): void {
  if (e === undefined || e === null) return;
  if (!isObj(e)) return err(field, e, "must be a mapping", NET);
  checkNets(err, childPath(field, "nets"), e.nets);
  checkNets(err, childPath(field, "notNets"), e.notNets);
  for (const k of ["selector", "notSelector", "namespaceSelector"] as const)
    checkSelector(err, childPath(field, k), e[k]);
  for (const k of ["ports", "notPorts"] as const) {
    const list = e[k];
    if (list === undefined || list === null) continue;
    const f = childPath(field, k);
    if (!Array.isArray(list)) {
      err(f, list, "must be a list", NET);
      continue;
    }
    if (list.length > 0 && !portsOk)
      err(f, list, "protocol does not support ports: set protocol to TCP, UDP or SCTP", NET);
    list.forEach((p, i) => {
      const r = calicoPort(p);
      if ("error" in r) err(indexPath(f, i), p, r.error, NET);
    });
    // Source ports on either side (an ingress rule's peer is its source): never modelled.
    if (list.length > 0 && field.endsWith("source"))
      warn(f, list, "source ports are not modelled (podnet's flows have no source port): matched as any port");
  }
  if (isObj(e.serviceAccounts)) {
    const sa = e.serviceAccounts;
    if (sa.names !== undefined && !Array.isArray(sa.names))
      err(childPath(childPath(field, "serviceAccounts"), "names"), sa.names, "must be a list of names", NET);
    checkSelector(err, childPath(childPath(field, "serviceAccounts"), "selector"), sa.selector);
    if (typeof sa.selector === "string" && sa.selector.trim() !== "")
      warn(
        childPath(childPath(field, "serviceAccounts"), "selector"),
        sa.selector,
        "service accounts' own labels are not read (podnet takes no ServiceAccount objects): only projectcalico.org/name is known",
      );
  }
  if (e.services !== undefined && e.services !== null)
    warn(childPath(field, "services"), NO_VALUE, "Services as rule peers are not modelled: the rule matches nothing");
}

function checkRule(err: Err, warn: Warn, field: string, r: unknown): void {
  if (!isObj(r)) return err(field, r, "must be a mapping", NET);
  if (r.action === undefined || r.action === null) err(childPath(field, "action"), NO_VALUE, "is required", NET);
  else if (!CALICO_ACTIONS.includes(r.action))
    err(childPath(field, "action"), r.action, `must be one of ${CALICO_ACTIONS.join(", ")}`, NET);
  let proto: string | undefined;
  for (const k of ["protocol", "notProtocol"] as const) {
    if (r[k] === undefined || r[k] === null) continue;
    const p = calicoProtocol(r[k]);
    if (p === undefined)
      err(childPath(field, k), r[k], `must be one of ${PROTOCOL_NAMES.join(", ")} or a number 1-255`, NET);
    if (k === "protocol") proto = p;
  }
  if (r.ipVersion !== undefined && r.ipVersion !== null && r.ipVersion !== 4 && r.ipVersion !== 6)
    err(childPath(field, "ipVersion"), r.ipVersion, "must be 4 or 6", NET);
  const portsOk = proto !== undefined && PORT_PROTOCOLS.has(proto);
  checkEntity(err, warn, childPath(field, "source"), r.source, portsOk);
  checkEntity(err, warn, childPath(field, "destination"), r.destination, portsOk);
  if (r.http !== undefined && r.http !== null)
    warn(childPath(field, "http"), NO_VALUE, "HTTP match (application layer policy) is not modelled: matched as L4");
}

/** NetworkPolicy and GlobalNetworkPolicy of projectcalico.org. */
export function checkCalicoPolicy(apiErr: Err, o: KubeObject, warn: Warn = () => {}): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const s = o.spec;
  if (s === undefined || s === null) return;
  if (!isObj(s)) return err("spec", s, "must be a mapping");
  if (s.order !== undefined && s.order !== null && (typeof s.order !== "number" || !Number.isFinite(s.order)))
    err("spec.order", s.order, "must be a number");
  if (s.tier !== undefined && s.tier !== null && typeof s.tier !== "string")
    err("spec.tier", s.tier, "must be a string");
  // validator.go validatePolicy: a policy of a tier other than default is named <tier>.<name>.
  const tier = typeof s.tier === "string" && s.tier !== "" ? s.tier : "default";
  if (tier !== "default" && !o.metadata.name.startsWith(`${tier}.`))
    err("metadata.name", o.metadata.name, `must start with the tier's name followed by a dot ("${tier}.")`);
  checkSelector(err, "spec.selector", s.selector);
  checkSelector(err, "spec.serviceAccountSelector", s.serviceAccountSelector);
  if (o.kind === "GlobalNetworkPolicy") checkSelector(err, "spec.namespaceSelector", s.namespaceSelector);
  if (typeof s.serviceAccountSelector === "string" && s.serviceAccountSelector.trim() !== "")
    warn(
      "spec.serviceAccountSelector",
      s.serviceAccountSelector,
      "service accounts' own labels are not read (podnet takes no ServiceAccount objects): only projectcalico.org/name is known",
    );
  if (s.types !== undefined && s.types !== null) {
    if (!Array.isArray(s.types)) err("spec.types", s.types, "must be a list");
    else
      s.types.forEach((t: unknown, i: number) => {
        if (t !== "Ingress" && t !== "Egress") err(indexPath("spec.types", i), t, "must be Ingress or Egress");
        else if (s.types.indexOf(t) !== i) err(indexPath("spec.types", i), t, "is given twice");
      });
  }
  for (const dir of ["ingress", "egress"] as const) {
    const rules = s[dir];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules)) {
      err(`spec.${dir}`, rules, "must be a list of rules");
      continue;
    }
    rules.forEach((r: unknown, i: number) => checkRule(err, warn, indexPath(`spec.${dir}`, i), r));
  }
  if (s.doNotTrack === true || s.preDNAT === true)
    warn(
      s.doNotTrack === true ? "spec.doNotTrack" : "spec.preDNAT",
      true,
      "the policy applies to host endpoints only, which podnet does not model: it has no effect on pods",
    );
}

/** NetworkSet and GlobalNetworkSet: labelled lists of nets that rule selectors match. */
export function checkCalicoNetworkSet(apiErr: Err, o: KubeObject): void {
  const s = o.spec;
  if (s === undefined || s === null) return;
  if (!isObj(s)) return apiErr("spec", s, "must be a mapping", NET);
  checkNets(apiErr, "spec.nets", s.nets);
}

/** Tier: its order (a number; unset is after every other tier) and default action. */
export function checkCalicoTier(apiErr: Err, o: KubeObject): void {
  const s = o.spec;
  if (s === undefined || s === null) return;
  if (!isObj(s)) return apiErr("spec", s, "must be a mapping", NET);
  if (s.order !== undefined && s.order !== null && (typeof s.order !== "number" || !Number.isFinite(s.order)))
    apiErr("spec.order", s.order, "must be a number", NET);
  if (
    s.defaultAction !== undefined &&
    s.defaultAction !== null &&
    s.defaultAction !== "Deny" &&
    s.defaultAction !== "Pass"
  )
    apiErr("spec.defaultAction", s.defaultAction, "must be Deny or Pass", NET);
}

// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2): the CRDs' schema
// (cilium/cilium pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml) and the
// agent's checks (pkg/policy/api rule_validation.go Sanitize), for the L3/L4 part podnet
// models. What podnet cannot model (L7 rules, FQDNs, Services, groups, nodes, ICMP, host
// policies) is a warning: the rest of the rule is still enforced.
import type { KubeObject } from "../types.js";
import { NO_VALUE, indexPath, isInt, isObj } from "../diag.js";
import { parseCidrAny } from "../net.js";
import { type Err, NET, type Warn } from "./common.js";
import { ianaSvcName } from "../names.js";

/** Entities (pkg/policy/api entity.go EntitySelectorMapping, the CRD's enum). */
export const CILIUM_ENTITIES = [
  "all",
  "world",
  "cluster",
  "host",
  "init",
  "ingress",
  "unmanaged",
  "remote-node",
  "health",
  "none",
  "kube-apiserver",
] as const;
const PROTOCOLS = new Set(["TCP", "UDP", "SCTP", "ANY", "ICMP", "ICMPv6", "VRRP", "IGMP"]);
const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);
const SECTIONS = ["ingress", "ingressDeny", "egress", "egressDeny"] as const;
// Peer fields podnet does not model, by section direction (ingress.go, egress.go).
const UNMODELLED: Record<string, string> = {
  fromRequires: "fromRequires (deprecated) is not modelled",
  toRequires: "toRequires (deprecated) is not modelled",
  fromGroups: "fromGroups (cloud provider groups) is not modelled",
  toGroups: "toGroups (cloud provider groups) is not modelled",
  fromNodes: "fromNodes is not modelled",
  toNodes: "toNodes is not modelled",
  toServices: "toServices is not modelled",
  icmps: "ICMP rules are not modelled (podnet's flows are TCP, UDP and SCTP)",
  authentication: "authentication (mutual auth) is not modelled",
};

// What podnet cannot read without (a CIDR, a port) is network-relevant; the rest (a rule the
// agent would refuse, an entity or protocol the schema does not know) leaves the policy, or
// that peer, without effect: a warning when reading, an error when building.
export function checkCiliumPolicy(apiErr: Err, o: KubeObject, warn: Warn = () => {}): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const hasSpec = o.spec !== undefined && o.spec !== null;
  const hasSpecs = o.specs !== undefined && o.specs !== null;
  // pkg/k8s/apis/cilium.io/v2 cnp_types.go Parse: "empty policy" without spec and specs.
  if (!hasSpec && !hasSpecs)
    return err("spec", NO_VALUE, "is required (Invalid CiliumNetworkPolicy spec(s): empty policy)");
  if (hasSpec) checkRule(err, apiErr, warn, "spec", o.spec);
  if (!hasSpecs) return;
  if (!Array.isArray(o.specs)) return err("specs", o.specs, "must be a list");
  o.specs.forEach((r: unknown, i: number) => checkRule(err, apiErr, warn, indexPath("specs", i), r));
}

/**
 * Why the agent refuses a rule (rule_validation.go Sanitize), of the checks the CRD schema
 * leaves to it; undefined when it does not. A refused rule fails the whole policy (cnp_types.go
 * Parse: "Invalid CiliumNetworkPolicy spec"), which then has no effect: policy/cilium.ts
 * compiles none of its rules.
 */
export function ciliumRuleRefusal(r: unknown): { field?: string; text: string } | undefined {
  if (!isObj(r)) return undefined;
  const es = r.endpointSelector !== undefined && r.endpointSelector !== null;
  const ns = r.nodeSelector !== undefined && r.nodeSelector !== null;
  if (es && ns) return { text: "rule cannot have both EndpointSelector and NodeSelector" };
  if (!es && !ns) return { text: "rule must have one of EndpointSelector or NodeSelector" };
  for (const sec of SECTIONS) {
    const rules = r[sec];
    if (!Array.isArray(rules)) continue;
    for (const [i, x] of rules.entries()) {
      if (!isObj(x)) continue;
      if (nonEmptyList(x.icmps) && nonEmptyList(x.toPorts))
        return {
          field: `${indexPath(sec, i)}.icmps`,
          text: "the ICMPs block may only be present without ToPorts. Define a separate rule to use ToPorts",
        };
      // IngressCommonRule/EgressCommonRule sanitize: one kind of peer per rule. (Go walks a
      // map there, so the agent may name the two the other way round.)
      const l3 = (sec.startsWith("ingress") ? INGRESS_L3 : sec === "egress" ? EGRESS_L3 : EGRESS_DENY_L3).filter((k) =>
        nonEmptyList(x[k]),
      );
      if (l3.length > 1)
        return {
          field: indexPath(sec, i),
          text: `combining ${upper(l3[0])} and ${upper(l3[1])} is not supported yet`,
        };
      // fqdn.go FQDNSelector sanitize.
      if (sec === "egress" && Array.isArray(x.toFQDNs)) {
        const both = x.toFQDNs.findIndex((q) => isObj(q) && !!q.matchName && !!q.matchPattern);
        if (both >= 0)
          return {
            field: indexPath(`${indexPath(sec, i)}.toFQDNs`, both),
            text: "only one of MatchName or MatchPattern is allowed in an FQDNSelector",
          };
      }
      // IngressRule sanitize: DNS is not among the L7 protocols of ingress (l7IngressSupport).
      if (sec === "ingress" && Array.isArray(x.toPorts)) {
        const dns = x.toPorts.findIndex((pr) => isObj(pr) && isObj(pr.rules) && nonEmptyList(pr.rules.dns));
        if (dns >= 0)
          return {
            field: `${indexPath(`${indexPath(sec, i)}.toPorts`, dns)}.rules.dns`,
            text: "L7 protocol DNS is not supported on ingress yet",
          };
      }
    }
  }
  return undefined;
}

// The peer fields the agent will not combine in one rule (rule_validation.go l3Members).
const INGRESS_L3 = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"];
const EGRESS_DENY_L3 = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toNodes", "toGroups"];
// EgressRule adds toFQDNs; EgressDenyRule has none.
const EGRESS_L3 = [...EGRESS_DENY_L3, "toFQDNs"];
/** The Go field's name: "fromCIDR" → "FromCIDR". */
const upper = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

const nonEmptyList = (v: unknown) => Array.isArray(v) && v.length > 0;

function checkRule(err: Err, soft: Err, warn: Warn, f: string, r: unknown): void {
  if (!isObj(r)) return err(f, r, "must be a mapping");
  const es = r.endpointSelector !== undefined && r.endpointSelector !== null;
  const ns = r.nodeSelector !== undefined && r.nodeSelector !== null;
  // rule_validation.go Sanitize: the agent does not import such a policy (podnet neither).
  const refused = ciliumRuleRefusal(r);
  if (refused)
    soft(
      refused.field ? `${f}.${refused.field}` : f,
      NO_VALUE,
      `${refused.text} (the agent refuses the policy: it is not enforced)`,
    );
  if (es) checkCiliumSelector(err, `${f}.endpointSelector`, r.endpointSelector);
  if (ns) warn(`${f}.nodeSelector`, NO_VALUE, "host policies (nodeSelector) are not modelled: the rule is ignored");
  const dd = r.enableDefaultDeny;
  if (dd !== undefined && dd !== null) {
    if (!isObj(dd)) err(`${f}.enableDefaultDeny`, dd, "must be a mapping {ingress, egress}");
    else
      for (const k of ["ingress", "egress"])
        if (dd[k] !== undefined && dd[k] !== null && typeof dd[k] !== "boolean")
          err(`${f}.enableDefaultDeny.${k}`, dd[k], "must be a boolean");
  }
  for (const sec of SECTIONS) {
    const rules = r[sec];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules)) {
      err(`${f}.${sec}`, rules, "must be a list");
      continue;
    }
    rules.forEach((x: unknown, i: number) => checkPeerRule(err, soft, warn, indexPath(`${f}.${sec}`, i), x, sec));
  }
}

function checkPeerRule(err: Err, soft: Err, warn: Warn, f: string, r: unknown, sec: (typeof SECTIONS)[number]): void {
  if (r === null || r === undefined) return;
  if (!isObj(r)) return err(f, r, "must be a mapping");
  const from = sec.startsWith("ingress") ? "from" : "to";
  for (const k of Object.keys(r))
    if (Object.hasOwn(UNMODELLED, k) && r[k] !== null && r[k] !== undefined) warn(`${f}.${k}`, NO_VALUE, UNMODELLED[k]);
  const eps = r[`${from}Endpoints`];
  if (eps !== undefined && eps !== null) {
    if (!Array.isArray(eps)) err(`${f}.${from}Endpoints`, eps, "must be a list");
    else eps.forEach((s: unknown, i: number) => checkCiliumSelector(err, indexPath(`${f}.${from}Endpoints`, i), s));
  }
  const cidrs = r[`${from}CIDR`];
  if (cidrs !== undefined && cidrs !== null) {
    if (!Array.isArray(cidrs)) err(`${f}.${from}CIDR`, cidrs, "must be a list");
    else cidrs.forEach((c: unknown, i: number) => checkCidr(err, warn, indexPath(`${f}.${from}CIDR`, i), c));
  }
  const sets = r[`${from}CIDRSet`];
  if (sets !== undefined && sets !== null) {
    if (!Array.isArray(sets)) err(`${f}.${from}CIDRSet`, sets, "must be a list");
    else
      sets.forEach((c: unknown, i: number) => {
        const cf = indexPath(`${f}.${from}CIDRSet`, i);
        if (!isObj(c)) return err(cf, c, "must be a mapping {cidr, except}");
        if (c.cidrGroupRef !== undefined && c.cidrGroupRef !== null && (c.cidr === undefined || c.cidr === null))
          return warn(
            `${cf}.cidrGroupRef`,
            c.cidrGroupRef,
            "CiliumCIDRGroups are not modelled: the entry matches no address",
          );
        if (c.cidr === undefined || c.cidr === null) return err(`${cf}.cidr`, NO_VALUE, "is required");
        checkCidr(err, warn, `${cf}.cidr`, c.cidr);
        if (c.except === undefined || c.except === null) return;
        if (!Array.isArray(c.except)) return err(`${cf}.except`, c.except, "must be a list");
        c.except.forEach((x: unknown, j: number) => checkCidr(err, warn, indexPath(`${cf}.except`, j), x));
      });
  }
  const fq = from === "to" ? r.toFQDNs : undefined;
  if (sec === "egressDeny" && fq !== undefined && fq !== null)
    warn(
      `${f}.toFQDNs`,
      NO_VALUE,
      "is not a field of Cilium's deny rules (deny policies do not support toFQDNs): the rule is read without it",
    );
  else if (fq !== undefined && fq !== null) {
    if (!Array.isArray(fq)) err(`${f}.toFQDNs`, fq, "must be a list");
    else fq.forEach((x: unknown, i: number) => checkFqdn(err, indexPath(`${f}.toFQDNs`, i), x));
  }
  const ents = r[`${from}Entities`];
  if (ents !== undefined && ents !== null) {
    if (!Array.isArray(ents)) err(`${f}.${from}Entities`, ents, "must be a list");
    else
      ents.forEach((e: unknown, i: number) => {
        if (!(CILIUM_ENTITIES as readonly unknown[]).includes(e))
          soft(indexPath(`${f}.${from}Entities`, i), e, `must be one of ${CILIUM_ENTITIES.join(", ")}`);
      });
  }
  const tp = r.toPorts;
  if (tp === undefined || tp === null) return;
  if (!Array.isArray(tp)) return err(`${f}.toPorts`, tp, "must be a list");
  tp.forEach((pr: unknown, i: number) => {
    const pf = indexPath(`${f}.toPorts`, i);
    if (!isObj(pr)) return err(pf, pr, "must be a mapping");
    // A deny rule's toPorts (PortDenyRule, pkg/policy/api l4.go) has no L7 rules: the API
    // server prunes them and the ports are denied.
    if (isObj(pr.rules) && sec.endsWith("Deny"))
      warn(`${pf}.rules`, NO_VALUE, "a deny rule has no L7 rules (the field is dropped): its ports are denied");
    else if (isObj(pr.rules)) {
      const { dns, ...l7 } = pr.rules;
      if (Object.keys(l7).length > 0)
        warn(`${pf}.rules`, NO_VALUE, "L7 rules are enforced by Cilium's proxy, not modelled: podnet allows the ports");
      // DNS rules make the agent's proxy see the lookups (toFQDNs learns from them); which
      // names they let through is not modelled, beyond `*`.
      if (
        sec === "egress" &&
        Array.isArray(dns) &&
        !dns.every((d) => isObj(d) && d.matchPattern === "*" && d.matchName === undefined)
      )
        warn(
          `${pf}.rules.dns`,
          NO_VALUE,
          "the names DNS rules allow are not modelled: podnet lets the pods look up every name",
        );
    }
    const ports = pr.ports;
    // The agent merges a toPorts entry port by port (rule.go mergeIngress): none, no rule.
    if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0))
      return warn(`${pf}.ports`, NO_VALUE, "lists no port: Cilium allows (or denies) nothing by this entry");
    if (!Array.isArray(ports)) return err(`${pf}.ports`, ports, "must be a list");
    ports.forEach((p: unknown, j: number) => checkPortProtocol(err, warn, indexPath(`${pf}.ports`, j), p));
  });
}

// The CRD's FQDNSelector patterns, written without nested quantifiers (the CRD's
// `^([-a-zA-Z0-9_]+[.]?)+$` backtracks exponentially on a long near-miss).
const MATCH_NAME = /^[-a-zA-Z0-9_]+(?:\.[-a-zA-Z0-9_]+)*\.?$/;
const MATCH_PATTERN = /^[-a-zA-Z0-9_*]+(?:\.[-a-zA-Z0-9_*]+)*\.?$/;

function checkFqdn(err: Err, f: string, x: unknown): void {
  if (!isObj(x)) return err(f, x, "must be a mapping {matchName | matchPattern}");
  const name = x.matchName;
  const pattern = x.matchPattern;
  if ((name === undefined || name === null) && (pattern === undefined || pattern === null))
    return err(f, NO_VALUE, "must have matchName or matchPattern");
  if (name !== undefined && name !== null && (typeof name !== "string" || name.length > 255 || !MATCH_NAME.test(name)))
    err(`${f}.matchName`, name, "must be a DNS name");
  if (
    pattern !== undefined &&
    pattern !== null &&
    (typeof pattern !== "string" || pattern.length > 255 || !MATCH_PATTERN.test(pattern))
  )
    err(`${f}.matchPattern`, pattern, "must be a DNS name pattern (letters, digits, '-', '_', '*' and dots)");
}

function checkPortProtocol(err: Err, warn: Warn, f: string, p: unknown): void {
  if (!isObj(p)) return err(f, p, "must be a mapping {port, protocol}");
  const proto = p.protocol;
  if (proto !== undefined && proto !== null) {
    if (typeof proto !== "string" || !PROTOCOLS.has(proto))
      err(`${f}.protocol`, proto, `must be one of ${[...PROTOCOLS].join(", ")}`);
    else if (proto !== "TCP" && proto !== "UDP" && proto !== "SCTP" && proto !== "ANY")
      warn(`${f}.protocol`, proto, "is not modelled (podnet's flows are TCP, UDP and SCTP)");
  }
  const port = p.port;
  let num: number | undefined;
  if (port !== undefined && port !== null && port !== "") {
    // l4.go PortProtocol.Port: a number 0-65535 or an IANA port name, as a string (the CRD
    // also takes an integer through its int-or-string decoding in older versions).
    const text = String(port);
    if (/^[0-9]+$/.test(text)) {
      num = Number(text);
      if (num > 65535) err(`${f}.port`, port, "must be a port number 0-65535 or a port name");
    } else if (typeof port !== "string" || ianaSvcName(port.toLowerCase()) !== undefined)
      // iana.IsSvcName takes either case; Sanitize lowers the name before matching it.
      err(`${f}.port`, port, "must be a port number 0-65535 or a port name");
  }
  const end = p.endPort;
  if (end === undefined || end === null || end === 0) return;
  if (!isInt(end) || end < 0 || end > 65535) return err(`${f}.endPort`, end, "must be a port number 0-65535");
  if (num !== undefined && num !== 0 && end < num) err(`${f}.endPort`, end, "must be greater than or equal to `port`");
}

function checkCidr(err: Err, warn: Warn, f: string, c: unknown): void {
  const r =
    typeof c === "string" ? parseCidrAny(c.includes("/") ? c : `${c}/${c.includes(":") ? 128 : 32}`) : undefined;
  if (!r?.ok) return err(f, c, "is not a valid CIDR");
  if (r.family === 6) warn(f, c, "is an IPv6 CIDR: the cluster is IPv4-only, so it matches no address");
}

/** An EndpointSelector: a label selector whose keys may carry a label source (`k8s:app`). */
export function checkCiliumSelector(err: Err, f: string, s: unknown): void {
  if (s === undefined || s === null) return;
  if (!isObj(s)) return err(f, s, "must be a label selector (matchLabels / matchExpressions)");
  const ml = s.matchLabels;
  if (ml !== undefined && ml !== null) {
    if (!isObj(ml)) err(`${f}.matchLabels`, ml, "must be a mapping");
    else
      for (const [k, v] of Object.entries(ml))
        if (typeof v !== "string") err(`${f}.matchLabels.${k}`, v, "must be a string");
  }
  const me = s.matchExpressions;
  if (me === undefined || me === null) return;
  if (!Array.isArray(me)) return err(`${f}.matchExpressions`, me, "must be a list");
  me.forEach((x: unknown, i: number) => {
    const xf = indexPath(`${f}.matchExpressions`, i);
    if (!isObj(x)) return err(xf, x, "must be a mapping {key, operator, values}");
    if (typeof x.key !== "string" || x.key === "") err(`${xf}.key`, x.key ?? NO_VALUE, "is required");
    if (typeof x.operator !== "string" || !OPERATORS.has(x.operator))
      err(`${xf}.operator`, x.operator ?? NO_VALUE, "must be one of In, NotIn, Exists, DoesNotExist");
    const vals = x.values;
    if (vals !== undefined && vals !== null && (!Array.isArray(vals) || vals.some((v) => typeof v !== "string")))
      err(`${xf}.values`, vals, "must be a list of strings");
    else if ((x.operator === "In" || x.operator === "NotIn") && (!Array.isArray(vals) || vals.length === 0))
      err(`${xf}.values`, NO_VALUE, "must be specified when `operator` is 'In' or 'NotIn'");
  });
}

// Pod specs (bare Pods and workload templates) and Nodes, after the API server's
// pkg/apis/core/validation for the fields podnet uses.
import { isDeferred } from "../deferred.js";
import type { KubeObject } from "../types.js";
import { type Mapping, NO_VALUE, indexPath, isInt, isObj } from "../diag.js";
import { dns1123Label, dns1123Subdomain, ianaSvcName, qualifiedName } from "../names.js";
import { isIP, parseCidrAny } from "../net.js";
import { type Err, NET, checkFormat, checkPort, checkProtocol, checkLabels, checkSetOperatorValues } from "./common.js";

// Field names as constants, and a field's path made only when it is given: the loops below
// run for each of a dump's 150,000 pods.
const HOST_NAMES = ["hostname", "subdomain"];
const CONTAINER_LISTS = ["env", "envFrom"];
const CONTAINER_ARGS = ["command", "args"];
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"];
const DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const TOLERATION_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute", ""];

export function checkPodSpec(err: Err, base: string, spec: unknown): void {
  if (!isObj(spec)) return err(base, spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping", NET);
  const portNames = new Map<string, string>();
  checkContainers(err, base, spec, "containers", true, portNames);
  checkContainers(err, base, spec, "initContainers", false, portNames);
  for (const key of HOST_NAMES) {
    const v = spec[key];
    if (v !== undefined) checkFormat(err, `${base}.${key}`, v, dns1123Label);
  }
  if (spec.nodeName !== undefined) checkFormat(err, `${base}.nodeName`, spec.nodeName, dns1123Subdomain);
  if (spec.hostNetwork !== undefined && typeof spec.hostNetwork !== "boolean")
    err(`${base}.hostNetwork`, spec.hostNetwork, "must be true or false", NET);
  checkPodDns(err, base, spec);
  if (spec.nodeSelector !== undefined) checkLabels(err, `${base}.nodeSelector`, spec.nodeSelector);
  if (spec.tolerations !== undefined) checkTolerations(err, `${base}.tolerations`, spec.tolerations);
  if (spec.topologySpreadConstraints !== undefined && spec.topologySpreadConstraints !== null)
    checkTopologySpread(err, `${base}.topologySpreadConstraints`, spec.topologySpreadConstraints);
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined)
    checkNodeSelectorTerms(
      err,
      `${base}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`,
      terms,
    );
}

/** containers / initContainers: names unique per list, port names unique in the pod. */
function checkContainers(
  err: Err,
  base: string,
  spec: Mapping,
  key: "containers" | "initContainers",
  required: boolean,
  portNames: Map<string, string>,
): void {
  const list = spec[key];
  const f = `${base}.${key}`;
  if (list === undefined || list === null) {
    if (required) err(f, NO_VALUE, "is required (at least one container)", NET);
    return;
  }
  if (!Array.isArray(list)) return err(f, list, "must be a list", NET);
  if (required && list.length === 0) err(f, NO_VALUE, "is required (at least one container)", NET);
  const names = new Set<string>();
  list.forEach((c: unknown, i: number) => {
    const cf = indexPath(f, i);
    if (!isObj(c)) return err(cf, c, "must be a mapping", NET);
    if (c.name === undefined || c.name === null || c.name === "") err(`${cf}.name`, NO_VALUE, "is required");
    else if (typeof c.name !== "string") err(`${cf}.name`, c.name, "must be a string", NET);
    else {
      const e = dns1123Label(c.name);
      if (e) err(`${cf}.name`, c.name, e);
      else if (names.has(c.name)) err(`${cf}.name`, c.name, "is a duplicate container name");
      names.add(c.name);
    }
    // Lists podnet reads (the kubelet's environment, the command line): the wrong shape is
    // kubectl's "invalid type" and would leave nothing to read. (Not volumeMounts: a dump's
    // pods are read without them, documents.ts SERVED_POD; describe takes what it can.)
    for (const k of CONTAINER_LISTS)
      if (c[k] !== undefined && c[k] !== null) checkListOfMappings(err, `${cf}.${k}`, c[k]);
    for (const k of CONTAINER_ARGS)
      if (c[k] !== undefined && c[k] !== null && !Array.isArray(c[k])) err(`${cf}.${k}`, c[k], "must be a list", NET);
    for (const k of PROBES) if (c[k] !== undefined && c[k] !== null) checkProbe(err, `${cf}.${k}`, c[k]);
    if (c.ports === undefined || c.ports === null) return;
    if (!Array.isArray(c.ports)) return err(`${cf}.ports`, c.ports, "must be a list", NET);
    c.ports.forEach((p: unknown, j: number) =>
      checkContainerPort(err, indexPath(`${cf}.ports`, j), p, spec, portNames),
    );
  });
}

const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"];

/**
 * validateProbe's handler (pkg/apis/core/validation): exactly one handler; an httpGet or
 * tcpSocket port a number or a port name (ValidatePortNumOrName), a grpc port a number.
 * API rules: kubelet reads a probe's port (control/probes.ts), but an invalid one is refused
 * before any pod runs.
 */
function checkProbe(apiErr: Err, f: string, probe: unknown): void {
  // Every finding here is an API rule (the network does not depend on it): no NET flag.
  const err: Err = (field, v, text) => apiErr(field, v, text);
  if (probe === undefined || probe === null) return;
  if (!isObj(probe)) return err(f, probe, "must be a mapping");
  const given = PROBE_HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (given.length === 0) return err(f, NO_VALUE, "must specify a handler type");
  if (given.length > 1) err(`${f}.${given[1]}`, NO_VALUE, "may not specify more than 1 handler type");
  for (const h of ["httpGet", "tcpSocket", "grpc"]) {
    const v = probe[h];
    if (v === undefined || v === null) continue;
    if (!isObj(v)) {
      err(`${f}.${h}`, v, "must be a mapping");
      continue;
    }
    const pf = `${f}.${h}.port`;
    if (v.port === undefined || v.port === null || v.port === "") err(pf, NO_VALUE, "is required");
    else if (typeof v.port === "string" && h !== "grpc")
      checkFormat(err, pf, v.port, ianaSvcName, "is not a valid port name: ");
    else checkPort(err, pf, v.port);
  }
}

function checkContainerPort(err: Err, pf: string, p: unknown, spec: Mapping, portNames: Map<string, string>): void {
  if (!isObj(p)) return err(pf, p, "must be a mapping", NET);
  if (p.containerPort === undefined) err(`${pf}.containerPort`, NO_VALUE, "is required", NET);
  else checkPort(err, `${pf}.containerPort`, p.containerPort);
  if (p.hostPort !== undefined && p.hostPort !== 0) {
    if (checkPort(err, `${pf}.hostPort`, p.hostPort) && spec.hostNetwork === true && p.hostPort !== p.containerPort)
      err(`${pf}.hostPort`, p.hostPort, "must match `containerPort` when `hostNetwork` is true", NET);
  }
  checkProtocol(err, `${pf}.protocol`, p.protocol);
  if (p.name !== undefined) {
    if (!checkFormat(err, `${pf}.name`, p.name, ianaSvcName, "is not a valid port name: ")) return;
    if (portNames.has(p.name))
      err(`${pf}.name`, p.name, `is a duplicate port name in the pod (also ${portNames.get(p.name)})`);
    else portNames.set(p.name, pf);
  }
}

/** dnsPolicy and dnsConfig (Kubernetes: MaxDNSNameservers 3, MaxDNSSearchPaths 32). */
function checkPodDns(err: Err, base: string, spec: Mapping): void {
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy))
    err(`${base}.dnsPolicy`, spec.dnsPolicy, `must be one of ${DNS_POLICIES.join(", ")}`, NET);
  const dc = spec.dnsConfig;
  if (dc !== undefined && dc !== null) {
    const f = `${base}.dnsConfig`;
    if (!isObj(dc)) err(f, dc, "must be a mapping", NET);
    else {
      const ns = Array.isArray(dc.nameservers) ? dc.nameservers : [];
      if (ns.length > 3) err(`${f}.nameservers`, ns, "must not have more than 3 nameservers");
      ns.forEach((s: unknown, i: number) => {
        if (typeof s !== "string" || !isIP(s))
          err(indexPath(`${f}.nameservers`, i), s, "must be a valid IP address", NET);
      });
      const se = Array.isArray(dc.searches) ? dc.searches : [];
      if (se.length > 32) err(`${f}.searches`, NO_VALUE, "must not have more than 32 search paths");
      se.forEach((s: unknown, i: number) =>
        checkFormat(err, indexPath(`${f}.searches`, i), s, (v) => dns1123Subdomain(v.replace(/\.$/, ""))),
      );
      if (Array.isArray(dc.options))
        dc.options.forEach((op: unknown, i: number) => {
          const of = indexPath(`${f}.options`, i);
          if (!isObj(op) || typeof op.name !== "string" || op.name === "")
            err(`${of}.name`, NO_VALUE, "is required", NET);
          // The API requires only a name (ValidatePodDNSConfig); kubelet writes `options
          // name[:value]` into one resolv.conf line (resolver(5): blank-separated words), so a
          // blank or newline would add options or lines: podnet refuses them.
          else if (/\s/.test(op.name)) err(`${of}.name`, op.name, "must not contain whitespace or newlines", NET);
          if (isObj(op) && op.value !== undefined && op.value !== null) {
            if (typeof op.value !== "string") err(`${of}.value`, op.value, "must be a string", NET);
            else if (/\s/.test(op.value)) err(`${of}.value`, op.value, "must not contain whitespace or newlines", NET);
          }
        });
    }
  }
  if (spec.dnsPolicy === "None" && !(isObj(dc) && Array.isArray(dc.nameservers) && dc.nameservers.length > 0))
    err(
      `${base}.dnsConfig.nameservers`,
      NO_VALUE,
      "must provide at least one DNS nameserver when `dnsPolicy` is None",
      NET,
    );
}

function checkTolerations(err: Err, field: string, tolerations: unknown): void {
  if (!Array.isArray(tolerations)) return err(field, tolerations, "must be a list", NET);
  tolerations.forEach((t: unknown, i: number) => {
    const f = indexPath(field, i);
    if (!isObj(t)) return err(f, t, "must be a mapping", NET);
    const op = t.operator ?? "Equal";
    if (op !== "Equal" && op !== "Exists") err(`${f}.operator`, t.operator, "must be Equal or Exists", NET);
    if (t.key !== undefined && t.key !== "") checkFormat(err, `${f}.key`, t.key, qualifiedName);
    else if (op !== "Exists")
      err(
        `${f}.operator`,
        t.operator ?? NO_VALUE,
        'must be Exists when `key` is empty, which means "match all values and all keys"',
        NET,
      );
    if (op === "Exists" && t.value !== undefined && t.value !== "")
      err(`${f}.value`, t.value, "value must be empty when `operator` is 'Exists'");
    if (t.effect !== undefined && !TOLERATION_EFFECTS.includes(t.effect))
      err(`${f}.effect`, t.effect, "must be one of NoSchedule, PreferNoSchedule, NoExecute", NET);
  });
}

/**
 * topologySpreadConstraints, as kubernetes/kubernetes pkg/apis/core/validation/validation.go
 * validateTopologySpreadConstraints words it (maxSkew and minDomains positive, a topologyKey,
 * a supported whenUnsatisfiable, one constraint per {topologyKey, whenUnsatisfiable},
 * minDomains only with DoNotSchedule). The scheduler reads them: network-relevant (where a
 * pod runs decides its paths).
 */
function checkTopologySpread(err: Err, field: string, cons: unknown): void {
  if (!Array.isArray(cons)) return err(field, cons, "must be a list", NET);
  cons.forEach((c: unknown, i: number) => {
    const f = indexPath(field, i);
    if (!isObj(c)) return err(f, c, "must be a mapping", NET);
    if (!isInt(c.maxSkew) || c.maxSkew <= 0) err(`${f}.maxSkew`, c.maxSkew ?? 0, "must be greater than zero", NET);
    if (c.topologyKey === undefined || c.topologyKey === null || c.topologyKey === "")
      err(`${f}.topologyKey`, NO_VALUE, "is required", NET);
    else if (typeof c.topologyKey !== "string") err(`${f}.topologyKey`, c.topologyKey, "must be a string", NET);
    const when = c.whenUnsatisfiable;
    if (when !== "DoNotSchedule" && when !== "ScheduleAnyway")
      err(`${f}.whenUnsatisfiable`, when ?? NO_VALUE, "must be one of DoNotSchedule, ScheduleAnyway", NET);
    const again = cons
      .slice(i + 1)
      .some((d: unknown) => isObj(d) && d.topologyKey === c.topologyKey && d.whenUnsatisfiable === when);
    if (again)
      err(
        `${f}.{topologyKey, whenUnsatisfiable}`,
        `{${c.topologyKey}, ${when}}`,
        "is given twice: one constraint per topologyKey and whenUnsatisfiable",
        NET,
      );
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (!isInt(c.minDomains) || c.minDomains <= 0)
        err(`${f}.minDomains`, c.minDomains, "must be greater than zero", NET);
      if (when !== "DoNotSchedule")
        err(
          `${f}.minDomains`,
          c.minDomains,
          `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${String(when ?? "")}`,
          NET,
        );
    }
  });
}

/** Required node affinity: matchExpressions (In, NotIn, Exists, DoesNotExist, Gt, Lt) and matchFields (In, NotIn). */
function checkNodeSelectorTerms(apiErr: Err, tf: string, terms: unknown): void {
  // Every finding here changes where the pod runs: all network-relevant.
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  if (!Array.isArray(terms)) return err(tf, terms, "must be a list");
  terms.forEach((term: unknown, i: number) => {
    if (!isObj(term)) return err(indexPath(tf, i), term, "must be a mapping");
    for (const key of ["matchExpressions", "matchFields"]) {
      const list = term[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        err(`${indexPath(tf, i)}.${key}`, list, "must be a list");
        continue;
      }
      list.forEach((r: unknown, j: number) =>
        checkNodeSelectorRequirement(err, indexPath(`${indexPath(tf, i)}.${key}`, j), key, r),
      );
    }
  });
}

function checkNodeSelectorRequirement(err: Err, f: string, key: string, r: unknown): void {
  if (!isObj(r)) return err(f, r, "must be a mapping");
  const op = r.operator;
  if (key === "matchFields" && (op === "Exists" || op === "DoesNotExist" || op === "Gt" || op === "Lt"))
    err(`${f}.operator`, op, "not a valid selector operator for matchFields (In, NotIn)");
  else if (op === "Gt" || op === "Lt") {
    if (!Array.isArray(r.values) || r.values.length !== 1 || !/^-?\d+$/.test(String(r.values[0])))
      err(
        `${f}.values`,
        r.values ?? NO_VALUE,
        "must be specified single value when `operator` is 'Lt' or 'Gt' and it must be an integer",
      );
  } else if (!checkSetOperatorValues(err, f, op, r.values))
    err(
      `${f}.operator`,
      op ?? NO_VALUE,
      "is not a valid node selector operator (In, NotIn, Exists, DoesNotExist, Gt, Lt)",
    );
}

/** A list whose entries are mappings, when given (null counts as not given). */
function checkListOfMappings(err: Err, f: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) return err(f, v, "must be a list", NET);
  v.forEach((x: unknown, i: number) => {
    if (!isObj(x)) err(indexPath(f, i), x, "must be a mapping", NET);
  });
}

// The lists of a Pod's status that podnet reads (readiness, addresses, the views' columns).
const STATUS_LISTS = [
  "conditions",
  "containerStatuses",
  "initContainerStatuses",
  "ephemeralContainerStatuses",
  "podIPs",
  "hostIPs",
].map((k) => ({ k, field: `status.${k}` }));

export function checkPod(err: Err, o: KubeObject): void {
  checkPodSpec(err, "spec", o.spec);
  if (o.status !== undefined && o.status !== null) {
    if (!isObj(o.status)) return err("status", o.status, "must be a mapping", NET);
    // A deferred list is one already (fast-yaml.ts Reader.defer): reading it would keep it.
    for (const { k, field } of STATUS_LISTS) if (!isDeferred(o.status, k)) checkListOfMappings(err, field, o.status[k]);
  }
  const ip = o.status?.podIP;
  if (ip !== undefined && (typeof ip !== "string" || !isIP(ip)))
    err("status.podIP", ip, "must be a valid IP address", NET);
}

export function checkNode(err: Err, o: KubeObject): void {
  if (o.status !== undefined && o.status !== null) {
    if (!isObj(o.status)) return err("status", o.status, "must be a mapping", NET);
    // Read for the node's address and its readiness (and the views' columns).
    for (const k of ["addresses", "conditions"]) checkListOfMappings(err, `status.${k}`, o.status[k]);
  }
  const spec = o.spec;
  if (spec === undefined || spec === null) return;
  if (!isObj(spec)) return err("spec", spec, "must be a mapping", NET);
  for (const [i, c] of [spec.podCIDR, ...(Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [])].entries()) {
    if (c === undefined) continue;
    const f = i === 0 ? "spec.podCIDR" : indexPath("spec.podCIDRs", i - 1);
    if (typeof c !== "string" || !parseCidrAny(c).ok) err(f, c, "is not a valid CIDR", NET);
  }
  // podnet's clusters are IPv4-only: a Node needs an IPv4 pod CIDR if it names any.
  const given = [spec.podCIDR, ...(Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [])].filter((c) => c !== undefined);
  const fam = given.map((c) => (typeof c === "string" ? parseCidrAny(c) : { ok: false as const }));
  if (fam.length && fam.every((p) => p.ok) && !fam.some((p) => p.ok && p.family === 4))
    err(
      spec.podCIDR !== undefined ? "spec.podCIDR" : "spec.podCIDRs",
      spec.podCIDR ?? spec.podCIDRs,
      "has no IPv4 CIDR: the cluster is IPv4-only",
      NET,
    );
  if (Array.isArray(spec.taints))
    spec.taints.forEach((t: unknown, i: number) => {
      const f = indexPath("spec.taints", i);
      if (!isObj(t) || typeof t.key !== "string") return err(`${f}.key`, NO_VALUE, "is required", NET);
      const e = qualifiedName(t.key);
      if (e) err(`${f}.key`, t.key, e);
      if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect))
        err(`${f}.effect`, t.effect ?? NO_VALUE, "must be one of NoSchedule, PreferNoSchedule, NoExecute", NET);
    });
}

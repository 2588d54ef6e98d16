// Validation of the understood objects, following the Kubernetes API server's rules
// (pkg/apis/*/validation) for the fields podnet uses, plus the cross-object checks
// that need the whole input: duplicates, two Services asking for one clusterIP or nodePort.
// Every finding goes to `diags`; nothing throws here.
import type { KubeObject, SourceRef } from "./types.js";
import type { ClusterConfig } from "./config.js";
import { type Diags, NO_VALUE, indexPath, isInt, isObj, keyPath, labelOf, where } from "./diag.js";
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  ianaSvcName,
  labelValue,
  qualifiedName,
  wildcardDns1123Subdomain,
} from "./names.js";
import { cidrContains, cidrSize, cidrWithin, parseIPv4 } from "../net/ipv4.js";
import { isIP, parseCidrAny, parseIPv6 } from "./net.js";
import { matchSelector } from "./selector.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"];

type Err = (field: string, value: unknown, text: string) => void;

/** Which name rule each kind's metadata.name follows (apimachinery NameIsDNS*). */
const NAME_RULE: Record<string, (v: string) => string | undefined> = {
  Namespace: dns1123Label,
  Service: dns1035Label,
  StatefulSet: dns1123Label, // its pods' hostnames are <name>-<ordinal>
};

function checkPort(err: Err, field: string, v: unknown, opts: { allowZero?: boolean } = {}): boolean {
  if (!isInt(v)) {
    err(field, v, typeof v === "string" ? "must be an integer, not a string" : "must be an integer");
    return false;
  }
  if (v < 1 || v > 65535) {
    if (!(opts.allowZero && v === 0)) {
      err(field, v, "is not a valid port (1-65535)");
      return false;
    }
  }
  return true;
}

function checkProtocol(err: Err, field: string, v: unknown): void {
  if (v !== undefined && !PROTOCOLS.includes(v as string)) err(field, v, "must be one of TCP, UDP, SCTP");
}

/** IntOrString port (targetPort, NetworkPolicy port, Ingress backends). */
function checkIntOrNamedPort(err: Err, field: string, v: unknown): void {
  if (typeof v === "number") checkPort(err, field, v);
  else if (typeof v === "string") {
    const e = ianaSvcName(v);
    if (e) err(field, v, `is not a valid port name: ${e}`);
  } else err(field, v, "must be a port number or a port name");
}

export function checkLabels(err: Err, field: string, labels: unknown): void {
  if (labels === undefined || labels === null) return;
  if (!isObj(labels)) return err(field, labels, "must be a mapping of label keys to values");
  for (const [k, v] of Object.entries(labels)) {
    const f = keyPath(field, k);
    const ek = qualifiedName(k);
    if (ek) err(f, k, `is not a valid label key: ${ek}`);
    if (typeof v !== "string") {
      err(f, v, "label values must be strings (quote it)");
      continue;
    }
    const ev = labelValue(v);
    if (ev) err(f, v, `is not a valid label value: ${ev}`);
  }
}

/** The values rule of In/NotIn (some) and Exists/DoesNotExist (none); false for any other operator. */
function checkSetOperatorValues(err: Err, f: string, operator: unknown, vals: unknown): boolean {
  const n = Array.isArray(vals) ? vals.length : 0;
  if (operator === "In" || operator === "NotIn") {
    if (n === 0) err(`${f}.values`, NO_VALUE, "must be specified when `operator` is 'In' or 'NotIn'");
    return true;
  }
  if (operator === "Exists" || operator === "DoesNotExist") {
    if (n > 0) err(`${f}.values`, vals, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    return true;
  }
  return false;
}

/** metav1.LabelSelector. */
export function checkSelector(err: Err, field: string, sel: unknown): void {
  if (sel === undefined || sel === null) return;
  if (!isObj(sel)) return err(field, sel, "must be a label selector (matchLabels / matchExpressions)");
  checkLabels(err, `${field}.matchLabels`, sel.matchLabels);
  const me = sel.matchExpressions;
  if (me === undefined || me === null) return;
  if (!Array.isArray(me)) return err(`${field}.matchExpressions`, me, "must be a list");
  me.forEach((r: unknown, i: number) => {
    const f = indexPath(`${field}.matchExpressions`, i);
    if (!isObj(r)) return err(f, r, "must be a mapping {key, operator, values}");
    if (typeof r.key !== "string") err(`${f}.key`, r.key ?? NO_VALUE, "is required");
    else {
      const e = qualifiedName(r.key);
      if (e) err(`${f}.key`, r.key, `is not a valid label key: ${e}`);
    }
    const vals = r.values;
    if (vals !== undefined && vals !== null && !Array.isArray(vals)) err(`${f}.values`, vals, "must be a list");
    if (!checkSetOperatorValues(err, f, r.operator, vals))
      err(
        `${f}.operator`,
        r.operator ?? NO_VALUE,
        "is not a valid selector operator (In, NotIn, Exists, DoesNotExist)",
      );
    if (Array.isArray(vals))
      vals.forEach((v: unknown, j: number) => {
        const vf = indexPath(`${f}.values`, j);
        if (typeof v !== "string") return err(vf, v, "must be a string");
        const e = labelValue(v);
        if (e) err(vf, v, `is not a valid label value: ${e}`);
      });
  });
}

/** Whether a selector selects a label set (used for the template-labels check). */
export function selectorMatches(sel: any, labels: Record<string, string>): boolean {
  if (!isObj(sel)) return false;
  // Not yet validated: a malformed requirement selects nothing.
  for (const r of sel.matchExpressions ?? []) if (!isObj(r)) return false;
  return matchSelector(sel, labels);
}

function checkMeta(err: Err, o: KubeObject, base = "metadata"): void {
  const m = o.metadata;
  const rule = NAME_RULE[o.kind] ?? dns1123Subdomain;
  if (typeof m.name !== "string") err(`${base}.name`, m.name, "must be a string");
  else {
    const e = rule(m.name);
    if (e) err(`${base}.name`, m.name, e);
  }
  if (m.namespace !== undefined) {
    const e = typeof m.namespace === "string" ? dns1123Label(m.namespace) : "must be a string";
    if (e) err(`${base}.namespace`, m.namespace, e);
  }
  checkLabels(err, `${base}.labels`, m.labels);
  if (m.annotations !== undefined && m.annotations !== null) {
    if (!isObj(m.annotations)) err(`${base}.annotations`, m.annotations, "must be a mapping");
    else
      for (const [k, v] of Object.entries(m.annotations)) {
        const f = keyPath(`${base}.annotations`, k);
        const e = qualifiedName(k);
        if (e) err(f, k, `is not a valid annotation key: ${e}`);
        if (typeof v !== "string") err(f, v, "annotation values must be strings (quote it)");
      }
  }
}

function checkPodSpec(err: Err, base: string, spec: unknown): void {
  if (!isObj(spec)) return err(base, spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  const portNames = new Map<string, string>();
  const checkContainers = (key: "containers" | "initContainers", required: boolean) => {
    const list = spec[key];
    const f = `${base}.${key}`;
    if (list === undefined || list === null) {
      if (required) err(f, NO_VALUE, "is required (at least one container)");
      return;
    }
    if (!Array.isArray(list)) return err(f, list, "must be a list");
    if (required && list.length === 0) err(f, NO_VALUE, "is required (at least one container)");
    const names = new Set<string>();
    list.forEach((c: unknown, i: number) => {
      const cf = indexPath(f, i);
      if (!isObj(c)) return err(cf, c, "must be a mapping");
      if (typeof c.name !== "string" || c.name === "") err(`${cf}.name`, c.name ?? NO_VALUE, "is required");
      else {
        const e = dns1123Label(c.name);
        if (e) err(`${cf}.name`, c.name, e);
        else if (names.has(c.name)) err(`${cf}.name`, c.name, "is a duplicate container name");
        names.add(c.name);
      }
      if (c.ports === undefined || c.ports === null) return;
      if (!Array.isArray(c.ports)) return err(`${cf}.ports`, c.ports, "must be a list");
      c.ports.forEach((p: unknown, j: number) => {
        const pf = indexPath(`${cf}.ports`, j);
        if (!isObj(p)) return err(pf, p, "must be a mapping");
        if (p.containerPort === undefined) err(`${pf}.containerPort`, NO_VALUE, "is required");
        else checkPort(err, `${pf}.containerPort`, p.containerPort);
        if (p.hostPort !== undefined && p.hostPort !== 0) {
          if (
            checkPort(err, `${pf}.hostPort`, p.hostPort) &&
            spec.hostNetwork === true &&
            p.hostPort !== p.containerPort
          )
            err(`${pf}.hostPort`, p.hostPort, "must match `containerPort` when `hostNetwork` is true");
        }
        checkProtocol(err, `${pf}.protocol`, p.protocol);
        if (p.name !== undefined) {
          const e = typeof p.name === "string" ? ianaSvcName(p.name) : "must be a string";
          if (e) err(`${pf}.name`, p.name, `is not a valid port name: ${e}`);
          else if (portNames.has(p.name))
            err(`${pf}.name`, p.name, `is a duplicate port name in the pod (also ${portNames.get(p.name)})`);
          else portNames.set(p.name, pf);
        }
      });
    });
  };
  checkContainers("containers", true);
  checkContainers("initContainers", false);
  for (const key of ["hostname", "subdomain"]) {
    const v = spec[key];
    if (v === undefined) continue;
    const e = typeof v === "string" ? dns1123Label(v) : "must be a string";
    if (e) err(`${base}.${key}`, v, e);
  }
  if (spec.nodeName !== undefined) {
    const e = typeof spec.nodeName === "string" ? dns1123Subdomain(spec.nodeName) : "must be a string";
    if (e) err(`${base}.nodeName`, spec.nodeName, e);
  }
  if (spec.hostNetwork !== undefined && typeof spec.hostNetwork !== "boolean")
    err(`${base}.hostNetwork`, spec.hostNetwork, "must be true or false");
  const policies = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
  if (spec.dnsPolicy !== undefined && !policies.includes(spec.dnsPolicy))
    err(`${base}.dnsPolicy`, spec.dnsPolicy, `must be one of ${policies.join(", ")}`);
  const dc = spec.dnsConfig;
  if (dc !== undefined && dc !== null) {
    const f = `${base}.dnsConfig`;
    if (!isObj(dc)) err(f, dc, "must be a mapping");
    else {
      const ns = Array.isArray(dc.nameservers) ? dc.nameservers : [];
      // Kubernetes: MaxDNSNameservers 3, MaxDNSSearchPaths 32.
      if (ns.length > 3) err(`${f}.nameservers`, ns, "must not have more than 3 nameservers");
      ns.forEach((s: unknown, i: number) => {
        if (typeof s !== "string" || !isIP(s)) err(indexPath(`${f}.nameservers`, i), s, "must be a valid IP address");
      });
      const se = Array.isArray(dc.searches) ? dc.searches : [];
      if (se.length > 32) err(`${f}.searches`, NO_VALUE, "must not have more than 32 search paths");
      se.forEach((s: unknown, i: number) => {
        const e = typeof s === "string" ? dns1123Subdomain(s.replace(/\.$/, "")) : "must be a string";
        if (e) err(indexPath(`${f}.searches`, i), s, e);
      });
      if (Array.isArray(dc.options))
        dc.options.forEach((op: unknown, i: number) => {
          if (!isObj(op) || typeof op.name !== "string" || op.name === "")
            err(`${indexPath(`${f}.options`, i)}.name`, NO_VALUE, "is required");
        });
    }
  }
  if (spec.dnsPolicy === "None" && !(isObj(dc) && Array.isArray(dc.nameservers) && dc.nameservers.length > 0))
    err(`${base}.dnsConfig.nameservers`, NO_VALUE, "must provide at least one DNS nameserver when `dnsPolicy` is None");
  if (spec.nodeSelector !== undefined) checkLabels(err, `${base}.nodeSelector`, spec.nodeSelector);
  if (spec.tolerations !== undefined) {
    if (!Array.isArray(spec.tolerations)) err(`${base}.tolerations`, spec.tolerations, "must be a list");
    else
      spec.tolerations.forEach((t: unknown, i: number) => {
        const f = indexPath(`${base}.tolerations`, i);
        if (!isObj(t)) return err(f, t, "must be a mapping");
        const op = t.operator ?? "Equal";
        if (op !== "Equal" && op !== "Exists") err(`${f}.operator`, t.operator, "must be Equal or Exists");
        if (t.key !== undefined && t.key !== "") {
          const e = typeof t.key === "string" ? qualifiedName(t.key) : "must be a string";
          if (e) err(`${f}.key`, t.key, e);
        } else if (op !== "Exists")
          err(
            `${f}.operator`,
            t.operator ?? NO_VALUE,
            'must be Exists when `key` is empty, which means "match all values and all keys"',
          );
        if (op === "Exists" && t.value !== undefined && t.value !== "")
          err(`${f}.value`, t.value, "value must be empty when `operator` is 'Exists'");
        const effects = ["NoSchedule", "PreferNoSchedule", "NoExecute", ""];
        if (t.effect !== undefined && !effects.includes(t.effect))
          err(`${f}.effect`, t.effect, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
      });
  }
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined) {
    const tf = `${base}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (!Array.isArray(terms)) err(tf, terms, "must be a list");
    else
      terms.forEach((term: unknown, i: number) => {
        if (!isObj(term)) return err(indexPath(tf, i), term, "must be a mapping");
        for (const key of ["matchExpressions", "matchFields"]) {
          const list = term[key];
          if (list === undefined) continue;
          if (!Array.isArray(list)) {
            err(`${indexPath(tf, i)}.${key}`, list, "must be a list");
            continue;
          }
          list.forEach((r: unknown, j: number) => {
            const f = indexPath(`${indexPath(tf, i)}.${key}`, j);
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
          });
        }
      });
  }
}

/** Deployment, ReplicaSet, StatefulSet, DaemonSet, Job: selector, template, replicas. */
function checkWorkload(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  for (const key of ["replicas", "parallelism", "completions"]) {
    if (spec[key] === undefined || spec[key] === null) continue;
    if (!isInt(spec[key]) || spec[key] < 0) err(`spec.${key}`, spec[key], "must be greater than or equal to 0");
  }
  const tmpl = spec.template;
  if (!isObj(tmpl))
    return err("spec.template", tmpl ?? NO_VALUE, tmpl === undefined ? "is required" : "must be a mapping");
  const tlabels = isObj(tmpl.metadata) && isObj(tmpl.metadata.labels) ? tmpl.metadata.labels : {};
  if (tmpl.metadata !== undefined) {
    if (!isObj(tmpl.metadata)) err("spec.template.metadata", tmpl.metadata, "must be a mapping");
    else checkLabels(err, "spec.template.metadata.labels", tmpl.metadata.labels);
  }
  checkPodSpec(err, "spec.template.spec", tmpl.spec);
  if (o.kind === "StatefulSet" && spec.serviceName !== undefined && spec.serviceName !== "") {
    const e = typeof spec.serviceName === "string" ? dns1123Label(spec.serviceName) : "must be a string";
    if (e) err("spec.serviceName", spec.serviceName, e);
  }
  // Job generates its selector (controller-uid) unless manualSelector is set.
  if (o.kind === "Job" && spec.selector === undefined) return;
  const sel = spec.selector;
  if (sel === undefined || sel === null) return err("spec.selector", NO_VALUE, "is required");
  checkSelector(err, "spec.selector", sel);
  const empty =
    isObj(sel) &&
    Object.keys(sel.matchLabels ?? {}).length === 0 &&
    (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
  if (empty) return err("spec.selector", sel, `empty selector is invalid for ${o.kind.toLowerCase()}`);
  if (isObj(sel) && !selectorMatches(sel, tlabels as Record<string, string>))
    err("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`");
}

function checkService(err: Err, o: KubeObject, config: ClusterConfig): void {
  const spec = o.spec;
  if (spec === undefined || spec === null) return err("spec", NO_VALUE, "is required");
  if (!isObj(spec)) return err("spec", spec, "must be a mapping");
  const type = spec.type ?? "ClusterIP";
  if (!["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].includes(type))
    err("spec.type", spec.type, "must be one of ClusterIP, NodePort, LoadBalancer, ExternalName");
  const headless = spec.clusterIP === "None";
  if (type === "ExternalName") {
    if (spec.externalName === undefined || spec.externalName === "")
      err("spec.externalName", NO_VALUE, "is required for a Service of type ExternalName");
    else {
      const e =
        typeof spec.externalName === "string"
          ? dns1123Subdomain(spec.externalName.replace(/\.$/, "").toLowerCase())
          : "must be a string";
      if (e) err("spec.externalName", spec.externalName, e);
    }
  }
  if (type !== "ExternalName" && spec.selector !== undefined) checkLabels(err, "spec.selector", spec.selector);

  const ports = spec.ports;
  if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0)) {
    if (type !== "ExternalName" && !headless) err("spec.ports", NO_VALUE, "is required (at least one port)");
  } else if (!Array.isArray(ports)) err("spec.ports", ports, "must be a list");
  else {
    const names = new Set<string>();
    const seen = new Set<string>();
    ports.forEach((p: unknown, i: number) => {
      const f = indexPath("spec.ports", i);
      if (!isObj(p)) return err(f, p, "must be a mapping");
      if (p.name === undefined || p.name === "") {
        if (ports.length > 1) err(`${f}.name`, NO_VALUE, "is required when there is more than one port");
      } else {
        const e = typeof p.name === "string" ? dns1123Label(p.name) : "must be a string";
        if (e) err(`${f}.name`, p.name, e);
        else if (names.has(p.name)) err(`${f}.name`, p.name, "is a duplicate port name");
        names.add(p.name);
      }
      if (p.port === undefined) err(`${f}.port`, NO_VALUE, "is required");
      else checkPort(err, `${f}.port`, p.port);
      checkProtocol(err, `${f}.protocol`, p.protocol);
      const key = `${p.port}/${p.protocol ?? "TCP"}`;
      if (seen.has(key)) err(f, key, "is a duplicate port and protocol");
      seen.add(key);
      if (p.targetPort !== undefined && p.targetPort !== 0 && p.targetPort !== "")
        checkIntOrNamedPort(err, `${f}.targetPort`, p.targetPort);
      if (p.nodePort !== undefined && p.nodePort !== 0) {
        if (type !== "NodePort" && type !== "LoadBalancer")
          err(`${f}.nodePort`, p.nodePort, `may not be used when \`type\` is '${type}'`);
        else if (checkPort(err, `${f}.nodePort`, p.nodePort)) {
          const [lo, hi] = config.networking.nodePortRange;
          if (p.nodePort < lo || p.nodePort > hi)
            err(
              `${f}.nodePort`,
              p.nodePort,
              `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`,
            );
        }
      }
    });
  }

  if (spec.clusterIP !== undefined && spec.clusterIP !== "" && spec.clusterIP !== null) {
    const v = spec.clusterIP;
    if (type === "ExternalName") err("spec.clusterIP", v, "must be empty for a Service of type ExternalName");
    else if (headless) {
      if (type !== "ClusterIP") err("spec.clusterIP", v, `may not be set to 'None' for ${type} services`);
    } else checkClusterIP(err, "spec.clusterIP", v, config);
  }
  if (spec.clusterIPs !== undefined && spec.clusterIPs !== null) {
    if (!Array.isArray(spec.clusterIPs)) err("spec.clusterIPs", spec.clusterIPs, "must be a list");
    else {
      if (spec.clusterIPs.length > 0 && spec.clusterIP !== undefined && spec.clusterIPs[0] !== spec.clusterIP)
        err("spec.clusterIPs[0]", spec.clusterIPs[0], "must be same as `clusterIP`");
      spec.clusterIPs.forEach((ip: unknown, i: number) => {
        if (i === 0 && ip === spec.clusterIP) return; // already checked
        if (ip !== "None") checkClusterIP(err, indexPath("spec.clusterIPs", i), ip, config);
      });
    }
  }
  if (spec.externalIPs !== undefined && spec.externalIPs !== null) {
    if (!Array.isArray(spec.externalIPs)) err("spec.externalIPs", spec.externalIPs, "must be a list");
    else
      spec.externalIPs.forEach((ip: unknown, i: number) => {
        if (typeof ip !== "string" || !isIP(ip))
          err(indexPath("spec.externalIPs", i), ip, "must be a valid IP address");
      });
  }
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== "None" && spec.sessionAffinity !== "ClientIP")
    err("spec.sessionAffinity", spec.sessionAffinity, "must be None or ClientIP");
  const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (t !== undefined && (!isInt(t) || t < 1 || t > 86400))
    err("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400");
  for (const key of ["externalTrafficPolicy", "internalTrafficPolicy"]) {
    const v = spec[key];
    if (v === undefined) continue;
    if (v !== "Cluster" && v !== "Local") err(`spec.${key}`, v, "must be Cluster or Local");
  }
  if (spec.externalTrafficPolicy !== undefined && type !== "NodePort" && type !== "LoadBalancer")
    err(
      "spec.externalTrafficPolicy",
      spec.externalTrafficPolicy,
      "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
    );
  if (spec.publishNotReadyAddresses !== undefined && typeof spec.publishNotReadyAddresses !== "boolean")
    err("spec.publishNotReadyAddresses", spec.publishNotReadyAddresses, "must be true or false");
  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== "" && !isIP(spec.loadBalancerIP))
    err("spec.loadBalancerIP", spec.loadBalancerIP, "must be a valid IP address");
  if (Array.isArray(spec.loadBalancerSourceRanges))
    spec.loadBalancerSourceRanges.forEach((c: unknown, i: number) => {
      if (typeof c !== "string" || !parseCidrAny(c.trim()).ok)
        err(indexPath("spec.loadBalancerSourceRanges", i), c, "must be a list of IP ranges, e.g. 10.0.0.0/8");
    });
}

function checkClusterIP(err: Err, field: string, v: unknown, config: ClusterConfig): void {
  if (typeof v !== "string" || !isIP(v)) return err(field, v, "must be a valid IP address or 'None'");
  const ip = parseIPv4(v);
  const range = parseCidrAny(config.networking.serviceSubnet);
  if (ip === undefined || !range.ok || range.family !== 4)
    return err(field, v, `is not in the valid range ${config.networking.serviceSubnet}`);
  const c = range.cidr;
  if (!cidrContains(c, ip))
    return err(
      field,
      v,
      `provided IP is not in the valid range. The range of valid IPs is ${config.networking.serviceSubnet}`,
    );
  // The IPv4 allocator excludes the network and broadcast addresses.
  if (cidrSize(c) > 2 && (ip === c.first || ip === c.last))
    err(field, v, `is the network or broadcast address of the service range ${config.networking.serviceSubnet}`);
}

function checkNetworkPolicy(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  if (spec.podSelector === undefined || spec.podSelector === null)
    err("spec.podSelector", NO_VALUE, "is required (use {} to select every pod in the namespace)");
  else checkSelector(err, "spec.podSelector", spec.podSelector);
  if (spec.policyTypes !== undefined) {
    if (!Array.isArray(spec.policyTypes)) err("spec.policyTypes", spec.policyTypes, "must be a list");
    else {
      const seen = new Set<string>();
      spec.policyTypes.forEach((t: unknown, i: number) => {
        if (t !== "Ingress" && t !== "Egress") err(indexPath("spec.policyTypes", i), t, "must be Ingress or Egress");
        else if (seen.has(t)) err(indexPath("spec.policyTypes", i), t, "is a duplicate policy type");
        seen.add(t as string);
      });
    }
  }
  for (const [dir, peersKey] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    const rules = spec[dir];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules)) {
      err(`spec.${dir}`, rules, "must be a list");
      continue;
    }
    rules.forEach((r: unknown, i: number) => {
      const rf = indexPath(`spec.${dir}`, i);
      if (r === null || r === undefined) return;
      if (!isObj(r)) return err(rf, r, "must be a mapping");
      const peers = r[peersKey];
      if (Array.isArray(peers))
        peers.forEach((p: unknown, j: number) => {
          const pf = indexPath(`${rf}.${peersKey}`, j);
          if (!isObj(p)) return err(pf, p, "must be a mapping");
          const n = ["podSelector", "namespaceSelector", "ipBlock"].filter(
            (k) => p[k] !== undefined && p[k] !== null,
          ).length;
          if (n === 0) err(pf, NO_VALUE, "must specify a peer");
          if (p.ipBlock !== undefined && n > 1)
            err(
              pf,
              NO_VALUE,
              "may not specify more than 1 peer: ipBlock cannot be combined with podSelector or namespaceSelector",
            );
          if (p.podSelector !== undefined) checkSelector(err, `${pf}.podSelector`, p.podSelector);
          if (p.namespaceSelector !== undefined) checkSelector(err, `${pf}.namespaceSelector`, p.namespaceSelector);
          if (p.ipBlock !== undefined) checkIPBlock(err, `${pf}.ipBlock`, p.ipBlock);
        });
      else if (peers !== undefined && peers !== null) err(`${rf}.${peersKey}`, peers, "must be a list");
      const ports = r.ports;
      if (ports === undefined || ports === null) return;
      if (!Array.isArray(ports)) return err(`${rf}.ports`, ports, "must be a list");
      ports.forEach((p: unknown, j: number) => {
        const f = indexPath(`${rf}.ports`, j);
        if (!isObj(p)) return err(f, p, "must be a mapping");
        checkProtocol(err, `${f}.protocol`, p.protocol);
        if (p.port !== undefined && p.port !== null) checkIntOrNamedPort(err, `${f}.port`, p.port);
        if (p.endPort === undefined || p.endPort === null) return;
        if (p.port === undefined || p.port === null)
          err(`${f}.endPort`, p.endPort, "may not be specified when `port` is not specified");
        else if (typeof p.port === "string")
          err(`${f}.endPort`, p.endPort, "may not be specified when `port` is non-numeric");
        else if (checkPort(err, `${f}.endPort`, p.endPort) && isInt(p.port) && p.endPort < p.port)
          err(`${f}.endPort`, p.endPort, "must be greater than or equal to `port`");
      });
    });
  }
}

function checkIPBlock(err: Err, f: string, b: unknown): void {
  if (!isObj(b)) return err(f, b, "must be a mapping {cidr, except}");
  if (b.cidr === undefined) return err(`${f}.cidr`, NO_VALUE, "is required");
  const c = typeof b.cidr === "string" ? parseCidrAny(b.cidr) : { ok: false as const };
  if (!c.ok) return err(`${f}.cidr`, b.cidr, "is not a valid CIDR");
  if (b.except === undefined || b.except === null) return;
  if (!Array.isArray(b.except)) return err(`${f}.except`, b.except, "must be a list");
  b.except.forEach((x: unknown, i: number) => {
    const xf = indexPath(`${f}.except`, i);
    const xc = typeof x === "string" ? parseCidrAny(x) : { ok: false as const };
    if (!xc.ok) return err(xf, x, "is not a valid CIDR");
    if (c.family === 4 && xc.family === 4) {
      if (!cidrWithin(xc.cidr, c.cidr) || xc.prefix === c.prefix) err(xf, x, "must be a strict subset of `cidr`");
    } else if (c.family !== xc.family) err(xf, x, "must be a strict subset of `cidr`");
  });
}

function checkEndpointSlice(err: Err, o: KubeObject): void {
  const t = o.addressType;
  if (t === undefined) err("addressType", NO_VALUE, "is required");
  else if (t !== "IPv4" && t !== "IPv6" && t !== "FQDN") err("addressType", t, "must be one of IPv4, IPv6, FQDN");
  if (o.endpoints !== undefined && o.endpoints !== null) {
    if (!Array.isArray(o.endpoints)) err("endpoints", o.endpoints, "must be a list");
    else
      o.endpoints.forEach((e: unknown, i: number) => {
        const f = indexPath("endpoints", i);
        if (!isObj(e)) return err(f, e, "must be a mapping");
        if (!Array.isArray(e.addresses) || e.addresses.length === 0)
          return err(`${f}.addresses`, NO_VALUE, "must contain at least 1 address");
        if (e.addresses.length > 100) err(`${f}.addresses`, NO_VALUE, "must contain at most 100 addresses");
        e.addresses.forEach((a: unknown, j: number) => {
          const af = indexPath(`${f}.addresses`, j);
          if (typeof a !== "string") return err(af, a, "must be a string");
          if (t === "IPv4" && parseIPv4(a) === undefined) err(af, a, "must be a valid IPv4 address");
          if (t === "IPv6" && parseIPv6(a) === undefined) err(af, a, "must be a valid IPv6 address");
          if (t === "FQDN" && dns1123Subdomain(a)) err(af, a, "must be a valid FQDN");
        });
        if (e.hostname !== undefined) {
          const he = typeof e.hostname === "string" ? dns1123Label(e.hostname) : "must be a string";
          if (he) err(`${f}.hostname`, e.hostname, he);
        }
      });
  }
  checkEndpointPorts(err, "ports", o.ports);
}

function checkEndpointPorts(err: Err, base: string, ports: unknown): void {
  if (ports === undefined || ports === null) return;
  if (!Array.isArray(ports)) return err(base, ports, "must be a list");
  ports.forEach((p: unknown, i: number) => {
    const f = indexPath(base, i);
    if (!isObj(p)) return err(f, p, "must be a mapping");
    if (p.port !== undefined && p.port !== null) checkPort(err, `${f}.port`, p.port);
    checkProtocol(err, `${f}.protocol`, p.protocol);
    if (p.name !== undefined && p.name !== "") {
      const e = typeof p.name === "string" ? dns1123Label(p.name) : "must be a string";
      if (e) err(`${f}.name`, p.name, e);
    }
  });
}

function checkEndpoints(err: Err, o: KubeObject): void {
  const subsets = o.subsets;
  if (subsets === undefined || subsets === null) return;
  if (!Array.isArray(subsets)) return err("subsets", subsets, "must be a list");
  subsets.forEach((s: unknown, i: number) => {
    const f = indexPath("subsets", i);
    if (!isObj(s)) return err(f, s, "must be a mapping");
    for (const key of ["addresses", "notReadyAddresses"]) {
      const list = s[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        err(`${f}.${key}`, list, "must be a list");
        continue;
      }
      list.forEach((a: unknown, j: number) => {
        const af = indexPath(`${f}.${key}`, j);
        if (!isObj(a)) return err(af, a, "must be a mapping {ip}");
        if (typeof a.ip !== "string" || !isIP(a.ip)) err(`${af}.ip`, a.ip ?? NO_VALUE, "must be a valid IP address");
      });
    }
    if (s.ports === undefined) err(`${f}.ports`, NO_VALUE, "is required");
    else {
      checkEndpointPorts(err, `${f}.ports`, s.ports);
      if (Array.isArray(s.ports))
        s.ports.forEach((p: any, j: number) => {
          if (isObj(p) && p.port === undefined) err(`${indexPath(`${f}.ports`, j)}.port`, NO_VALUE, "is required");
        });
    }
  });
}

function checkIngressBackend(err: Err, f: string, b: unknown): void {
  if (!isObj(b)) return err(f, b ?? NO_VALUE, b === undefined ? "is required" : "must be a mapping");
  if (b.service !== undefined && b.resource !== undefined)
    err(f, NO_VALUE, "cannot set both service and resource backends");
  if (b.service === undefined) {
    if (b.resource === undefined) err(f, NO_VALUE, "one backend (service or resource) must be specified");
    return;
  }
  const s = b.service;
  if (!isObj(s)) return err(`${f}.service`, s, "must be a mapping {name, port}");
  if (typeof s.name !== "string") err(`${f}.service.name`, s.name ?? NO_VALUE, "is required");
  else {
    const e = dns1035Label(s.name);
    if (e) err(`${f}.service.name`, s.name, e);
  }
  const p = s.port;
  if (!isObj(p)) return err(`${f}.service.port`, p ?? NO_VALUE, "is required ({number} or {name})");
  if (p.number !== undefined && p.name !== undefined)
    err(`${f}.service.port`, NO_VALUE, "cannot set both port name & port number");
  else if (p.number !== undefined) checkPort(err, `${f}.service.port.number`, p.number);
  else if (p.name !== undefined) {
    const e = typeof p.name === "string" ? ianaSvcName(p.name) : "must be a string";
    if (e) err(`${f}.service.port.name`, p.name, e);
  } else err(`${f}.service.port`, NO_VALUE, "port name or number is required");
}

function checkIngress(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  if (spec.defaultBackend !== undefined) checkIngressBackend(err, "spec.defaultBackend", spec.defaultBackend);
  const rules = spec.rules;
  if (rules === undefined || rules === null) {
    if (spec.defaultBackend === undefined)
      err("spec", NO_VALUE, "either `defaultBackend` or `rules` must be specified");
    return;
  }
  if (!Array.isArray(rules)) return err("spec.rules", rules, "must be a list");
  rules.forEach((r: unknown, i: number) => {
    const f = indexPath("spec.rules", i);
    if (!isObj(r)) return err(f, r, "must be a mapping");
    if (r.host !== undefined && r.host !== "") {
      if (typeof r.host !== "string") err(`${f}.host`, r.host, "must be a string");
      else if (isIP(r.host)) err(`${f}.host`, r.host, "must be a DNS name, not an IP address");
      else {
        const e = wildcardDns1123Subdomain(r.host);
        if (e) err(`${f}.host`, r.host, e);
      }
    }
    const paths = r.http?.paths;
    if (r.http === undefined) return;
    if (!Array.isArray(paths) || paths.length === 0)
      return err(`${f}.http.paths`, NO_VALUE, "is required (at least one path)");
    paths.forEach((p: unknown, j: number) => {
      const pf = indexPath(`${f}.http.paths`, j);
      if (!isObj(p)) return err(pf, p, "must be a mapping");
      const types = ["Exact", "Prefix", "ImplementationSpecific"];
      if (p.pathType === undefined) err(`${pf}.pathType`, NO_VALUE, "pathType must be specified");
      else if (!types.includes(p.pathType)) err(`${pf}.pathType`, p.pathType, `must be one of ${types.join(", ")}`);
      if (p.pathType !== "ImplementationSpecific" && (typeof p.path !== "string" || !p.path.startsWith("/")))
        err(`${pf}.path`, p.path ?? NO_VALUE, "must be an absolute path");
      checkIngressBackend(err, `${pf}.backend`, p.backend);
    });
  });
}

function checkNode(err: Err, o: KubeObject): void {
  const spec = o.spec;
  if (spec === undefined || spec === null) return;
  if (!isObj(spec)) return err("spec", spec, "must be a mapping");
  for (const [i, c] of [spec.podCIDR, ...(Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [])].entries()) {
    if (c === undefined) continue;
    const f = i === 0 ? "spec.podCIDR" : indexPath("spec.podCIDRs", i - 1);
    if (typeof c !== "string" || !parseCidrAny(c).ok) err(f, c, "is not a valid CIDR");
  }
  if (Array.isArray(spec.taints))
    spec.taints.forEach((t: any, i: number) => {
      const f = indexPath("spec.taints", i);
      if (!isObj(t) || typeof t.key !== "string") return err(`${f}.key`, NO_VALUE, "is required");
      const e = qualifiedName(t.key);
      if (e) err(`${f}.key`, t.key, e);
      if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect))
        err(`${f}.effect`, t.effect ?? NO_VALUE, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
    });
}

function checkPod(err: Err, o: KubeObject): void {
  checkPodSpec(err, "spec", o.spec);
  const ip = o.status?.podIP;
  if (ip !== undefined && (typeof ip !== "string" || !isIP(ip))) err("status.podIP", ip, "must be a valid IP address");
}

/** Validates every object, then the cross-object rules. */
export function validateObjects(objects: KubeObject[], config: ClusterConfig, diags: Diags): void {
  const seen = new Map<string, KubeObject>();
  const clusterIPs = new Map<string, KubeObject>();
  const nodePorts = new Map<string, KubeObject>();
  const at = (s: SourceRef | undefined, field?: string) =>
    s ? `${s.file}:${(field && s.lineOf?.(field)) || s.line}` : "another document";

  // Namespaces every cluster has; others must be created by a Namespace object.
  const namespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
  for (const o of objects)
    if (o.kind === "Namespace" && typeof o.metadata.name === "string") namespaces.add(o.metadata.name);
  const undeclared = new Set<string>();

  for (const o of objects) {
    const w = where(o);
    const ns = o.metadata.namespace;
    if (typeof ns === "string" && o.kind !== "Namespace" && !namespaces.has(ns) && !undeclared.has(ns)) {
      // Not fatal: manifests are often applied into namespaces created elsewhere.
      undeclared.add(ns);
      diags.warn(
        w,
        "metadata.namespace",
        ns,
        `is not declared by a Namespace object (on a real cluster: namespaces "${ns}" not found)`,
      );
    }
    const err: Err = (field, value, text) => diags.error(w, field, value, text);
    checkMeta(err, o);
    switch (o.kind) {
      case "Pod":
        checkPod(err, o);
        break;
      case "Deployment":
      case "ReplicaSet":
      case "StatefulSet":
      case "DaemonSet":
      case "Job":
        checkWorkload(err, o);
        break;
      case "Service":
        checkService(err, o, config);
        break;
      case "NetworkPolicy":
        checkNetworkPolicy(err, o);
        break;
      case "EndpointSlice":
        checkEndpointSlice(err, o);
        // Not an API error, but without it the slice belongs to no Service.
        if (o.metadata.labels?.["kubernetes.io/service-name"] === undefined)
          diags.warn(
            w,
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
      case "Node":
        checkNode(err, o);
        break;
    }

    // Duplicates: same kind, namespace and name (both locations named).
    const key = `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const first = seen.get(key);
    if (first)
      err(
        "metadata.name",
        o.metadata.name,
        `duplicate ${labelOf(o)} (first defined at ${at(first.source, "metadata.name")})`,
      );
    else seen.set(key, o);

    // Two Services asking for the same clusterIP / nodePort: only one can have it.
    if (o.kind === "Service" && isObj(o.spec)) {
      const ip = o.spec.clusterIP;
      if (typeof ip === "string" && ip !== "None" && ip !== "" && parseIPv4(ip) !== undefined) {
        const other = clusterIPs.get(ip);
        if (other && other !== o)
          err(
            "spec.clusterIP",
            ip,
            `is already allocated to ${labelOf(other)} (${at(other.source, "spec.clusterIP")})`,
          );
        else clusterIPs.set(ip, o);
      }
      if (Array.isArray(o.spec.ports))
        o.spec.ports.forEach((p: any, i: number) => {
          if (!isObj(p) || !isInt(p.nodePort) || p.nodePort === 0) return;
          const k = `${p.nodePort}/${p.protocol ?? "TCP"}`;
          const other = nodePorts.get(k);
          if (other)
            err(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is already allocated (to ${labelOf(other)})`);
          else nodePorts.set(k, o);
        });
    }
  }
}

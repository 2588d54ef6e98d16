// Services (pkg/apis/core/validation ValidateService): type, ports, cluster IPs,
// traffic policies, load balancer fields.
import type { KubeObject } from "../types.js";
import type { ClusterConfig } from "../config.js";
import { NO_VALUE, indexPath, isInt, isObj } from "../diag.js";
import { dns1123Label, dns1123Subdomain, qualifiedName } from "../names.js";
import { cidrContains, cidrSize, parseIPv4 } from "../../net/ipv4.js";
import { isIP, isIPv6Address, parseCidrAny, serviceIPv4 } from "../net.js";
import {
  type Err,
  NET,
  type Warn,
  checkFormat,
  checkPort,
  checkProtocol,
  checkIntOrNamedPort,
  checkLabels,
} from "./common.js";

/** spec.trafficDistribution's values (k8s.io/api core/v1 types.go), in validation's order. */
export const TRAFFIC_DISTRIBUTIONS = ["PreferClose", "PreferSameZone", "PreferSameNode"];

export function checkService(err: Err, o: KubeObject, config: ClusterConfig, warn: Warn = () => {}): void {
  const spec = o.spec;
  if (spec === undefined || spec === null) return err("spec", NO_VALUE, "is required", NET);
  if (!isObj(spec)) return err("spec", spec, "must be a mapping", NET);
  const type = spec.type ?? "ClusterIP";
  if (!["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].includes(type))
    err("spec.type", spec.type, "must be one of ClusterIP, NodePort, LoadBalancer, ExternalName", NET);
  const headless = spec.clusterIP === "None";
  if (type === "ExternalName") {
    if (spec.externalName === undefined || spec.externalName === "")
      err("spec.externalName", NO_VALUE, "is required for a Service of type ExternalName", NET);
    else
      checkFormat(err, "spec.externalName", spec.externalName, (v) =>
        dns1123Subdomain(v.replace(/\.$/, "").toLowerCase()),
      );
  }
  if (type !== "ExternalName" && spec.selector !== undefined) checkLabels(err, "spec.selector", spec.selector);

  const ports = spec.ports;
  if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0)) {
    if (type !== "ExternalName" && !headless) err("spec.ports", NO_VALUE, "is required (at least one port)");
  } else if (!Array.isArray(ports)) err("spec.ports", ports, "must be a list", NET);
  else {
    const names = new Set<string>();
    const seen = new Set<string>();
    ports.forEach((p: unknown, i: number) => {
      const f = indexPath("spec.ports", i);
      if (!isObj(p)) return err(f, p, "must be a mapping", NET);
      if (p.name === undefined || p.name === "") {
        if (ports.length > 1) err(`${f}.name`, NO_VALUE, "is required when there is more than one port");
      } else if (checkFormat(err, `${f}.name`, p.name, dns1123Label)) {
        if (names.has(p.name)) err(`${f}.name`, p.name, "is a duplicate port name");
        names.add(p.name);
      }
      if (p.port === undefined) err(`${f}.port`, NO_VALUE, "is required", NET);
      else checkPort(err, `${f}.port`, p.port);
      checkProtocol(err, `${f}.protocol`, p.protocol);
      const key = `${p.port}/${p.protocol ?? "TCP"}`;
      if (seen.has(key)) err(f, key, "is a duplicate port and protocol", NET);
      seen.add(key);
      if (p.targetPort !== undefined && p.targetPort !== 0 && p.targetPort !== "")
        checkIntOrNamedPort(err, `${f}.targetPort`, p.targetPort);
      if (p.nodePort !== undefined && p.nodePort !== 0) {
        if (type !== "NodePort" && type !== "LoadBalancer")
          err(`${f}.nodePort`, p.nodePort, `may not be used when \`type\` is '${type}'`, NET);
        else if (checkPort(err, `${f}.nodePort`, p.nodePort)) {
          const [lo, hi] = config.networking.nodePortRange;
          if (p.nodePort < lo || p.nodePort > hi)
            err(
              `${f}.nodePort`,
              p.nodePort,
              `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`,
              NET,
            );
        }
      }
    });
  }

  if (spec.clusterIP !== undefined && spec.clusterIP !== "" && spec.clusterIP !== null) {
    const v = spec.clusterIP;
    if (type === "ExternalName") err("spec.clusterIP", v, "must be empty for a Service of type ExternalName", NET);
    else if (headless) {
      if (type !== "ClusterIP") err("spec.clusterIP", v, `may not be set to 'None' for ${type} services`, NET);
    } else if (!ipv6Family(err, warn, "spec.clusterIP", v, spec)) checkClusterIP(err, "spec.clusterIP", v, config);
  }
  if (spec.clusterIPs !== undefined && spec.clusterIPs !== null) {
    if (!Array.isArray(spec.clusterIPs)) err("spec.clusterIPs", spec.clusterIPs, "must be a list", NET);
    else {
      if (spec.clusterIPs.length > 0 && spec.clusterIP !== undefined && spec.clusterIPs[0] !== spec.clusterIP)
        err("spec.clusterIPs[0]", spec.clusterIPs[0], "must be same as `clusterIP`", NET);
      spec.clusterIPs.forEach((ip: unknown, i: number) => {
        if (i === 0 && ip === spec.clusterIP) return; // already checked
        const f = indexPath("spec.clusterIPs", i);
        if (ip !== "None" && !ipv6Family(err, warn, f, ip, spec)) checkClusterIP(err, f, ip, config);
      });
    }
  }
  if (spec.externalIPs !== undefined && spec.externalIPs !== null) {
    if (!Array.isArray(spec.externalIPs)) err("spec.externalIPs", spec.externalIPs, "must be a list", NET);
    else
      spec.externalIPs.forEach((ip: unknown, i: number) => {
        if (typeof ip !== "string" || !isIP(ip))
          err(indexPath("spec.externalIPs", i), ip, "must be a valid IP address", NET);
      });
  }
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== "None" && spec.sessionAffinity !== "ClientIP")
    err("spec.sessionAffinity", spec.sessionAffinity, "must be None or ClientIP", NET);
  const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (t !== undefined && (!isInt(t) || t < 1 || t > 86400))
    err("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400", NET);
  for (const key of ["externalTrafficPolicy", "internalTrafficPolicy"]) {
    const v = spec[key];
    if (v === undefined) continue;
    if (v !== "Cluster" && v !== "Local") err(`spec.${key}`, v, "must be Cluster or Local", NET);
  }
  // validateServiceTrafficDistribution (pkg/apis/core/validation/validation.go, v1.34:
  // PreferSameZone, and PreferSameNode with PreferSameTrafficDistribution, beta and on).
  if (spec.trafficDistribution !== undefined && !TRAFFIC_DISTRIBUTIONS.includes(spec.trafficDistribution as string))
    err(
      "spec.trafficDistribution",
      spec.trafficDistribution,
      `Unsupported value: ${JSON.stringify(spec.trafficDistribution)}: supported values: ${TRAFFIC_DISTRIBUTIONS.map((v) => JSON.stringify(v)).join(", ")}`,
    );
  if (spec.externalTrafficPolicy !== undefined && type !== "NodePort" && type !== "LoadBalancer")
    err(
      "spec.externalTrafficPolicy",
      spec.externalTrafficPolicy,
      "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
    );
  // validateServiceSpec: both only on a LoadBalancer; the class is a qualified name.
  const alloc = spec.allocateLoadBalancerNodePorts;
  if (alloc !== undefined && alloc !== null) {
    if (typeof alloc !== "boolean") err("spec.allocateLoadBalancerNodePorts", alloc, "must be true or false", NET);
    else if (type !== "LoadBalancer")
      err("spec.allocateLoadBalancerNodePorts", alloc, "may only be used when `type` is 'LoadBalancer'");
  }
  const cls = spec.loadBalancerClass;
  if (cls !== undefined && cls !== null) {
    if (type !== "LoadBalancer") err("spec.loadBalancerClass", cls, "may only be used when `type` is 'LoadBalancer'");
    else if (typeof cls !== "string") err("spec.loadBalancerClass", cls, "must be a string");
    else checkFormat(err, "spec.loadBalancerClass", cls, qualifiedName);
  }
  if (spec.publishNotReadyAddresses !== undefined && typeof spec.publishNotReadyAddresses !== "boolean")
    err("spec.publishNotReadyAddresses", spec.publishNotReadyAddresses, "must be true or false", NET);
  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== "" && !isIP(spec.loadBalancerIP))
    err("spec.loadBalancerIP", spec.loadBalancerIP, "must be a valid IP address", NET);
  if (Array.isArray(spec.loadBalancerSourceRanges))
    spec.loadBalancerSourceRanges.forEach((c: unknown, i: number) => {
      if (typeof c !== "string" || !parseCidrAny(c.trim()).ok)
        err(indexPath("spec.loadBalancerSourceRanges", i), c, "must be a list of IP ranges, e.g. 10.0.0.0/8", NET);
    });
}

/**
 * An IPv6 cluster IP: podnet models the IPv4 family of a dual-stack cluster, so the
 * Service's IPv4 entry stands for it (a note); a Service with no IPv4 cluster IP cannot be
 * modelled (an error). False when v is not IPv6.
 */
function ipv6Family(err: Err, warn: Warn, field: string, v: unknown, spec: KubeObject["spec"]): boolean {
  if (!isIPv6Address(v)) return false;
  if (serviceIPv4(spec))
    warn(
      field,
      v,
      "is the IPv6 family's address: podnet models IPv4, so the Service is modelled by its IPv4 cluster IP",
    );
  else
    err(field, v, "is an IPv6 address, and the Service has no IPv4 cluster IP: podnet models IPv4 clusters only", NET);
  return true;
}

export function checkClusterIP(apiErr: Err, field: string, v: unknown, config: ClusterConfig): void {
  // A cluster IP the allocator would refuse: every finding is network-relevant.
  const err: Err = (f, value, t) => apiErr(f, value, t, NET);
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

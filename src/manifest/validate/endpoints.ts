// EndpointSlice (pkg/apis/discovery/validation) and Endpoints (pkg/apis/core/validation).
import type { KubeObject } from "../types.js";
import { NO_VALUE, indexPath, isObj } from "../diag.js";
import { dns1123Label, dns1123Subdomain, labelValue } from "../names.js";
import { parseIPv4 } from "../../net/ipv4.js";
import { isIP, parseIPv6 } from "../net.js";
import { type Err, NET, checkFormat, checkPort, checkProtocol } from "./common.js";

// Endpoints are where traffic goes: every finding is network-relevant but a hostname's or a
// port name's format, the 100-address cap and the API's limits on zone hints.
export function checkEndpointSlice(apiErr: Err, o: KubeObject): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
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
        if (e.addresses.length > 100) apiErr(`${f}.addresses`, NO_VALUE, "must contain at most 100 addresses");
        // The address's path only for a finding: a threshold dump has 150,000 endpoints.
        e.addresses.forEach((a: unknown, j: number) => {
          const af = () => indexPath(`${f}.addresses`, j);
          if (typeof a !== "string") return err(af(), a, "must be a string");
          if (t === "IPv4" && parseIPv4(a) === undefined) err(af(), a, "must be a valid IPv4 address");
          if (t === "IPv6" && parseIPv6(a) === undefined) err(af(), a, "must be a valid IPv6 address");
          if (t === "FQDN" && dns1123Subdomain(a)) err(af(), a, "must be a valid FQDN");
        });
        if (e.hostname !== undefined) checkFormat(apiErr, `${f}.hostname`, e.hostname, dns1123Label);
        if (e.hints !== undefined && e.hints !== null) checkHints(apiErr, `${f}.hints`, e.hints);
      });
  }
  checkEndpointPorts(apiErr, "ports", o.ports);
}

/**
 * validateHints (pkg/apis/discovery/validation/validation.go, v1.34): what kube-proxy's
 * topology reads, forZones (label values) and forNodes (node names), at most 8 of each.
 */
function checkHints(apiErr: Err, f: string, hints: unknown): void {
  // The shapes kube-proxy reads are network findings; the API's limits on them are not.
  const err: Err = (field, v, t) => apiErr(field, v, t);
  const shape: Err = (field, v, t) => apiErr(field, v, t, NET);
  if (!isObj(hints)) return shape(f, hints, "must be a mapping");
  // maxZoneHints = 8: too many zones ends the check (forNodes is not looked at).
  if (!checkHintList(err, shape, `${f}.forZones`, hints.forZones, labelValue)) return;
  checkHintList(err, shape, `${f}.forNodes`, hints.forNodes, dns1123Subdomain); // maxNodeHints = 8, ValidateNodeName
}

/** One list of hints: false when it has too many entries. */
function checkHintList(
  err: Err,
  shape: Err,
  f: string,
  list: unknown,
  bad: (s: string) => string | undefined,
): boolean {
  if (list === undefined || list === null) return true;
  if (!Array.isArray(list)) {
    shape(f, list, "must be a list");
    return true;
  }
  if (list.length > 8) {
    err(f, NO_VALUE, `Too many: ${list.length}: must have at most 8 items`);
    return false;
  }
  const seen = new Set<string>();
  list.forEach((z: unknown, i: number) => {
    if (!isObj(z)) return shape(indexPath(f, i), z, "must be a mapping");
    const nf = `${indexPath(f, i)}.name`;
    const name = z.name ?? ""; // a ForZone's (ForNode's) name is a plain string: unset reads as ""
    if (typeof name !== "string") return shape(nf, name, "must be a string");
    if (seen.has(name)) err(nf, name, `Duplicate value: ${JSON.stringify(name)}`);
    seen.add(name);
    const why = bad(name);
    if (why) err(nf, name, why);
  });
  return true;
}

export function checkEndpointPorts(apiErr: Err, base: string, ports: unknown): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  if (ports === undefined || ports === null) return;
  if (!Array.isArray(ports)) return err(base, ports, "must be a list");
  ports.forEach((p: unknown, i: number) => {
    const f = indexPath(base, i);
    if (!isObj(p)) return err(f, p, "must be a mapping");
    if (p.port !== undefined && p.port !== null) checkPort(err, `${f}.port`, p.port);
    checkProtocol(err, `${f}.protocol`, p.protocol);
    if (p.name !== undefined && p.name !== "") checkFormat(apiErr, `${f}.name`, p.name, dns1123Label);
  });
}

export function checkEndpoints(apiErr: Err, o: KubeObject): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
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
      checkEndpointPorts(apiErr, `${f}.ports`, s.ports);
      if (Array.isArray(s.ports))
        s.ports.forEach((p: unknown, j: number) => {
          if (isObj(p) && p.port === undefined) err(`${indexPath(`${f}.ports`, j)}.port`, NO_VALUE, "is required");
        });
    }
  });
}

// NetworkPolicy (pkg/apis/networking/validation ValidateNetworkPolicy): selectors, peers,
// ports and ipBlocks.
import type { KubeObject } from "../types.js";
import { NO_VALUE, indexPath, isInt, isObj } from "../diag.js";
import { cidrWithin } from "../../net/ipv4.js";
import { parseCidrAny } from "../net.js";
import { type Err, NET, type Warn, checkPort, checkProtocol, checkIntOrNamedPort, checkSelector } from "./common.js";

// A policy is all network: every finding is network-relevant but those of the selectors'
// label formats and named ports (checkSelector, checkIntOrNamedPort classify their own) and
// a policy type given twice.

export function checkNetworkPolicy(apiErr: Err, o: KubeObject, warn: Warn = () => {}): void {
  const err: Err = (f, v, t) => apiErr(f, v, t, NET);
  const spec = o.spec;
  if (!isObj(spec)) return err("spec", spec ?? NO_VALUE, spec === undefined ? "is required" : "must be a mapping");
  if (spec.podSelector === undefined || spec.podSelector === null)
    err("spec.podSelector", NO_VALUE, "is required (use {} to select every pod in the namespace)");
  else checkSelector(apiErr, "spec.podSelector", spec.podSelector);
  if (spec.policyTypes !== undefined) {
    if (!Array.isArray(spec.policyTypes)) err("spec.policyTypes", spec.policyTypes, "must be a list");
    else {
      const seen = new Set<string>();
      spec.policyTypes.forEach((t: unknown, i: number) => {
        if (t !== "Ingress" && t !== "Egress") err(indexPath("spec.policyTypes", i), t, "must be Ingress or Egress");
        else if (seen.has(t)) apiErr(indexPath("spec.policyTypes", i), t, "is a duplicate policy type");
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
          if (p.podSelector !== undefined) checkSelector(apiErr, `${pf}.podSelector`, p.podSelector);
          if (p.namespaceSelector !== undefined) checkSelector(apiErr, `${pf}.namespaceSelector`, p.namespaceSelector);
          if (p.ipBlock !== undefined) checkIPBlock(err, `${pf}.ipBlock`, p.ipBlock, warn);
        });
      else if (peers !== undefined && peers !== null) err(`${rf}.${peersKey}`, peers, "must be a list");
      const ports = r.ports;
      if (ports === undefined || ports === null) return;
      if (!Array.isArray(ports)) return err(`${rf}.ports`, ports, "must be a list");
      ports.forEach((p: unknown, j: number) => {
        const f = indexPath(`${rf}.ports`, j);
        if (!isObj(p)) return err(f, p, "must be a mapping");
        checkProtocol(err, `${f}.protocol`, p.protocol);
        if (p.port !== undefined && p.port !== null) checkIntOrNamedPort(apiErr, `${f}.port`, p.port);
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

export function checkIPBlock(apiErr: Err, f: string, b: unknown, warn: Warn = () => {}): void {
  const err: Err = (fl, v, t) => apiErr(fl, v, t, NET);
  if (!isObj(b)) return err(f, b, "must be a mapping {cidr, except}");
  if (b.cidr === undefined) return err(`${f}.cidr`, NO_VALUE, "is required");
  const c = typeof b.cidr === "string" ? parseCidrAny(b.cidr) : { ok: false as const };
  if (!c.ok) return err(`${f}.cidr`, b.cidr, "is not a valid CIDR");
  if (c.family === 6) warn(`${f}.cidr`, b.cidr, "is an IPv6 block: the cluster is IPv4-only, so it matches no address");
  if (b.except === undefined || b.except === null) return;
  if (!Array.isArray(b.except)) return err(`${f}.except`, b.except, "must be a list");
  b.except.forEach((x: unknown, i: number) => {
    const xf = indexPath(`${f}.except`, i);
    const xc = typeof x === "string" ? parseCidrAny(x) : { ok: false as const };
    if (!xc.ok) return err(xf, x, "is not a valid CIDR");
    if (c.family === 4 && xc.family === 4) {
      if (!cidrWithin(xc.cidr, c.cidr) || xc.prefix === c.prefix) err(xf, x, "must be a strict subset of `cidr`");
    } else if (c.family === 6 && xc.family === 6) {
      // ValidateIPBlock: except must be a strict subset of cidr, for both families.
      const outer = (b6: bigint, p: number) => b6 >> BigInt(128 - p);
      if (xc.prefix <= c.prefix || outer(xc.base6, c.prefix) !== outer(c.base6, c.prefix))
        err(xf, x, "must be a strict subset of `cidr`");
    } else err(xf, x, "must be a strict subset of `cidr`");
  });
}

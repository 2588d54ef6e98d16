// The DNS sections of the cluster config: hostDNS, dns (CoreDNS), externalDNS. Read by
// parseConfig (config.ts).

import { NO_VALUE, childPath, indexPath, isInt, isObj } from "./diag.js";
import { dns1123Subdomain } from "./names.js";
import { type Cidr, intToIp, parseIPv4 } from "../net/ipv4.js";
import { isIP, parseIPv6 } from "./net.js";
import type { ConfigParse } from "./config-defaults.js";

/** hostDNS: the nodes' own resolv.conf (what dnsPolicy: Default copies). */
export function parseHostDns(c: ConfigParse, nodeSubnet: Cidr | undefined): void {
  const { cfg, err, unknown } = c;
  if (nodeSubnet) cfg.hostDNS.nameservers = [intToIp(nodeSubnet.first + 1)];
  const h = c.raw.hostDNS;
  if (h === undefined) return;
  if (!isObj(h)) return err("hostDNS", h, "must be a mapping");
  for (const k of Object.keys(h))
    if (!["nameservers", "searches", "options"].includes(k)) unknown(childPath("hostDNS", k));
  const list = (key: "nameservers" | "searches" | "options", check: (s: string) => string | undefined) => {
    const v = h[key];
    if (v === undefined) return;
    if (!Array.isArray(v)) return err(`hostDNS.${key}`, v, "must be a list");
    const out: string[] = [];
    v.forEach((s: unknown, i: number) => {
      const e = typeof s === "string" ? check(s) : "must be a string";
      if (e) err(indexPath(`hostDNS.${key}`, i), s, e);
      else out.push(s as string);
    });
    cfg.hostDNS[key] = out;
  };
  list("nameservers", (s) => (isIP(s) ? undefined : "is not a valid IP address"));
  list("searches", (s) => dns1123Subdomain(s.replace(/\.$/, "")));
  list("options", (s) => (/^[A-Za-z0-9_-]+(:\S*)?$/.test(s) ? undefined : "is not a resolv.conf option like ndots:5"));
}

/** The `dns` section: CoreDNS settings. */
export function parseDnsSection({ cfg, raw, err, unknown }: ConfigParse): void {
  const d = raw.dns;
  if (d === undefined) return;
  if (!isObj(d)) return err("dns", d, "must be a mapping");
  for (const k of Object.keys(d)) if (!["pods", "ttl", "replicas"].includes(k)) unknown(childPath("dns", k));
  if (d.pods !== undefined) {
    if (d.pods === "insecure" || d.pods === "verified" || d.pods === "disabled") cfg.dns.pods = d.pods;
    else err("dns.pods", d.pods, "must be one of insecure, verified, disabled");
  }
  if (d.ttl !== undefined) {
    // CoreDNS kubernetes plugin: ttl 0-3600.
    if (!isInt(d.ttl) || d.ttl < 0 || d.ttl > 3600) err("dns.ttl", d.ttl, "must be an integer between 0 and 3600");
    else cfg.dns.ttl = d.ttl;
  }
  if (d.replicas !== undefined) {
    // CoreDNS is a Deployment: replicas an int32 (its pods past the nodes' capacity are
    // counted, not materialised: PENDING_CAP in src/control/controllers.ts).
    if (!isInt(d.replicas) || d.replicas < 0 || d.replicas > 2147483647)
      err("dns.replicas", d.replicas, "must be an integer between 0 and 2147483647");
    else cfg.dns.replicas = d.replicas;
  }
}

/**
 * A TXT value goes on the wire as character-strings of at most 255 bytes, each with a
 * length byte (RFC 1035 3.3.14), in one RDATA of at most 65535 bytes (RDLENGTH is 16 bits),
 * inside one DNS message (TCP: at most 65535 bytes with its header and question). 512
 * bytes are left for those (a question name is at most 255).
 */
const TXT_MAX_RDATA = 65535 - 512;
function txtTooLong(v: string): string | undefined {
  const n = new TextEncoder().encode(v).length;
  const rdata = n + Math.max(1, Math.ceil(n / 255));
  return rdata > TXT_MAX_RDATA
    ? `is too long: ${n} bytes; a TXT record's data must fit one DNS message (at most ${TXT_MAX_RDATA} bytes of RDATA, RFC 1035 3.3.14)`
    : undefined;
}

/** externalDNS: records for names outside the cluster. */
export function parseExternalDns(c: ConfigParse): void {
  const x = c.raw.externalDNS;
  if (x === undefined) return;
  if (!Array.isArray(x)) return c.err("externalDNS", x, "must be a list");
  x.forEach((r: unknown, i: number) => parseExternalRecord(c, r, indexPath("externalDNS", i)));
}

function parseExternalRecord({ cfg, err, unknown }: ConfigParse, r: unknown, f: string): void {
  if (!isObj(r)) return err(f, r, "must be a mapping like {name, type, value}");
  for (const k of Object.keys(r)) if (!["name", "type", "value"].includes(k)) unknown(childPath(f, k));
  const ne = typeof r.name === "string" ? dns1123Subdomain(r.name.replace(/\.$/, "").toLowerCase()) : "is required";
  if (ne) return err(`${f}.name`, r.name ?? NO_VALUE, ne);
  if (r.type !== "A" && r.type !== "AAAA" && r.type !== "CNAME" && r.type !== "TXT")
    return err(`${f}.type`, r.type ?? NO_VALUE, "must be one of A, AAAA, CNAME, TXT");
  if (typeof r.value !== "string") return err(`${f}.value`, r.value ?? NO_VALUE, "must be a string");
  const v = r.value;
  const ve =
    r.type === "A"
      ? parseIPv4(v) === undefined
        ? "is not a valid IPv4 address"
        : undefined
      : r.type === "AAAA"
        ? parseIPv6(v) === undefined
          ? "is not a valid IPv6 address"
          : undefined
        : r.type === "CNAME"
          ? dns1123Subdomain(v.replace(/\.$/, "").toLowerCase())
          : txtTooLong(v);
  if (ve) return err(`${f}.value`, v, ve);
  cfg.externalDNS.push({ name: r.name as string, type: r.type, value: v });
}

// The cluster config (modelled on kind's `kind: Cluster` file): reading the document.
// Its types and defaults are config-defaults.ts (re-exported here, the module the rest of
// podnet imports); the sections are config-network.ts, config-nodes.ts and config-dns.ts.
// Unknown fields are errors (kind decodes its config strictly); a kind config
// (apiVersion kind.x-k8s.io/v1alpha4) is accepted too, its other fields ignored with a warning.

import type { SourceRef } from "./types.js";
import { Diags, NO_VALUE, childPath, indexPath, isObj, objectLabel } from "./diag.js";
import { SpecError } from "./errors.js";
import { formatFault, parseFault } from "./faults.js";
import { dns1123Label } from "./names.js";
import {
  type ClusterConfig,
  type IngressSettings,
  CONFIG_API_VERSION,
  KIND_CONFIG_API_VERSION,
  defaultConfig,
  type ConfigParse,
} from "./config-defaults.js";
import { parseNetworking } from "./config-network.js";
import { parseNodes } from "./config-nodes.js";
import { parseHostDns, parseDnsSection, parseExternalDns } from "./config-dns.js";

export * from "./config-defaults.js";

/**
 * Reads a `kind: Cluster` document (already decoded to plain data). Diagnostics go to
 * `diags` when given; otherwise any error throws one SpecError.
 */
export function parseConfig(doc: unknown, source?: SourceRef, diags?: Diags): ClusterConfig {
  const own = diags ?? new Diags();
  const cfg = defaultConfig();
  if (source) cfg.source = source;
  const raw = isObj(doc) ? doc : {};
  const w = { source, object: objectLabel("Cluster", undefined, raw.name, source?.docIndex) };
  const err = (field: string, value: unknown, text: string) => own.error(w, field, value, text);
  const isKind = raw.apiVersion === KIND_CONFIG_API_VERSION;
  const unknown = (field: string) =>
    isKind ? own.warn(w, field, NO_VALUE, "is not used by podnet (ignored)") : err(field, NO_VALUE, "unknown field");
  const c: ConfigParse = { cfg, raw, err, unknown };

  if (!isObj(doc)) err("", doc, "the cluster config must be a mapping");
  parseHeader(c, isKind);
  // networking first: node addresses are checked against nodeSubnet.
  const subnets = parseNetworking(c);
  parseNodes(c, subnets.nodeSubnet);
  parseHostDns(c, subnets.nodeSubnet);
  parseDnsSection(c);
  parseExternalDns(c);
  parseFaults(c);
  parseIngress(c);

  if (!diags && own.errors.length > 0) throw new SpecError(own.errors);
  return cfg;
}

const TOP_FIELDS = [
  "apiVersion",
  "kind",
  "name",
  "nodes",
  "networking",
  "externalDNS",
  "hostDNS",
  "dns",
  "faults",
  "ingress",
];

/** `ingress: {controller: true|false, serviceType: LoadBalancer|NodePort}`. */
function parseIngress({ cfg, raw, err, unknown }: ConfigParse): void {
  const v = raw.ingress;
  if (v === undefined || v === null) return;
  if (!isObj(v)) return err("ingress", v, "must be a mapping like {controller: true, serviceType: NodePort}");
  for (const k of Object.keys(v)) if (k !== "controller" && k !== "serviceType") unknown(childPath("ingress", k));
  const s: IngressSettings = { controller: true };
  if (v.controller !== undefined) {
    if (typeof v.controller === "boolean") s.controller = v.controller;
    else err("ingress.controller", v.controller, "must be true or false");
  }
  if (v.serviceType !== undefined) {
    if (v.serviceType === "LoadBalancer" || v.serviceType === "NodePort") s.serviceType = v.serviceType;
    else err("ingress.serviceType", v.serviceType, "must be one of LoadBalancer, NodePort");
  }
  cfg.ingress = s;
}

/** `faults:` a list of faults as the CLI writes them ("kube-proxy-down worker-1"). */
function parseFaults({ cfg, raw, err }: ConfigParse): void {
  if (raw.faults === undefined || raw.faults === null) return;
  if (!Array.isArray(raw.faults)) return err("faults", raw.faults, "must be a list");
  raw.faults.forEach((v: unknown, i: number) => {
    const f = typeof v === "string" ? parseFault(v) : "must be a string (NAME ARG…)";
    if (typeof f === "string") err(indexPath("faults", i), v, f);
    else if (!cfg.faults.some((g) => formatFault(g) === formatFault(f))) cfg.faults.push(f);
  });
}

/** apiVersion, kind, the top-level fields and the cluster name. */
function parseHeader({ cfg, raw, err, unknown }: ConfigParse, isKind: boolean): void {
  if (raw.apiVersion !== undefined && raw.apiVersion !== CONFIG_API_VERSION && !isKind)
    err("apiVersion", raw.apiVersion, `must be "${CONFIG_API_VERSION}"`);
  if (raw.kind !== undefined && raw.kind !== "Cluster") err("kind", raw.kind, 'must be "Cluster"');
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.includes(k)) unknown(k);

  if (raw.name !== undefined) {
    if (typeof raw.name !== "string") err("name", raw.name, "must be a string");
    else {
      const e = dns1123Label(raw.name);
      if (e) err("name", raw.name, e);
      else cfg.name = raw.name;
    }
  }
}

// The `nodes` list of the cluster config: kind's default nodes and names, resources, labels,
// taints, addresses in nodeSubnet. Read by parseConfig (config.ts).

import { NO_VALUE, childPath, indexPath, isInt, isObj, keyPath } from "./diag.js";
import { dns1123Subdomain, labelValue, qualifiedName } from "./names.js";
import { type Cidr, cidrContains, parseIPv4 } from "../net/ipv4.js";
import { parseQuantity } from "./quantity.js";
import {
  type NodeConfig,
  DEFAULT_NODE_CAPACITY,
  kindNodeName,
  nodeDefaults,
  type ConfigParse,
} from "./config-defaults.js";

/** Names and addresses seen so far among the nodes, and the kind-style name ordinals. */
interface NodesSeen {
  byName: Map<string, string>;
  byAddr: Map<string, string>;
  ordinals: Record<"control-plane" | "worker", number>;
}

/** The `nodes` list; kind's three default nodes when absent or empty. */
export function parseNodes(c: ConfigParse, nodeSubnet: Cidr | undefined): void {
  const { cfg, raw, err } = c;
  if (raw.nodes !== undefined && raw.nodes !== null) {
    if (!Array.isArray(raw.nodes)) err("nodes", raw.nodes, "must be a list");
    else if (raw.nodes.length > 0) {
      const nodes: NodeConfig[] = [];
      const seen: NodesSeen = { byName: new Map(), byAddr: new Map(), ordinals: { "control-plane": 0, worker: 0 } };
      raw.nodes.forEach((rn: unknown, i: number) => {
        const node = parseNode(c, rn, indexPath("nodes", i), seen, nodeSubnet);
        if (node) nodes.push(node);
      });
      cfg.nodes = nodes;
    }
  }
  if (raw.nodes === undefined || (Array.isArray(raw.nodes) && raw.nodes.length === 0)) {
    // Default nodes are named after the (possibly configured) cluster name.
    cfg.nodes = [
      nodeDefaults(kindNodeName(cfg.name, "control-plane", 1), "control-plane"),
      nodeDefaults(kindNodeName(cfg.name, "worker", 1), "worker"),
      nodeDefaults(kindNodeName(cfg.name, "worker", 2), "worker"),
    ];
    cfg.defaultNodes = true;
  }
}

/** One entry of `nodes` (undefined when it is not a mapping). */
function parseNode(
  c: ConfigParse,
  rn: unknown,
  base: string,
  seen: NodesSeen,
  nodeSubnet: Cidr | undefined,
): NodeConfig | undefined {
  const { err, unknown } = c;
  if (!isObj(rn)) {
    err(base, rn, "must be a mapping");
    return undefined;
  }
  for (const k of Object.keys(rn))
    if (!["name", "role", "labels", "taints", "address", "maxPods", "capacity", "allocatable"].includes(k))
      unknown(childPath(base, k));
  let role: "control-plane" | "worker" = "worker";
  if (rn.role !== undefined) {
    if (rn.role === "control-plane" || rn.role === "worker") role = rn.role;
    else err(`${base}.role`, rn.role, "must be control-plane or worker");
  }
  seen.ordinals[role]++;
  let name = kindNodeName(c.cfg.name, role, seen.ordinals[role]);
  if (rn.name !== undefined) {
    const e = typeof rn.name === "string" ? dns1123Subdomain(rn.name) : "must be a string";
    if (e) err(`${base}.name`, rn.name, e);
    else name = rn.name as string;
  }
  if (seen.byName.has(name)) err(`${base}.name`, name, `is a duplicate node name (first at ${seen.byName.get(name)})`);
  seen.byName.set(name, base);
  const node = nodeDefaults(name, role);
  if (rn.labels !== undefined) parseNodeLabels(c, rn.labels, `${base}.labels`, node);
  if (rn.taints !== undefined) parseNodeTaints(c, rn.taints, `${base}.taints`, node);
  if (rn.address !== undefined) parseNodeAddress(c, rn.address, `${base}.address`, node, seen, nodeSubnet);
  if (rn.maxPods !== undefined) {
    if (!isInt(rn.maxPods) || rn.maxPods < 1) err(`${base}.maxPods`, rn.maxPods, "must be a positive integer");
    else node.maxPods = rn.maxPods;
  }
  const capacity = { ...DEFAULT_NODE_CAPACITY };
  if (rn.capacity !== undefined) parseResources(c, rn.capacity, `${base}.capacity`, capacity);
  const allocatable = { ...capacity };
  if (rn.allocatable !== undefined) parseResources(c, rn.allocatable, `${base}.allocatable`, allocatable);
  node.capacity = capacity;
  node.allocatable = allocatable;
  return node;
}

/** `{cpu, memory}` quantities (other resources are not modelled: an unknown field). */
function parseResources(
  { err, unknown }: ConfigParse,
  raw: unknown,
  field: string,
  into: { cpu: string; memory: string },
): void {
  if (!isObj(raw)) return err(field, raw, 'must be a mapping like {cpu: "8", memory: 16Gi}');
  for (const k of Object.keys(raw)) if (k !== "cpu" && k !== "memory") unknown(childPath(field, k));
  for (const k of ["cpu", "memory"] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const q = parseQuantity(v);
    if (q === undefined || q < 0) err(`${field}.${k}`, v, "must be a quantity like 8, 500m, 16Gi");
    else into[k] = String(v);
  }
}

function parseNodeLabels({ err }: ConfigParse, labels: unknown, field: string, node: NodeConfig): void {
  if (!isObj(labels)) return err(field, labels, "must be a mapping");
  for (const [k, v] of Object.entries(labels)) {
    const lf = keyPath(field, k);
    const ek = qualifiedName(k);
    if (ek) err(lf, k, `is not a valid label key: ${ek}`);
    const sv = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    if (typeof sv !== "string") err(lf, v, "label values must be strings");
    else {
      const ev = labelValue(sv);
      if (ev) err(lf, sv, ev);
      else node.labels[k] = sv;
    }
  }
}

/** Given taints replace the defaults (the control-plane taint too). */
function parseNodeTaints({ err }: ConfigParse, taints: unknown, field: string, node: NodeConfig): void {
  if (!Array.isArray(taints)) return err(field, taints, "must be a list");
  node.taints = [];
  taints.forEach((t: unknown, j: number) => {
    const tf = indexPath(field, j);
    if (!isObj(t)) return err(tf, t, "must be a mapping like {key, value, effect}");
    const ek = typeof t.key === "string" ? qualifiedName(t.key) : "is required";
    if (ek) return err(`${tf}.key`, t.key ?? NO_VALUE, ek);
    if (t.effect !== "NoSchedule" && t.effect !== "PreferNoSchedule" && t.effect !== "NoExecute")
      return err(`${tf}.effect`, t.effect ?? NO_VALUE, "must be one of NoSchedule, PreferNoSchedule, NoExecute");
    const taint: NodeConfig["taints"][number] = { key: t.key as string, effect: t.effect };
    if (t.value !== undefined) {
      const ev = typeof t.value === "string" ? labelValue(t.value) : "must be a string";
      if (ev) return err(`${tf}.value`, t.value, ev);
      taint.value = t.value as string;
    }
    node.taints.push(taint);
  });
}

/** A host address of nodeSubnet, not taken by an earlier node. */
function parseNodeAddress(
  { cfg, err }: ConfigParse,
  address: unknown,
  field: string,
  node: NodeConfig,
  seen: NodesSeen,
  nodeSubnet: Cidr | undefined,
): void {
  const subnet = cfg.networking.nodeSubnet;
  const a = typeof address === "string" ? parseIPv4(address) : undefined;
  if (a === undefined) err(field, address, "is not a valid IPv4 address");
  else if (nodeSubnet && !cidrContains(nodeSubnet, a))
    err(field, address, `is outside networking.nodeSubnet ${subnet}`);
  else if (nodeSubnet && nodeSubnet.prefix < 31 && (a === nodeSubnet.first || a === nodeSubnet.last))
    err(field, address, `is the network or broadcast address of ${subnet}`);
  else if (seen.byAddr.has(address as string))
    err(field, address, `is already the address of node ${seen.byAddr.get(address as string)}`);
  else {
    seen.byAddr.set(address as string, node.name);
    node.address = address as string;
  }
}

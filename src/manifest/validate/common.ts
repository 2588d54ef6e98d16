// The building blocks every kind's validation uses: ports, protocols, labels, label
// selectors and metadata, following apimachinery's validation (pkg/api/validation, metav1
// validation).
import type { KubeObject } from "../types.js";
import { type Mapping, NO_VALUE, indexPath, isInt, isObj, keyPath } from "../diag.js";
import { dns1035Label, dns1123Label, dns1123Subdomain, ianaSvcName, labelValue, qualifiedName } from "../names.js";
import { matchSelector } from "../selector.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"];

/**
 * Marks a finding the network model depends on (see validate.ts for the list): passed as
 * the 4th argument of Err. Unmarked findings are API rules alone, warnings when tolerant.
 */
export const NET: unique symbol = Symbol("network-relevant");

export type Err = (field: string, value: unknown, text: string, network?: typeof NET) => void;

/** A note that is no error (an IPv6 block or cluster IP on podnet's IPv4 model). */
export type Warn = (field: string, value: unknown, text: string) => void;

/** Which name rule each kind's metadata.name follows (apimachinery NameIsDNS*). */
const NAME_RULE: Record<string, (v: string) => string | undefined> = {
  Namespace: dns1123Label,
  Service: dns1035Label,
  StatefulSet: dns1123Label, // its pods' hostnames are <name>-<ordinal>
};

/** What a field that must be an integer says when it is not (a quoted number named as such). */
export const notInteger = (v: unknown) =>
  typeof v === "string" ? "must be an integer, not a string" : "must be an integer";

export function checkPort(err: Err, field: string, v: unknown, opts: { allowZero?: boolean } = {}): boolean {
  if (!isInt(v)) {
    err(field, v, notInteger(v), NET);
    return false;
  }
  if (v < 1 || v > 65535) {
    if (!(opts.allowZero && v === 0)) {
      err(field, v, "is not a valid port (1-65535)", NET);
      return false;
    }
  }
  return true;
}

export function checkProtocol(err: Err, field: string, v: unknown): void {
  if (v !== undefined && !PROTOCOLS.includes(v as string)) err(field, v, "must be one of TCP, UDP, SCTP", NET);
}

/** IntOrString port (targetPort, NetworkPolicy port, Ingress backends). */
export function checkIntOrNamedPort(err: Err, field: string, v: unknown): void {
  if (typeof v === "number") checkPort(err, field, v);
  else if (typeof v === "string") {
    const e = ianaSvcName(v);
    if (e) err(field, v, `is not a valid port name: ${e}`);
  } else err(field, v, "must be a port number or a port name", NET);
}

export function checkLabels(err: Err, field: string, labels: unknown): void {
  if (labels === undefined || labels === null) return;
  if (!isObj(labels)) return err(field, labels, "must be a mapping of label keys to values", NET);
  // Keys, not entries, and the field's path only for a finding: a dump's 150,000 pods have
  // labels each.
  for (const k of Object.keys(labels)) {
    const v = labels[k];
    const ek = qualifiedName(k);
    if (ek) err(keyPath(field, k), k, `is not a valid label key: ${ek}`);
    if (typeof v !== "string") {
      err(keyPath(field, k), v, "label values must be strings (quote it)", NET);
      continue;
    }
    const ev = labelValue(v);
    if (ev) err(keyPath(field, k), v, `is not a valid label value: ${ev}`);
  }
}

/** The values rule of In/NotIn (some) and Exists/DoesNotExist (none); false for any other operator. */
export function checkSetOperatorValues(err: Err, f: string, operator: unknown, vals: unknown): boolean {
  const n = Array.isArray(vals) ? vals.length : 0;
  if (operator === "In" || operator === "NotIn") {
    if (n === 0) err(`${f}.values`, NO_VALUE, "must be specified when `operator` is 'In' or 'NotIn'", NET);
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
  if (!isObj(sel)) return err(field, sel, "must be a label selector (matchLabels / matchExpressions)", NET);
  checkLabels(err, `${field}.matchLabels`, sel.matchLabels);
  const me = sel.matchExpressions;
  if (me === undefined || me === null) return;
  if (!Array.isArray(me)) return err(`${field}.matchExpressions`, me, "must be a list", NET);
  me.forEach((r: unknown, i: number) => {
    const f = indexPath(`${field}.matchExpressions`, i);
    if (!isObj(r)) return err(f, r, "must be a mapping {key, operator, values}", NET);
    if (typeof r.key !== "string") err(`${f}.key`, r.key ?? NO_VALUE, "is required", NET);
    else {
      const e = qualifiedName(r.key);
      if (e) err(`${f}.key`, r.key, `is not a valid label key: ${e}`);
    }
    const vals = r.values;
    if (vals !== undefined && vals !== null && !Array.isArray(vals)) err(`${f}.values`, vals, "must be a list", NET);
    if (!checkSetOperatorValues(err, f, r.operator, vals))
      err(
        `${f}.operator`,
        r.operator ?? NO_VALUE,
        "is not a valid selector operator (In, NotIn, Exists, DoesNotExist)",
        NET,
      );
    if (Array.isArray(vals))
      vals.forEach((v: unknown, j: number) => {
        const vf = indexPath(`${f}.values`, j);
        if (typeof v !== "string") return err(vf, v, "must be a string", NET);
        const e = labelValue(v);
        if (e) err(vf, v, `is not a valid label value: ${e}`);
      });
  });
}

/** Whether a selector selects a label set (used for the template-labels check). */
export function selectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  // Not yet validated: a malformed selector or requirement selects nothing (checkSelector says why).
  if (!selectorShaped(sel) || (sel.matchExpressions ?? []).some((r: unknown) => !isObj(r))) return false;
  return matchSelector(sel, labels);
}

/** A mapping whose matchLabels (if any) is a mapping and matchExpressions (if any) a list. */
export function selectorShaped(sel: unknown): sel is Mapping {
  if (!isObj(sel)) return false;
  const { matchLabels: ml, matchExpressions: me } = sel;
  return (me === undefined || me === null || Array.isArray(me)) && (ml === undefined || ml === null || isObj(ml));
}

export function checkMeta(err: Err, o: KubeObject, base = "metadata"): void {
  const m = o.metadata;
  const rule = NAME_RULE[o.kind] ?? dns1123Subdomain;
  if (typeof m.name !== "string") err(`${base}.name`, m.name, "must be a string", NET);
  else {
    const e = rule(m.name);
    if (e) err(`${base}.name`, m.name, e);
  }
  if (m.namespace !== undefined) {
    if (typeof m.namespace !== "string") err(`${base}.namespace`, m.namespace, "must be a string", NET);
    else {
      const e = dns1123Label(m.namespace);
      if (e) err(`${base}.namespace`, m.namespace, e);
    }
  }
  checkLabels(err, `${base}.labels`, m.labels);
  checkOwnerReferences(err, `${base}.ownerReferences`, m.ownerReferences);
  const ann = m.annotations;
  if (ann !== undefined && ann !== null) {
    if (!isObj(ann)) err(`${base}.annotations`, ann, "must be a mapping", NET);
    else
      for (const k of Object.keys(ann)) {
        const v = ann[k];
        const e = qualifiedName(k);
        if (e) err(keyPath(`${base}.annotations`, k), k, `is not a valid annotation key: ${e}`);
        if (typeof v !== "string")
          err(keyPath(`${base}.annotations`, k), v, "annotation values must be strings (quote it)");
      }
  }
}

/** An owner reference's required strings, and what apimachinery's message calls each. */
const OWNER_REF_FIELDS = [
  ["apiVersion", "version"],
  ["kind", "kind"],
  ["name", "name"],
  ["uid", "uid"],
] as const;

/**
 * ownerReferences as apimachinery's ValidateOwnerReferences has them (its field path has no
 * index). podnet names a pod's workload from its controller reference: a reference it
 * cannot read is an error.
 */
function checkOwnerReferences(err: Err, f: string, refs: unknown): void {
  if (refs === undefined || refs === null) return;
  if (!Array.isArray(refs)) return err(f, refs, "must be a list", NET);
  let controller: string | undefined;
  for (const r of refs) {
    if (!isObj(r)) {
      err(f, r, "must be a mapping", NET);
      continue;
    }
    for (const [k, what] of OWNER_REF_FIELDS) {
      const v = r[k];
      if (v !== undefined && v !== null && typeof v !== "string") err(`${f}.${k}`, v, "must be a string", NET);
      else if (!v)
        err(`${f}.${k}`, v ?? "", `${what} must not be empty`, k === "kind" || k === "name" ? NET : undefined);
    }
    if (r.controller !== undefined && r.controller !== null && typeof r.controller !== "boolean")
      err(`${f}.controller`, r.controller, "must be true or false", NET);
    if (r.controller === true) {
      const name = `${String(r.kind)}/${String(r.name)}`;
      if (controller !== undefined)
        err(
          f,
          refs,
          `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${name}`,
        );
      controller ??= name;
    }
  }
}

/** A string field with a format rule: the wrong type is network-relevant, the format an API rule. */
export function checkFormat(
  err: Err,
  field: string,
  v: unknown,
  rule: (v: string) => string | undefined,
  prefix = "",
): boolean {
  if (typeof v !== "string") {
    err(field, v, "must be a string", NET);
    return false;
  }
  const e = rule(v);
  if (e) err(field, v, prefix + e);
  return !e;
}

// `describe gateway|httproute|gatewayclass|referencegrant`: kubectl's generic describer
// for custom resources (kubectl pkg/describe GenericDescriberFor, printUnstructuredContent:
// keys sorted, camelCase as "Title Case"), with the status podnet's controller writes.
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import type { ViewOptions } from "./common.js";
import { annotationsMultiline, finish, labelsMultiline } from "./describe.js";
import { gatewayApiStatus } from "./gateway.js";

const ACRONYMS = new Set(["API", "URL", "UID", "OSB", "GUID"]);

/**
 * kubectl's smartLabelFor (pkg/describe/describe.go): "parentRefs" → "Parent Refs",
 * "apiVersion" → "API Version"; a key with anything but letters and '-' (`k8s:app`,
 * `kubernetes.io/name`) stays as written.
 */
export function label(k: string): string {
  if (/[^\p{L}-]/u.test(k)) return k;
  return k
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2") // fatih/camelcase: "URLRewrite" → "URL Rewrite"
    .split(" ")
    .map((w) => (ACRONYMS.has(w.toUpperCase()) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(" ");
}

/** printUnstructuredContent: nested maps indented, list items one after another. */
function content(v: unknown, indent: string): string {
  let b = "";
  if (Array.isArray(v)) {
    for (const x of v) b += x !== null && typeof x === "object" ? content(x, indent) : `${indent}${String(x)}\n`;
    return b;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o).sort()) {
    const x = o[k];
    if (x !== null && typeof x === "object") b += `${indent}${label(k)}:\n${content(x, `${indent}  `)}`;
    else b += `${indent}${label(k)}:\t${String(x)}\n`;
  }
  return b;
}

/** `describe gateway|httproute|gatewayclass|referencegrant`: the generic describer. */
export function describeGatewayApi(state: ClusterState, o: KubeObject, _opts: ViewOptions = {}): string {
  let b = `Name:\t${o.metadata.name}\n`;
  if (o.metadata.namespace) b += `Namespace:\t${o.metadata.namespace}\n`;
  b += labelsMultiline("Labels", o.metadata.labels);
  b += annotationsMultiline("Annotations", o.metadata.annotations);
  b += `API Version:\t${o.apiVersion}\nKind:\t${o.kind}\n`;
  if (o.spec) b += `Spec:\n${content(o.spec, "  ")}`;
  const status = gatewayApiStatus(state, o);
  if (status) b += `Status:\n${content(status, "  ")}`;
  return finish(state, b, []);
}

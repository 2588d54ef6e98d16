// `describe gateway|httproute|gatewayclass|referencegrant`: kubectl's generic describer
// for custom resources (kubectl pkg/describe GenericDescriberFor, printUnstructuredContent:
// keys sorted, camelCase as "Title Case"), with the status podnet's controller writes.
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import type { ViewOptions } from "./common.js";
import { annotationsMultiline, finish, labelsMultiline } from "./describe.js";
import { gatewayApiStatus } from "./gateway.js";

/** kubectl's smartLabelFor: "parentRefs" → "Parent Refs". */
function label(k: string): string {
  return k
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([a-z])/g, (_m, c: string) => ` ${c.toUpperCase()}`);
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

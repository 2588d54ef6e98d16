// `kubectl get hpa`: printHorizontalPodAutoscaler and formatHPAMetrics (kubernetes/kubernetes
// pkg/printers/internalversion/printers.go, v1.31). podnet has no metrics server: a metric's
// current value is the one a live cluster's status gives, else `<unknown>`, as kubectl
// prints an autoscaler that has not read its metrics yet.
import type { ClusterState } from "../control/state.js";
import type { KubeObject } from "../manifest/types.js";
import { isObj } from "../manifest/diag.js";
import type { Resource } from "./get-types.js";
import { objectAge } from "./observed.js";
import { givenObject } from "./objects.js";
import { nsOf, objectItems } from "./get-workloads.js";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObj(v) ? (v as Obj) : {});
/** A quantity as given (the API server stores, and so a dump holds, its canonical form). */
const qty = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const UNKNOWN = "<unknown>";

/** One metric's "current/target", as formatHPAMetrics writes it for its type. */
function metricText(spec: Obj, status: Obj | undefined): string {
  const pair = (current: string, target: string, avg = false) => `${current}/${target}${avg ? " (avg)" : ""}`;
  switch (spec.type) {
    case "External":
    case "Object": {
      const key = spec.type === "External" ? "external" : "object";
      const target = obj(obj(spec[key]).target);
      const cur = status ? obj(obj(status[key]).current) : undefined;
      if (target.averageValue !== undefined)
        return pair(cur?.averageValue !== undefined ? qty(cur.averageValue) : UNKNOWN, qty(target.averageValue), true);
      return pair(cur ? qty(cur.value) : UNKNOWN, qty(target.value));
    }
    case "Pods": {
      const cur = status ? obj(obj(status.pods).current) : undefined;
      return pair(cur ? qty(cur.averageValue) : UNKNOWN, qty(obj(obj(spec.pods).target).averageValue));
    }
    case "Resource":
    case "ContainerResource": {
      // Since v1.30 the resource's name leads ("cpu: 12%/50%").
      const key = spec.type === "Resource" ? "resource" : "containerResource";
      const src = obj(spec[key]);
      const target = obj(src.target);
      const cur = status && isObj(status[key]) ? obj(obj(status[key]).current) : undefined;
      const name = `${typeof src.name === "string" ? src.name : ""}: `;
      if (target.averageValue !== undefined)
        return name + pair(cur ? qty(cur.averageValue) : UNKNOWN, qty(target.averageValue));
      const util = cur?.averageUtilization;
      const want = target.averageUtilization;
      return (
        name + pair(typeof util === "number" ? `${util}%` : UNKNOWN, typeof want === "number" ? `${want}%` : "<auto>")
      );
    }
    default:
      return "<unknown type>";
  }
}

/** TARGETS: each metric's current/target, the first two, then "+ N more...". */
export function formatHpaMetrics(specs: unknown, statuses: unknown): string {
  const list = Array.isArray(specs) ? specs : [];
  if (list.length === 0) return "<none>";
  const st = Array.isArray(statuses) ? statuses : [];
  const out = list.map((m, i) => metricText(obj(m), i < st.length ? obj(st[i]) : undefined));
  const MAX = 2;
  return out.length > MAX ? `${out.slice(0, MAX).join(", ")} + ${out.length - MAX} more...` : out.join(", ");
}

/**
 * REPLICAS is status.currentReplicas: a live cluster's as given; for a manifest's autoscaler,
 * what the controller reads from its target's scale once it has synced (the target as the
 * state holds it, bounds applied: control/hpa.ts), 0 while it finds no target.
 */
function currentReplicas(state: ClusterState, o: KubeObject): number {
  const st = obj(o.status);
  if (Object.keys(st).length > 0) return typeof st.currentReplicas === "number" ? st.currentReplicas : 0;
  const ref = obj(obj(o.spec).scaleTargetRef);
  const ns = nsOf(o);
  const t = (state.objects ?? []).find((x) => x.kind === ref.kind && x.metadata.name === ref.name && nsOf(x) === ns);
  if (!t) return 0;
  const r = obj(t.spec).replicas;
  return typeof r === "number" ? r : 1;
}

export const horizontalpodautoscalers: Resource<KubeObject> = {
  kind: "HorizontalPodAutoscaler",
  plural: "horizontalpodautoscalers",
  singular: "horizontalpodautoscaler",
  shortNames: ["hpa"],
  nameRef: "horizontalpodautoscaler.autoscaling",
  namespaced: true,
  items: (s) => objectItems(s, "HorizontalPodAutoscaler"),
  header: () => ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
  row(state, item) {
    const o = item.value;
    const spec = obj(o.spec);
    const ref = obj(spec.scaleTargetRef);
    // The API server defaults minReplicas to 1 (pkg/apis/autoscaling/v2/defaults.go).
    const min = spec.minReplicas ?? 1;
    return [
      item.name,
      `${typeof ref.kind === "string" ? ref.kind : ""}/${typeof ref.name === "string" ? ref.name : ""}`,
      formatHpaMetrics(spec.metrics, obj(o.status).currentMetrics),
      typeof min === "number" ? String(min) : "<unset>",
      typeof spec.maxReplicas === "number" ? String(spec.maxReplicas) : "0",
      String(currentReplicas(state, o)),
      objectAge(state, "HorizontalPodAutoscaler", item.namespace, item.name, 0),
    ];
  },
  object: (_state, item, opts) => givenObject(item.value, item.namespace, opts),
};

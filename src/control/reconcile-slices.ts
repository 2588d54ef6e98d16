// The EndpointSlice phase of a reconcile step: the controller's slices for Services with a
// selector (recomputed only in namespaces that changed), the apiserver's own slice for
// default/kubernetes, given slices as given and Endpoints mirrored for selectorless
// Services; plus the per-Service warnings the controller raised.
import { Diags, where } from "../manifest/diag.js";
import type { KubeObject } from "../manifest/types.js";
import {
  MIRRORING,
  PodIndex,
  SliceNamer,
  givenSlice,
  mirrorEndpoints,
  slicesForService,
  type SliceCtx,
} from "./endpoints.js";
import { objKey } from "./objects.js";
import { ofKind, type ReconcileContext, unchanged } from "./reconcile-context.js";
import type { EndpointSliceState, NodeState, PodState, ServiceState } from "./state.js";

export interface SlicesResult {
  endpointSlices: EndpointSliceState[];
  /** Warnings by "ns/service", in Service order. */
  svcWarnings: Map<string, string[]>;
}

/** Namespaces whose given slices or Endpoints changed (added, edited or removed) are recomputed. */
export function markChangedEndpoints(ctx: ReconcileContext): void {
  for (const o of [...ofKind(ctx, "EndpointSlice"), ...ofKind(ctx, "Endpoints")])
    if (!unchanged(ctx, o)) ctx.changedNs.add(o.metadata.namespace ?? "default");
  for (const o of ctx.prev.objects ?? [])
    if ((o.kind === "EndpointSlice" || o.kind === "Endpoints") && !ctx.seen.has(objKey(o)))
      ctx.changedNs.add(o.metadata.namespace ?? "default");
}

/** The previous step's warnings by the Service they name ("(Service ns/name)"). */
function prevWarningsByService(prev: string[]): Map<string, string[]> {
  const prevWarnings = new Map<string, string[]>();
  for (const w of prev) {
    const m = /\(Service ([^)\s]+)\)/.exec(w);
    if (!m) continue;
    let l = prevWarnings.get(m[1]);
    if (!l) prevWarnings.set(m[1], (l = []));
    l.push(w);
  }
  return prevWarnings;
}

export function buildSlices(ctx: ReconcileContext, pods: PodState[], services: ServiceState[]): SlicesResult {
  const prev = ctx.prev;
  const sliceObjs = ofKind(ctx, "EndpointSlice");
  const epObjs = ofKind(ctx, "Endpoints");
  const svcObjs = ofKind(ctx, "Service");
  const prevWarnings = prevWarningsByService(prev.warnings);
  const svcWarnings = new Map<string, string[]>();
  const prevByService = new Map<string, EndpointSliceState[]>();
  for (const s of prev.endpointSlices) {
    const k = `${s.namespace}/${s.serviceName}`;
    let l = prevByService.get(k);
    if (!l) prevByService.set(k, (l = []));
    l.push(s);
  }
  const sliceCtx: SliceCtx = { seed: ctx.seed, clock: ctx.clock, nodes: ctx.nodeByName, shared: new WeakMap() };
  const namer = new SliceNamer(sliceCtx, prev.endpointSlices);
  const index = new PodIndex(pods.filter((p) => ctx.changedNs.has(p.namespace)));
  const out: EndpointSliceState[] = [];
  const svcByKey = new Map(services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const svcObjByKey = new Map(svcObjs.map((x) => [`${x.metadata.namespace ?? "default"}/${x.metadata.name}`, x]));
  const observed = observedSlices(sliceObjs, pods);
  for (const s of services) {
    const k = `${s.namespace}/${s.name}`;
    const prevSlices = prevByService.get(k) ?? [];
    if (!s.selector) {
      if (wantsApiserverSlice(s, epObjs, sliceObjs)) out.push(apiserverSlice(ctx.nodes));
      continue;
    }
    if (!ctx.changedNs.has(s.namespace)) {
      for (const p of prevSlices) if (p.managedBy === "endpointslice-controller.k8s.io") out.push(p);
      const pw = prevWarnings.get(k);
      if (pw) svcWarnings.set(k, pw);
      continue;
    }
    const seen = observed.get(k);
    if (seen) {
      out.push(...seen.map(givenSlice));
      continue;
    }
    const mine = prevSlices.filter((p) => p.managedBy === "endpointslice-controller.k8s.io").map((p) => p.name);
    const o = svcObjByKey.get(k);
    const list: string[] = [];
    const sl = slicesForService(sliceCtx, s, index.select(s.namespace, s.selector), mine, namer, (field, msg) => {
      const wh = o ? where(o) : { object: `Service ${k}` };
      const d = new Diags();
      d.warn(wh, field, undefined, msg);
      list.push(d.list[0].message);
    });
    if (list.length) svcWarnings.set(k, list);
    out.push(...sl);
  }
  // Given slices: as given. Endpoints: mirrored for Services without a selector.
  for (const o of sliceObjs) {
    // Slices the controller made (from a dump) for a Service with a selector: it replaces them.
    const svcName = o.metadata.labels?.["kubernetes.io/service-name"];
    const owner = svcName ? svcByKey.get(`${o.metadata.namespace ?? "default"}/${svcName}`) : undefined;
    if (
      owner?.selector &&
      o.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] === "endpointslice-controller.k8s.io"
    )
      continue;
    out.push(givenSlice(o));
  }
  for (const o of epObjs) {
    const ns = o.metadata.namespace ?? "default";
    const s = svcByKey.get(`${ns}/${o.metadata.name}`);
    if (!s || s.selector) continue;
    const prevNames = (prevByService.get(`${ns}/${o.metadata.name}`) ?? [])
      .filter((p) => p.managedBy === MIRRORING)
      .map((p) => p.name);
    out.push(...mirrorEndpoints(o, namer, prevNames));
  }
  return { endpointSlices: out, svcWarnings };
}

/**
 * The controller's slices of a live cluster's dump, by "ns/service": taken as given while
 * every pod of their namespace is as observed (once podnet adds or changes a pod there,
 * the controller's work is computed again, under the same slice names).
 */
function observedSlices(sliceObjs: KubeObject[], pods: PodState[]): Map<string, KubeObject[]> {
  const out = new Map<string, KubeObject[]>();
  if (sliceObjs.length === 0) return out;
  const touched = new Set<string>();
  for (const p of pods) if (!p.observed) touched.add(p.namespace);
  for (const o of sliceObjs) {
    const ns = o.metadata.namespace ?? "default";
    const svc = o.metadata.labels?.["kubernetes.io/service-name"];
    if (!svc || touched.has(ns)) continue;
    if (o.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] !== "endpointslice-controller.k8s.io") continue;
    const k = `${ns}/${svc}`;
    const l = out.get(k);
    if (l) l.push(o);
    else out.set(k, [o]);
  }
  return out;
}

/** default/kubernetes gets the apiserver's slice unless its Endpoints or a slice for it is given. */
function wantsApiserverSlice(s: ServiceState, epObjs: KubeObject[], sliceObjs: KubeObject[]): boolean {
  return (
    s.namespace === "default" &&
    s.name === "kubernetes" &&
    !epObjs.some((o) => objKey(o) === "Endpoints/default/kubernetes") &&
    !sliceObjs.some(
      (o) =>
        o.metadata.labels?.["kubernetes.io/service-name"] === "kubernetes" &&
        (o.metadata.namespace ?? "default") === "default",
    )
  );
}

/** The apiserver's own slice for default/kubernetes: every control-plane node's :6443. */
function apiserverSlice(nodes: NodeState[]): EndpointSliceState {
  const cps = nodes.filter((n) => n.role === "control-plane");
  return {
    namespace: "default",
    name: "kubernetes",
    serviceName: "kubernetes",
    addressType: "IPv4",
    ports: [{ name: "https", port: 6443, protocol: "TCP" }],
    endpoints: cps.map((n) => ({
      addresses: [n.address],
      conditions: { ready: true, serving: true, terminating: false },
    })),
    managedBy: "kube-apiserver",
  };
}

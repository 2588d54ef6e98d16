// Kubelet's part of a reconcile step: the resolv.conf and the environment (Service links
// and the first container's own values) of each new pod. Pods with the same spec share
// their results (memoised), which keeps large Deployments cheap.
import type { PodSpec } from "../manifest/types.js";
import { serviceEnvFor } from "./env.js";
import { emit, type ReconcileContext } from "./reconcile-context.js";
import { resolvConfFor } from "./resolvconf.js";
import type { PodState, ServiceState } from "./state.js";

type EnvVar = { name: string; value: string };

export function kubeletSetup(ctx: ReconcileContext, created: PodState[], services: ServiceState[]): void {
  const svcByNs = new Map<string, ServiceState[]>();
  for (const s of services) {
    let l = svcByNs.get(s.namespace);
    if (!l) svcByNs.set(s.namespace, (l = []));
    l.push(s);
  }
  const kubeSvc = services.find((s) => s.namespace === "default" && s.name === "kubernetes");
  const resolvMemo = new WeakMap<PodSpec, Map<string, ReturnType<typeof resolvConfFor>>>();
  const envMemo = new Map<string, EnvVar[]>();
  const envWithOwn = new WeakMap<PodSpec, Map<string, EnvVar[]>>();
  for (const pod of created) {
    let m = resolvMemo.get(pod.spec);
    if (!m) resolvMemo.set(pod.spec, (m = new Map()));
    let r = m.get(pod.namespace);
    if (!r) m.set(pod.namespace, (r = resolvConfFor(ctx.config, pod.namespace, pod.spec)));
    pod.resolvConf = r.text;
    for (const e of r.events) emit(ctx, e.type, e.reason, `pod/${pod.namespace}/${pod.name}`, e.message, "kubelet");
    const links = pod.spec.enableServiceLinks !== false;
    const ek = `${pod.namespace}\u0000${pod.created}\u0000${links}`;
    let base = envMemo.get(ek);
    if (!base) {
      const visible = [...(svcByNs.get(pod.namespace) ?? [])];
      if (kubeSvc && pod.namespace !== "default") visible.push(kubeSvc);
      envMemo.set(ek, (base = serviceEnvFor(visible, pod.namespace, pod.created, links)));
    }
    const own = (pod.spec.containers?.[0]?.env ?? [])
      .filter((e) => typeof e.value === "string")
      .map((e) => ({ name: e.name, value: e.value! }));
    if (own.length === 0) pod.env = base;
    else {
      let om = envWithOwn.get(pod.spec);
      if (!om) envWithOwn.set(pod.spec, (om = new Map()));
      let env = om.get(ek);
      if (!env) om.set(ek, (env = [...base, ...own]));
      pod.env = env;
    }
  }
}

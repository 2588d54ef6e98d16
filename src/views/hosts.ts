// `podnet hosts POD`: the pod's /etc/hosts exactly as kubelet writes it (control/hosts.ts).
import { hostsFileOf } from "../control/hosts.js";
import type { ClusterState, PodState } from "../control/state.js";

/** The file, or why there is none (kubelet mounts it only into a started pod: one with an IP). */
export function podHostsView(state: ClusterState, pod: PodState): { text: string } | { error: string } {
  const text = hostsFileOf(state, pod);
  if (text !== undefined) return { text };
  return {
    error: `pod ${pod.namespace}/${pod.name} has no /etc/hosts: kubelet writes it when it starts the pod, and the pod is ${pod.phase}${pod.podIP ? "" : " with no IP"}`,
  };
}

import type { ClusterConfig } from "../manifest/config.js";
import type { KubeObject } from "../manifest/types.js";
import type { NodeState } from "./state.js";
/**
 * Node objects in the manifests (e.g. from `kubectl get nodes -o yaml`) add labels and
 * taints to the config's node of the same name, or add a worker node; their
 * spec.podCIDR and InternalIP are honoured.
 */
export declare function computeNodes(config: ClusterConfig, nodeObjects: KubeObject[], prev: NodeState[]): NodeState[];

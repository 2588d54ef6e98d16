import type { Command } from "commander";
import type { ClusterState } from "../control/state.js";
/** Exactly the file kubelet writes to the pod's /etc/resolv.conf. */
export declare function resolvConfText(state: ClusterState, ref: string, namespace?: string): string;
export declare function envText(state: ClusterState, ref: string, namespace?: string, container?: string): string;
export declare function register(program: Command): void;

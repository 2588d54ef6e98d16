import type { DataplaneIR, PodNet } from "../ir/types.js";
import { type CniArgs, type CniContext, type NetConf } from "./cni.js";
import type { ClusterRecord } from "./state.js";
export type PodRecord = NonNullable<ClusterRecord["pods"]>[number];
export declare function podEntry(cluster: string, ir: DataplaneIR, p: PodNet, containers?: Map<string, string[]>): PodRecord;
/** A stable container ID for a pod (the CNI spec wants one; the runtime would make it). */
export declare function containerIdFor(namespace: string, name: string): string;
export declare function writeResolvConf(ns: string, text: string): void;
/** CNI ADD of a pod into its (just created) namespace `netns`; throws on a CNI error. */
export declare function attachPod(conf: NetConf, pod: PodNet, netns: string, args: CniArgs["args"], ctx: CniContext): Promise<void>;

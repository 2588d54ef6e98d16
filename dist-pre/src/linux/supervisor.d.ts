import type { DataplaneIR, Listener, PodNet } from "../ir/types.js";
import { type ProcessRecord } from "./state.js";
export interface SupervisorPod {
    namespace: string;
    name: string;
    ip: string;
    node: string;
    /** Kernel namespace name of the pod. */
    netns: string;
    listeners: Listener[];
}
export interface SupervisorConfig {
    cluster: string;
    node: string;
    /** Pods added to a running cluster get a supervisor of their own (generation 1, 2, …). */
    generation?: number;
    /** The node's namespace: where the supervisor process itself lives. */
    nodeNetns: string;
    stateDir: string;
    pods: SupervisorPod[];
}
/** What a supervisor reports once it serves: its listeners and the errors (events). */
export interface SupervisorReady {
    pid: number;
    serving: {
        pod: string;
        container: string;
        port: number;
        protocol: string;
    }[];
    events: {
        type: "Warning";
        reason: string;
        object: string;
        message: string;
    }[];
}
/**
 * Listeners served by podnet's DNS server instead of the generic pod server: port 53
 * of pods in kube-system (CoreDNS's container ports "dns"/"dns-tcp"). The IR has no
 * field saying "this pod runs CoreDNS"; this is the one place that decides it.
 */
export declare function isDnsListener(pod: {
    namespace: string;
}, l: Listener): boolean;
export declare function supervisorConfigs(ir: DataplaneIR, cluster: string, skip?: (pod: PodNet, l: Listener) => boolean): SupervisorConfig[];
/** Base path of a supervisor's files (.json config, .ready, .log, .removed). */
export declare function supervisorBase(cfg: Pick<SupervisorConfig, "stateDir" | "node" | "generation">): string;
export declare function supervisorMainPath(): string;
/**
 * Starts a node's supervisor and waits until it serves. `onSpawn` gets the PID at
 * once (to record it before waiting). Returns the process record and what it serves.
 */
export declare function startSupervisor(cfg: SupervisorConfig, onSpawn?: (record: ProcessRecord) => void, timeoutMs?: number): Promise<{
    record: ProcessRecord;
    ready: SupervisorReady;
}>;
/** Starts podnet's DNS server in a (CoreDNS) pod's namespace; waits until it answers. */
export declare function startDns(cluster: string, netns: string, podKey: string, onSpawn?: (record: ProcessRecord) => void, timeoutMs?: number): Promise<ProcessRecord>;

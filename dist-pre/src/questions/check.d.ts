import type { ClusterState } from "../control/state.js";
import type { DataplaneIR } from "../ir/types.js";
import type { Expectation } from "./check-file.js";
import { type ModelSession } from "./trace.js";
export { parseExpectations } from "./check-file.js";
export type { Expectation, SelectorSource } from "./check-file.js";
export interface CheckOutcome {
    expectation: Expectation;
    ok: boolean;
    /** One line per source pod (and per path when they differ). */
    details: string[];
}
/** The pods an expectation's `from` stands for. Strings: `[ns/]pod`, `[ns/]workload`
 *  (Deployment, StatefulSet, DaemonSet, Job, ReplicaSet name), `Kind/[ns/]name`,
 *  `node/NAME` or `external[:IP]` (kept as is). */
export declare function expandFrom(state: ClusterState, from: Expectation["from"]): {
    refs: string[];
    error?: string;
};
/** Checks each expectation by tracing through the session (the model of the cluster). */
export declare function runCheck(session: ModelSession, exps: Expectation[]): CheckOutcome[];
/** The earlier form: an IR and its state (a session is made over them). */
export declare function runCheck(ir: DataplaneIR, state: ClusterState, exps: Expectation[]): CheckOutcome[];
export declare function renderCheck(out: CheckOutcome[]): string;
export declare function renderJUnit(out: CheckOutcome[], suite?: string): string;

import { type ReconcileContext, type Want } from "./reconcile-context.js";
import { Scheduler } from "./schedule.js";
import type { PodState } from "./state.js";
/** Creates, schedules and addresses the wanted pods next to the survivors. */
export declare function createPods(ctx: ReconcileContext, wants: Want[], survivors: PodState[]): {
    created: PodState[];
    scheduler: Scheduler;
};

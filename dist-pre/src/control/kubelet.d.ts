import { type ReconcileContext } from "./reconcile-context.js";
import type { PodState, ServiceState } from "./state.js";
export declare function kubeletSetup(ctx: ReconcileContext, created: PodState[], services: ServiceState[]): void;

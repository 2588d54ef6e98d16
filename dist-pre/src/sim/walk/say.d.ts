import type { Link, Route } from "../../ir/types.js";
import type { CompiledIR } from "../topology.js";
import type { CRoute } from "../topology.js";
import type { StepObject } from "../trace.js";
import type { CtEntry } from "./ct-table.js";
export declare const NO_META: {
    physIn?: string;
};
export declare function linkObj(c: CompiledIR, l: Link): StepObject;
export declare function linkObjMake(l: Link): StepObject;
/** A route's step object and the end of its ROUTED text, made once per route (routes are shared, read-only) and kept on its compiled form. */
export declare function routeSay(c: CompiledIR, cr: CRoute): {
    obj: StepObject;
    how: string;
};
export declare function routeText(c: CompiledIR, r: Route): string;
export declare function routeTextMake(r: Route): string;
export declare function ctText(e: CtEntry): string;

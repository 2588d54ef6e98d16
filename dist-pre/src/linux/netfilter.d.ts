import type { NetfilterRenderers } from "./render.js";
export declare const netfilterRenderers: NetfilterRenderers;
/** Kept for callers written when the renderers could be missing: they are always there now. */
export declare function loadNetfilterRenderers(): Promise<{
    renderers?: NetfilterRenderers;
    missing: string[];
}>;

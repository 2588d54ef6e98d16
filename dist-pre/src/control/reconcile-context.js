// What the phases of one reconcile step share: the previous state, the objects by kind,
// the step's clock, the nodes and their IPAM, and the accumulators every phase adds to
// (events, in the order they happen, and the namespaces whose pods or Services changed).
import { Diags, where } from "../manifest/diag.js";
import { SpecError } from "../manifest/errors.js";
import { objKey, sameObject } from "./objects.js";
/** Records an event at `time` (the step's pod clock unless given). */
export function emit(ctx, type, reason, object, message, source, time = ctx.clock) {
    const e = { type, reason, object, message, time };
    if (source)
        e.source = source;
    ctx.events.push(e);
}
export function ofKind(ctx, k) {
    return ctx.byKind.get(k) ?? [];
}
export function unchanged(ctx, o) {
    return sameObject(ctx.prevObjects.get(objKey(o)), o);
}
/** Basic validity of what reached us (the parser checks the rest): names given and unique. */
export function checkObjects(objects) {
    const diags = new Diags();
    const seen = new Set();
    for (const o of objects) {
        if (!o.metadata?.name)
            diags.error(where(o), "metadata.name", undefined, "is required");
        const k = objKey(o);
        if (seen.has(k))
            diags.error(where(o), "metadata.name", o.metadata.name, `duplicates another ${o.kind}`);
        seen.add(k);
    }
    if (diags.errors.length)
        throw new SpecError(diags.errors);
    return seen;
}
export function groupByKind(objects) {
    const byKind = new Map();
    for (const o of objects) {
        let l = byKind.get(o.kind);
        if (!l)
            byKind.set(o.kind, (l = []));
        l.push(o);
    }
    return byKind;
}
//# sourceMappingURL=reconcile-context.js.map
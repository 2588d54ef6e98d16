// Small builders for IptRule values. Constant options are shared objects (never mutate
// a rule's opts): at 100k+ rules this keeps the shared layer compact.
import { frozen } from "../frozen.js";
export const o = (opt, ...args) => ({ opt, args });
export const not = (opt, ...args) => ({ opt, args, neg: true });
export const M_COMMENT = frozen(o("-m", "comment"));
export const M_STATISTIC = frozen(o("-m", "statistic"));
export const MODE_RANDOM = frozen(o("--mode", "random"));
export const M_RECENT = frozen(o("-m", "recent"));
export const M_ADDRTYPE = frozen(o("-m", "addrtype"));
export const M_CONNTRACK = frozen(o("-m", "conntrack"));
export const M_MARK = frozen(o("-m", "mark"));
export const DST_LOCAL = frozen(o("--dst-type", "LOCAL"));
export const SRC_LOCAL = frozen(o("--src-type", "LOCAL"));
const protoOpts = new Map();
/** `-m tcp -p tcp` (kube-proxy's order). */
export function proto(p) {
    let v = protoOpts.get(p);
    if (!v) {
        v = [frozen(o("-m", p)), frozen(o("-p", p))];
        protoOpts.set(p, v);
    }
    return v;
}
export function comment(text) {
    return [M_COMMENT, o("--comment", text)];
}
export function rule(opts, target, targetOpts) {
    const r = { opts };
    if (target !== undefined)
        r.target = target;
    if (targetOpts?.length)
        r.targetOpts = targetOpts;
    return r;
}
/** kube-proxy's REJECT/DROP for a Service without endpoints (anywhere, or on this node). */
export const NO_ENDPOINTS = Object.freeze({ reason: "NO_ENDPOINTS" });
export const NO_LOCAL_ENDPOINTS = Object.freeze({ reason: "NO_ENDPOINTS", local: true });
/** A rule whose verdict stands for `tag` (the interpreter reads it when the rule drops a packet). */
export function dropRule(opts, target, tag) {
    return { opts, target, drop: tag };
}
/** A layer under construction. */
export class LayerBuilder {
    layer;
    constructor(owner) {
        this.layer = { owner, role: "kube-proxy", tables: {} };
    }
    /** Per table: chain names in creation order, for tables that record it (see track). */
    order = {};
    /** Record the names of the chains created in `table` from now on into `into`. */
    track(table, into) {
        this.order[table] = into;
    }
    chain(table, name) {
        const t = (this.layer.tables[table] ??= {});
        let c = t[name];
        if (!c) {
            c = { name, rules: [] };
            t[name] = c;
            this.order[table]?.push(name);
        }
        return c;
    }
    add(table, chain, r) {
        this.chain(table, chain).rules.push(r);
    }
}
//# sourceMappingURL=rules.js.map
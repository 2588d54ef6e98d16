// A trace session: the IR, the cluster's resolver walk and ipvs mode's ipsets, made once
// and asked many flows. The CLI, the web view, check, verify and the demo all trace
// through it, so a flow gets the same answer wherever it is asked.
import { buildIR } from "../dataplane/build.js";
import { resolveFromPod, rdataText } from "../dns/resolver.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow, withNodeRules, TraceInputError } from "../sim/index.js";
import { parseIptablesSave } from "../sim/parse-iptables.js";
// What askers need to phrase a flow and read the answer, so they import questions only.
export { TraceInputError } from "../sim/index.js";
export { IptablesParseError } from "../sim/parse-iptables.js";
export { renderTrace } from "../sim/index.js";
/** The DNS helper's resolver walk, adapted to the interpreter's Resolver shape. */
export function clusterResolver(state) {
    return (pod, name) => {
        const r = resolveFromPod(state, `${pod.namespace}/${pod.name}`, name);
        const walk = r.queries.map((q) => ({
            name: q.name.replace(/\.$/, ""),
            type: "A",
            rcode: q.rcode === "NOERROR" && !q.answers.some((a) => a.type === "A") ? "NODATA" : q.rcode,
            answers: q.answers.filter((a) => a.type === "A").map((a) => rdataText(a)),
        }));
        const out = { nameserver: r.nameserver ?? "", walk };
        if (r.result.status === "found" && r.result.values.length)
            out.answer = r.result.values[0];
        return out;
    };
}
/** ipvs mode's ipsets (not part of the IR), per node namespace. */
export function ipsetsFor(state, mode) {
    if (mode !== "ipvs")
        return undefined;
    const cache = new Map();
    return (nsId) => {
        if (!cache.has(nsId)) {
            const node = nsId.startsWith("node/") ? state.nodes.find((n) => n.name === nsId.slice(5)) : undefined;
            cache.set(nsId, node ? ipvsIpsets(state, node) : undefined);
        }
        return cache.get(nsId);
    };
}
function makeSession(state, ir, resolve) {
    const ipsets = state ? ipsetsFor(state, ir.proxyMode) : undefined;
    return {
        ir,
        state,
        trace: (flow, opts = {}) => traceFlow(ir, flow, { ...opts, state, resolve, ipsets }),
        withNodeRules(nodeName, iptablesSave, file) {
            const layer = parseIptablesSave(iptablesSave, file);
            let replaced;
            try {
                replaced = withNodeRules(ir, nodeName, layer);
            }
            catch (e) {
                throw new TraceInputError(e.message);
            }
            return makeSession(state, replaced, resolve);
        },
    };
}
export function traceSession(state, ir, o = {}) {
    return makeSession(state, ir, o.resolve ?? (state ? clusterResolver(state) : undefined));
}
/** A session over the model built from `state`: the IR is assembled here, not by the asker. */
export function modelSession(state, o = {}) {
    const ir = buildIR(state, o.proxyMode ? { proxyMode: o.proxyMode } : {});
    return traceSession(state, ir, { resolve: o.resolve });
}
//# sourceMappingURL=trace.js.map
import { requirementMatches } from "../manifest/selector.js";
import { stableJson } from "./hash.js";
export const REASON_TAINT = (key, value) => `node(s) had untolerated taint {${key}: ${value ?? ""}}`;
export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY = "Too many pods";
const PREEMPT_UNRESOLVABLE = "Preemption is not helpful for scheduling";
const PREEMPT_NO_VICTIMS = "No preemption victims found for incoming pod";
export function tolerates(tols, taint) {
    for (const t of tols ?? []) {
        if (t.effect && t.effect !== taint.effect)
            continue;
        if (t.operator === "Exists") {
            if (!t.key || t.key === taint.key)
                return true;
            continue;
        }
        if (t.key === taint.key && (t.value ?? "") === (taint.value ?? ""))
            return true;
    }
    return false;
}
/** The first taint (NoSchedule / NoExecute) the pod does not tolerate. */
export function untoleratedTaint(node, tols) {
    for (const taint of node.taints) {
        if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute")
            continue;
        if (!tolerates(tols, taint))
            return taint;
    }
    return null;
}
function matchTerm(node, term) {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0)
        return false; // an empty term matches nothing
    for (const e of exprs)
        if (!requirementMatches(node.labels, e))
            return false;
    for (const f of fields) {
        // Only metadata.name is a supported field (the DaemonSet controller uses it).
        if (f.key !== "metadata.name")
            return false;
        const inVals = (f.values ?? []).includes(node.name);
        if (f.operator === "In" ? !inVals : inVals)
            return false;
    }
    return true;
}
/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function matchesNodeAffinity(node, spec) {
    for (const [k, v] of Object.entries(spec.nodeSelector ?? {}))
        if (node.labels[k] !== v)
            return false;
    const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
        const terms = req.nodeSelectorTerms ?? [];
        if (!terms.some((t) => matchTerm(node, t)))
            return false;
    }
    return true;
}
/** The static (UnschedulableAndUnresolvable) reason a node is unfit, or null. */
export function staticReason(node, spec) {
    const t = untoleratedTaint(node, spec.tolerations);
    if (t)
        return REASON_TAINT(t.key, t.value);
    if (!matchesNodeAffinity(node, spec))
        return REASON_AFFINITY;
    return null;
}
/** Host ports a pod needs ("80/TCP"); hostNetwork pods need every container port. */
export function hostPortsOf(spec) {
    const out = [];
    for (const c of spec.containers ?? [])
        for (const p of c.ports ?? []) {
            const hp = p.hostPort ?? (spec.hostNetwork ? p.containerPort : undefined);
            if (hp)
                out.push(`${hp}/${p.protocol ?? "TCP"}`);
        }
    return out;
}
const keyCache = new WeakMap();
function constraintKey(spec) {
    let k = keyCache.get(spec);
    if (k === undefined) {
        k = stableJson([
            spec.nodeSelector ?? null,
            spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null,
            spec.tolerations ?? null,
        ]);
        keyCache.set(spec, k);
    }
    return k;
}
const SHIFT = 1048576; // 2^20 nodes at most
/** Binary min-heap of packed (load, node index) numbers. */
class Heap {
    a = [];
    push(v) {
        const a = this.a;
        let i = a.length;
        a.push(v);
        while (i > 0) {
            const p = (i - 1) >> 1;
            if (a[p] <= v)
                break;
            a[i] = a[p];
            i = p;
        }
        a[i] = v;
    }
    pop() {
        const a = this.a;
        if (a.length === 0)
            return undefined;
        const top = a[0];
        const last = a.pop();
        if (a.length > 0) {
            let i = 0;
            const n = a.length;
            for (;;) {
                const l = 2 * i + 1;
                if (l >= n)
                    break;
                const r = l + 1;
                const c = r < n && a[r] < a[l] ? r : l;
                if (a[c] >= last)
                    break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
        }
        return top;
    }
    peek() {
        return this.a[0];
    }
}
export class Scheduler {
    nodes;
    loads;
    ports;
    heaps = new Map();
    failCache = new Map();
    byName;
    constructor(nodes, existing) {
        this.nodes = nodes;
        this.loads = new Int32Array(nodes.length);
        this.ports = new Array(nodes.length);
        this.byName = new Map(nodes.map((n, i) => [n.name, { ...n, index: i }]));
        for (const p of existing) {
            if (!p.nodeName)
                continue;
            const n = this.byName.get(p.nodeName);
            if (n)
                this.account(n.index, p.spec);
        }
    }
    node(name) {
        const n = this.byName.get(name);
        return n ? this.nodes[n.index] : undefined;
    }
    idx(node) {
        return this.byName.get(node.name).index;
    }
    account(i, spec) {
        this.loads[i]++;
        const hp = hostPortsOf(spec);
        if (hp.length) {
            const s = (this.ports[i] ??= new Set());
            for (const p of hp)
                s.add(p);
        }
    }
    dynamicReason(i, hp) {
        const s = this.ports[i];
        if (s && hp.some((p) => s.has(p)))
            return REASON_PORTS;
        if (this.loads[i] >= this.nodes[i].maxPods)
            return REASON_TOO_MANY;
        return null;
    }
    /** Binds a pod to a node chosen elsewhere (spec.nodeName, DaemonSet); accounts it. */
    bind(node, spec) {
        this.account(this.idx(node), spec);
    }
    /** Whether `node` can take the pod now (DaemonSet pods, which target one node). */
    fitsOn(node, spec) {
        const i = this.idx(node);
        return staticReason(node, spec) ?? this.dynamicReason(i, hostPortsOf(spec));
    }
    isFull(node) {
        const i = this.idx(node);
        return this.loads[i] >= node.maxPods;
    }
    /** The FitError text for a pod that fits nowhere (`only`: a DaemonSet pod's node). */
    failure(spec, only) {
        const hp = hostPortsOf(spec);
        const hist = new Map();
        const pre = new Map();
        for (let i = 0; i < this.nodes.length; i++) {
            const n = this.nodes[i];
            let r;
            let unresolvable = true;
            if (only && n.name !== only.name)
                r = REASON_AFFINITY;
            else {
                r = staticReason(n, spec);
                if (!r) {
                    r = this.dynamicReason(i, hp);
                    unresolvable = false;
                }
            }
            if (!r)
                continue;
            hist.set(r, (hist.get(r) ?? 0) + 1);
            const p = unresolvable ? PREEMPT_UNRESOLVABLE : PREEMPT_NO_VICTIMS;
            pre.set(p, (pre.get(p) ?? 0) + 1);
        }
        const fmt = (m) => [...m]
            .map(([k, v]) => `${v} ${k}`)
            .sort()
            .join(", ");
        const total = this.nodes.length;
        return `0/${total} nodes are available: ${fmt(hist)}. preemption: 0/${total} nodes are available: ${fmt(pre)}.`;
    }
    /** Chooses the least-loaded eligible node (ties: config order) and accounts the pod. */
    place(spec) {
        const key = constraintKey(spec);
        const hp = hostPortsOf(spec);
        let heap = this.heaps.get(key);
        if (!heap) {
            heap = new Heap();
            for (let i = 0; i < this.nodes.length; i++)
                if (!staticReason(this.nodes[i], spec))
                    heap.push(this.loads[i] * SHIFT + i);
            this.heaps.set(key, heap);
        }
        const aside = [];
        let chosen = -1;
        for (;;) {
            const top = heap.peek();
            if (top === undefined)
                break;
            const i = top % SHIFT;
            const load = (top - i) / SHIFT;
            if (load !== this.loads[i]) {
                heap.pop();
                heap.push(this.loads[i] * SHIFT + i);
                continue;
            }
            if (this.loads[i] >= this.nodes[i].maxPods) {
                heap.pop(); // full: loads only grow while a change is scheduled
                continue;
            }
            const s = this.ports[i];
            if (hp.length && s && hp.some((p) => s.has(p))) {
                aside.push(heap.pop());
                continue;
            }
            chosen = i;
            heap.pop();
            break;
        }
        for (const v of aside)
            heap.push(v);
        if (chosen < 0) {
            const fk = hp.length ? "" : key;
            let message = fk ? this.failCache.get(fk) : undefined;
            if (!message) {
                message = this.failure(spec);
                if (fk)
                    this.failCache.set(fk, message);
            }
            return { message, fullNodes: [] };
        }
        this.account(chosen, spec);
        heap.push(this.loads[chosen] * SHIFT + chosen);
        return { node: this.nodes[chosen] };
    }
}
//# sourceMappingURL=schedule.js.map
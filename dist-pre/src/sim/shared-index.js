// Tables with one entry per node (a flannel or Calico full mesh: routes, neighbours, FDB)
// hold the same shared entry objects on every node: the flavors build one entry per remote
// node and every node's table points at it. One index over those entries per topology, and
// per table only a bitset of its members: 625 bytes at 5,000 nodes instead of a copied
// array and an index per node (40+ KB each). A trace that crosses hundreds of nodes then
// reads one index, hot in the CPU cache, and one word of each node's bitset.
export class SharedIndex {
    keyOf;
    ids = new WeakMap();
    next = 0;
    byKey = new Map();
    constructor(keyOf) {
        this.keyOf = keyOf;
    }
    /** The bitset of `list`'s entries (those `keep` accepts); new entries join the index. */
    members(list, keep) {
        let max = -1;
        for (let i = 0; i < list.length; i++) {
            const x = list[i];
            if (keep && !keep(x))
                continue;
            let id = this.ids.get(x);
            if (id === undefined) {
                id = this.next++;
                this.ids.set(x, id);
                const k = this.keyOf(x);
                const e = this.byKey.get(k);
                if (e) {
                    e.items.push(x);
                    e.ids.push(id);
                }
                else
                    this.byKey.set(k, { items: [x], ids: [id] });
            }
            if (id > max)
                max = id;
        }
        const bits = new Uint32Array((max >>> 5) + 1);
        for (let i = 0; i < list.length; i++) {
            const x = list[i];
            if (keep && !keep(x))
                continue;
            const id = this.ids.get(x);
            bits[id >>> 5] |= 1 << (id & 31);
        }
        return bits;
    }
    /** Every indexed entry with this key (of any table), with its id, in index order. */
    candidates(k) {
        return this.byKey.get(k);
    }
}
/**
 * A key with more entries than this is not a shared entry but one per node (every node's own
 * default route or underlay subnet route): such keys are answered per table (a scan, remembered).
 */
export const CROWDED = 16;
export function isMember(bits, id) {
    const w = id >>> 5;
    return w < bits.length && ((bits[w] >>> (id & 31)) & 1) === 1;
}
//# sourceMappingURL=shared-index.js.map
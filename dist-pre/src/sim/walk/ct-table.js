// A namespace's conntrack table as the walk keeps it, and its entries.
/**
 * One namespace's conntrack table. A trace's tables hold a few entries each (the undo log
 * removes a branch's), so a scan of a flat array beats hashing a key built per lookup.
 */
export class CtTable {
    /**
     * Four numbers per entry (src, sport, dst, dport), its protocol and its value; `count`
     * entries are live. The arrays never shrink: every path of a fork adds and removes the
     * same few entries, and shrinking them made each path allocate them again (measured).
     */
    nums = [];
    protos = [];
    vals = [];
    count = 0;
    at(proto, src, sport, dst, dport) {
        const n = this.nums;
        for (let i = 0, j = 0; i < this.count; i++, j += 4) {
            if (n[j] === src && n[j + 2] === dst && n[j + 1] === sport && n[j + 3] === dport && this.protos[i] === proto)
                return i;
        }
        return -1;
    }
    get(proto, src, sport, dst, dport) {
        const i = this.at(proto, src, sport, dst, dport);
        return i < 0 ? undefined : this.vals[i];
    }
    set(proto, src, sport, dst, dport, v) {
        const i = this.at(proto, src, sport, dst, dport);
        if (v) {
            if (i >= 0)
                this.vals[i] = v;
            else {
                const c = this.count++;
                const n = this.nums;
                if (n.length === c * 4) {
                    // A table is made per namespace per trace: no typed array (an off-heap buffer each).
                    n.push(src, sport, dst, dport);
                    this.protos.push(proto);
                    this.vals.push(v);
                }
                else {
                    n[c * 4] = src;
                    n[c * 4 + 1] = sport;
                    n[c * 4 + 2] = dst;
                    n[c * 4 + 3] = dport;
                    this.protos[c] = proto;
                    this.vals[c] = v;
                }
            }
        }
        else if (i >= 0) {
            // Entries are unique by tuple: order does not matter, move the last one into the gap.
            const last = --this.count;
            const n = this.nums;
            n[i * 4] = n[last * 4];
            n[i * 4 + 1] = n[last * 4 + 1];
            n[i * 4 + 2] = n[last * 4 + 2];
            n[i * 4 + 3] = n[last * 4 + 3];
            this.protos[i] = this.protos[last];
            this.vals[i] = this.vals[last];
            this.protos[last] = undefined;
            this.vals[last] = undefined;
        }
    }
}
//# sourceMappingURL=ct-table.js.map
// Netfilter layers as the interpreter and the renderers both read them: the table order,
// the built-in chains, layers merged table by table, and compact tables (chains kept as
// functions, built on first access) with their lookups.
/** iptables-nft-save's table order. */
export const IPT_TABLE_ORDER = ["mangle", "security", "raw", "filter", "nat"];
export const BUILTIN_CHAINS = {
    raw: ["PREROUTING", "OUTPUT"],
    mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
    nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    filter: ["INPUT", "FORWARD", "OUTPUT"],
    security: ["INPUT", "FORWARD", "OUTPUT"],
};
/** Merge layers: a chain exists when any layer declares it; rules concatenate in layer order. */
export function mergeIptables(layers) {
    const out = new Map();
    for (const table of IPT_TABLE_ORDER) {
        const parts = [];
        for (const l of layers) {
            const t = l.tables[table];
            if (t)
                parts.push(t);
        }
        if (parts.length === 0)
            continue;
        const builtins = BUILTIN_CHAINS[table];
        const user = new Set();
        for (const t of parts)
            for (const n of Object.keys(t))
                if (!builtins.includes(n))
                    user.add(n);
        const chains = [];
        const collect = (name, builtin) => {
            let policy;
            const rules = [];
            for (const t of parts) {
                const c = t[name];
                if (!c)
                    continue;
                if (policy === undefined && c.policy)
                    policy = c.policy;
                for (const r of c.rules)
                    rules.push(r);
            }
            chains.push({ name, builtin, policy: builtin ? (policy ?? "ACCEPT") : undefined, rules });
        };
        for (const b of builtins)
            collect(b, true);
        for (const n of [...user].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
            collect(n, false);
        out.set(table, { chains });
    }
    return out;
}
const compactTables = new WeakMap();
/** Declares `layer.tables[table]` as compact (see CompactChains); `materialise` builds the plain record. */
/** The compact tables a layer declared (renderers read them instead of materialising). */
export function compactTablesOf(layer) {
    return compactTables.get(layer);
}
export function defineCompactTable(layer, table, cc, materialise) {
    let m = compactTables.get(layer);
    if (!m)
        compactTables.set(layer, (m = {}));
    m[table] = cc;
    let plain;
    Object.defineProperty(layer.tables, table, {
        enumerable: true,
        configurable: true,
        get: () => (plain ??= materialise()),
    });
}
const compactIndexes = new WeakMap();
/** The index of compact chain `name`, -1 if none. */
function compactIndex(cc, name) {
    if (cc.indexOf)
        return cc.indexOf(name);
    let m = compactIndexes.get(cc);
    if (!m) {
        m = new Map();
        cc.names.forEach((n, i) => m.set(n, i));
        compactIndexes.set(cc, m);
    }
    return m.get(name) ?? -1;
}
/** Is `layer.tables[table]` compact (see defineCompactTable)? */
export function isCompactTable(layer, table) {
    return compactTables.get(layer)?.[table] !== undefined;
}
/** Is `name` one of the layer's compact (built on demand) chains in `table`, not an eager one? */
export function isCompactChain(layer, table, name) {
    const cc = compactTables.get(layer)?.[table];
    return cc !== undefined && !Object.hasOwn(cc.eager, name) && compactIndex(cc, name) >= 0;
}
/** Does the layer declare chain `name` in `table`? (A compact table is not materialised.) */
export function layerHasChain(layer, table, name) {
    const cc = compactTables.get(layer)?.[table];
    if (!cc) {
        const t = layer.tables[table];
        return t !== undefined && Object.hasOwn(t, name);
    }
    return Object.hasOwn(cc.eager, name) || compactIndex(cc, name) >= 0;
}
/** The layer's chain `name` in `table`; a compact table's compact chain is built afresh (equal to the materialised one). */
export function layerChain(layer, table, name) {
    const cc = compactTables.get(layer)?.[table];
    if (!cc) {
        const t = layer.tables[table];
        return t !== undefined && Object.hasOwn(t, name) ? t[name] : undefined;
    }
    if (Object.hasOwn(cc.eager, name))
        return cc.eager[name];
    const i = compactIndex(cc, name);
    return i < 0 ? undefined : { name, rules: cc.rules(i) };
}
//# sourceMappingURL=compact.js.map
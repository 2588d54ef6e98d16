// A small deterministic PRNG (mulberry32) for generated test clusters and benchmark inputs:
// the same seed gives the same sequence on every machine.
/** Numbers in [0, 1) from a numeric seed, or a string hashed into one. */
export function mulberry32(seed) {
    let a;
    if (typeof seed === "string") {
        let h = 1779033703 ^ seed.length;
        for (const c of seed) {
            h = Math.imul(h ^ c.charCodeAt(0), 3432918353);
            h = (h << 13) | (h >>> 19);
        }
        a = h >>> 0;
    }
    else
        a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
//# sourceMappingURL=random.js.map
/** Numbers in [0, 1) from a numeric seed, or a string hashed into one. */
export declare function mulberry32(seed: number | string): () => number;

/** `x`, frozen (shallowly, as Object.freeze does), typed as built. */
export declare function frozen<T>(x: T): T;

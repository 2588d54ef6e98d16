// Rule pieces shared by many rules are frozen: no rule may change another's, and the
// renderers cache a frozen piece's text (render-nft's frozenText). Object.freeze returns
// Readonly<T>, which the rule types (mutable arrays) do not accept: this keeps T.
/** `x`, frozen (shallowly, as Object.freeze does), typed as built. */
export function frozen(x) {
    Object.freeze(x);
    return x;
}
//# sourceMappingURL=frozen.js.map
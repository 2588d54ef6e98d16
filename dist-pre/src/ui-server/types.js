// The web view's JSON shapes: types only, shared by the server (api.ts) and the
// browser app (ui/), which type-checks against this file alone.
export {};
//# sourceMappingURL=types.js.map
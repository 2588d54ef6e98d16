// What the manifests and the cluster config parse into (apart from types.ts, which the
// config's parser imports: one file for both would be a circle).
export {};
//# sourceMappingURL=cluster-spec.js.map
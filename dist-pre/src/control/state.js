// ClusterState: the objects with their status, as the control plane leaves them.
// Plain data (no classes, no Maps in the serialised parts) so that it prints as JSON,
// and so that apply/delete/scale can return a new value sharing the unchanged parts.
export {};
//# sourceMappingURL=state.js.map
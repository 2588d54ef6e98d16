// Typed shapes of the Kubernetes objects podnet reads. Only the fields that matter
// for networking are typed; everything else stays in the raw object untouched.
export {};
//# sourceMappingURL=types.js.map
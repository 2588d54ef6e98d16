// The Dataplane IR: everything the kernel of every node and pod namespace holds, as
// plain data. The contract between plumbing/ + proxy/ (which produce it) and sim/ +
// linux/ (which consume it). Nothing downstream may know a fact that is not here.
//
// Scale: a 5,000-node cluster shares one kube-proxy ruleset of ~100k rules. A node's
// netfilter is therefore a list of *layers*: shared layers are the same object for
// every node; a node's own layers hold only what differs (flannel's masquerade,
// KUBE-SVL chains, policy chains).
// Merge rule (iptables and nftables alike): a chain (or set) exists when any layer
// declares it; its rules (elements) are the concatenation over the layers, in layer
// order; a built-in chain's policy comes from the first layer that gives one.
export {};
//# sourceMappingURL=types.js.map
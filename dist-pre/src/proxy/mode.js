// A kube-proxy mode (iptables, nftables, ipvs, none) is a strategy producing each
// node's Service rules. Most of a ruleset is identical on every node, so a mode
// returns shared layers (built once) and a small per-node layer.
export {};
//# sourceMappingURL=mode.js.map
export const noneMode = {
    name: "none",
    netfilter: "iptables",
    shared() {
        return {};
    },
    perNode() {
        return {};
    },
};
//# sourceMappingURL=none.js.map
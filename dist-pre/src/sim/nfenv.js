// What a netfilter evaluation sees of the packet and its surroundings.
export {};
//# sourceMappingURL=nfenv.js.map
// A CNI flavor (flannel vxlan, flannel host-gw, calico bgp/ipip, cilium) is a strategy:
// given the cluster state it contributes each node's and each pod's kernel objects.
// Shared code (ir/build.ts) never switches on a flavor's name; it asks the registry.
export {};
//# sourceMappingURL=flavor.js.map
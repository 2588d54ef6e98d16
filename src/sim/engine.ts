// The packet walk: one path through the namespaces of the IR for one combination of
// random choices. traceFlow (flow.ts) enumerates the combinations.
//
// Per namespace, the kernel's order:
//   locally generated: route → OUTPUT (raw, conntrack, mangle, nat, filter) → reroute
//                      → POSTROUTING (mangle, nat) → neighbour → device
//   received:          [bridge: FDB, br_netfilter hooks] → PREROUTING (raw, conntrack,
//                      mangle, nat) → route → INPUT → socket | FORWARD → POSTROUTING → device
//
// The walk is one class in layers, one file per concern under walk/ (see walk/core.ts):
//   core (output, choices, forking) ← conntrack (conntrack, hooks) ← l3 (routing, IP in/out)
//   ← l2 (ARP, veth, bridge) ← encap (VXLAN, IPIP) ← ipvs ← deliver (sockets) ← bpf (Cilium's
//   tc programs and maps) ← Walk.

import { WalkBpf } from "./walk/bpf.js";

export { ForkFallback, LocalEnum, type Chooser, type PathSink, type WalkOptions } from "./walk/core.js";
export { ipsetMatch } from "./walk/conntrack.js";
export { routeText } from "./walk/say.js";

/** One path through the namespaces of the IR (see the layers above). */
export class Walk extends WalkBpf {}

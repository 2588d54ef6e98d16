// The trace model (stable JSON; the web UI draws it). Modelled on Batfish's
// traceroute (Trace → Hops → Steps, a final disposition) with Hubble's verdict words.
//
//   TraceResult
//     flow          what was asked (after name resolution)
//     dns?          the resolver walk for a URL/name destination, and the DNS query's own trace
//     paths[]       one per combination of random choices (statistic/numgen/ipvs rr);
//                   probabilities multiply along a path and sum to 1
//       hops[]      one per network-namespace visit, in order
//         steps[]   one per decision, with the kernel object that decided it
//       disposition the verdict of the path
//       reply?      with --reply: the reply packet's own path back (NAT undone by conntrack)
export {};
//# sourceMappingURL=trace.js.map
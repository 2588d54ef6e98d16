// A node's ipcache from the shared part and its own (cilium/cilium pkg/ipcache: every agent
// holds every pod /32; on the pod's own node the entry has no tunnel endpoint, the node's
// addresses are reserved:host (1), and its own PodCIDR gets no tunnel route).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ipcacheList, nodeEntries, serviceKey } from "./bpf.js";
import type { BpfLbService, NodeBpf } from "./types.js";

const cluster = [
  { prefix: "10.244.1.5/32", identity: 23452, tunnelEndpoint: "192.168.1.2" },
  { prefix: "10.244.2.9/32", identity: 23452, tunnelEndpoint: "192.168.1.3" },
  { prefix: "192.168.1.2/32", identity: 6 },
  { prefix: "10.244.1.0/24", identity: 2, tunnelEndpoint: "192.168.1.2" },
  { prefix: "0.0.0.0/0", identity: 2 },
];

test("the node's own entries replace the shared ones in place, omitted ones go, new ones come last", () => {
  const b = {
    ipcache: {
      cluster,
      local: [
        { prefix: "10.244.1.5/32", identity: 23452 },
        { prefix: "192.168.1.2/32", identity: 1 },
        { prefix: "10.244.1.1/32", identity: 1 },
      ],
      omit: ["10.244.1.0/24"],
    },
  } as unknown as NodeBpf;
  assert.deepEqual(ipcacheList(b), [
    { prefix: "10.244.1.5/32", identity: 23452 },
    { prefix: "10.244.2.9/32", identity: 23452, tunnelEndpoint: "192.168.1.3" },
    { prefix: "192.168.1.2/32", identity: 1 },
    { prefix: "0.0.0.0/0", identity: 2 },
    { prefix: "10.244.1.1/32", identity: 1 },
  ]);
  // The shared array is never changed.
  assert.equal(cluster[0].tunnelEndpoint, "192.168.1.2");
  assert.equal(cluster.length, 5);
});

test("a node with nothing of its own lists the shared entries (a copy)", () => {
  const m = { cluster, local: [] };
  const out = nodeEntries(m, (e) => e.prefix);
  assert.deepEqual(out, cluster);
  assert.notEqual(out, cluster);
});

test("frontends are keyed by address, port and protocol (lb4_key)", () => {
  const s = { address: "10.96.0.10", port: 53, protocol: "UDP" } as BpfLbService;
  assert.equal(serviceKey(s), "10.96.0.10:53/UDP");
});

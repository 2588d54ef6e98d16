// The topology cache's zone hints for topology-mode Auto. Expected hints are worked out by
// hand from the controller's rules (kubernetes staging/src/k8s.io/endpointslice/topologycache:
// shares by allocatable CPU, minimum ceil(desired / 1.2), own zone first, then surplus zones
// give whole endpoints to the largest shortfall while both are 0.5 or more).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Endpoint } from "../manifest/types.js";
import type { NodeState } from "./state.js";
import { autoZoneHints, cpuRatiosByZone } from "./topology-cache.js";

function node(name: string, zone: string | undefined, cpu = 8000, extra: Record<string, string> = {}): NodeState {
  return {
    name,
    role: "worker",
    labels: { ...(zone ? { "topology.kubernetes.io/zone": zone } : {}), ...extra },
    taints: [],
    address: "192.168.1.10",
    podCIDR: "10.244.0.0/24",
    blocks: [],
    maxPods: 110,
    allocatable: { cpu, memory: 16 << 30 },
    index: 0,
  };
}
const ep = (ip: string, zone: string | undefined, ready = true): Endpoint => ({
  addresses: [ip],
  conditions: { ready, serving: ready, terminating: false },
  ...(zone ? { zone } : {}),
});
const hinted = (r: ReturnType<typeof autoZoneHints>) =>
  typeof r === "string" ? r : [...r].map(([e, z]) => `${e.addresses[0]}>${z}`);

test("equal CPU in three zones, endpoints 2/1/0: a zone-a endpoint serves zone-c", () => {
  const ratios = cpuRatiosByZone([
    node("cp", undefined, 8000, { "node-role.kubernetes.io/control-plane": "" }), // excluded, zone or not
    node("a", "zone-a"),
    node("b", "zone-b"),
    node("c", "zone-c"),
  ]);
  assert.deepEqual(
    hinted(autoZoneHints(ratios, [ep("10.0.0.1", "zone-a"), ep("10.0.0.2", "zone-a"), ep("10.0.0.3", "zone-b")])),
    ["10.0.0.1>zone-c", "10.0.0.2>zone-a", "10.0.0.3>zone-b"],
  );
});

test("shares follow CPU: zone-a has two thirds, so three of zone-b's five endpoints serve it", () => {
  // n = 6: desired a 4, b 2 (minimums 4 and 2); allotted a 1, b 5: b gives 3 to a.
  const ratios = cpuRatiosByZone([node("a1", "zone-a", 16000), node("b1", "zone-b", 8000)]);
  const eps = [ep("10.0.0.1", "zone-a"), ...[2, 3, 4, 5, 6].map((i) => ep(`10.0.0.${i}`, "zone-b"))];
  assert.deepEqual(hinted(autoZoneHints(ratios, eps)), [
    "10.0.0.1>zone-a",
    "10.0.0.2>zone-a",
    "10.0.0.3>zone-a",
    "10.0.0.4>zone-a",
    "10.0.0.5>zone-b",
    "10.0.0.6>zone-b",
  ]);
});

test("not-ready endpoints get no hint and do not count", () => {
  const ratios = cpuRatiosByZone([node("a", "zone-a"), node("b", "zone-b")]);
  assert.deepEqual(
    hinted(
      autoZoneHints(ratios, [ep("10.0.0.1", "zone-a"), ep("10.0.0.2", undefined, false), ep("10.0.0.3", "zone-b")]),
    ),
    ["10.0.0.1>zone-a", "10.0.0.3>zone-b"],
  );
});

test("no hints: why, as the controller's safeguards say", () => {
  const two = cpuRatiosByZone([node("a", "zone-a"), node("b", "zone-b")]);
  // A worker without a zone (a control-plane node without one is left out).
  assert.equal(cpuRatiosByZone([node("a", "zone-a"), node("x", undefined)]), "node-info");
  assert.equal(
    autoZoneHints(cpuRatiosByZone([node("a", "zone-a"), node("a2", "zone-a")]), [ep("10.0.0.1", "zone-a")]),
    "one-zone",
  );
  assert.equal(autoZoneHints(two, [ep("10.0.0.1", "zone-a")]), "too-few-endpoints");
  assert.equal(autoZoneHints(two, [ep("10.0.0.1", "zone-a"), ep("10.0.0.2", undefined)]), "endpoint-without-zone");
  // Shares 1/2, 1/4, 1/4 of 3 endpoints: minimums ceil(1.25) + ceil(0.625) × 2 = 4 > 3.
  const uneven = cpuRatiosByZone([node("a", "zone-a", 16000), node("b", "zone-b"), node("c", "zone-c")]);
  assert.equal(
    autoZoneHints(uneven, [ep("10.0.0.1", "zone-a"), ep("10.0.0.2", "zone-b"), ep("10.0.0.3", "zone-c")]),
    "minimums-over-total",
  );
  // A NotReady node is left out: its zone is not one of the zones.
  const notReady = node("c", "zone-c");
  notReady.observed = { conditions: [{ type: "Ready", status: "False" }] };
  const r = cpuRatiosByZone([node("a", "zone-a"), node("b", "zone-b"), notReady]);
  assert.ok(typeof r !== "string");
  assert.deepEqual([...r.keys()], ["zone-a", "zone-b"]);
});

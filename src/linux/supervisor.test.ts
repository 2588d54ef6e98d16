import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./names.js";
import { writeRecord } from "./state.js";
import { fixtureIR } from "./testing.js";
import { dnsBase, isDnsListener, listenersDown, supervisorConfigs } from "./supervisor.js";

test("one pod server per node, serving every listener of that node's pods", () => {
  const ir = fixtureIR("s", { nodes: 3, podsPerNode: 100 });
  const cfgs = supervisorConfigs(ir, "s");
  assert.equal(cfgs.length, 3, "300 pods, 3 processes");
  assert.deepEqual(
    cfgs.map((c) => c.pods.length),
    [100, 100, 100],
  );
  const c = cfgs[0];
  assert.equal(c.nodeNetns, "podnet-s.node.worker-1");
  assert.equal(c.stateDir, "/run/podnet/s");
  assert.equal(c.pods[0].netns, "podnet-s.pod.default.web-10");
  assert.deepEqual(
    c.pods[0].listeners.map((l) => `${l.container}:${l.port}/${l.protocol}`),
    ["app:8080/TCP", "app:9000/UDP", "sidecar:9090/TCP"],
  );
});

test("CoreDNS's port 53 goes to the DNS server, the rest of the pod to the pod server", () => {
  const ir = fixtureIR("s");
  const p = ir.pods[0];
  p.namespace = "kube-system";
  p.listeners = [
    { container: "coredns", port: 53, protocol: "UDP", address: "0.0.0.0", portName: "dns" },
    { container: "coredns", port: 53, protocol: "TCP", address: "0.0.0.0", portName: "dns-tcp" },
    { container: "coredns", port: 9153, protocol: "TCP", address: "0.0.0.0", portName: "metrics" },
  ];
  assert.ok(isDnsListener(p, p.listeners[0]));
  assert.ok(!isDnsListener({ namespace: "default" }, p.listeners[0]), "port 53 elsewhere is an ordinary listener");
  const cfg = supervisorConfigs(ir, "s", isDnsListener)[0];
  assert.deepEqual(
    cfg.pods.find((x) => x.name === p.name)!.listeners.map((l) => l.port),
    [9153],
  );
});

test("listenersDown: a CoreDNS pod with its DNS server and its pod server down names the DNS server first", {
  skip: process.getuid?.() === 0 ? false : "writes a state dir under /run/podnet (root)",
}, () => {
  // No namespaces or processes: a record whose PIDs cannot exist (above pid_max, 2^22).
  const cluster = `a-ld-${randomBytes(3).toString("hex")}`;
  const dir = stateDir(cluster);
  mkdirSync(dir, { recursive: true });
  try {
    const key = "kube-system/coredns-1";
    const supCfg = join(dir, "supervisor-n1.json");
    writeFileSync(
      supCfg,
      JSON.stringify({
        pods: [
          { namespace: "kube-system", name: "coredns-1" },
          { namespace: "default", name: "web" },
        ],
      }),
    );
    writeFileSync(`${dnsBase(dir, key)}.restarts`, JSON.stringify({ restarts: 2, lastExit: "signal 9", serverPid: 0 }));
    writeRecord({
      cluster,
      createdAt: "",
      phase: "up",
      upPid: 1,
      inputs: { files: [] },
      namespaces: [],
      processes: [
        { pid: 2 ** 22 + 2, role: "supervisor", node: "n1", cmdline: "", marker: supCfg, startTime: "0" },
        { pid: 2 ** 22 + 1, role: "dns", node: "n1", cmdline: "", marker: `${dir} ${key}`, startTime: "0" },
      ],
    });
    assert.deepEqual(
      [...listenersDown(cluster)],
      [
        [key, "DNS server down: not running; 2 restarts, last signal 9, and pod server not running"],
        ["default/web", "pod server not running"],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SafetyError,
  clusterOfNs,
  guardBatchLine,
  guardCommand,
  isPodnetNs,
  nsName,
  shortName,
  validIfName,
  validateClusterName,
} from "./names.js";
import { birdPaths } from "./bird.js";
import { supervisorBase } from "./supervisor.js";

test("namespace names carry the prefix, the cluster and the IR id", () => {
  assert.equal(nsName("demo", "underlay"), "podnet-demo.underlay");
  assert.equal(nsName("demo", "node/worker-1"), "podnet-demo.node.worker-1");
  assert.equal(
    nsName("demo", "pod/default/user-app-7d4b8c6f5-abc12"),
    "podnet-demo.pod.default.user-app-7d4b8c6f5-abc12",
  );
  assert.equal(clusterOfNs("podnet-demo.node.worker-1"), "demo");
  assert.equal(clusterOfNs("podnet-a-b.node.x"), "a-b");
  assert.equal(clusterOfNs("podnetdemo"), null);
  assert.equal(clusterOfNs("cni-1234"), null);
});

test("long names stay within NAME_MAX and different ids do not collide", () => {
  const long = "pod/default/" + "x".repeat(300);
  const a = nsName("demo", long);
  const b = nsName("demo", long + "y");
  assert.ok(a.length <= 255 && b.length <= 255);
  assert.notEqual(a, b);
  assert.ok(isPodnetNs(a));
});

test("cluster names are DNS labels without dots (the first dot ends the cluster)", () => {
  assert.equal(validateClusterName("demo-1"), "demo-1");
  for (const bad of ["", "Demo", "a.b", "-a", "a-", "x".repeat(41), "a/b"])
    assert.throws(() => validateClusterName(bad), /invalid cluster name/);
});

test("interface names: at most 15 characters (IFNAMSIZ 16 with the NUL)", () => {
  assert.ok(validIfName("flannel.1"));
  assert.ok(validIfName("cali0123456789a"));
  assert.ok(!validIfName("cali0123456789ab"));
  assert.ok(!validIfName("a/b"));
});

test("the guard accepts only commands aimed at podnet namespaces", () => {
  const ok = [
    ["ip", "-n", "podnet-t.node.w1", "-batch", "-"],
    ["bridge", "-n", "podnet-t.node.w1", "-batch", "-"],
    ["ip", "netns", "add", "podnet-t.pod.default.x"],
    ["ip", "netns", "del", "podnet-t.pod.default.x"],
    ["ip", "netns", "list"],
    ["ip", "netns", "exec", "podnet-t.node.w1", "iptables-restore"],
    ["ip", "-n", "podnet-t.node.w1", "link", "set", "veth1", "netns", "podnet-t.pod.default.x"],
    ["mount", "--bind", "/run/netns/podnet-t.node.w1", "/run/netns/podnet-t.hostnet.kube-system.kp"],
  ];
  for (const a of ok) assert.doesNotThrow(() => guardCommand(a), a.join(" "));
  const bad = [
    ["ip", "link", "add", "x", "type", "veth", "peer", "name", "y"],
    ["ip", "route", "add", "10.0.0.0/8", "dev", "eth0"],
    ["ip", "-n", "default", "link"],
    ["ip", "link", "-n", "podnet-t.node.w1"],
    ["ip", "-n", "podnet-t.node.w1", "link", "set", "veth1", "netns", "1"],
    ["ip", "-n", "podnet-t.node.w1", "link", "set", "veth1", "netns", "other"],
    ["ip", "netns", "exec", "cni-123", "sh"],
    ["ip", "netns", "exec", "podnet-t.node.w1"],
    ["ip", "netns", "add", "mine"],
    ["ip", "netns", "set", "podnet-t.node.w1", "1"],
    ["iptables", "-F"],
    ["nft", "flush", "ruleset"],
    ["sysctl", "-w", "net.ipv4.ip_forward=1"],
    ["sh", "-c", "ip link"],
    // A hostNetwork pod's alias: only a podnet namespace onto a podnet name (never the root's).
    ["mount", "--bind", "/proc/1/ns/net", "/run/netns/podnet-t.hostnet.default.x"],
    ["mount", "--bind", "/run/netns/podnet-t.node.w1/../../../proc/1/ns/net", "/run/netns/podnet-t.hostnet.default.x"],
    ["mount", "--bind", "/run/netns/podnet-t.node.w1", "/etc/hosts"],
    ["mount", "-o", "bind", "/run/netns/podnet-t.node.w1", "/run/netns/podnet-t.x"],
    ["mount", "--bind", "/run/netns/other", "/run/netns/podnet-t.hostnet.default.x"],
    [],
  ];
  for (const a of bad) assert.throws(() => guardCommand(a), SafetyError, a.join(" "));
});

test("batch lines may not switch namespaces except into podnet's", () => {
  assert.doesNotThrow(() => guardBatchLine("link add veth1 type veth peer name eth0 netns podnet-t.pod.default.x"));
  assert.throws(() => guardBatchLine("link add veth1 type veth peer name eth0 netns 1"), SafetyError);
  assert.throws(() => guardBatchLine("link set eth0 netns init"), SafetyError);
  assert.throws(() => guardBatchLine("netns add foo"), SafetyError);
});

test("file names from manifest names fit NAME_MAX and sun_path; short ones are unchanged", () => {
  assert.equal(shortName("kind-worker", 40), "kind-worker");
  const node = "n".repeat(253); // a Node name: a DNS-1123 subdomain, up to 253 characters
  const s = shortName(node, 40);
  assert.equal(s.length, 40);
  assert.notEqual(s, shortName(`${"n".repeat(252)}m`, 40));
  // BIRD's control socket: /run/podnet/<cluster, <= 40>/bird-<node>.ctl within sun_path (107 bytes).
  assert.ok(birdPaths("c".repeat(40), node).ctl.length <= 107);
  assert.equal(birdPaths("demo", "kind-worker").ctl, "/run/podnet/demo/bird-kind-worker.ctl");
  assert.ok(supervisorBase({ stateDir: "/run/podnet/x", node, generation: 3 }).split("/").pop()!.length + 8 <= 255);
  // Namespace names: <= 200 (well under NAME_MAX) for a 63-character namespace and a 253-character pod.
  assert.ok(nsName("c".repeat(40), `pod/${"n".repeat(63)}/${"p".repeat(253)}`).length <= 200);
});

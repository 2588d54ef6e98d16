// Expected files from kubelet's sources (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go
// managedHostsFileContent, nodeHostsFileContent, hostsEntriesFromHostAliases,
// truncatePodHostnameIfNeeded and their tests in kubelet_pods_test.go) and the documented
// output of https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cluster, statefulSet } from "./testing.js";
import { hostsFileOf, hostsLookup, managedHostsFile, podHostsFile, podUtsHostname, truncateHostname } from "./hosts.js";

const HOSTALIASES_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: hostaliases-pod
spec:
  restartPolicy: Never
  hostAliases:
  - ip: "127.0.0.1"
    hostnames:
    - "foo.local"
    - "bar.local"
  - ip: "10.1.2.3"
    hostnames:
    - "foo.remote"
    - "bar.remote"
  containers:
  - name: cat-hosts
    image: busybox:1.28
    command:
    - cat
    args:
    - "/etc/hosts"
---`;

test("hosts: the docs' hostaliases-pod file, byte for byte (tabs), with the pod's IP", () => {
  const s = cluster(HOSTALIASES_POD);
  const p = s.pods.find((x) => x.name === "hostaliases-pod")!;
  assert.ok(p.podIP);
  assert.equal(
    hostsFileOf(s, p),
    [
      "# Kubernetes-managed hosts file.",
      "127.0.0.1\tlocalhost",
      "::1\tlocalhost ip6-localhost ip6-loopback",
      "fe00::0\tip6-localnet",
      "fe00::0\tip6-mcastprefix",
      "fe00::1\tip6-allnodes",
      "fe00::2\tip6-allrouters",
      `${p.podIP}\thostaliases-pod`,
      "",
      "# Entries added by HostAliases.",
      "127.0.0.1\tfoo.local\tbar.local",
      "10.1.2.3\tfoo.remote\tbar.remote",
      "",
    ].join("\n"),
  );
});

test("hosts: with a subdomain, the FQDN <hostname>.<subdomain>.<ns>.svc.<domain> then the hostname (StatefulSet pods)", () => {
  const s = cluster(statefulSet("web", 2));
  const p = s.pods.find((x) => x.name === "web-0")!;
  const lines = hostsFileOf(s, p)!.split("\n");
  assert.equal(lines[7], `${p.podIP}\tweb-0.nginx.default.svc.cluster.local\tweb-0`);
  assert.equal(lines.length, 9, "no HostAliases block without hostAliases");
  assert.equal(podUtsHostname(s.config, p), "web-0");
});

test("hosts: managedHostsFileContent as kubelet_pods_test.go has it (hostname, domain)", () => {
  assert.equal(
    managedHostsFile(["123.45.67.89"], "podFoo", "domainFoo", undefined),
    "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n123.45.67.89\tpodFoo.domainFoo\tpodFoo\n",
  );
});

test("hostname: spec.hostname else the pod name, cut to 63 with trailing '-' and '.' trimmed", () => {
  // kubelet_pods_test.go TestTruncatePodHostname.
  assert.equal(truncateHostname("1234567.1234567"), "1234567.1234567");
  assert.equal(
    truncateHostname("1234567.1234567.1234567.1234567.1234567.1234567.1234567.1234567.1234567."),
    "1234567.1234567.1234567.1234567.1234567.1234567.1234567.1234567",
  );
  assert.equal(
    truncateHostname("1234567.1234567.1234567.1234567.1234567.1234567.1234567.123456.1234567."),
    "1234567.1234567.1234567.1234567.1234567.1234567.1234567.123456",
  );
  assert.equal(
    truncateHostname("1234567.1234567.1234567.1234567.1234567.1234567.1234567.123456-1234567."),
    "1234567.1234567.1234567.1234567.1234567.1234567.1234567.123456",
  );
  const long = `a${"b".repeat(61)}-cdef`;
  const s = cluster(`
apiVersion: v1
kind: Pod
metadata: {name: ${long}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: named}
spec: {hostname: other, subdomain: sub, setHostnameAsFQDN: true, containers: [{name: c, image: busybox}]}
---`);
  const p = s.pods.find((x) => x.name === long)!;
  assert.equal(hostsFileOf(s, p)!.split("\n")[7], `${p.podIP}\ta${"b".repeat(61)}`);
  const q = s.pods.find((x) => x.name === "named")!;
  assert.equal(hostsFileOf(s, q)!.split("\n")[7], `${q.podIP}\tother.sub.default.svc.cluster.local\tother`);
  // setHostnameAsFQDN: the kernel hostname is the FQDN (the file stays as it is).
  assert.equal(podUtsHostname(s.config, q), "other.sub.default.svc.cluster.local");
});

test("hosts: a hostNetwork pod gets the node's file under kubelet's (host network) header, then its aliases", () => {
  const s = cluster(`
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  hostAliases: [{ip: 10.1.2.3, hostnames: [foo.remote]}]
  containers: [{name: c, image: busybox}]
---`);
  const p = s.pods.find((x) => x.name === "hn")!;
  const node = s.nodes.find((n) => n.name === p.nodeName)!;
  assert.equal(p.podIP, node.address);
  assert.equal(
    hostsFileOf(s, p),
    "# Kubernetes-managed hosts file (host network).\n" +
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
      `${node.address}\t${node.name}\n` +
      "\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\n",
  );
  // It shares the node's UTS namespace.
  assert.equal(podUtsHostname(s.config, p), node.name);
});

test("hosts: no file for a pod that has not started (no IP)", () => {
  const s = cluster(HOSTALIASES_POD);
  const p = s.pods.find((x) => x.name === "hostaliases-pod")!;
  assert.equal(podHostsFile(s.config, { ...p, podIP: null }, undefined), undefined);
});

test("hostsLookup: files before dns; glibc ignores case, musl does not; no search list, no trailing dot; A vs AAAA", () => {
  const f = managedHostsFile(["10.244.1.5"], "web-0", "nginx.default.svc.cluster.local", [
    { ip: "10.1.2.3", hostnames: ["foo.remote", "bar.remote"] },
    { ip: "10.1.2.4", hostnames: ["foo.remote"] },
  ]);
  assert.deepEqual(
    hostsLookup(f, "foo.remote", "A", "glibc").map((h) => h.address),
    ["10.1.2.3", "10.1.2.4"],
  );
  assert.equal(hostsLookup(f, "foo.remote", "A", "glibc")[0].line, 11);
  assert.deepEqual(
    hostsLookup(f, "FOO.remote", "A", "glibc").map((h) => h.address),
    ["10.1.2.3", "10.1.2.4"],
  );
  assert.deepEqual(hostsLookup(f, "FOO.remote", "A", "musl"), []);
  assert.deepEqual(hostsLookup(f, "foo.remote.", "A", "glibc"), []);
  assert.deepEqual(
    hostsLookup(f, "web-0.nginx.default.svc.cluster.local", "A", "glibc").map((h) => h.address),
    ["10.244.1.5"],
  );
  assert.deepEqual(hostsLookup(f, "web-0.nginx", "A", "glibc"), []);
  assert.deepEqual(
    hostsLookup(f, "localhost", "A", "glibc").map((h) => h.address),
    ["127.0.0.1"],
  );
  assert.deepEqual(
    hostsLookup(f, "localhost", "AAAA", "glibc").map((h) => h.address),
    ["::1"],
  );
  assert.deepEqual(hostsLookup(f, "foo.remote", "SRV", "glibc"), []);
  assert.deepEqual(hostsLookup(f, "Kubernetes-managed", "A", "glibc"), [], "comments are not entries");
});

// `podnet hosts`: the file kubelet writes (expected lines from kubernetes/kubernetes
// pkg/kubelet/kubelet_pods.go managedHostsFileContent and the documented output at
// https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/), found by the
// one pod lookup (-n, NAMESPACE/NAME, a workload's name).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cluster, statefulSet } from "../control/testing.js";
import { hostsText } from "./cmd-pod-info.js";
import { UsageError } from "./errors.js";

const s = cluster(`
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: Pod
metadata: {name: hostaliases-pod, namespace: team}
spec:
  hostAliases: [{ip: "10.1.2.3", hostnames: [foo.remote, bar.remote]}]
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: too-big}
spec:
  containers: [{name: c, image: busybox, resources: {requests: {cpu: "500"}}}]
---${statefulSet("web", 1)}`);

test("podnet hosts: the pod's file, by -n and by NAMESPACE/NAME", () => {
  const ip = s.pods.find((p) => p.name === "hostaliases-pod")!.podIP;
  const want = `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${ip}\thostaliases-pod\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n`;
  assert.equal(hostsText(s, "hostaliases-pod", "team"), want);
  assert.equal(hostsText(s, "team/hostaliases-pod"), want);
});

test("podnet hosts: a StatefulSet by its workload name, with the FQDN line", () => {
  const ip = s.pods.find((p) => p.name === "web-0")!.podIP;
  assert.ok(hostsText(s, "sts/web").includes(`\n${ip}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n`));
});

test("podnet hosts: a pod that has not started has none (a usage error saying why)", () => {
  const p = s.pods.find((x) => x.name === "too-big")!;
  assert.equal(p.podIP, null, "the test's premise: the pod is Pending");
  assert.throws(
    () => hostsText(s, "too-big"),
    (e: Error) => e instanceof UsageError && /Pending/.test(e.message),
  );
});

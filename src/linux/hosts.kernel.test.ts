// /etc/hosts, hostname and a hostNetwork pod's resolv.conf on a real cluster (root), seen
// through `podnet exec` as a container would see them: kubelet's hosts file
// (kubernetes/kubernetes pkg/kubelet/kubelet_pods.go managedHostsFileContent; the output
// documented at https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/),
// the pod's hostname in its own UTS namespace, a StatefulSet pod's FQDN, and a
// ClusterFirstWithHostNet hostNetwork pod resolving a Service through the cluster DNS
// (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy).
// Also: a symbolic link planted where `up` writes a pod's file is refused by name (#19).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname as machineHostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIR } from "../dataplane/build.js";
import { loadCluster } from "../load/cluster.js";
import { clusterNamespaces, down, up } from "./cluster.js";
import { createRunner, listNetns } from "./exec.js";
import { attachHostNetPod } from "./hostnet.js";
import type { DataplaneIR, PodNet } from "../ir/types.js";
import { nsName } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { kernelSkip, rootSnapshot } from "./testing.js";

const skip = kernelSkip(["ip", "python3", "unshare", "hostname", "getent", "mount"]);
const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const RUN = randomBytes(2).toString("hex");

const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: hostaliases-pod}
spec:
  hostAliases:
  - ip: "10.1.2.3"
    hostnames: ["foo.remote", "bar.remote"]
  containers: [{name: c, image: busybox, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: hostnet-pod}
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  containers: [{name: c, image: busybox}]
`;

const execIn = (cluster: string, pod: string, ...cmd: string[]) =>
  spawnSync(process.execPath, [bin, "exec", pod, "--name", cluster, "--", ...cmd], { encoding: "utf8" });

test("kernel: podnet exec sees kubelet's /etc/hosts and the pod's hostname; a ClusterFirstWithHostNet hostNetwork pod resolves Services", {
  skip,
}, async () => {
  const cluster = `hhosts-${RUN}`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-hosts-"));
  await down(cluster);
  const before = rootSnapshot();
  const host = machineHostname();
  try {
    writeFileSync(join(dir, "k.yaml"), MANIFESTS);
    const files = [dir];
    const { state } = await loadCluster({ files });
    const pod = state.pods.find((p) => p.name === "hostaliases-pod")!;
    const web = state.pods.find((p) => p.name === "web-0")!;
    const hn = state.pods.find((p) => p.name === "hostnet-pod")!;
    const backend = state.services.find((s) => s.name === "backend")!;
    await up({ cluster, ir: buildIR(state), inputs: { files }, render: { netfilter: netfilterRenderers } });

    const hosts = execIn(cluster, "hostaliases-pod", "cat", "/etc/hosts");
    assert.equal(hosts.status, 0, hosts.stderr);
    assert.equal(
      hosts.stdout,
      [
        "# Kubernetes-managed hosts file.",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "fe00::0\tip6-mcastprefix",
        "fe00::1\tip6-allnodes",
        "fe00::2\tip6-allrouters",
        `${pod.podIP}\thostaliases-pod`,
        "",
        "# Entries added by HostAliases.",
        "10.1.2.3\tfoo.remote\tbar.remote",
        "",
      ].join("\n"),
    );
    assert.equal(execIn(cluster, "hostaliases-pod", "hostname").stdout, "hostaliases-pod\n");
    // getaddrinfo reads the file first (hosts: files dns): the alias, the pod's own FQDN.
    assert.match(execIn(cluster, "hostaliases-pod", "getent", "ahostsv4", "foo.remote").stdout, /^10\.1\.2\.3\s/);
    assert.equal(execIn(cluster, "web-0", "hostname").stdout, "web-0\n");
    assert.equal(
      execIn(cluster, "web-0", "getent", "hosts", "web-0").stdout.trim().split(/\s+/).join(" "),
      `${web.podIP} web-0.nginx.default.svc.cluster.local web-0`,
    );

    // hostNetwork, ClusterFirstWithHostNet: the cluster's resolv.conf, the node's hosts
    // file under kubelet's header, the node's hostname; a Service name resolves.
    const rc = execIn(cluster, "hostnet-pod", "cat", "/etc/resolv.conf");
    assert.equal(rc.stdout, hn.resolvConf);
    assert.match(rc.stdout, /^nameserver 10\.96\.0\.10$/m);
    assert.match(
      execIn(cluster, "hostnet-pod", "cat", "/etc/hosts").stdout,
      /^# Kubernetes-managed hosts file \(host network\)\.\n/,
    );
    assert.equal(execIn(cluster, "hostnet-pod", "hostname").stdout, `${hn.nodeName}\n`);
    const svc = execIn(cluster, "hostnet-pod", "getent", "ahostsv4", "backend.default.svc.cluster.local");
    assert.match(svc.stdout, new RegExp(`^${backend.clusterIP!.replace(/\./g, "\\.")}\\s`), svc.stderr);
    const short = execIn(cluster, "hostnet-pod", "getent", "ahostsv4", "backend");
    assert.match(
      short.stdout,
      new RegExp(`^${backend.clusterIP!.replace(/\./g, "\\.")}\\s`),
      "the search list applies",
    );
    // The machine's own name is left alone.
    assert.equal(machineHostname(), host);
  } finally {
    const r = await down(cluster);
    assert.deepEqual(r.leftovers, []);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(clusterNamespaces(cluster), []);
  assert.deepEqual(
    listNetns().filter((n) => n.startsWith(`podnet-${cluster}.`)),
    [],
    "the hostNetwork pods' names are gone too",
  );
  assert.equal(readFileSync("/proc/self/mounts", "utf8").includes(`podnet-${cluster}.`), false, "no mount left");
  assert.equal(existsSync(`/etc/netns/podnet-${cluster}.hostnet.default.hostnet-pod`), false);
  const after = rootSnapshot();
  for (const k of Object.keys(before)) assert.equal(after[k], before[k], `root namespace ${k} changed`);
});

test("kernel: a symbolic link planted in /etc/netns/<pod namespace>/ stops up with its name; its target is not written", {
  skip,
}, async () => {
  const cluster = `hlink-${RUN}`;
  const dir = mkdtempSync(join(tmpdir(), "podnet-link-"));
  await down(cluster);
  const victim = join(dir, "victim");
  writeFileSync(victim, "precious\n");
  try {
    writeFileSync(join(dir, "k.yaml"), MANIFESTS);
    const { state } = await loadCluster({ files: [join(dir, "k.yaml")] });
    const planted = `/etc/netns/${nsName(cluster, "pod/default/hostaliases-pod")}`;
    mkdirSync(planted, { recursive: true });
    symlinkSync(victim, `${planted}/hosts`);
    await assert.rejects(
      up({ cluster, ir: buildIR(state), supervise: false, render: { netfilter: netfilterRenderers } }),
      (e: Error) => {
        assert.ok(e.message.includes(`${planted}/hosts`) && /symbolic link/.test(e.message), e.message);
        return true;
      },
    );
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
  } finally {
    await down(cluster);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(clusterNamespaces(cluster), []);
});

test("kernel: a hostNetwork pod's name of its node's namespace left by a crash (no record) is removed by down", {
  skip,
}, async () => {
  const cluster = `hcrash-${RUN}`;
  await down(cluster);
  const runner = createRunner();
  const node = nsName(cluster, "node/a");
  try {
    await runner.run(["ip", "netns", "add", node]);
    const ir = {
      nodes: [{ name: "a", address: "192.168.1.2", podCIDR: "10.244.1.0/24", ns: { id: "node/a" } }],
    } as unknown as DataplaneIR;
    const pod = { namespace: "kube-system", name: "kube-proxy-x", node: "a", hostNetwork: true } as PodNet;
    const alias = await attachHostNetPod(runner, cluster, ir, pod);
    assert.equal(alias, `podnet-${cluster}.hostnet.kube-system.kube-proxy-x`);
    // The same namespace under two names.
    const ino = (n: string) => statSync(`/run/netns/${n}`).ino;
    assert.equal(ino(alias), ino(node));
    // A second attach of the same name is refused (created exclusively), nothing mounted twice.
    await assert.rejects(attachHostNetPod(runner, cluster, ir, pod), /exists already/);
    const r = await down(cluster);
    assert.deepEqual(r.namespaces.sort(), [alias, node].sort());
  } finally {
    await down(cluster);
  }
  assert.deepEqual(clusterNamespaces(cluster), []);
  assert.equal(readFileSync("/proc/self/mounts", "utf8").includes(`podnet-${cluster}.`), false, "no mount left");
});

// `describe replicaset|daemonset|statefulset|replicationcontroller`. Expected text follows
// kubernetes/kubectl pkg/describe/describe.go (describeReplicaSet, describeDaemonSet,
// describeStatefulSet, describeReplicationController, DescribePodTemplate,
// describeVolumeClaimTemplates, getPodStatusForController, DescribeEvents) through Go's
// text/tabwriter (describe's tabbedString: minwidth 0, tabwidth 8, padding 2: a column is
// as wide as its widest cell in the run of lines that have it, plus 2); the defaults a
// manifest gets follow kubernetes pkg/apis/apps/v1/defaults.go and
// pkg/apis/core/v1/defaults.go — not podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import { loadCluster } from "../load/cluster.js";
import { packageRoot } from "../load/input.js";
import { runDescribe } from "./cmd-describe.js";

const dump = () => loadCluster({ files: [join(packageRoot(), "examples", "snapshots", "kind-flannel.yaml")] });

test("describe rs, from a dump: the ReplicaSet's spec and status as given, its pods by phase", async () => {
  const { state } = await dump();
  const out = runDescribe(state, "rs", ["web-7d77fb55cc"], "default");
  assert.equal(out.exitCode, 0);
  assert.equal(
    out.stdout,
    "Name:           web-7d77fb55cc\n" +
      "Namespace:      default\n" +
      "Selector:       app=web,pod-template-hash=7d77fb55cc\n" +
      "Labels:         app=web\n" +
      "                pod-template-hash=7d77fb55cc\n" +
      "Annotations:    deployment.kubernetes.io/desired-replicas: 3\n" +
      "                deployment.kubernetes.io/max-replicas: 4\n" +
      "                deployment.kubernetes.io/revision: 1\n" +
      "Controlled By:  Deployment/web\n" +
      "Replicas:       3 current / 3 desired\n" +
      "Pods Status:    3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" +
      "Pod Template:\n" +
      "  Labels:  app=web\n" +
      "           pod-template-hash=7d77fb55cc\n" +
      "  Containers:\n" +
      "   nginx:\n" +
      "    Image:         nginx:1.25.4\n" +
      "    Port:          80/TCP (http)\n" +
      "    Host Port:     0/TCP\n" +
      "    Readiness:     http-get http://:http/ delay=0s timeout=1s period=10s #success=1 #failure=3\n" +
      "    Environment:   <none>\n" +
      "    Mounts:        <none>\n" +
      "  Volumes:         <none>\n" +
      "  Node-Selectors:  <none>\n" +
      "  Tolerations:     <none>\n" +
      "Events:            <none>\n",
  );
});

test("describe ds, from a dump: no Namespace line, the status counts as given, lines without a tab stay unaligned", async () => {
  const { state } = await dump();
  const out = runDescribe(state, "ds/kube-proxy", [], "kube-system");
  assert.equal(
    out.stdout,
    "Name:           kube-proxy\n" +
      "Selector:       k8s-app=kube-proxy\n" +
      "Node-Selector:  kubernetes.io/os=linux\n" +
      "Labels:         k8s-app=kube-proxy\n" +
      "Annotations:    deprecated.daemonset.template.generation: 1\n" +
      "Desired Number of Nodes Scheduled: 3\n" +
      "Current Number of Nodes Scheduled: 3\n" +
      "Number of Nodes Scheduled with Up-to-date Pods: 3\n" +
      "Number of Nodes Scheduled with Available Pods: 3\n" +
      "Number of Nodes Misscheduled: 0\n" +
      "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" +
      "Pod Template:\n" +
      "  Labels:           k8s-app=kube-proxy\n" +
      "  Service Account:  kube-proxy\n" +
      "  Containers:\n" +
      "   kube-proxy:\n" +
      "    Image:      registry.k8s.io/kube-proxy:v1.29.2\n" +
      "    Port:       <none>\n" +
      "    Host Port:  <none>\n" +
      "    Command:\n" +
      "      /usr/local/bin/kube-proxy\n" +
      "      --config=/var/lib/kube-proxy/config.conf\n" +
      "      --hostname-override=$(NODE_NAME)\n" +
      "    Environment:\n" +
      "      NODE_NAME:   (v1:spec.nodeName)\n" +
      "    Mounts:\n" +
      "      /var/lib/kube-proxy from kube-proxy (rw)\n" +
      "  Volumes:\n" +
      "   kube-proxy:\n" +
      "    Type:               ConfigMap (a volume populated by a ConfigMap)\n" +
      "    Name:               kube-proxy\n" +
      "    Optional:           false\n" +
      "  Priority Class Name:  system-node-critical\n" +
      "  Node-Selectors:       kubernetes.io/os=linux\n" +
      "  Tolerations:          op=Exists\n" +
      "Events:                 <none>\n",
  );
});

/** A Pod of the dump below, on worker-1, owned by the controller `owner` ("apiVersion kind name") of that uid. */
function pod(name: string, labels: string, owner: string, uid: string, status: string): string {
  const [apiVersion, kind, ownerName] = owner.split(" ");
  return `- apiVersion: v1
  kind: Pod
  metadata:
    name: ${name}
    namespace: shop
    uid: 9e0f1a2b-3c4d-4e5f-8a6b-${Buffer.from(name.slice(-6)).toString("hex").padStart(12, "0")}
    labels: ${labels}
    ownerReferences: [{apiVersion: ${apiVersion}, kind: ${kind}, name: ${ownerName}, uid: ${uid}, controller: true}]
  spec: {nodeName: worker-1, containers: [{name: c, image: nginx}]}
  status: {${status}, hostIP: 192.168.1.3}
`;
}

// A dump as `kubectl get rs,rc,sts,pods -o yaml` holds them: status blocks, ownerReferences,
// pods of each phase (getPodStatusForController counts the controller's pods by phase:
// Pending is "Waiting"), conditions, a claim template with a class and an annotation.
const DUMP = `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: frontend
    namespace: shop
    uid: 0c4d3f7a-5b1e-4e2a-9d6c-7a8b9c0d1e2f
    labels: {app: guestbook, tier: frontend}
  spec:
    replicas: 3
    selector:
      matchLabels: {tier: frontend}
      matchExpressions: [{key: env, operator: NotIn, values: [qa, dev]}]
    template:
      metadata: {labels: {tier: frontend, env: prod}}
      spec: {containers: [{name: php, image: gb-frontend:v5}]}
  status:
    replicas: 2
    fullyLabeledReplicas: 2
    observedGeneration: 1
    conditions:
    - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: exceeded quota}
- apiVersion: v1
  kind: ReplicationController
  metadata: {name: legacy, namespace: shop, uid: 1d5e4a8b-6c2f-4f3b-8e7d-8b9c0d1e2f3a, labels: {app: legacy}}
  spec:
    replicas: 2
    selector: {app: legacy}
    template:
      metadata: {labels: {app: legacy}}
      spec: {containers: [{name: c, image: nginx}]}
  status: {replicas: 2, readyReplicas: 1, observedGeneration: 1}
- apiVersion: apps/v1
  kind: StatefulSet
  metadata:
    name: db
    namespace: shop
    uid: 2e6f5b9c-7d3a-4a4c-9f8e-9c0d1e2f3a4b
    creationTimestamp: "2024-01-16T10:00:00Z"
  spec:
    replicas: 3
    serviceName: db
    selector: {matchLabels: {app: db}}
    template:
      metadata: {labels: {app: db}}
      spec: {containers: [{name: pg, image: postgres}]}
    updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1, maxUnavailable: 2}}
    volumeClaimTemplates:
    - metadata: {name: data, annotations: {example.com/tier: gold}}
      spec: {storageClassName: fast, accessModes: [ReadWriteOnce, ReadOnlyMany], resources: {requests: {storage: 10Gi}}}
    - metadata: {name: scratch}
      spec: {accessModes: [ReadWriteOnce]}
  status: {replicas: 1, readyReplicas: 1, currentReplicas: 1}
${[
  pod(
    "frontend-a1b2c",
    "{tier: frontend, env: prod}",
    "apps/v1 ReplicaSet frontend",
    "0c4d3f7a-5b1e-4e2a-9d6c-7a8b9c0d1e2f",
    "phase: Running, podIP: 10.244.1.10",
  ),
  pod(
    "frontend-d3e4f",
    "{tier: frontend, env: prod}",
    "apps/v1 ReplicaSet frontend",
    "0c4d3f7a-5b1e-4e2a-9d6c-7a8b9c0d1e2f",
    "phase: Pending",
  ),
  pod(
    "legacy-g5h6i",
    "{app: legacy}",
    "v1 ReplicationController legacy",
    "1d5e4a8b-6c2f-4f3b-8e7d-8b9c0d1e2f3a",
    "phase: Succeeded, podIP: 10.244.1.11",
  ),
  pod(
    "legacy-j7k8l",
    "{app: legacy}",
    "v1 ReplicationController legacy",
    "1d5e4a8b-6c2f-4f3b-8e7d-8b9c0d1e2f3a",
    "phase: Failed, podIP: 10.244.1.12",
  ),
  pod(
    "db-0",
    "{app: db}",
    "apps/v1 StatefulSet db",
    "2e6f5b9c-7d3a-4a4c-9f8e-9c0d1e2f3a4b",
    "phase: Running, podIP: 10.244.1.13",
  ),
].join("")}`;

const dumpState = () => buildState(parseSpec([{ file: "dump.yaml", text: DUMP }]));

/** Every line of DescribePodTemplate for a template of one port-less container and nothing else. */
function plainTemplate(labels: string[], container: string, image: string): string {
  return (
    "Pod Template:\n" +
    `  Labels:  ${labels[0]}\n` +
    labels
      .slice(1)
      .map((l) => `           ${l}\n`)
      .join("") +
    "  Containers:\n" +
    `   ${container}:\n` +
    `    Image:         ${image}\n` +
    "    Port:          <none>\n" +
    "    Host Port:     <none>\n" +
    "    Environment:   <none>\n" +
    "    Mounts:        <none>\n" +
    "  Volumes:         <none>\n" +
    "  Node-Selectors:  <none>\n" +
    "  Tolerations:     <none>\n"
  );
}

test("describe rs, from a dump: current from status, Waiting for Pending pods, the status's conditions", () => {
  const out = runDescribe(dumpState(), "replicasets", ["frontend"], "shop");
  assert.equal(
    out.stdout,
    "Name:         frontend\n" +
      "Namespace:    shop\n" +
      "Selector:     env notin (dev,qa),tier=frontend\n" +
      "Labels:       app=guestbook\n" +
      "              tier=frontend\n" +
      "Annotations:  <none>\n" +
      "Replicas:     2 current / 3 desired\n" +
      "Pods Status:  1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n" +
      plainTemplate(["env=prod", "tier=frontend"], "php", "gb-frontend:v5") +
      "Conditions:\n" +
      "  Type             Status  Reason\n" +
      "  ----             ------  ------\n" +
      "  ReplicaFailure   True    FailedCreate\n" +
      "Events:            <none>\n",
  );
});

test("describe rc, from a dump: no Controlled By, finished pods counted as Succeeded and Failed", () => {
  const out = runDescribe(dumpState(), "rc/legacy", [], "shop");
  assert.equal(
    out.stdout,
    "Name:         legacy\n" +
      "Namespace:    shop\n" +
      "Selector:     app=legacy\n" +
      "Labels:       app=legacy\n" +
      "Annotations:  <none>\n" +
      "Replicas:     2 current / 2 desired\n" +
      "Pods Status:  0 Running / 0 Waiting / 1 Succeeded / 1 Failed\n" +
      plainTemplate(["app=legacy"], "c", "nginx") +
      "Events:            <none>\n",
  );
});

test("describe sts, from a dump: its time, total from status, the rolling update's partition and maxUnavailable, claims", () => {
  const out = runDescribe(dumpState(), "statefulsets.apps", ["db"], "shop");
  assert.equal(
    out.stdout,
    "Name:               db\n" +
      "Namespace:          shop\n" +
      "CreationTimestamp:  Tue, 16 Jan 2024 10:00:00 +0000\n" +
      "Selector:           app=db\n" +
      "Labels:             <none>\n" +
      "Annotations:        <none>\n" +
      "Replicas:           3 desired | 1 total\n" +
      "Update Strategy:    RollingUpdate\n" +
      "  Partition:        1\n" +
      "  MaxUnavailable:   2\n" +
      "Pods Status:        1 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" +
      plainTemplate(["app=db"], "pg", "postgres") +
      "Volume Claims:\n" +
      "  Name:          data\n" +
      "  StorageClass:  fast\n" +
      "  Labels:        <none>\n" +
      "  Annotations:   example.com/tier=gold\n" +
      "  Capacity:      10Gi\n" +
      "  Access Modes:  [ReadWriteOnce ReadOnlyMany]\n" +
      "  Name:          scratch\n" +
      "  StorageClass:  \n" +
      "  Labels:        <none>\n" +
      "  Annotations:   <none>\n" +
      "  Capacity:      <default>\n" +
      "  Access Modes:  [ReadWriteOnce]\n" +
      "Events:          <none>\n",
  );
});

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {team: web, kubectl.kubernetes.io/last-applied-configuration: "{}"}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, labels: {app: agent}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {nodeSelector: {kubernetes.io/os: linux}, containers: [{name: a, image: busybox}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ssd}
spec:
  selector: {matchLabels: {app: ssd}}
  template:
    metadata: {labels: {app: ssd}}
    spec: {nodeSelector: {kubernetes.io/os: linux, disk: ssd}, containers: [{name: a, image: busybox}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1024Mi}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kv}
spec:
  serviceName: kv
  selector: {matchLabels: {app: kv}}
  updateStrategy: {type: RollingUpdate}
  template:
    metadata: {labels: {app: kv}}
    spec: {containers: [{name: kv, image: redis}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: old}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: old}}
    spec: {containers: [{name: o, image: nginx}]}
`;

const manifestState = () => buildState(parseSpec([{ file: "m.yaml", text: MANIFESTS }]));

test("describe rs, from manifests: the ReplicaSet the deployment controller makes for a Deployment", () => {
  const s = manifestState();
  const out = runDescribe(s, "rs", [], "default");
  const hash = s.pods.find((p) => p.name.startsWith("web-"))!.labels["pod-template-hash"];
  const head = out.stdout.slice(0, out.stdout.indexOf("Events:\n"));
  // getNewReplicaSet: the template's labels and the selector get pod-template-hash;
  // SetNewReplicaSetAnnotations: the Deployment's annotations (not last-applied), revision,
  // desired replicas and max replicas (3 + 25% of 3 rounded up).
  assert.equal(
    head,
    `Name:           web-${hash}\n` +
      "Namespace:      default\n" +
      `Selector:       app=web,pod-template-hash=${hash}\n` +
      "Labels:         app=web\n" +
      `                pod-template-hash=${hash}\n` +
      "Annotations:    deployment.kubernetes.io/desired-replicas: 3\n" +
      "                deployment.kubernetes.io/max-replicas: 4\n" +
      "                deployment.kubernetes.io/revision: 1\n" +
      "                team: web\n" +
      "Controlled By:  Deployment/web\n" +
      "Replicas:       3 current / 3 desired\n" +
      "Pods Status:    3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" +
      plainTemplate(["app=web", `pod-template-hash=${hash}`], "web", "nginx"),
  );
  // One SuccessfulCreate per pod, from the replicaset-controller (DescribeEvents' table).
  const rows = out.stdout.slice(head.length).split("\n");
  assert.equal(rows[1], "  Type    Reason            Age   From                   Message");
  assert.equal(rows[2], "  ----    ------            ----  ----                   -------");
  const created = rows
    .slice(3, -1)
    .map((r) => /^ {2}Normal {2}SuccessfulCreate {2}\S+ +replicaset-controller {2}Created pod: (\S+)$/.exec(r)?.[1]);
  assert.deepEqual(
    created.sort(),
    s.pods
      .filter((p) => p.name.startsWith("web-"))
      .map((p) => p.name)
      .sort(),
  );
});

test("describe ds, from manifests: one pod per node, the template generation annotation the API server adds", () => {
  const s = manifestState();
  const out = runDescribe(s, "daemonset", ["agent"], "default").stdout;
  const n = s.pods.filter((p) => p.owner?.kind === "DaemonSet" && p.owner.name === "agent").length;
  assert.ok(n > 0);
  assert.equal(
    out.slice(0, out.indexOf("Pod Template:\n")),
    "Name:           agent\n" +
      "Selector:       app=agent\n" +
      "Node-Selector:  kubernetes.io/os=linux\n" +
      "Labels:         app=agent\n" +
      "Annotations:    deprecated.daemonset.template.generation: 1\n" +
      `Desired Number of Nodes Scheduled: ${n}\n` +
      `Current Number of Nodes Scheduled: ${n}\n` +
      `Number of Nodes Scheduled with Up-to-date Pods: ${n}\n` +
      `Number of Nodes Scheduled with Available Pods: ${n}\n` +
      "Number of Nodes Misscheduled: 0\n" +
      `Pods Status:  ${n} Running / 0 Waiting / 0 Succeeded / 0 Failed\n`,
  );
  // No node has the label: the controller schedules none.
  const ssd = runDescribe(s, "ds", ["ssd"], "default").stdout;
  assert.equal(
    ssd.slice(0, ssd.indexOf("Pod Template:\n")),
    "Name:           ssd\n" +
      "Selector:       app=ssd\n" +
      "Node-Selector:  disk=ssd,kubernetes.io/os=linux\n" +
      "Labels:         <none>\n" +
      "Annotations:    deprecated.daemonset.template.generation: 1\n" +
      "Desired Number of Nodes Scheduled: 0\n" +
      "Current Number of Nodes Scheduled: 0\n" +
      "Number of Nodes Scheduled with Up-to-date Pods: 0\n" +
      "Number of Nodes Scheduled with Available Pods: 0\n" +
      "Number of Nodes Misscheduled: 0\n" +
      "Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed\n",
  );
});

test("describe sts, from manifests: SetDefaults_StatefulSet's update strategy, ordinal pods, the claim's capacity", () => {
  const s = manifestState();
  const out = runDescribe(s, "sts", ["db"], "default").stdout;
  assert.match(out, /\nCreationTimestamp: {2}\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\n/);
  assert.equal(
    out.replace(/\nCreationTimestamp: {2}[^\n]*\n/, "\n"),
    "Name:               db\n" +
      "Namespace:          default\n" +
      "Selector:           app=db\n" +
      "Labels:             <none>\n" +
      "Annotations:        <none>\n" +
      "Replicas:           2 desired | 2 total\n" +
      "Update Strategy:    RollingUpdate\n" +
      "  Partition:        0\n" +
      "Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" +
      plainTemplate(["app=db"], "db", "postgres") +
      "Volume Claims:\n" +
      "  Name:          data\n" +
      "  StorageClass:  \n" +
      "  Labels:        <none>\n" +
      "  Annotations:   <none>\n" +
      "  Capacity:      1Gi\n" +
      "  Access Modes:  [ReadWriteOnce]\n" +
      "Events:\n" +
      "  Type    Reason            Age   From                    Message\n" +
      "  ----    ------            ----  ----                    -------\n" +
      "  Normal  SuccessfulCreate  0s    statefulset-controller  create Pod db-0 in StatefulSet db successful\n" +
      "  Normal  SuccessfulCreate  0s    statefulset-controller  create Pod db-1 in StatefulSet db successful\n",
  );
  // type RollingUpdate given without rollingUpdate: no partition is defaulted, none shown.
  const kv = runDescribe(s, "sts", ["kv"], "default").stdout;
  assert.match(kv, /\nReplicas: +1 desired \| 1 total\nUpdate Strategy: +RollingUpdate\nPods Status: /);
});

test("describe rc, from manifests: SetDefaults_ReplicationController gives the template's labels to selector and labels", () => {
  const out = runDescribe(manifestState(), "replicationcontrollers", ["old"], "default").stdout;
  assert.equal(
    out.slice(0, out.indexOf("Pod Template:\n")),
    "Name:         old\n" +
      "Namespace:    default\n" +
      "Selector:     app=old\n" +
      "Labels:       app=old\n" +
      "Annotations:  <none>\n" +
      "Replicas:     2 current / 2 desired\n" +
      "Pods Status:  2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n",
  );
  assert.match(
    out,
    /\n {2}Normal {2}SuccessfulCreate {2}\S+ +replication-controller {2}Created pod: old-[a-z0-9]{5}\n/,
  );
});

test("describe: kubectl's names for the four kinds, KIND/NAME, prefixes, all in a namespace, NotFound", () => {
  const s = dumpState();
  const one = (kind: string, names: string[]) => runDescribe(s, kind, names, "shop");
  const forms: [string, string[]][] = [
    ["replicaset", ["rs", "replicasets", "ReplicaSet", "replicaset.apps", "replicasets.v1.apps"]],
    ["replicationcontroller", ["rc", "replicationcontrollers", "replicationcontrollers.v1"]],
    ["statefulset", ["sts", "statefulsets", "statefulset.apps"]],
    ["daemonset", ["ds", "daemonsets", "daemonsets.apps"]],
  ];
  const names: Record<string, string> = {
    replicaset: "frontend",
    replicationcontroller: "legacy",
    statefulset: "db",
    daemonset: "none",
  };
  for (const [kind, aliases] of forms) {
    const want = one(kind, [names[kind]]);
    for (const a of aliases) {
      assert.deepEqual(one(a, [names[kind]]), want, a);
      assert.deepEqual(one(`${a}/${names[kind]}`, []), want, `${a}/NAME`);
    }
  }
  // A prefix; no NAME: every one in the namespace.
  assert.equal(one("rs", ["front"]).stdout, one("rs", ["frontend"]).stdout);
  assert.equal(one("sts", []).stdout, one("sts", ["db"]).stdout);
  assert.deepEqual(runDescribe(s, "ds", [], "shop"), {
    stdout: "",
    stderr: "No resources found in shop namespace.\n",
    exitCode: 0,
  });
  const missing = one("rs", ["nope"]);
  assert.equal(missing.stderr, 'Error from server (NotFound): replicasets.apps "nope" not found\n');
  assert.equal(missing.exitCode, 1);
  assert.equal(one("rc", ["nope"]).stderr, 'Error from server (NotFound): replicationcontrollers "nope" not found\n');
  assert.equal(one("ds", ["nope"]).stderr, 'Error from server (NotFound): daemonsets.apps "nope" not found\n');
  assert.equal(one("sts", ["nope"]).stderr, 'Error from server (NotFound): statefulsets.apps "nope" not found\n');
});

// kubectl's describe and get -o json|yaml for manifests with what real workloads carry
// (service accounts, init containers, resources, probes, volumes, policies, ingresses).
// Expected values follow kubernetes/kubectl pkg/describe/describe.go, kubernetes
// pkg/apis/core/v1/helper/qos/qos.go and pkg/cmd/get/get.go, not podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import { describeNode, describePod, describeProbe, describeService } from "./describe.js";
import { describeDeployment, describeIngress, describeJob, describeNetworkPolicy } from "./describe-objects.js";
import { formatQuantity, parseQuantity, podQosClass } from "./resources.js";

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {team: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web-sa
      initContainers:
      - name: init
        image: busybox
        command: [sh, -c, "true"]
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80, name: http}]
        resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 250m, memory: 64Mi}}
        livenessProbe: {httpGet: {path: /healthz, port: 80}}
        readinessProbe: {tcpSocket: {port: 80}, initialDelaySeconds: 5}
        startupProbe: {exec: {command: [cat, /tmp/ok]}, failureThreshold: 30}
        volumeMounts: [{name: data, mountPath: /data, readOnly: true}, {name: conf, mountPath: /etc/app}]
      - name: side
        image: busybox
        resources: {limits: {cpu: "1", memory: 1Gi}}
      volumes:
      - name: data
        emptyDir: {}
      - name: conf
        configMap: {name: app-conf}
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  automountServiceAccountToken: false
  containers:
  - name: c
    image: busybox
    resources: {limits: {cpu: 100m, memory: 100Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, annotations: {example.com/owner: team-web}}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow, labels: {team: net}}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: fe}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 80}]
  - {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
      - path: /gone
        pathType: Prefix
        backend: {service: {name: missing, port: {name: http}}}
`;

function state(): ClusterState {
  return buildState(parseSpec([{ file: "m.yaml", text: MANIFESTS }]));
}

const lines = (s: string) => s.split("\n");

test("QoS class by qos.go: init containers count, requests default to limits", () => {
  const c = (r: object) => ({ name: "c", resources: r });
  assert.equal(podQosClass({ containers: [{ name: "c" }] }), "BestEffort");
  assert.equal(podQosClass({ containers: [c({ limits: { cpu: "1", memory: "1Gi" } })] }), "Guaranteed");
  assert.equal(
    podQosClass({ containers: [c({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } })] }),
    "Burstable",
  );
  assert.equal(podQosClass({ containers: [c({ limits: { cpu: "1" } })] }), "Burstable");
  assert.equal(podQosClass({ containers: [c({ requests: { memory: "10Mi" } })] }), "Burstable");
  // Only cpu and memory count.
  assert.equal(podQosClass({ containers: [c({ requests: { "ephemeral-storage": "1Gi" } })] }), "BestEffort");
  // An init container without limits makes a Guaranteed set of containers Burstable.
  assert.equal(
    podQosClass({
      containers: [c({ limits: { cpu: "1", memory: "1Gi" } })],
      initContainers: [c({ requests: { cpu: "100m" } })],
    }),
    "Burstable",
  );
});

test("quantities print in canonical form (Quantity.String)", () => {
  const f = (s: string) => formatQuantity(parseQuantity(s)!);
  assert.equal(f("0.5"), "500m");
  assert.equal(f("1024Mi"), "1Gi");
  assert.equal(f("1536Mi"), "1536Mi");
  assert.equal(f("2000m"), "2");
  assert.equal(f("1000M"), "1G");
  assert.equal(f("0"), "0");
});

test("probes as DescribeProbe prints them, with the API defaults", () => {
  assert.equal(
    describeProbe({ httpGet: { path: "/healthz", port: 8080 } }),
    "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3",
  );
  assert.equal(
    describeProbe({ tcpSocket: { port: 80 }, initialDelaySeconds: 5, periodSeconds: 3 }),
    "tcp-socket :80 delay=5s timeout=1s period=3s #success=1 #failure=3",
  );
  assert.equal(
    describeProbe({ exec: { command: ["cat", "/tmp/healthy"] } }),
    "exec [cat /tmp/healthy] delay=0s timeout=1s period=10s #success=1 #failure=3",
  );
  assert.equal(
    describeProbe({ httpGet: { port: "http", scheme: "HTTPS", host: "10.0.0.1" } }),
    "https://10.0.0.1:http/ delay=0s timeout=1s period=10s #success=1 #failure=3".replace(/^/, "http-get "),
  );
});

test("describe pod: service account, init containers, resources, probes, mounts, volumes, QoS", () => {
  const s = state();
  const p = s.pods.find((x) => x.name.startsWith("web-"))!;
  const out = describePod(s, p);
  const l = lines(out);
  assert.match(out, /\nService Account: +web-sa\n/);
  assert.match(out, /\nControlled By: +ReplicaSet\/web-[a-z0-9]+\n/);
  // Init Containers come before Containers; a completed init container is Terminated.
  const init = l.indexOf("Init Containers:");
  const cont = l.indexOf("Containers:");
  assert.ok(init > 0 && cont > init, out);
  assert.equal(l[init + 1], "  init:");
  assert.ok(l.slice(init, cont).some((x) => /^ {4}State: +Terminated$/.test(x)));
  assert.ok(l.slice(init, cont).some((x) => /^ {6}Reason: +Completed$/.test(x)));
  assert.ok(l.slice(init, cont).some((x) => /^ {6}Exit Code: +0$/.test(x)));
  // Every container has its own ID.
  const ids = l.filter((x) => /^ {4}Container ID:/.test(x)).map((x) => x.split(/\s+/).pop());
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 3);
  for (const id of ids) assert.match(id!, /^containerd:\/\/[0-9a-f]{64}$/);
  // Limits then Requests, sorted, the side container's requests defaulted from its limits.
  assert.match(
    out,
    /\n {4}Limits:\n {6}cpu: +500m\n {6}memory: +128Mi\n {4}Requests:\n {6}cpu: +250m\n {6}memory: +64Mi\n/,
  );
  assert.match(out, /\n {4}Limits:\n {6}cpu: +1\n {6}memory: +1Gi\n {4}Requests:\n {6}cpu: +1\n {6}memory: +1Gi\n/);
  assert.match(
    out,
    /\n {4}Liveness: +http-get http:\/\/:80\/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n/,
  );
  assert.match(out, /\n {4}Readiness: +tcp-socket :80 delay=5s timeout=1s period=10s #success=1 #failure=3\n/);
  assert.match(out, /\n {4}Startup: +exec \[cat \/tmp\/ok\] delay=0s timeout=1s period=10s #success=1 #failure=30\n/);
  // Mounts sorted by path, ro/rw.
  assert.match(out, /\n {4}Mounts:\n {6}\/data from data \(ro\)\n {6}\/etc\/app from conf \(rw\)\n/);
  assert.match(
    out,
    /\nVolumes:\n {2}data:\n {4}Type: +EmptyDir \(a temporary directory that shares a pod's lifetime\)\n {4}Medium: *\n {4}SizeLimit: +<unset>\n/,
  );
  assert.match(
    out,
    /\n {2}conf:\n {4}Type: +ConfigMap \(a volume populated by a ConfigMap\)\n {4}Name: +app-conf\n {4}Optional: +false\n/,
  );
  // The ServiceAccount admission's token volume, mounted read-only in every container.
  assert.match(
    out,
    /\n {6}\/etc\/app from conf \(rw\)\n {6}\/var\/run\/secrets\/kubernetes\.io\/serviceaccount from (kube-api-access-[a-z0-9]{5}) \(ro\)\n/,
  );
  assert.match(
    out,
    /\n {2}kube-api-access-[a-z0-9]{5}:\n {4}Type: +Projected \(a volume that contains injected data from multiple sources\)\n {4}TokenExpirationSeconds: +3607\n {4}ConfigMapName: +kube-root-ca\.crt\n {4}ConfigMapOptional: +<nil>\n {4}DownwardAPI: +true\n/,
  );
  // Every container has cpu and memory limits, but web's requests are below them.
  assert.match(out, /\nQoS Class: +Burstable\n/);
});

test("describe pod: a limits-only pod is Guaranteed and uses the default service account", () => {
  const s = state();
  const out = describePod(s, s.pods.find((x) => x.name === "solo")!);
  assert.match(out, /\nService Account: +default\n/);
  assert.match(out, /\nQoS Class: +Guaranteed\n/);
  assert.doesNotMatch(out, /Init Containers/);
  // automountServiceAccountToken: false: no token volume.
  assert.match(out, /\n {4}Mounts: +<none>\n/);
  assert.match(out, /\nVolumes: +<none>\n/);
});

test("describe node: requests and limits of its pods, allocated totals as percentages", () => {
  const s = state();
  const p = s.pods.find((x) => x.name === "solo")!;
  const n = s.nodes.find((x) => x.name === p.nodeName)!;
  const r = { cpu: 2000, memory: 1000 * 2 ** 20 }; // a node with 2 CPUs and 1000Mi
  const out = describeNode(s, { ...n, capacity: r, allocatable: r });
  // solo: 100m of 2 cpu = 5 %, 100Mi of 1000Mi = 10 %.
  assert.match(out, /\n {2}default +solo +100m \(5%\) +100m \(5%\) +100Mi \(10%\) +100Mi \(10%\) +\S+\n/);
  assert.match(
    out,
    /\nAllocated resources:\n {2}\(Total limits may be over 100 percent, i\.e\., overcommitted\.\)\n {2}Resource +Requests +Limits\n/,
  );
  assert.match(out, /\n {2}ephemeral-storage +0 \(0%\) +0 \(0%\)\n/);
  assert.match(out, /\n {2}hugepages-1Gi +0 \(0%\) +0 \(0%\)\n {2}hugepages-2Mi +0 \(0%\) +0 \(0%\)\n/);
  assert.match(out, /\nCapacity:\n {2}cpu: +2\n/);
});

test("describe node: the totals add the pods on it (web: 1250m cpu and 1088Mi requested)", () => {
  const s = state();
  const p = s.pods.find((x) => x.name.startsWith("web-"))!;
  const n = s.nodes.find((x) => x.name === p.nodeName)!;
  const r = { cpu: 10000, memory: 10 * 2 ** 30 };
  const out = describeNode(s, { ...n, capacity: r, allocatable: r });
  const onNode = s.pods.filter((x) => x.nodeName === n.name && x.namespace === "default");
  const cpu = onNode.reduce((a, x) => a + (x.name === "solo" ? 100 : 1250), 0);
  const cpuText = cpu % 1000 === 0 ? String(cpu / 1000) : `${cpu}m`;
  assert.match(out, new RegExp(`\\n  cpu +${cpuText} \\(${Math.trunc(cpu / 100)}%\\)`));
});

test("describe service: annotations are kept", () => {
  const s = state();
  const out = describeService(s, s.services.find((x) => x.name === "web")!);
  assert.match(out, /\nAnnotations: +example\.com\/owner: team-web\n/);
});

test("describe networkpolicy: kubectl's Spec layout", () => {
  const s = state();
  const out = describeNetworkPolicy(s, s.networkPolicies.find((x) => x.name === "web-allow")!);
  assert.equal(
    out,
    [
      "Name:         web-allow",
      "Namespace:    default",
      "Created on:   2026-01-01 00:00:00 +0000 UTC",
      "Labels:       team=net",
      "Annotations:  <none>",
      "Spec:",
      "  PodSelector:     app=web",
      "  Allowing ingress traffic:",
      "    To Port: 80/TCP",
      "    From:",
      "      PodSelector: role=fe",
      "    From:",
      "      IPBlock:",
      "        CIDR: 10.0.0.0/8",
      "        Except: 10.1.0.0/16",
      "    ----------",
      "    To Port: <any> (traffic allowed to all ports)",
      "    From: <any> (traffic not restricted by source)",
      "  Not affecting egress traffic",
      "  Policy Types: Ingress",
      "",
    ].join("\n"),
  );
  const deny = describeNetworkPolicy(s, s.networkPolicies.find((x) => x.name === "deny-egress")!);
  assert.match(deny, /\n {2}PodSelector: {5}<none> \(Allowing the specific traffic to all pods in this namespace\)\n/);
  assert.match(
    deny,
    /\n {2}Not affecting ingress traffic\n {2}Allowing egress traffic:\n {4}<none> \(Selected pods are isolated for egress connectivity\)\n {2}Policy Types: Egress\n/,
  );
});

test("describe ingress: rules with backends and their endpoints", () => {
  const s = state();
  const out = describeIngress(s, s.ingresses[0]);
  // Address: what ingress-nginx (added for the Ingress) publishes from its NodePort
  // Service: the ClusterIP (status.go statusAddressFromService).
  const ctl = s.services.find((x) => x.name === "ingress-nginx-controller")!;
  assert.match(
    out,
    new RegExp(
      `^Name: +ing\\nLabels: +<none>\\nNamespace: +default\\nAddress: +${ctl.clusterIP!.replace(/\./g, "\\.")}\\nIngress Class: +nginx\\nDefault backend: +<default>\\nRules:\\n`,
    ),
  );
  assert.match(out, /\n {2}a\.example +\n +\/ +web:80 \(10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80\)\n/);
  assert.match(out, /\n +\/gone +missing:http \(<error: services "missing" not found>\)\n/);
});

test("describe deployment: replicas line, strategy, pod template, ReplicaSets", () => {
  const s = state();
  const out = describeDeployment(s, s.workloads.find((x) => x.kind === "Deployment" && x.metadata.name === "web")!);
  assert.match(out, /\nReplicas: +2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable\n/);
  assert.match(
    out,
    /\nStrategyType: +RollingUpdate\nMinReadySeconds: +0\nRollingUpdateStrategy: +25% max unavailable, 25% max surge\n/,
  );
  assert.match(
    out,
    /\nPod Template:\n {2}Labels: +app=web\n {2}Service Account: +web-sa\n {2}Init Containers:\n {3}init:\n/,
  );
  assert.match(out, /\n {2}Containers:\n {3}web:\n {4}Image: +nginx\n/);
  assert.match(out, /\n {2}Volumes:\n {3}data:\n/);
  assert.match(out, /\n {2}Available +True +MinimumReplicasAvailable\n/);
  assert.match(out, /\nNewReplicaSet: +web-[a-z0-9]+ \(2\/2 replicas created\)\n/);
  assert.match(out, /\nAnnotations: +deployment\.kubernetes\.io\/revision: 1\n +team: web\n/);
});

test("-o yaml keeps the annotations objects were given (Service, NetworkPolicy labels)", async () => {
  const s = state();
  const { serviceObject } = await import("./objects.js");
  const { findResource } = await import("./get.js");
  const svc = serviceObject(s, s.services.find((x) => x.name === "web")!) as { metadata: Record<string, unknown> };
  assert.deepEqual(svc.metadata.annotations, { "example.com/owner": "team-web" });
  const np = findResource("netpol")!;
  const item = np.items(s).find((i) => i.name === "web-allow")!;
  assert.deepEqual(item.labels, { team: "net" });
  const o = np.object(s, item, {}) as { metadata: Record<string, unknown> };
  assert.deepEqual(o.metadata.labels, { team: "net" });
});

// describeJob (kubectl pkg/describe/describe.go); the served Job is the `pi` example of
// https://kubernetes.io/docs/concepts/workloads/controllers/job/ as a dump holds it.
const JOBS = `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  uid: c9948307-e56d-4b5d-8302-ae2d7b7da67c
  labels: {batch.kubernetes.io/controller-uid: c9948307-e56d-4b5d-8302-ae2d7b7da67c, batch.kubernetes.io/job-name: pi}
spec:
  backoffLimit: 4
  completionMode: NonIndexed
  completions: 1
  parallelism: 1
  suspend: false
  selector: {matchLabels: {batch.kubernetes.io/controller-uid: c9948307-e56d-4b5d-8302-ae2d7b7da67c}}
  template:
    metadata: {labels: {batch.kubernetes.io/controller-uid: c9948307-e56d-4b5d-8302-ae2d7b7da67c, batch.kubernetes.io/job-name: pi}}
    spec:
      containers: [{name: pi, image: "perl:5.34.0", command: [perl, -Mbignum=bpi, -wle, print bpi(2000)]}]
      restartPolicy: Never
status:
  succeeded: 1
  ready: 0
  startTime: "2019-12-02T13:20:11Z"
  completionTime: "2019-12-02T13:21:16Z"
  conditions: [{type: Complete, status: "True"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: queue}
spec:
  parallelism: 3
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: w, image: busybox}]
      restartPolicy: OnFailure
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  activeDeadlineSeconds: 100
  ttlSecondsAfterFinished: 60
  template:
    spec:
      containers: [{name: w, image: busybox}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: indexed, uid: 0f0e0d0c-0000-4000-8000-000000000001}
spec:
  completionMode: Indexed
  completions: 100
  parallelism: 1
  selector: {matchLabels: {batch.kubernetes.io/controller-uid: 0f0e0d0c-0000-4000-8000-000000000001}}
  template:
    metadata: {labels: {batch.kubernetes.io/controller-uid: 0f0e0d0c-0000-4000-8000-000000000001}}
    spec:
      containers: [{name: w, image: busybox}]
      restartPolicy: Never
status:
  active: 1
  succeeded: 30
  completedIndexes: "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,52,54,56,58"
---
apiVersion: batch/v1
kind: Job
metadata: {name: perindex}
spec:
  completionMode: Indexed
  completions: 3
  backoffLimitPerIndex: 1
  template:
    spec:
      containers: [{name: w, image: busybox}]
      restartPolicy: Never
---
apiVersion: batch/v1
kind: Job
metadata: {name: manual}
spec:
  manualSelector: true
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: w, image: busybox}]
      restartPolicy: Never
`;

function jobOut(name: string): string {
  const s = buildState(parseSpec([{ file: "jobs.yaml", text: JOBS }]));
  return describeJob(s, s.workloads.find((x) => x.kind === "Job" && x.metadata.name === name)!);
}

test("describe job, from a dump: its spec and status as given, Completed At and Duration", () => {
  const out = jobOut("pi");
  assert.match(
    out,
    /^Name: +pi\nNamespace: +default\nSelector: +batch\.kubernetes\.io\/controller-uid=c9948307-e56d-4b5d-8302-ae2d7b7da67c\n/,
  );
  assert.match(
    out,
    /\nParallelism: +1\nCompletions: +1\nCompletion Mode: +NonIndexed\nSuspend: +false\nBackoff Limit: +4\n/,
  );
  assert.match(
    out,
    /\nStart Time: +Mon, 02 Dec 2019 13:20:11 \+0000\nCompleted At: +Mon, 02 Dec 2019 13:21:16 \+0000\nDuration: +65s\n/,
  );
  assert.match(out, /\nPods Statuses: +0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed\nPod Template:\n/);
  assert.doesNotMatch(out, /Completed Indexes/);
});

test("describe job, from a manifest: the API server's defaults, the generated selector and labels", () => {
  const once = jobOut("once");
  // SetDefaults_Job: neither parallelism nor completions set: both 1; backoffLimit 6.
  assert.match(
    once,
    /\nParallelism: +1\nCompletions: +1\nCompletion Mode: +NonIndexed\nSuspend: +false\nBackoff Limit: +6\nTTL Seconds After Finished: +60\n/,
  );
  assert.match(
    once,
    /\nActive Deadline Seconds: +100s\nPods Statuses: +1 Active \(1 Ready\) \/ 0 Succeeded \/ 0 Failed\n/,
  );
  const uid = /\nSelector: +batch\.kubernetes\.io\/controller-uid=([0-9a-f-]{36})\n/.exec(once)?.[1];
  assert.ok(uid, once);
  // Without labels of its own the Job takes its template's, which generateSelector extended.
  const four = ` +batch\\.kubernetes\\.io/controller-uid=${uid}\\n +batch\\.kubernetes\\.io/job-name=once\\n +controller-uid=${uid}\\n +job-name=once\\n`;
  assert.match(once, new RegExp(`\\nLabels:${four}`));
  assert.match(once, new RegExp(`\\nPod Template:\\n {2}Labels:${four}`));
  // A work queue: parallelism alone, completions stay unset.
  const queue = jobOut("queue");
  assert.match(queue, /\nParallelism: +3\nCompletions: +<unset>\n/);
  assert.match(queue, /\nPods Statuses: +3 Active \(3 Ready\) \/ 0 Succeeded \/ 0 Failed\n/);
  assert.match(queue, /\n {2}Labels: +app=worker\n/);
});

test("describe job, Indexed: Completed Indexes cut after 50 characters at a comma, no Ready when not given", () => {
  const out = jobOut("indexed");
  assert.match(out, /\nCompletions: +100\nCompletion Mode: +Indexed\n/);
  assert.doesNotMatch(out, /\nSuspend:|\nBackoff Limit:/);
  assert.match(out, /\nPods Statuses: +1 Active \/ 30 Succeeded \/ 0 Failed\n/);
  assert.match(out, /\nCompleted Indexes: +0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,\.\.\.\n/);
});

test("describe job: SetDefaults_Job's backoffLimit with a limit per index, and labels from a manual selector's template", () => {
  assert.match(jobOut("perindex"), /\nBackoff Limit: +2147483647\n/);
  const manual = jobOut("manual");
  assert.match(manual, /\nSelector: +app=x\nLabels: +app=x\n/);
  assert.match(manual, /\nPod Template:\n {2}Labels: +app=x\n {2}Containers:/);
});

// kubectl describe checked against kubectl itself: the expected texts are kubectl v1.32's
// output for the same objects served by an API server (kubernetes/kubectl
// staging/src/k8s.io/kubectl/pkg/describe/describe.go renders them client-side), and
// otherwise written from describe.go and the admission plugins it shows the work of.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../manifest/parse.js";
import { buildState } from "../control/build.js";
import type { ClusterState } from "../control/state.js";
import { describeNode, describePod, describeService } from "./describe.js";
import { describeEndpoints, describeEndpointSlice } from "./describe-endpoints.js";
import { describeDeployment, describeNetworkPolicy } from "./describe-objects.js";
import { endpointsList } from "./objects.js";

// A dump as `kubectl get -o yaml` gives it: a node with three taints, a pod with a
// seccomp profile, fieldRef env, unsorted tolerations and two spread constraints, its
// Service, Endpoints and EndpointSlice (with the controllers' annotation) and a policy
// with a port range.
const DUMP = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: worker
    creationTimestamp: "2025-06-02T08:14:27Z"
    labels: {kubernetes.io/hostname: worker}
  spec:
    podCIDR: 10.244.1.0/24
    podCIDRs: [10.244.1.0/24]
    taints:
    - {key: b, effect: NoSchedule}
    - {key: a, value: x, effect: NoExecute}
    - {key: a, effect: NoSchedule}
  status:
    addresses: [{address: 172.18.0.3, type: InternalIP}, {address: worker, type: Hostname}]
    allocatable: {cpu: "8", memory: 32827948Ki, pods: "110"}
    capacity: {cpu: "8", memory: 32827948Ki, pods: "110"}
    conditions:
    - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status, lastHeartbeatTime: "2025-06-02T08:30:00Z", lastTransitionTime: "2025-06-02T08:14:40Z"}
    nodeInfo: {architecture: amd64, bootID: b, containerRuntimeVersion: containerd://1.7.15, kernelVersion: 6.8.0, kubeProxyVersion: v1.30.0, kubeletVersion: v1.30.0, machineID: m, operatingSystem: linux, osImage: Debian, systemUUID: u}
- apiVersion: v1
  kind: Pod
  metadata:
    name: api
    namespace: default
    uid: 11111111-2222-3333-4444-555555555555
    creationTimestamp: "2025-06-02T08:21:30Z"
    labels: {app: api}
  spec:
    nodeName: worker
    priority: 0
    serviceAccountName: default
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
    topologySpreadConstraints:
    - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchExpressions: [{key: app, operator: In, values: [api, web]}]}}
    - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}
    tolerations:
    - {key: zeta, operator: Equal, value: v, effect: NoSchedule}
    - {key: alpha, operator: Exists}
    - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
    containers:
    - name: api
      image: nginx:1.25
      ports: [{containerPort: 8080, protocol: TCP}]
      env:
      - {name: POD_NAME, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}}
      - {name: POD_NS, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}}
      - {name: POD_UID, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.uid}}}
      - {name: APP, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: "metadata.labels['app']"}}}
      - {name: POD_IP, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}}
      - {name: NODE, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: spec.nodeName}}}
  status:
    phase: Running
    hostIP: 172.18.0.3
    hostIPs: [{ip: 172.18.0.3}]
    podIP: 10.244.1.9
    podIPs: [{ip: 10.244.1.9}]
    qosClass: BestEffort
    startTime: "2025-06-02T08:21:30Z"
    conditions:
    - {type: Ready, status: "True", lastTransitionTime: "2025-06-02T08:21:33Z"}
    - {type: PodScheduled, status: "True", lastTransitionTime: "2025-06-02T08:21:30Z"}
    containerStatuses:
    - {name: api, image: "nginx:1.25", imageID: "docker.io/library/nginx@sha256:abc", containerID: "containerd://abc", ready: true, restartCount: 0, started: true, state: {running: {startedAt: "2025-06-02T08:21:32Z"}}}
- apiVersion: v1
  kind: Service
  metadata: {name: api, namespace: default, creationTimestamp: "2025-06-02T08:21:29Z"}
  spec:
    selector: {app: api}
    clusterIP: 10.96.50.1
    clusterIPs: [10.96.50.1]
    ipFamilies: [IPv4]
    ipFamilyPolicy: SingleStack
    sessionAffinity: None
    internalTrafficPolicy: Cluster
    type: ClusterIP
    ports: [{port: 80, targetPort: 8080, protocol: TCP}]
- apiVersion: v1
  kind: Endpoints
  metadata:
    name: api
    namespace: default
    creationTimestamp: "2025-06-02T08:21:29Z"
    annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2025-06-02T08:21:33Z"}
  subsets:
  - addresses: [{ip: 10.244.1.9, nodeName: worker, targetRef: {kind: Pod, name: api, namespace: default}}]
    ports: [{port: 8080, protocol: TCP}]
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: api-abcde
    namespace: default
    creationTimestamp: "2025-06-02T08:21:29Z"
    labels: {kubernetes.io/service-name: api, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
    annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2025-06-02T08:21:33Z"}
  addressType: IPv4
  ports: [{name: "", port: 8080, protocol: TCP}]
  endpoints:
  - addresses: [10.244.1.9]
    conditions: {ready: true, serving: true, terminating: false}
    nodeName: worker
    targetRef: {kind: Pod, name: api, namespace: default}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: api-range, namespace: default, creationTimestamp: "2025-06-02T08:21:29Z"}
  spec:
    podSelector: {matchLabels: {app: api}}
    policyTypes: [Egress]
    egress:
    - ports: [{protocol: TCP, port: 8080, endPort: 8090}, {protocol: UDP, port: 53}]
`;

function dump(): ClusterState {
  return buildState(parseSpec([{ file: "dump.yaml", text: DUMP }]));
}

test("describe pod: SeccompProfile, fieldRef env, sorted tolerations, Topology Spread Constraints", () => {
  const s = dump();
  assert.equal(
    describePod(s, s.pods.find((p) => p.name === "api")!),
    [
      "Name:              api",
      "Namespace:         default",
      "Priority:          0",
      "Service Account:   default",
      "Node:              worker/172.18.0.3",
      "Start Time:        Mon, 02 Jun 2025 08:21:30 +0000",
      "Labels:            app=api",
      "Annotations:       <none>",
      "Status:            Running",
      "SeccompProfile:    Localhost",
      "LocalhostProfile:  profiles/audit.json",
      "IP:                10.244.1.9",
      "IPs:",
      "  IP:  10.244.1.9",
      "Containers:",
      "  api:",
      "    Container ID:   containerd://abc",
      "    Image:          nginx:1.25",
      "    Image ID:       docker.io/library/nginx@sha256:abc",
      "    Port:           8080/TCP",
      "    Host Port:      0/TCP",
      "    State:          Running",
      "      Started:      Mon, 02 Jun 2025 08:21:32 +0000",
      "    Ready:          True",
      "    Restart Count:  0",
      "    Environment:",
      "      POD_NAME:  api (v1:metadata.name)",
      "      POD_NS:    default (v1:metadata.namespace)",
      "      POD_UID:    (v1:metadata.uid)",
      "      APP:        (v1:metadata.labels['app'])",
      "      POD_IP:     (v1:status.podIP)",
      "      NODE:       (v1:spec.nodeName)",
      "    Mounts:      <none>",
      "Conditions:",
      "  Type                        Status",
      "  Ready                       True ",
      "  PodScheduled                True ",
      "Volumes:                      <none>",
      "QoS Class:                    BestEffort",
      "Node-Selectors:               <none>",
      "Tolerations:                  alpha op=Exists",
      "                              node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
      "                              node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
      "                              zeta=v:NoSchedule",
      "Topology Spread Constraints:  kubernetes.io/hostname:DoNotSchedule when max skew 1 is exceeded for selector app=api",
      "                              topology.kubernetes.io/zone:ScheduleAnyway when max skew 2 is exceeded for selector app in (api,web)",
      "Events:                       <none>",
      "",
    ].join("\n"),
  );
});

test("describe endpoints|endpointslice: the annotations the objects were given", () => {
  const s = dump();
  const ep = endpointsList(s).find((e) => e.name === "api")!;
  assert.equal(
    describeEndpoints(s, ep),
    [
      "Name:         api",
      "Namespace:    default",
      "Labels:       <none>",
      "Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2025-06-02T08:21:33Z",
      "Subsets:",
      "  Addresses:          10.244.1.9",
      "  NotReadyAddresses:  <none>",
      "  Ports:",
      "    Name     Port  Protocol",
      "    ----     ----  --------",
      "    <unset>  8080  TCP",
      "",
      "Events:  <none>",
      "",
    ].join("\n"),
  );
  assert.equal(
    describeEndpointSlice(s, s.endpointSlices.find((x) => x.name === "api-abcde")!),
    [
      "Name:         api-abcde",
      "Namespace:    default",
      "Labels:       endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io",
      "              kubernetes.io/service-name=api",
      "Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2025-06-02T08:21:33Z",
      "AddressType:  IPv4",
      "Ports:",
      "  Name     Port  Protocol",
      "  ----     ----  --------",
      "  <unset>  8080  TCP",
      "Endpoints:",
      "  - Addresses:  10.244.1.9",
      "    Conditions:",
      "      Ready:    true",
      "    Hostname:   <unset>",
      "    TargetRef:  Pod/api",
      "    NodeName:   worker",
      "    Zone:       <unset>",
      "Events:         <none>",
      "",
    ].join("\n"),
  );
});

test("describe service: the ready endpoint of its slice", () => {
  const s = dump();
  assert.equal(
    describeService(s, s.services.find((x) => x.name === "api")!),
    [
      "Name:                     api",
      "Namespace:                default",
      "Labels:                   <none>",
      "Annotations:              <none>",
      "Selector:                 app=api",
      "Type:                     ClusterIP",
      "IP Family Policy:         SingleStack",
      "IP Families:              IPv4",
      "IP:                       10.96.50.1",
      "IPs:                      10.96.50.1",
      "Port:                     <unset>  80/TCP",
      "TargetPort:               8080/TCP",
      "Endpoints:                10.244.1.9:8080",
      "Session Affinity:         None",
      "Internal Traffic Policy:  Cluster",
      "Events:                   <none>",
      "",
    ].join("\n"),
  );
});

test("describe networkpolicy: Created on is the given creationTimestamp; endPort is a To Port Range", () => {
  const s = dump();
  assert.equal(
    describeNetworkPolicy(s, s.networkPolicies.find((x) => x.name === "api-range")!),
    [
      "Name:         api-range",
      "Namespace:    default",
      "Created on:   2025-06-02 08:21:29 +0000 UTC",
      "Labels:       <none>",
      "Annotations:  <none>",
      "Spec:",
      "  PodSelector:     app=api",
      "  Not affecting ingress traffic",
      "  Allowing egress traffic:",
      "    To Port Range: 8080-8090/TCP",
      "    To Port: 53/UDP",
      "    To: <any> (traffic not restricted by destination)",
      "  Policy Types: Egress",
      "",
    ].join("\n"),
  );
});

test("describe node: taints sorted by effect, then key", () => {
  const s = dump();
  const out = describeNode(s, s.nodes.find((n) => n.name === "worker")!);
  assert.match(out, /\nTaints: +a=x:NoExecute\n +a:NoSchedule\n +b:NoSchedule\nUnschedulable: +false\n/);
});

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 0
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}
      tolerations:
      - {key: zeta, operator: Exists}
      - {key: alpha, operator: Exists}
      containers: [{name: api, image: "nginx:1.25"}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  tolerations:
  - {key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}
  - {operator: Exists, effect: NoExecute}
  containers: [{name: a, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
  - {key: example.com/gpu, operator: Exists}
  containers: [{name: a, image: busybox}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
`;

function manifests(): ClusterState {
  return buildState(parseSpec([{ file: "m.yaml", text: MANIFESTS }]));
}

test("describe deployment: the pod template's Topology Spread Constraints and sorted Tolerations", () => {
  const s = manifests();
  const out = describeDeployment(s, s.workloads.find((x) => x.kind === "Deployment" && x.metadata.name === "api")!);
  // kubectl's DescribePodTemplate for the same template: spread constraints after Volumes.
  const template = [
    "Pod Template:",
    "  Labels:  app=api",
    "  Containers:",
    "   api:",
    "    Image:                      nginx:1.25",
    "    Port:                       <none>",
    "    Host Port:                  <none>",
    "    Environment:                <none>",
    "    Mounts:                     <none>",
    "  Volumes:                      <none>",
    "  Topology Spread Constraints:  kubernetes.io/hostname:DoNotSchedule when max skew 1 is exceeded for selector app=api",
    "                                topology.kubernetes.io/zone:ScheduleAnyway when max skew 2 is exceeded",
    "  Node-Selectors:               <none>",
    "  Tolerations:                  alpha op=Exists",
    "                                zeta op=Exists",
  ].join("\n");
  assert.ok(out.includes(`\n${template}\n`), out);
});

test("describe pod: DefaultTolerationSeconds adds only the defaults no toleration covers", () => {
  const s = manifests();
  const tolerations = (name: string) =>
    /\nTolerations: +((?:.*\n)*?)(?:Events|Topology)/.exec(describePod(s, s.pods.find((p) => p.name === name)!))![1];
  // An empty key with effect NoExecute tolerates both not-ready and unreachable: nothing added;
  // sorted by key, the empty key first.
  assert.deepEqual(
    tolerations("agent")
      .split("\n")
      .map((l) => l.trim()),
    [":NoExecute op=Exists", "node.kubernetes.io/disk-pressure:NoSchedule op=Exists", ""],
  );
  // Its own not-ready toleration is kept (60s); only unreachable gets the 300s default.
  assert.deepEqual(
    tolerations("solo")
      .split("\n")
      .map((l) => l.trim()),
    [
      "example.com/gpu op=Exists",
      "node.kubernetes.io/not-ready:NoExecute op=Exists for 60s",
      "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
      "",
    ],
  );
});

test("describe service: a slice without ready endpoints prints an empty Endpoints line", () => {
  const s = manifests();
  // formatEndpointSlices joins the (empty) list of ready endpoints; "<none>" is for no slice.
  assert.match(describeService(s, s.services.find((x) => x.name === "nobody")!), /\nEndpoints: +\nSession Affinity:/);
});

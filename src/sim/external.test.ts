// From outside the cluster to a Service: the LAN client ARPs for the LoadBalancer IP, the
// elected MetalLB speaker node answers (metallb speaker/layer2_controller.go), and that
// node's kube-proxy rules take it to an endpoint. externalTrafficPolicy Cluster
// masquerades the client, Local keeps its address (kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState } from "../control/build.js";
import { specFrom } from "../control/testing.js";
import { buildIR } from "../dataplane/build.js";
import { ipvsIpsets } from "../proxy/ipvs/index.js";
import { traceFlow } from "./flow.js";
import type { TracePath } from "./trace.js";

const manifests = (etp: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: LoadBalancer, externalTrafficPolicy: ${etp}, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: v1
kind: Service
metadata: {name: inner}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;
const config = (mode: string) => ({
  name: "ext",
  nodes: [{ name: "control-plane", role: "control-plane" }, { name: "worker-1" }, { name: "worker-2" }],
  networking: { nodeSubnet: "192.168.1.0/24", loadBalancerSubnet: "192.168.1.240/28", kubeProxyMode: mode },
});
const steps = (p: TracePath) => p.hops.flatMap((h) => h.steps);

for (const mode of ["iptables", "nftables", "ipvs"])
  for (const etp of ["Cluster", "Local"]) {
    test(`${mode}, externalTrafficPolicy ${etp}: external → svc/web goes to the LoadBalancer IP via the speaker node`, () => {
      const state = buildState(specFrom(config(mode), manifests(etp)));
      const ir = buildIR(state);
      const pod = state.pods.find((p) => p.name.startsWith("web-"))!;
      const ipsets = (id: string) => {
        const n = state.nodes.find((x) => `node/${x.name}` === id);
        return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
      };
      const r = traceFlow(ir, { from: "external", to: "svc/web", reply: true }, { state, ipsets });
      assert.equal(r.flow.dst, "192.168.1.241");
      assert.equal(r.flow.port, 80);
      assert.equal(r.paths.length, 1);
      const p = r.paths[0];
      assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
      const arp = steps(p).find((s) => s.action === "ARP")!;
      // The one ready endpoint: Local admits only its node; Cluster elects among both
      // workers: sha256("worker-1#192.168.1.241") < sha256("worker-2#192.168.1.241").
      const speaker = etp === "Local" ? pod.nodeName : "worker-1";
      assert.match(arp.detail, new RegExp(`eth0 in node/${speaker}, MetalLB speaker on node ${speaker}, layer2`));
      assert.equal(p.reply?.disposition.verdict, "DELIVERED", JSON.stringify(p.reply?.disposition));
      assert.equal(steps(p.reply!).at(-1)!.packet.src, "192.168.1.241");
      const last = steps(p).at(-1)!.packet;
      assert.equal(last.dst, pod.podIP);
      if (etp === "Local") assert.equal(last.src, "192.168.1.1");
      else assert.notEqual(last.src, "192.168.1.1");
    });
  }

test("external → a NodePort Service uses a node's address and the NodePort; a ClusterIP Service is refused", () => {
  const state = buildState(specFrom(config("iptables"), manifests("Cluster")));
  const ir = buildIR(state);
  const r = traceFlow(ir, { from: "external", to: "svc/np" }, { state });
  assert.equal(r.flow.dst, "192.168.1.3"); // worker-1 (the control plane is excluded from external LBs)
  assert.equal(r.flow.port, 30080);
  assert.equal(r.paths[0].disposition.verdict, "DELIVERED");
  assert.throws(() => traceFlow(ir, { from: "external", to: "svc/inner" }, { state }), /type ClusterIP: outside/);
});

test("without a ready endpoint nobody answers ARP for the LoadBalancer IP", () => {
  const state = buildState(specFrom(config("iptables"), manifests("Cluster").replace("replicas: 1", "replicas: 0")));
  const r = traceFlow(buildIR(state), { from: "external", to: "192.168.1.241:80" }, { state });
  assert.equal(r.paths[0].disposition.reason, "NO_NEIGHBOUR");
});

// hostPort through the portmap plugin (containernetworking/plugins plugins/meta/portmap):
// external clients keep their address; a pod reaching its own hostPort (hairpin) is marked
// 0x2000 and masqueraded.
const hostPortPod = `
apiVersion: v1
kind: Pod
metadata: {name: hp}
spec:
  nodeName: worker-1
  containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 8081}]}]
`;
for (const [cni, backend] of [
  ["flannel", "vxlan"],
  ["calico", "bgp"],
])
  test(`${cni}: external → node:hostPort is DNATed to the pod, client address kept; hairpin is masqueraded`, () => {
    const cfg = config("iptables");
    const state = buildState(specFrom({ ...cfg, networking: { ...cfg.networking, cni, backend } }, hostPortPod));
    const ir = buildIR(state);
    const pod = state.pods.find((p) => p.name === "hp")!;
    const r = traceFlow(ir, { from: "external", to: "192.168.1.3:8081", reply: true }, { state });
    const p = r.paths[0];
    assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
    assert.ok(steps(p).some((s) => s.action === "NAT" && /CNI-DN-/.test(s.object?.chain ?? s.detail)));
    const last = steps(p).at(-1)!.packet;
    assert.equal(last.dst, pod.podIP);
    assert.equal(last.dport, 80);
    assert.equal(last.src, "192.168.1.1");
    assert.equal(p.reply?.disposition.verdict, "DELIVERED");
    const hair = traceFlow(ir, { from: "default/hp", to: "192.168.1.3:8081" }, { state }).paths[0];
    assert.equal(hair.disposition.verdict, "DELIVERED", JSON.stringify(hair.disposition));
    assert.ok(steps(hair).some((s) => /CNI-HOSTPORT-SETMARK/.test(s.detail)));
    assert.ok(
      steps(hair).some(
        (s) => s.action === "NAT" && /MASQUERADE/.test(s.detail) && /HOSTPORT-MASQ/.test(s.object?.chain ?? ""),
      ),
    );
    // flannel: cni0's address. Calico's cali* has none: the kernel's inet_select_addr
    // (torvalds/linux net/ipv4/devinet.c) then takes the namespace's first global address,
    // worker-1's eth0 (192.168.1.3).
    assert.equal(steps(hair).at(-1)!.packet.src, cni === "flannel" ? "10.244.1.1" : "192.168.1.3");
  });

// Cilium's kube-proxy replacement serves hostPort itself: HostPort frontends on the pod's
// node, its address and 0.0.0.0, in the lb maps, and no portmap chains
// (docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/#container-hostport-support);
// named after the pod and port (cilium pkg/k8s/watchers/pod.go).
test("cilium without kube-proxy: external → node:hostPort is a HostPort frontend, client address kept", () => {
  const cfg = config("none");
  const state = buildState(
    specFrom({ ...cfg, networking: { ...cfg.networking, cni: "cilium", backend: "vxlan" } }, hostPortPod),
  );
  const ir = buildIR(state);
  const pod = state.pods.find((p) => p.name === "hp")!;
  const node = ir.nodes.find((n) => n.name === "worker-1")!;
  const own = node.bpf!.services.local.filter((f) => f.flags.includes("HostPort"));
  assert.deepEqual(
    own.map((f) => [f.address, f.port, f.protocol, f.flags, f.service]),
    [
      ["192.168.1.3", 8081, "TCP", ["HostPort"], "default/hp/host-port/8081"],
      ["0.0.0.0", 8081, "TCP", ["HostPort", "non-routable"], "default/hp/host-port/8081"],
    ],
  );
  const backend = node.bpf!.backends.find((b) => b.id === own[0]!.backends[0])!;
  assert.deepEqual([backend.address, backend.port], [pod.podIP, 80]);
  // Only the pod's own node has them.
  const other = ir.nodes.find((n) => n.name === "worker-2")!;
  assert.ok(!other.bpf!.services.local.some((f) => f.flags.includes("HostPort")));
  const ipt = JSON.stringify(ir.nodes.map((n) => n.ns.netfilter));
  assert.doesNotMatch(ipt, /CNI-HOSTPORT|CNI-DN-/);
  const r = traceFlow(ir, { from: "external", to: "192.168.1.3:8081", reply: true }, { state });
  const p = r.paths[0];
  assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
  assert.ok(steps(p).some((s) => /cil_from_netdev/.test(s.detail) && /host-port\/8081 frontend/.test(s.detail)));
  const last = steps(p).at(-1)!.packet;
  assert.deepEqual([last.dst, last.dport, last.src], [pod.podIP, 80, "192.168.1.1"]);
  assert.equal(p.reply?.disposition.verdict, "DELIVERED");
});

// Cilium behind kube-proxy (the chart's kubeProxyReplacement "false"): bpf_lxc still balances
// pods' ClusterIP connections, kube-proxy serves the NodePorts; with legacy host routing the
// replies go up the stack, whose conntrack undoes kube-proxy's NAT
// (docs.cilium.io/en/stable/network/kubernetes/kubeproxy-free/, .../operations/performance/tuning/).
test("cilium behind kube-proxy: ClusterIPs in bpf_lxc, NodePorts through kube-proxy", () => {
  const cfg = config("iptables");
  const client = `---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {nodeName: control-plane, containers: [{name: c, image: curl}]}
`;
  const state = buildState(
    specFrom(
      { ...cfg, networking: { ...cfg.networking, cni: "cilium", backend: "vxlan" } },
      manifests("Cluster") + client,
    ),
  );
  const ir = buildIR(state);
  for (const n of ir.nodes) {
    const all = [...n.bpf!.services.cluster, ...n.bpf!.services.local];
    assert.ok(all.length > 0 && all.every((f) => f.flags.includes("ClusterIP")), n.name);
  }
  const pod = state.pods.find((p) => p.name.startsWith("web-"))!;
  assert.notEqual(pod.nodeName, "control-plane");
  const inner = traceFlow(ir, { from: "default/client", to: "svc/inner", reply: true }, { state }).paths[0];
  assert.equal(inner.disposition.verdict, "DELIVERED", JSON.stringify(inner.disposition));
  assert.ok(steps(inner).some((s) => s.action === "NAT" && /cil_from_container/.test(s.detail)));
  assert.ok(!steps(inner).some((s) => /KUBE-SVC/.test(s.object?.chain ?? s.detail)));
  const np = traceFlow(ir, { from: "external", to: "192.168.1.2:30080", reply: true }, { state }).paths[0];
  assert.equal(np.disposition.verdict, "DELIVERED", JSON.stringify(np.disposition));
  assert.ok(steps(np).some((s) => /KUBE-SVC/.test(s.object?.chain ?? s.detail)));
  assert.equal(np.reply?.disposition.verdict, "DELIVERED");
  // Back over the tunnel to the node that translated it, up its stack: conntrack undoes the NAT.
  assert.ok(np.reply && steps(np.reply).some((s) => s.action === "NAT" && /undo DNAT/.test(s.detail)));
});

// kube-proxy masquerades a Cluster-policy LoadBalancer/NodePort client to the node's IP
// (kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-type-nodeport);
// on Calico the packet leaves through a cali* veth that has no address.
for (const mode of ["iptables", "nftables"])
  test(`calico ${mode}: external → LoadBalancer (Cluster) reaches the pod from the node's address`, () => {
    const cfg = config(mode);
    const state = buildState(
      specFrom({ ...cfg, networking: { ...cfg.networking, cni: "calico", backend: "bgp" } }, manifests("Cluster")),
    );
    const pod = state.pods.find((p) => p.name.startsWith("web-"))!;
    const node = state.nodes.find((n) => n.name === pod.nodeName)!;
    const r = traceFlow(buildIR(state), { from: "external", to: `${node.address}:30080`, reply: true }, { state });
    const p = r.paths[0];
    assert.equal(p.disposition.verdict, "DELIVERED", JSON.stringify(p.disposition));
    assert.equal(steps(p).at(-1)!.packet.src, node.address);
    assert.equal(p.reply?.disposition.verdict, "DELIVERED", JSON.stringify(p.reply?.disposition));
    assert.equal(steps(p.reply!).at(-1)!.packet.dst, "192.168.1.1");
  });

// A cloud load balancer known by hostname (status.loadBalancer.ingress[].hostname, as AWS's
// ELB writes it) is outside the nodes: kube-proxy and Cilium take only ingress IPs
// (kubernetes/kubernetes pkg/proxy/service.go newBaseServiceInfo; cilium/cilium
// pkg/k8s/service.go ParseService), and the load balancer forwards to the NodePorts.
const elb = `
apiVersion: v1
kind: Service
metadata: {name: elb}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 443, targetPort: 8080, nodePort: 30443}]}
status:
  loadBalancer:
    ingress: [{hostname: a1b2-123.eu-west-1.elb.amazonaws.com}]
`;
for (const [cni, mode] of [
  ["flannel", "iptables"],
  ["cilium", "none"],
])
  test(`${cni}/${mode}: external → a LoadBalancer known by hostname goes to its NodePort`, () => {
    const cfg = config(mode);
    const spec = specFrom({ ...cfg, networking: { ...cfg.networking, cni } }, `${manifests("Cluster")}---${elb}`);
    const state = buildState(spec);
    const ir = buildIR(state);
    const r = traceFlow(ir, { from: "external", to: "svc/elb" }, { state });
    assert.equal(r.flow.port, 30443);
    assert.ok(state.nodes.some((n) => n.address === r.flow.dst));
    assert.equal(r.paths[0].disposition.verdict, "DELIVERED", JSON.stringify(r.paths[0].disposition));
    for (const n of ir.nodes)
      for (const s of [...(n.bpf?.services.cluster ?? []), ...(n.bpf?.services.local ?? [])])
        assert.ok(s.address === "0.0.0.0" || /^\d+\.\d+\.\d+\.\d+$/.test(s.address), s.address);
  });

// IPVS mode's nat rules (kubernetes/kubernetes pkg/proxy/ipvs/proxier.go writeIptablesRules,
// ipsetWithIptablesChain): a LoadBalancer IP jumps to KUBE-LOAD-BALANCER, which RETURNs for
// KUBE-LOAD-BALANCER-LOCAL and otherwise marks for masquerade; a NodePort in
// KUBE-NODE-PORT-LOCAL-TCP RETURNs before KUBE-NODE-PORT-TCP's masquerade. So Cluster
// hides the client even when the endpoint is on the node that takes the packet, and Local
// keeps it (https://kubernetes.io/docs/tutorials/services/source-ip/).
const pinned = (etp: string) => `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: worker-1
  containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, externalTrafficPolicy: ${etp}, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  externalTrafficPolicy: ${etp}
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
`;
for (const etp of ["Cluster", "Local"])
  test(`ipvs, externalTrafficPolicy ${etp}: LoadBalancer IP and NodePort on the endpoint's node ${etp === "Local" ? "keep" : "masquerade"} the client`, () => {
    const state = buildState(specFrom(config("ipvs"), pinned(etp)));
    const ir = buildIR(state);
    const ipsets = (id: string) => {
      const n = state.nodes.find((x) => `node/${x.name}` === id);
      return n ? (ipvsIpsets(state, n) as unknown as Record<string, (string | number)[]>) : undefined;
    };
    for (const to of ["192.168.1.241:80", "192.168.1.3:30080"]) {
      const r = traceFlow(ir, { from: "external", to }, { state, ipsets });
      const p = r.paths[0];
      assert.equal(p.disposition.verdict, "DELIVERED", `${to}: ${JSON.stringify(p.disposition)}`);
      assert.deepEqual(
        p.hops.filter((h) => h.ns.startsWith("node/")).map((h) => h.ns),
        ["node/worker-1"],
      );
      const src = steps(p).at(-1)!.packet.src;
      if (etp === "Local") assert.equal(src, "192.168.1.1", to);
      else assert.equal(src, "10.244.1.1", to); // cni0's address, MASQUERADE's choice
    }
  });

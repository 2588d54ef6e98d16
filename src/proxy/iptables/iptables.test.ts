// Expected rules are written from kube-proxy's documented shapes
// (kubernetes/kubernetes pkg/proxy/iptables/proxier.go), not from podnet's output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { iptablesMode, probability } from "./index.js";
import { portProtoHash, sepChainName } from "../hash.js";
import { renderIptables } from "../../ir/render-iptables.js";
import * as T from "../testing.js";
import { proxyLayers } from "../mode.js";
import type { ClusterState } from "../../control/state.js";

function render(state: ClusterState, nodeName = "worker-1"): string {
  const shared = iptablesMode.shared(state);
  const node = state.nodes.find((n) => n.name === nodeName)!;
  const own = iptablesMode.perNode(state, node, shared);
  return renderIptables(proxyLayers(shared, own).iptables);
}
const lines = (text: string, prefix: string) =>
  text.split("\n").filter((l) => l.startsWith(prefix + " ") || l === prefix);
const svc = (name: string, proto = "tcp") => "KUBE-SVC-" + portProtoHash(name, proto);
const sep = (name: string, ep: string, proto = "tcp") => sepChainName(name, proto, ep);

test("chain-name hashes match the reference's check values", () => {
  assert.equal("KUBE-SVC-" + portProtoHash("default/auth-service:http", "tcp"), "KUBE-SVC-FCQA5OQTFYIPVXUO");
  assert.equal("KUBE-SVC-" + portProtoHash("default/auth-service", "tcp"), "KUBE-SVC-XVSZT5OVGTVVWFGR");
  assert.equal(sepChainName("default/auth-service", "tcp", "10.244.1.5:80"), "KUBE-SEP-NBFGZ2TW6WACI6R6");
  // The API server Service's chain on every real cluster.
  assert.equal("KUBE-SVC-" + portProtoHash("default/kubernetes:https", "tcp"), "KUBE-SVC-NPX46M4PTMTKRN6Y");
  // kube-dns's chains, as every kubeadm cluster's iptables-save shows them.
  assert.equal("KUBE-SVC-" + portProtoHash("kube-system/kube-dns:dns", "udp"), "KUBE-SVC-TCOU7JCQXEZGVUNU");
  assert.equal("KUBE-SVC-" + portProtoHash("kube-system/kube-dns:dns-tcp", "tcp"), "KUBE-SVC-ERIFXISQEP7F7OF4");
  assert.equal("KUBE-SVC-" + portProtoHash("kube-system/kube-dns:metrics", "tcp"), "KUBE-SVC-JD5MR3NA4I4DYORP");
});

test("probability is %0.10f of 1/n", () => {
  assert.equal(probability(3), "0.3333333333");
  assert.equal(probability(2), "0.5000000000");
});

const three = () =>
  T.clusterState(
    [T.service("default", "auth-service", "10.96.0.20")],
    [
      T.slice("default", "auth-service", [
        { ip: "10.244.2.7", node: "worker-2" },
        { ip: "10.244.1.5", node: "worker-1" },
        { ip: "10.244.1.10", node: "worker-1" },
      ]),
    ],
  );

test("ClusterIP service with 3 endpoints: KUBE-SERVICES, KUBE-SVC ladder, KUBE-SEP chains", () => {
  const text = render(three());
  const S = "KUBE-SVC-XVSZT5OVGTVVWFGR";
  assert.ok(
    text.includes(
      `-A KUBE-SERVICES -m comment --comment "default/auth-service cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j ${S}\n`,
    ),
  );
  // Endpoints ordered by their "ip:port" string: 10.244.1.10 < 10.244.1.5 < 10.244.2.7.
  assert.deepEqual(lines(text, "-A " + S), [
    `-A ${S} -m comment --comment "default/auth-service cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${S} -m comment --comment "default/auth-service -> 10.244.1.10:80" -m statistic --mode random --probability 0.3333333333 -j ${sep("default/auth-service", "10.244.1.10:80")}`,
    `-A ${S} -m comment --comment "default/auth-service -> 10.244.1.5:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-NBFGZ2TW6WACI6R6`,
    `-A ${S} -m comment --comment "default/auth-service -> 10.244.2.7:80" -j ${sep("default/auth-service", "10.244.2.7:80")}`,
  ]);
  assert.deepEqual(lines(text, "-A KUBE-SEP-NBFGZ2TW6WACI6R6"), [
    "-A KUBE-SEP-NBFGZ2TW6WACI6R6 -m comment --comment default/auth-service -s 10.244.1.5/32 -j KUBE-MARK-MASQ",
    "-A KUBE-SEP-NBFGZ2TW6WACI6R6 -m comment --comment default/auth-service -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:80",
  ]);
  assert.ok(text.includes(":KUBE-SEP-NBFGZ2TW6WACI6R6 - [0:0]\n"));
  // The fixed chains.
  assert.deepEqual(lines(text, "-A KUBE-MARK-MASQ"), ["-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000"]);
  assert.deepEqual(lines(text, "-A KUBE-POSTROUTING"), [
    "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
    "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ]);
  assert.deepEqual(lines(text, "-A PREROUTING"), [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ]);
  assert.deepEqual(lines(text, "-A POSTROUTING"), [
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ]);
  assert.deepEqual(lines(text, "-A KUBE-FORWARD"), [
    "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ]);
  // The nodeports jump is the last rule of nat KUBE-SERVICES.
  const natSvc = lines(text.slice(text.indexOf("*nat")), "-A KUBE-SERVICES");
  assert.equal(
    natSvc[natSvc.length - 1],
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  assert.ok(/\*mangle\n(:.*\n)*:KUBE-PROXY-CANARY - \[0:0\]\n/.test(text));
});

test("service without endpoints: REJECT in filter KUBE-SERVICES, no nat chains", () => {
  const st = T.clusterState(
    [T.service("default", "empty", "10.96.0.21", { ports: [{ name: "web", port: 8080 }] })],
    [],
  );
  const text = render(st);
  const reject =
    '-A KUBE-SERVICES -m comment --comment "default/empty:web has no endpoints" -m tcp -p tcp -d 10.96.0.21/32 --dport 8080';
  assert.deepEqual(
    lines(text, "-A KUBE-SERVICES").filter((l) => l.includes("default/empty")),
    [
      // podnet's flow-log rule (podnet observe), then kube-proxy's REJECT (proxier.go).
      `${reject} -j NFLOG --nflog-prefix SERVICE_BACKEND_NOT_FOUND --nflog-group 30`,
      `${reject} -j REJECT`,
    ],
  );
  assert.ok(!text.includes(svc("default/empty:web")));
});

test("NodePort: KUBE-NODEPORTS → KUBE-EXT (masquerade) → KUBE-SVC", () => {
  const st = T.clusterState(
    [
      T.service("default", "np", "10.96.0.22", {
        type: "NodePort",
        ports: [{ name: "http", port: 80, nodePort: 30080 }],
      }),
    ],
    [T.slice("default", "np", [{ ip: "10.244.2.8", node: "worker-2" }], [{ name: "http", port: 8080 }])],
  );
  const text = render(st);
  const h = portProtoHash("default/np:http", "tcp");
  assert.deepEqual(lines(text, "-A KUBE-NODEPORTS"), [
    `-A KUBE-NODEPORTS -m comment --comment default/np:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-${h}`,
  ]);
  assert.deepEqual(lines(text, `-A KUBE-EXT-${h}`), [
    `-A KUBE-EXT-${h} -m comment --comment "masquerade traffic for default/np:http external destinations" -j KUBE-MARK-MASQ`,
    `-A KUBE-EXT-${h} -j KUBE-SVC-${h}`,
  ]);
  assert.ok(
    text.includes(
      `-A KUBE-SVC-${h} -m comment --comment "default/np:http -> 10.244.2.8:8080" -j ${sep("default/np:http", "10.244.2.8:8080")}`,
    ),
  );
});

const etpLocal = () =>
  T.clusterState(
    [
      T.service("default", "web", "10.96.0.30", {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 32100,
        loadBalancerIPs: ["192.168.1.240"],
        externalIPs: ["192.168.1.200"],
        ports: [{ port: 80, nodePort: 30090 }],
      }),
    ],
    [
      T.slice("default", "web", [
        { ip: "10.244.1.20", node: "worker-1" },
        { ip: "10.244.2.20", node: "worker-2" },
      ]),
    ],
  );

test("externalTrafficPolicy Local, node with a local endpoint: KUBE-SVL with only it", () => {
  const text = render(etpLocal(), "worker-1");
  const h = portProtoHash("default/web", "tcp");
  assert.deepEqual(lines(text, `-A KUBE-EXT-${h}`), [
    `-A KUBE-EXT-${h} -m comment --comment "pod traffic for default/web external destinations" -s 10.244.0.0/16 -j KUBE-SVC-${h}`,
    `-A KUBE-EXT-${h} -m comment --comment "masquerade LOCAL traffic for default/web external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
    `-A KUBE-EXT-${h} -m comment --comment "route LOCAL traffic for default/web external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-${h}`,
    `-A KUBE-EXT-${h} -j KUBE-SVL-${h}`,
  ]);
  assert.deepEqual(lines(text, `-A KUBE-SVL-${h}`), [
    `-A KUBE-SVL-${h} -m comment --comment "default/web -> 10.244.1.20:80" -j ${sep("default/web", "10.244.1.20:80")}`,
  ]);
  // The cluster chain keeps both endpoints (pod and host traffic are short-circuited to it).
  assert.equal(lines(text, `-A KUBE-SVC-${h}`).length, 3);
  assert.ok(
    text.includes(
      `-A KUBE-SERVICES -m comment --comment "default/web loadbalancer IP" -m tcp -p tcp -d 192.168.1.240/32 --dport 80 -j KUBE-EXT-${h}`,
    ),
  );
  assert.ok(
    text.includes(
      `-A KUBE-SERVICES -m comment --comment "default/web external IP" -m tcp -p tcp -d 192.168.1.200/32 --dport 80 -j KUBE-EXT-${h}`,
    ),
  );
  assert.ok(
    text.includes(
      `-A KUBE-NODEPORTS -m comment --comment "default/web health check node port" -m tcp -p tcp --dport 32100 -j ACCEPT`,
    ),
  );
  assert.deepEqual(lines(text, "-A KUBE-EXTERNAL-SERVICES"), []);
});

test("externalTrafficPolicy Local, node without a local endpoint: DROP in KUBE-EXTERNAL-SERVICES", () => {
  const text = render(etpLocal(), "control-plane");
  const h = portProtoHash("default/web", "tcp");
  // kube-proxy's DROPs (proxier.go), each after podnet's flow-log rule with its matches.
  const logged = (m: string) => [
    `${m} -j NFLOG --nflog-prefix SERVICE_BACKEND_NOT_FOUND --nflog-group 30`,
    `${m} -j DROP`,
  ];
  assert.deepEqual(lines(text, "-A KUBE-EXTERNAL-SERVICES"), [
    ...logged(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web has no local endpoints" -m tcp -p tcp -d 192.168.1.200/32 --dport 80',
    ),
    ...logged(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web has no local endpoints" -m tcp -p tcp -d 192.168.1.240/32 --dport 80',
    ),
    ...logged(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30090',
    ),
  ]);
  assert.ok(!text.includes(`KUBE-SVL-${h}`));
  assert.equal(lines(text, `-A KUBE-EXT-${h}`).length, 3);
});

test("internalTrafficPolicy Local: SVL on a node with local endpoints, DROP without", () => {
  const st = T.clusterState(
    [T.service("default", "itp", "10.96.0.31", { internalTrafficPolicy: "Local" })],
    [T.slice("default", "itp", [{ ip: "10.244.1.21", node: "worker-1" }])],
  );
  const h = portProtoHash("default/itp", "tcp");
  const w1 = render(st, "worker-1");
  assert.ok(
    w1.includes(
      `-A KUBE-SERVICES -m comment --comment "default/itp cluster IP" -m tcp -p tcp -d 10.96.0.31/32 --dport 80 -j KUBE-SVL-${h}\n`,
    ),
  );
  assert.deepEqual(lines(w1, `-A KUBE-SVL-${h}`), [
    `-A KUBE-SVL-${h} -m comment --comment "default/itp cluster IP" -m tcp -p tcp -d 10.96.0.31/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A KUBE-SVL-${h} -m comment --comment "default/itp -> 10.244.1.21:80" -j ${sep("default/itp", "10.244.1.21:80")}`,
  ]);
  const w2 = render(st, "worker-2");
  assert.ok(
    w2.includes(
      `-A KUBE-SERVICES -m comment --comment "default/itp has no local endpoints" -m tcp -p tcp -d 10.96.0.31/32 --dport 80 -j DROP\n`,
    ),
  );
  assert.ok(!w2.includes("KUBE-SVL-") && !w2.includes(sep("default/itp", "10.244.1.21:80")));
});

test("session affinity ClientIP: recent --rcheck in KUBE-SVC, --set in KUBE-SEP", () => {
  const st = T.clusterState(
    [T.service("default", "aff", "10.96.0.32", { sessionAffinity: "ClientIP", sessionAffinityTimeout: 600 })],
    [
      T.slice("default", "aff", [
        { ip: "10.244.1.5", node: "worker-1" },
        { ip: "10.244.2.5", node: "worker-2" },
      ]),
    ],
  );
  const text = render(st);
  const S = svc("default/aff");
  const a = sep("default/aff", "10.244.1.5:80");
  const b = sep("default/aff", "10.244.2.5:80");
  assert.deepEqual(lines(text, "-A " + S).slice(1), [
    `-A ${S} -m comment --comment "default/aff -> 10.244.1.5:80" -m recent --name ${a} --rcheck --seconds 600 --reap -j ${a}`,
    `-A ${S} -m comment --comment "default/aff -> 10.244.2.5:80" -m recent --name ${b} --rcheck --seconds 600 --reap -j ${b}`,
    `-A ${S} -m comment --comment "default/aff -> 10.244.1.5:80" -m statistic --mode random --probability 0.5000000000 -j ${a}`,
    `-A ${S} -m comment --comment "default/aff -> 10.244.2.5:80" -j ${b}`,
  ]);
  assert.ok(
    text.includes(
      `-A ${a} -m comment --comment default/aff -m recent --name ${a} --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:80\n`,
    ),
  );
});

test("LoadBalancer with loadBalancerSourceRanges: KUBE-FW chain and KUBE-PROXY-FIREWALL drop", () => {
  const st = T.clusterState(
    [
      T.service("default", "fw", "10.96.0.33", {
        type: "LoadBalancer",
        loadBalancerIPs: ["192.168.1.241"],
        loadBalancerSourceRanges: ["203.0.113.0/25"],
        ports: [{ port: 80, nodePort: 30091 }],
      }),
    ],
    [T.slice("default", "fw", [{ ip: "10.244.1.6", node: "worker-1" }])],
  );
  const text = render(st);
  const h = portProtoHash("default/fw", "tcp");
  assert.ok(
    text.includes(
      `-A KUBE-SERVICES -m comment --comment "default/fw loadbalancer IP" -m tcp -p tcp -d 192.168.1.241/32 --dport 80 -j KUBE-FW-${h}\n`,
    ),
  );
  assert.deepEqual(lines(text, `-A KUBE-FW-${h}`), [
    `-A KUBE-FW-${h} -m comment --comment "default/fw loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-${h}`,
    `-A KUBE-FW-${h} -m comment --comment "other traffic to default/fw will be dropped by KUBE-PROXY-FIREWALL"`,
  ]);
  assert.ok(
    text.includes(
      `-A KUBE-PROXY-FIREWALL -m comment --comment "default/fw traffic not accepted by KUBE-FW-${h}" -m tcp -p tcp -d 192.168.1.241/32 --dport 80 -j DROP\n`,
    ),
  );
});

test("named ports: a Service port matches the slice port of the same name", () => {
  const st = T.clusterState(
    [
      T.service("default", "multi", "10.96.0.34", {
        ports: [
          { name: "http", port: 80, targetPort: "web" },
          { name: "metrics", port: 9090, targetPort: 9090 },
        ],
      }),
    ],
    [
      T.slice(
        "default",
        "multi",
        [{ ip: "10.244.1.7", node: "worker-1" }],
        [
          { name: "http", port: 8080 },
          { name: "metrics", port: 9100 },
        ],
      ),
    ],
  );
  const text = render(st);
  assert.ok(
    text.includes(
      `-A ${sep("default/multi:http", "10.244.1.7:8080")} -m comment --comment default/multi:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:8080\n`,
    ),
  );
  assert.ok(
    text.includes(
      `-A ${sep("default/multi:metrics", "10.244.1.7:9100")} -m comment --comment default/multi:metrics -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:9100\n`,
    ),
  );
});

test("selector-less Service uses the given EndpointSlice as is", () => {
  const ext = T.slice("default", "external-db", [{ ip: "192.168.1.50" }], [{ port: 5432 }], "external-db-1");
  ext.managedBy = "user";
  const st = T.clusterState(
    [T.service("default", "external-db", "10.96.0.35", { selector: null, ports: [{ port: 5432, targetPort: 5432 }] })],
    [ext],
  );
  const text = render(st);
  assert.ok(
    text.includes(
      `-A ${sep("default/external-db", "192.168.1.50:5432")} -m comment --comment default/external-db -m tcp -p tcp -j DNAT --to-destination 192.168.1.50:5432\n`,
    ),
  );
});

test("only ready endpoints; serving+terminating ones when none is ready", () => {
  const st = T.clusterState(
    [T.service("default", "a", "10.96.0.40"), T.service("default", "b", "10.96.0.41")],
    [
      T.slice("default", "a", [{ ip: "10.244.1.8", ready: false, serving: false }, { ip: "10.244.1.9" }]),
      T.slice("default", "b", [
        { ip: "10.244.2.8", ready: false, serving: true, terminating: true },
        { ip: "10.244.2.9", ready: false, serving: false, terminating: true },
      ]),
    ],
  );
  const text = render(st);
  assert.deepEqual(
    lines(text, "-A " + svc("default/a"))
      .slice(1)
      .map((l) => l.split(" -j ")[1]),
    [sep("default/a", "10.244.1.9:80")],
  );
  assert.deepEqual(
    lines(text, "-A " + svc("default/b"))
      .slice(1)
      .map((l) => l.split(" -j ")[1]),
    [sep("default/b", "10.244.2.8:80")],
  );
});

test("more than 1000 endpoints: per-endpoint comments are left out", () => {
  const st = T.syntheticState(11, 100, 3); // 1100 endpoints
  const text = render(st);
  assert.ok(!text.includes(" -> "));
  assert.ok(!/-A KUBE-SEP-\S+ -m comment/.test(text));
  assert.ok(text.includes('--comment "ns0/svc-0:http cluster IP"'));
});

test("shared layer is node-independent; per-node layers stay small", () => {
  const st = etpLocal();
  const shared = iptablesMode.shared(st);
  const before = JSON.stringify(shared);
  const sizes = st.nodes.map((n) => JSON.stringify(iptablesMode.perNode(st, n, shared)).length);
  assert.equal(JSON.stringify(shared), before);
  assert.ok(Math.max(...sizes) < before.length);
});

// The CNI portmap plugin's nat rules, written from containernetworking/plugins
// plugins/meta/portmap/portmap.go (fillDnatRules, genSetMarkChain, genMarkMasqChain,
// genToplevelDnatChain) and pkg/utils/utils.go (MustFormatChainNameWithPrefix), in the form
// iptables-save prints them. Chain names worked out with Python's hashlib:
//   ("CNI-DN-" + sha512("cbr0" + "abc123").hexdigest())[:28] == "CNI-DN-3e9a3d0f9583cdc0e7133"
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderIptables } from "../ir/render-iptables.js";
import { cniNetworkName, dnatChainName, portmapLayers } from "./portmap.js";

test("chain name: CNI-DN- + hex sha512(network + container ID), 28 characters", () => {
  assert.equal(dnatChainName("cbr0", "abc123"), "CNI-DN-3e9a3d0f9583cdc0e7133");
  assert.equal(dnatChainName("k8s-pod-network", "abc123"), "CNI-DN-168710c2ae5f690fed468");
  assert.equal(cniNetworkName("flannel"), "cbr0");
  assert.equal(cniNetworkName("calico"), "k8s-pod-network");
});

test("no pod maps a port: no chains at all", () => {
  assert.equal(portmapLayers("cbr0", [{ containerID: "x", containerNet: "10.244.1.5/24", mappings: [] }]), null);
});

test("one pod: entry jumps, the per-pod chain (hairpin, localhost, DNAT per mapping), mark and masquerade", () => {
  const l = portmapLayers("cbr0", [
    {
      containerID: "abc123",
      containerNet: "10.244.1.5/24",
      mappings: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp" },
        { hostPort: 8443, containerPort: 443, protocol: "tcp", hostIP: "192.168.1.3" },
      ],
    },
  ])!;
  const text = renderIptables([l.head, l.tail]);
  const dn = "CNI-DN-3e9a3d0f9583cdc0e7133";
  const comment = `"dnat name: \\"cbr0\\" id: \\"abc123\\""`;
  const want = [
    "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    // protocols sorted, ports of one protocol in one multiport rule
    `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${comment} -m multiport --dports 8080,8443 -j ${dn}`,
    `-A CNI-HOSTPORT-DNAT -p udp -m comment --comment ${comment} -m multiport --dports 5353 -j ${dn}`,
    `-A ${dn} -s 10.244.1.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.5:80`,
    `-A ${dn} -s 10.244.1.0/24 -p udp -m udp --dport 5353 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -s 127.0.0.1/32 -p udp -m udp --dport 5353 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -p udp -m udp --dport 5353 -j DNAT --to-destination 10.244.1.5:53`,
    `-A ${dn} -s 10.244.1.0/24 -d 192.168.1.3/32 -p tcp -m tcp --dport 8443 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -s 127.0.0.1/32 -d 192.168.1.3/32 -p tcp -m tcp --dport 8443 -j CNI-HOSTPORT-SETMARK`,
    `-A ${dn} -d 192.168.1.3/32 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 10.244.1.5:443`,
    "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
    '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
  ];
  const got = text.split("\n").filter((x) => x.startsWith("-A "));
  assert.deepEqual(
    got.filter((x) => x.startsWith(`-A ${dn}`)),
    want.filter((x) => x.startsWith(`-A ${dn}`)),
  );
  for (const w of want) assert.ok(got.includes(w), `missing: ${w}\n${text}`);
});

test("more than 15 host ports of one protocol: multiport rules of 15", () => {
  const mappings = Array.from({ length: 17 }, (_, i) => ({
    hostPort: 9000 + i,
    containerPort: 9000 + i,
    protocol: "tcp" as const,
  }));
  const l = portmapLayers("cbr0", [{ containerID: "c", containerNet: "10.244.1.5/32", mappings }])!;
  const entries = l.tail.tables.nat!["CNI-HOSTPORT-DNAT"].rules;
  assert.equal(entries.length, 2);
  const dports = entries.map((r) => r.opts.find((o) => o.opt === "--dports")!.args[0]);
  assert.equal(dports[0].split(",").length, 15);
  assert.equal(dports[1], "9015,9016");
});

// The bytes podnet writes into its BPF maps. Expected layouts: Cilium's structs
// (cilium/cilium bpf/lib/common.h: lb4_key, lb4_service, lb4_backend, lb4_reverse_nat,
// ipcache_key, remote_endpoint_info, endpoint_info; bpf/lib/policy.h policy_key), network
// order for __be fields; and, when the objects are built, the sizes clang gave the structs
// of podnet's own C (BTF), so that the TypeScript encoder and the C programs agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { NodeBpf } from "../ir/types.js";
import { bpfMissing, bpfObjectDir, attachLines } from "./bpf.js";
import {
  backendEntries,
  configEntry,
  endpointEntries,
  hex,
  ipcacheEntries,
  policyEntries,
  portPrefixes,
  revNatEntries,
  serviceEntries,
} from "./bpf-maps.js";
import { guardCommand, SafetyError } from "./names.js";

const bpf: NodeBpf = {
  routerIP: "10.244.1.1",
  tunnel: { dev: "cilium_vxlan", protocol: "vxlan", port: 8472 },
  kubeProxyReplacement: true,
  nodePortMode: "snat",
  identities: [],
  services: {
    local: [],
    cluster: [
      {
        address: "10.96.0.10",
        port: 53,
        protocol: "UDP",
        revNat: 2,
        backends: [7, 9],
        flags: ["ClusterIP", "non-routable"],
        service: "kube-system/kube-dns:dns",
      },
      {
        address: "0.0.0.0",
        port: 30080,
        protocol: "TCP",
        revNat: 5,
        backends: [],
        flags: ["NodePort", "non-routable"],
        service: "x",
      },
    ],
  },
  backends: [{ id: 7, address: "10.244.1.7", port: 53, protocol: "UDP", state: "active" }],
  revNat: { cluster: [{ id: 2, address: "10.96.0.10", port: 53 }], local: [] },
  ipcache: {
    local: [],
    cluster: [
      { prefix: "10.244.2.9/32", identity: 23452, tunnelEndpoint: "192.168.1.4" },
      { prefix: "10.244.2.0/24", identity: 2, tunnelEndpoint: "192.168.1.4" },
      { prefix: "0.0.0.0/0", identity: 2 },
    ],
  },
  endpoints: [
    {
      id: 1478,
      ip: "10.244.1.5",
      ifName: "lxc0123456789ab",
      mac: "0a:58:0a:f4:01:05",
      nodeMac: "ee:ee:ee:ee:ee:01",
      identity: 12001,
      pod: "default/web",
      ingressEnforced: true,
      egressEnforced: false,
    },
  ],
  policy: {
    1478: [
      { identity: 12001, direction: "ingress", protocol: "TCP", port: 8080, by: "r" },
      { identity: 0, direction: "egress", by: "no policy" },
      { identity: 6, direction: "ingress", protocol: "UDP", by: "any port" },
    ],
  },
};

test("cilium_lb4_services_v2: slots first, then slot 0 with the count (lb4_key / lb4_service)", () => {
  const e = serviceEntries(bpf).map((x) => [hex(x.key), hex(x.value)]);
  // {address 10.96.0.10, dport 53 (be), backend_slot, proto 17, scope 0, pad}
  assert.deepEqual(e.slice(0, 3), [
    ["0a 60 00 0a 00 35 01 00 11 00 00 00", "07 00 00 00 00 00 02 00 00 00 00 00"],
    ["0a 60 00 0a 00 35 02 00 11 00 00 00", "09 00 00 00 00 00 02 00 00 00 00 00"],
    // slot 0: count 2, rev_nat_index 2; a ClusterIP is not SVC_FLAG_ROUTABLE
    ["0a 60 00 0a 00 35 00 00 11 00 00 00", "00 00 00 00 02 00 02 00 00 00 00 00"],
  ]);
  // The NodePort frontend on any address: address 0, port 30080 = 0x7580, SVC_FLAG_NODEPORT (1 << 1), no backends.
  assert.deepEqual(
    [hex(serviceEntries(bpf)[3].key), hex(serviceEntries(bpf)[3].value)],
    ["00 00 00 00 75 80 00 00 06 00 00 00", "00 00 00 00 00 00 05 00 02 00 00 00"],
  );
});

test("backends, reverse NAT, ipcache (LPM prefix counts the 32 bits before the address)", () => {
  assert.equal(hex(backendEntries(bpf)[0].key), "07 00 00 00");
  assert.equal(hex(backendEntries(bpf)[0].value), "0a f4 01 07 00 35 11 00 00 00 00 00");
  assert.equal(hex(revNatEntries(bpf)[0].key), "02 00");
  assert.equal(hex(revNatEntries(bpf)[0].value), "0a 60 00 0a 00 35 00 00");
  const ip = ipcacheEntries(bpf);
  assert.equal(hex(ip[0].key), "40 00 00 00 00 00 00 01 0a f4 02 09"); // 64 = 32 + /32, family 1
  assert.equal(hex(ip[1].key), "38 00 00 00 00 00 00 01 0a f4 02 00"); // 56 = 32 + /24
  assert.equal(hex(ip[2].key), "20 00 00 00 00 00 00 01 00 00 00 00");
  // identity 23452 = 0x5b9c, tunnel endpoint 192.168.1.4, flags: has tunnel
  assert.equal(hex(ip[0].value), "9c 5b 00 00 c0 a8 01 04 00 00 00 02");
  assert.equal(hex(ip[2].value), "02 00 00 00 00 00 00 00 00 00 00 00");
});

test("cilium_lxc: endpoint_info with the lxc ifindex, endpoint id, enforcement, MACs, identity", () => {
  const [e] = endpointEntries(bpf, (n) => (n === "lxc0123456789ab" ? 17 : -1));
  assert.equal(hex(e.key), "0a f4 01 05 01 00 00 00");
  assert.equal(
    hex(e.value),
    "11 00 00 00 00 00 c6 05 01 00 00 00 0a 58 0a f4 01 05 00 00 ee ee ee ee ee 01 00 00 e1 2e 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
  );
});

test("policy keys: identity, direction, protocol and port as LPM prefixes", () => {
  const keys = policyEntries(bpf).map((e) => hex(e.key));
  assert.deepEqual(keys, [
    // 96 bits: lxc_id 1478 (0x05c6, be), ingress, identity 12001 (be), TCP, port 8080 (be)
    "60 00 00 00 05 c6 00 00 00 00 2e e1 06 00 1f 90",
    // 64: any protocol and port, identity 0 (ANY), egress
    "40 00 00 00 05 c6 01 00 00 00 00 00 00 00 00 00",
    // 80: UDP, any port
    "50 00 00 00 05 c6 00 00 00 00 00 06 11 00 00 00",
  ]);
});

test("deny entries: policy_entry.flags has policyFlagDeny (1 << 0), keys expand as an allow's do", () => {
  // pkg/maps/policymap: PolicyEntry.Flags bit 0 is the deny flag; the key layout is the same.
  const b: NodeBpf = {
    ...bpf,
    policy: {
      1478: [
        { identity: 12001, direction: "ingress", protocol: "TCP", port: 80, endPort: 81, deny: true, by: "d" },
        { identity: 12001, direction: "ingress", protocol: "TCP", port: 8080, by: "a" },
      ],
    },
  };
  const e = policyEntries(b).map((x) => [hex(x.key), hex(x.value)]);
  assert.deepEqual(e, [
    // 95 bits: ports 80-81 are one block with the last bit free
    [
      "5f 00 00 00 05 c6 00 00 00 00 2e e1 06 00 00 50",
      "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    ],
    [
      "60 00 00 00 05 c6 00 00 00 00 2e e1 06 00 1f 90",
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    ],
  ]);
});

test("port ranges become the fewest prefix blocks, covering the range exactly", () => {
  assert.deepEqual(portPrefixes(80, 80), [[80, 16]]);
  assert.deepEqual(portPrefixes(8000, 8080), [
    [8000, 10],
    [8064, 12],
    [8080, 16],
  ]);
  assert.deepEqual(portPrefixes(0, 65535), [[0, 0]]);
  for (const [lo, hi] of [
    [1, 65535],
    [30000, 32767],
    [443, 445],
  ]) {
    const covered: number[] = [];
    for (const [base, bits] of portPrefixes(lo, hi))
      for (let p = base; p < base + 2 ** (16 - bits); p++) covered.push(p);
    assert.equal(covered.length, hi - lo + 1);
    assert.equal(Math.min(...covered), lo);
    assert.equal(Math.max(...covered), hi);
  }
});

test("node config: tunnel and cilium_host ifindex, router and node address, kube-proxy replacement", () => {
  const c = configEntry(bpf, { address: "192.168.1.3" }, { tunnel: 4, host: 3 });
  assert.equal(hex(c.value), "04 00 00 00 03 00 00 00 0a f4 01 01 c0 a8 01 03 01 00 00 00 00 00 00 00");
});

test("the encoder's sizes are those clang gave podnet's C structs (BTF)", { skip: bpfMissing() ?? false }, (t) => {
  const r = spawnSync("bpftool", ["btf", "dump", "file", `${bpfObjectDir()}bpf_lxc.o`], { encoding: "utf8" });
  if (r.status !== 0) return t.skip("bpftool not available");
  const size = (name: string) => Number(new RegExp(`STRUCT '${name}' size=(\\d+)`).exec(r.stdout)?.[1]);
  const svc = serviceEntries(bpf)[0];
  assert.equal(svc.key.length, size("lb4_key"));
  assert.equal(svc.value.length, size("lb4_service"));
  assert.equal(backendEntries(bpf)[0].value.length, size("lb4_backend"));
  assert.equal(revNatEntries(bpf)[0].value.length, size("lb4_reverse_nat"));
  assert.equal(ipcacheEntries(bpf)[0].key.length, size("ipcache_key"));
  assert.equal(ipcacheEntries(bpf)[0].value.length, size("remote_endpoint_info"));
  const ep = endpointEntries(bpf, () => 1)[0];
  assert.equal(ep.key.length, size("endpoint_key"));
  assert.equal(ep.value.length, size("endpoint_info"));
  assert.equal(policyEntries(bpf)[0].key.length, size("policy_key"));
  assert.equal(policyEntries(bpf)[0].value.length, size("policy_entry"));
  assert.equal(configEntry(bpf, { address: "1.2.3.4" }, { tunnel: 0, host: 0 }).value.length, size("node_config"));
});

test("the guard: bpftool, mount and umount only on a cluster's bpffs", () => {
  const ok = (argv: string[], input = "") => assert.doesNotThrow(() => guardCommand(argv, input), argv.join(" "));
  const no = (argv: string[], input = "") =>
    assert.throws(() => guardCommand(argv, input), SafetyError, argv.join(" "));
  ok(["mount", "-t", "bpf", "bpf", "/run/podnet/h1/bpf"]);
  no(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"]);
  no(["mount", "-t", "tmpfs", "bpf", "/run/podnet/h1/bpf"]);
  no(["mount", "-t", "bpf", "bpf", "/run/podnet/../bpf"]);
  ok(["umount", "/run/podnet/h1/bpf"]);
  no(["umount", "/run/podnet/h1"]);
  no(["umount", "/"]);
  const lxc = "/usr/lib/podnet/dist/bpf/bpf_lxc.o";
  ok([
    "bpftool",
    "prog",
    "loadall",
    lxc,
    "/run/podnet/h1/bpf/w1/lxc",
    "type",
    "classifier",
    "pinmaps",
    "/run/podnet/h1/bpf/w1/maps",
  ]);
  no(["bpftool", "prog", "loadall", "/tmp/evil.o", "/run/podnet/h1/bpf/w1/lxc", "type", "classifier"]);
  no(["bpftool", "prog", "loadall", lxc, "/sys/fs/bpf/x", "type", "classifier"]);
  no(["bpftool", "prog", "loadall", lxc, "/run/podnet/h1/bpf/w1/lxc", "type", "classifier", "autoattach"]);
  no(["bpftool", "net", "attach", "tcx_ingress", "pinned", "/run/podnet/h1/bpf/w1/lxc/x", "dev", "eth0"]);
  no(["bpftool", "prog", "loadall", lxc, "/run/podnet/h1/bpf/../../../sys/fs/bpf/x", "type", "classifier"]);
  ok(["bpftool", "-j", "map", "dump", "pinned", "/run/podnet/h1/bpf/w1/maps/cilium_lxc"]);
  const m = "/run/podnet/h1/bpf/w1/maps/cilium_lxc";
  ok(
    ["bpftool", "batch", "file", "-"],
    `map update pinned ${m} key hex 0a 00 value hex 01 02\nmap delete pinned ${m} key hex 0a 00\n`,
  );
  no(["bpftool", "batch", "file", "-"], "map update pinned /sys/fs/bpf/x key hex 00 value hex 00\n");
  no(["bpftool", "batch", "file", "-"], `prog load /tmp/x.o ${m}\n`);
  no(["bpftool", "batch", "file", "/tmp/cmds"]);
});

test("tc attaches only the programs podnet has in C, on the links the IR gives them", () => {
  const node = {
    name: "w1",
    ns: {
      id: "node/w1",
      links: [
        {
          name: "eth0",
          tc: {
            ingress: { name: "cil_from_netdev", object: "bpf_host.o" },
            egress: { name: "cil_to_netdev", object: "bpf_host.o" },
          },
        },
        { name: "lxcabc", tc: { ingress: { name: "cil_from_container", object: "bpf_lxc.o" } } },
        { name: "cilium_net", tc: { ingress: { name: "cil_to_host", object: "bpf_host.o" } } },
      ],
    },
  } as unknown as Parameters<typeof attachLines>[1];
  assert.deepEqual(attachLines("h1", node), [
    "qdisc replace dev eth0 clsact",
    "filter replace dev eth0 ingress pref 1 handle 1 bpf da object-pinned /run/podnet/h1/bpf/w1/host/cil_from_netdev",
    "qdisc replace dev lxcabc clsact",
    "filter replace dev lxcabc ingress pref 1 handle 1 bpf da object-pinned /run/podnet/h1/bpf/w1/lxc/cil_from_container",
  ]);
});

// `podnet rules NODE` on the embedded example: the whole node ruleset (kube-proxy and the
// flavor's layers) in iptables-save / nft list ruleset form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { hashAndTruncate } from "../proxy/hash.js";

const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
const podnet = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("podnet rules NODE prints iptables-save text with kube-proxy's chains", () => {
  const r = podnet("rules", "worker-1");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\*mangle\n/);
  assert.ok(r.stdout.includes("*nat\n:PREROUTING ACCEPT [0:0]\n"));
  // The API server Service, as on every cluster (reference check value style).
  assert.ok(r.stdout.includes(":KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]\n"));
  assert.ok(
    r.stdout.includes(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n',
    ),
  );
  assert.ok(r.stdout.trimEnd().endsWith("COMMIT"));
  // iptables-save prints every -s/-d with its mask, /32 for one address (iptables/iptables.c
  // print_ip: xtables_ipaddr_to_numeric + xtables_ipmask_to_numeric): the API server's
  // endpoint and ClusterIP (10.96.0.1, the first address of the default service subnet).
  assert.match(
    r.stdout,
    /^-A KUBE-SEP-\w{16} -m comment --comment default\/kubernetes:https -s [\d.]+\/32 -j KUBE-MARK-MASQ$/m,
  );
  assert.match(r.stdout, /^-A KUBE-SERVICES .* -d 10\.96\.0\.1\/32 --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y$/m);
  assert.doesNotMatch(r.stdout, / -[sd] \d+\.\d+\.\d+\.\d+[ \n]/);
});

test("podnet rules NODE --mode nftables prints the kube-proxy table", () => {
  const r = podnet("rules", "worker-1", "--mode", "nftables");
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n'));
  assert.ok(
    r.stdout.includes("10.96.0.1 . tcp . 443 : goto service-" + hashAndTruncate("default/kubernetes/tcp/https")),
  );
});

test("podnet rules: bad mode or unknown node is a usage error", () => {
  assert.equal(podnet("rules", "worker-1", "--mode", "bogus").status, 1);
  const r = podnet("rules", "no-such-node");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no-such-node/);
});

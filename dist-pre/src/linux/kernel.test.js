// Real-kernel tests (root): the fixture cluster built in network namespaces, traffic
// between pods on one node and across nodes over VXLAN, the pod servers, teardown,
// the root namespace unchanged, and cleanup after `kill -9` of `podnet up`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureIR, kernelSkip, rootSnapshot } from "./testing.js";
import { clusterNamespaces, down, status, up } from "./cluster.js";
import { reconcile } from "./reconcile.js";
import { createRunner, listNetns } from "./exec.js";
import { procCmdline, readRecord } from "./state.js";
import { nsName } from "./names.js";
import { netfilterRenderers } from "./netfilter.js";
import { isDnsListener } from "./supervisor.js";
import { randomBytes } from "node:crypto";
// Cluster names carry a per-run suffix so that two test runs on one machine never collide.
const RUN = randomBytes(2).toString("hex");
const uniq = (base) => `${base}-${RUN}`;
const skip = kernelSkip(["ip", "bridge", "curl", "python3"]);
const runner = createRunner();
const inPod = (cluster, pod, argv) => runner.run(["ip", "netns", "exec", `podnet-${cluster}.pod.default.${pod}`, ...argv], "", { allowFail: true });
const curl = (cluster, from, url) => inPod(cluster, from, ["curl", "-s", "-m", "5", url]);
/** PIDs of processes whose command line mentions this cluster's state directory. */
function podnetPids(cluster) {
    const out = [];
    for (const d of readdirSync("/proc")) {
        if (!/^\d+$/.test(d))
            continue;
        try {
            const c = readFileSync(`/proc/${d}/cmdline`, "utf8");
            if (c.includes(`/run/podnet/${cluster}/`) || c.includes(`/run/podnet/${cluster}\0`))
                out.push(Number(d));
        }
        catch {
            /* gone */
        }
    }
    return out;
}
test("kernel: the fixture cluster comes up, pods talk on one node and across nodes, and down leaves the root namespace as it was", {
    skip,
}, async () => {
    const cluster = uniq("kt");
    await down(cluster);
    const before = rootSnapshot();
    const ir = fixtureIR(cluster);
    // Two containers of web-11 on one port: the second cannot bind (Kubernetes: an error, BackOff).
    ir.pods[1].listeners.push({ container: "sidecar", port: 8080, protocol: "TCP", address: "0.0.0.0" });
    try {
        const rep = await up({ cluster, ir });
        assert.equal(rep.pods, 4);
        assert.equal(rep.supervisors.length, 2, "one pod server process per node");
        const ev = rep.supervisors.flatMap((s) => s.events);
        assert.equal(ev.length, 1);
        assert.equal(ev[0].object, "pod/default/web-11");
        assert.match(ev[0].message, /sidecar.*address already in use/);
        // Same node (through cni0) and across nodes (flannel.1, VXLAN over the underlay).
        const same = await curl(cluster, "web-10", "http://10.244.1.3:8080/");
        assert.equal(same.code, 0, same.stderr);
        const body = JSON.parse(same.stdout);
        assert.equal(body.pod, "web-11");
        assert.equal(body.podIP, "10.244.1.3");
        assert.equal(body.node, "worker-1");
        assert.equal(body.clientIP, "10.244.1.2", "pod-to-pod traffic is not NATed");
        const cross = await curl(cluster, "web-10", "http://10.244.2.3:8080/clientip");
        assert.equal(cross.code, 0, cross.stderr);
        assert.match(cross.stdout, /^10\.244\.1\.2:\d+$/);
        assert.equal((await curl(cluster, "web-21", "http://10.244.1.2:9090/hostname")).stdout, "web-10");
        // Containers of one pod share the namespace: localhost reaches the other container.
        assert.equal((await curl(cluster, "web-20", "http://127.0.0.1:9090/hostname")).stdout, "web-20");
        // UDP echo across nodes ("hostname" answered with the pod name, as agnhost's UDP server does).
        const udp = await inPod(cluster, "web-11", [
            "python3",
            "-c",
            "import socket;s=socket.socket(2,2);s.settimeout(5);s.sendto(b'hostname',('10.244.2.2',9000));print(s.recv(100).decode());s.sendto(b'ping',('10.244.2.2',9000));print(s.recv(100).decode())",
        ]);
        assert.equal(udp.stdout, "web-20\nping\n", udp.stderr);
        // Nothing listens on 8081: refused, not dropped.
        const refused = await curl(cluster, "web-10", "http://10.244.2.2:8081/");
        assert.equal(refused.code, 7, "curl exit 7: connection refused");
        // The supervisor lives in its node's namespace, and the record knows it.
        const rec = readRecord(cluster);
        assert.equal(rec.phase, "up");
        assert.equal(rec.processes.length, 2);
        const pids = await runner.run(["ip", "netns", "pids", `podnet-${cluster}.node.worker-1`]);
        assert.ok(pids.stdout.split("\n").includes(String(rec.processes.find((p) => p.node === "worker-1").pid)));
        assert.equal(status(cluster).namespaces.filter((n) => n.present).length, 7);
        await assert.rejects(up({ cluster, ir }), /exists/);
    }
    finally {
        const r = await down(cluster);
        assert.deepEqual(r.leftovers, []);
    }
    assert.deepEqual(clusterNamespaces(cluster), []);
    assert.equal(existsSync(`/run/podnet/${cluster}`), false);
    const again = await down(cluster);
    assert.deepEqual(again.namespaces, [], "down is idempotent");
    // Let killed processes go, then compare.
    for (let i = 0; i < 100 && podnetPids(cluster).length; i++)
        await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(podnetPids(cluster), []);
    const after = rootSnapshot();
    for (const k of Object.keys(before))
        assert.equal(after[k], before[k], `root namespace ${k} changed`);
});
test("kernel: kill -9 of `podnet up` in the middle, then down leaves nothing", { skip }, async () => {
    const cluster = uniq("kcrash");
    await down(cluster);
    const bin = fileURLToPath(new URL("../../../bin/podnet.js", import.meta.url));
    const child = spawn(process.execPath, [bin, "up", "--fixture", "--name", cluster], { stdio: "ignore" });
    try {
        // Wait until it is half-way: some pod namespaces exist.
        for (let i = 0; i < 500; i++) {
            if (clusterNamespaces(cluster).filter((n) => n.includes(".pod.")).length >= 2)
                break;
            await new Promise((r) => setTimeout(r, 5));
        }
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        assert.ok(clusterNamespaces(cluster).length > 0, "the crash left namespaces behind (the test's premise)");
    }
    finally {
        if (child.exitCode === null && child.signalCode === null)
            child.kill("SIGKILL");
        await down(cluster);
    }
    assert.deepEqual(listNetns().filter((n) => n.startsWith(`podnet-${cluster}.`)), []);
    assert.equal(existsSync(`/run/podnet/${cluster}`), false);
    for (let i = 0; i < 100 && podnetPids(cluster).length; i++)
        await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(podnetPids(cluster), []);
});
test("kernel: with no state file at all, down finds the cluster's namespaces by prefix", { skip }, async () => {
    const cluster = uniq("korphan");
    await down(cluster);
    try {
        await runner.run(["ip", "netns", "add", `podnet-${cluster}.node.x`]);
        await runner.run(["ip", "netns", "add", `podnet-${cluster}.pod.default.y`]);
        // Another cluster whose name starts the same must survive.
        await runner.run(["ip", "netns", "add", `podnet-${cluster}-b.node.x`]);
        const r = await down(cluster);
        assert.deepEqual(r.namespaces.sort(), [`podnet-${cluster}.node.x`, `podnet-${cluster}.pod.default.y`]);
        assert.deepEqual(listNetns().filter((n) => n.startsWith(`podnet-${cluster}-b.`)), [`podnet-${cluster}-b.node.x`]);
    }
    finally {
        await down(cluster);
        await down(`${cluster}-b`);
    }
});
// The embedded example through loadCluster + buildIR, in each flavor the kernel can
// build here: the kernel holds exactly the IR's routes, permanent neighbours and FDB
// entries (as the model prints them with render-ip.ts; Calico's proto-bird routes
// learned by BIRD over BGP), every pod reaches every pod, and a Service answers by name.
const EXAMPLE = fileURLToPath(new URL("../../../examples/demo", import.meta.url));
async function loadExample(configText) {
    try {
        const { loadCluster } = await import("../index.js");
        const { buildIR } = await import("../dataplane/build.js");
        const render = await import("../ir/render-ip.js");
        let config;
        if (configText) {
            const dir = mkdtempSync(join(tmpdir(), "podnet-kt-"));
            config = join(dir, "cluster.yaml");
            writeFileSync(config, configText);
        }
        const { state } = await loadCluster({ files: [EXAMPLE], config });
        return { ir: buildIR(state), state, render, config };
    }
    catch (e) {
        return `the example cannot be built yet: ${e.message.split("\n")[0]}`;
    }
}
const flavors = [
    { cluster: "kvx", label: "flannel vxlan" },
    { cluster: "khg", label: "flannel host-gw", edit: (y) => y.replace("backend: vxlan", "backend: host-gw") },
    {
        cluster: "knft",
        label: "flannel vxlan, kube-proxy nftables",
        edit: (y) => y.replace("kubeProxyMode: iptables", "kubeProxyMode: nftables"),
    },
    {
        cluster: "kbgp",
        label: "calico bgp (BIRD)",
        edit: (y) => y.replace("cni: flannel", "cni: calico").replace("backend: vxlan", "backend: bgp"),
    },
];
for (const f of flavors) {
    test(`kernel: the example in ${f.label} — routes, neighbours, FDB are the IR's; every pod reaches every pod; a Service answers by name`, {
        skip: f.cluster === "kbgp" ? kernelSkip(["ip", "curl", "dig", "bird", "birdc"]) : kernelSkip(["ip", "curl", "dig"]),
    }, async (t) => {
        const ex = await loadExample(f.edit ? f.edit(readFileSync(join(EXAMPLE, "cluster.yaml"), "utf8")) : undefined);
        if (typeof ex === "string") {
            if (process.env.PODNET_REQUIRE_KERNEL === "1")
                assert.fail(ex);
            t.skip(ex);
            return;
        }
        const { ir, state, render } = ex;
        const cluster = uniq(f.cluster);
        await down(cluster);
        const before = rootSnapshot();
        try {
            // inputs: so the CoreDNS pods run podnet's DNS server; kube-proxy's rules loaded.
            await up({
                cluster,
                ir,
                inputs: { files: [EXAMPLE], config: ex.config },
                render: { netfilter: netfilterRenderers },
            });
            const nss = [ir.underlay.ns, ...ir.nodes.map((n) => n.ns), ...ir.pods.flatMap((p) => (p.ns ? [p.ns] : []))];
            const sorted = (s) => s.split("\n").filter(Boolean).sort().join("\n");
            const permanentFdb = (s) => sorted(s
                .split("\n")
                .filter((l) => / permanent/.test(l) && !/^(33:33|01:00:5e)/.test(l))
                .join("\n"));
            for (const ns of nss) {
                const name = nsName(cluster, ns.id);
                // IPv4 only: the model has no IPv6 (the kernel adds fe80::/64 link-local routes by itself).
                // BIRD exports to the kernel on its own schedule: allow it a few seconds.
                let routes = "";
                for (let i = 0; i < 100; i++) {
                    routes = (await runner.run(["ip", "-n", name, "-4", "route", "show", "table", "all"])).stdout;
                    if (routes === render.renderRoutes(ns, "all") || !ns.routes.some((r) => r.proto === "bird"))
                        break;
                    await new Promise((r) => setTimeout(r, 100));
                }
                assert.equal(routes, render.renderRoutes(ns, "all"), `${ns.id}: ip route show table all`);
                const neigh = await runner.run(["ip", "-n", name, "neigh", "show", "nud", "permanent"]);
                assert.equal(sorted(neigh.stdout), sorted(render.renderNeigh(ns)), `${ns.id}: ip neigh (permanent)`);
                const fdb = await runner.run(["bridge", "-n", name, "fdb", "show"]);
                assert.equal(permanentFdb(fdb.stdout), permanentFdb(render.renderFdb(ns)), `${ns.id}: bridge fdb (permanent)`);
            }
            // Pod to pod, directly: every pod with its own namespace to every TCP listener (the example has no NetworkPolicy).
            const pods = ir.pods.filter((p) => p.ns && p.ip);
            let tried = 0;
            for (const from of pods) {
                for (const to of pods) {
                    const l = to.listeners.find((x) => x.protocol === "TCP" && !isDnsListener(to, x)); // :53 answers DNS
                    if (!l || from === to)
                        continue;
                    const r = await runner.run([
                        "ip",
                        "netns",
                        "exec",
                        nsName(cluster, from.ns.id),
                        "curl",
                        "-s",
                        "-m",
                        "5",
                        `http://${to.ip}:${l.port}/hostname`,
                    ], "", { allowFail: true });
                    assert.equal(r.stdout, to.name, `${from.namespace}/${from.name} → ${to.namespace}/${to.name} ${to.ip}:${l.port} (curl exit ${r.code})`);
                    tried++;
                }
            }
            assert.ok(tried > 0);
            // A Service by name: the pod's resolv.conf → kube-dns ClusterIP → DNAT → CoreDNS pod
            // (podnet's DNS server) → the Service's ClusterIP → DNAT → one of its endpoints.
            const svc = state.services.find((x) => x.namespace === "default" && x.name === "user-service");
            const client = ir.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app-"));
            const cns = nsName(cluster, client.ns.id);
            const dig = await runner.run(["ip", "netns", "exec", cns, "dig", "+short", "+time=3", "+tries=2", "user-service.default.svc.cluster.local"], "", { allowFail: true });
            assert.equal(dig.stdout.trim(), svc.clusterIP, dig.stderr);
            const r = await runner.run(["ip", "netns", "exec", cns, "curl", "-s", "-m", "5", "http://user-service"], "", {
                allowFail: true,
            });
            assert.equal(r.code, 0, `curl http://user-service: exit ${r.code} ${r.stderr}`);
            const body = JSON.parse(r.stdout);
            const eps = state.endpointSlices
                .filter((e) => e.serviceName === "user-service" && e.namespace === "default")
                .flatMap((e) => e.endpoints.flatMap((x) => x.addresses));
            assert.ok(eps.includes(body.podIP), `answered by ${body.podIP}, an endpoint of user-service (${eps.join(", ")})`);
            assert.equal(body.clientIP, client.ip, "ClusterIP traffic from a pod keeps its source address");
        }
        finally {
            await down(cluster);
            if (ex.config)
                rmSync(dirname(ex.config), { recursive: true, force: true });
        }
        assert.deepEqual(clusterNamespaces(cluster), []);
        // kube-proxy's rules, BIRD's routes, the sysctls: all stayed inside podnet's namespaces.
        for (let i = 0; i < 100 && podnetPids(cluster).length; i++)
            await new Promise((r) => setTimeout(r, 30));
        assert.deepEqual(podnetPids(cluster), []);
        const after = rootSnapshot();
        for (const k of Object.keys(before))
            assert.equal(after[k], before[k], `root namespace ${k} changed`);
    });
}
test("kernel: reconcile a running cluster — deleted pods go (sockets, veth, namespace), new pods come up with new IPs and answer, the others keep answering", {
    skip,
}, async () => {
    const cluster = uniq("krec");
    await down(cluster);
    const before = fixtureIR(cluster, { podsPerNode: 2 });
    // After: web-11 and web-21 deleted, web-12 and web-22 created (new IPs .4, new veths).
    const after = fixtureIR(cluster, { podsPerNode: 3 });
    const drop = new Set(["web-11", "web-21"]);
    after.pods = after.pods.filter((p) => !drop.has(p.name));
    for (const n of after.nodes)
        n.ns.links = n.ns.links.filter((l) => !(l.peer && drop.has(l.peer.ns.split("/")[2])));
    try {
        await up({ cluster, ir: before });
        const rep = await reconcile({ cluster, ir: after });
        assert.deepEqual(rep.removed.sort(), ["default/web-11", "default/web-21"]);
        assert.deepEqual(rep.added.sort(), ["default/web-12", "default/web-22"]);
        assert.ok(!listNetns().includes(`podnet-${cluster}.pod.default.web-11`));
        const host = await runner.run(["ip", "-n", `podnet-${cluster}.node.worker-1`, "link", "show", "dev", "veth0101beef"], "", { allowFail: true });
        assert.notEqual(host.code, 0, "the deleted pod's host veth is gone");
        assert.equal((await curl(cluster, "web-20", "http://10.244.1.4:8080/hostname")).stdout, "web-12", "the new pod answers across nodes");
        assert.equal((await curl(cluster, "web-12", "http://10.244.2.4:9090/hostname")).stdout, "web-22");
        assert.equal((await curl(cluster, "web-22", "http://10.244.1.2:8080/hostname")).stdout, "web-10", "an untouched pod keeps answering");
        const gone = await curl(cluster, "web-10", "http://10.244.1.3:8080/hostname");
        assert.notEqual(gone.code, 0, "the deleted pod's address answers no more");
        const rec = readRecord(cluster);
        assert.equal(rec.processes.filter((p) => p.role === "supervisor").length, 4, "one new supervisor generation per node");
        assert.deepEqual(rec.pods.map((p) => p.name).sort(), ["web-10", "web-12", "web-20", "web-22"]);
    }
    finally {
        await down(cluster);
    }
    assert.deepEqual(clusterNamespaces(cluster), []);
    for (let i = 0; i < 100 && podnetPids(cluster).length; i++)
        await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(podnetPids(cluster), []);
});
test("kernel: down stops an unrecorded podnet process found in the cluster's namespaces, and leaves other processes alone", {
    skip: kernelSkip(["ip", "bird"]),
}, async () => {
    const cluster = uniq("kstray");
    await down(cluster);
    const ns = `podnet-${cluster}.node.a`;
    const dir = `/run/podnet/${cluster}`;
    const spawned = [];
    try {
        await runner.run(["ip", "netns", "add", ns]);
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/bird-a.conf`, "router id 192.0.2.1;\nprotocol device {}\n");
        // As if `podnet up` died between starting BIRD and recording it.
        const bird = spawn("ip", ["netns", "exec", ns, "bird", "-f", "-c", `${dir}/bird-a.conf`, "-s", `${dir}/bird-a.ctl`], { stdio: "ignore" });
        const other = spawn("ip", ["netns", "exec", ns, "sleep", "60"], { stdio: "ignore" });
        spawned.push(bird, other);
        for (let i = 0; i < 200 &&
            !((procCmdline(bird.pid) ?? "").startsWith("bird") && (procCmdline(other.pid) ?? "").startsWith("sleep")); i++)
            await new Promise((r) => setTimeout(r, 10));
        const r = await down(cluster);
        assert.deepEqual(r.processes.map((p) => p.pid), [bird.pid]);
        await new Promise((res) => bird.exitCode !== null || bird.signalCode !== null ? res(null) : bird.once("exit", res));
        assert.equal(other.exitCode, null, "a process podnet did not start is not killed");
        assert.deepEqual(clusterNamespaces(cluster), []);
    }
    finally {
        for (const c of spawned)
            if (c.exitCode === null && c.signalCode === null)
                c.kill("SIGKILL"); // ours: spawned above
        await down(cluster);
    }
});
//# sourceMappingURL=kernel.test.js.map
// The renderers against iproute2 itself: realise a node, its pods and the underlay in
// scratch namespaces (podnet-test-…), then compare what `ip` / `bridge` print with the
// model's text. Needs root (and veth + bridge in the kernel; VXLAN/IPIP flavors are not
// realised here). Skips with a message otherwise, fails when PODNET_REQUIRE_KERNEL=1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { buildContext, buildNodeIR, buildUnderlay } from "../dataplane/build.js";
import { renderAddrs, renderFdb, renderLinks, renderNeigh, renderRoutes, formatDst, ifindexOf } from "./render-ip.js";
import { fixtureState } from "../plumbing/testing.js";
function canUseNetns() {
    if (process.getuid?.() !== 0)
        return "not root";
    const probe = `podnet-test-probe${randomBytes(3).toString("hex")}`;
    try {
        execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
        execFileSync("ip", ["-n", probe, "link", "add", "b0", "type", "bridge"], { stdio: "pipe" });
        execFileSync("ip", ["-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"], { stdio: "pipe" });
        return null;
    }
    catch (e) {
        return `cannot create namespaces/veth/bridge: ${e.message.split("\n")[0]}`;
    }
    finally {
        try {
            execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
        }
        catch {
            /* not created */
        }
    }
}
const skipReason = canUseNetns();
if (skipReason && process.env.PODNET_REQUIRE_KERNEL === "1")
    throw new Error(`PODNET_REQUIRE_KERNEL=1 but ${skipReason}`);
if (skipReason)
    console.log(`# skipping kernel format tests: ${skipReason}`);
const sh = (args) => execFileSync(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"] }).toString();
/** One TCP SYN from inside `ns` to `ip` (port 9, refused or timed out): enough for ARP and FDB learning. */
function poke(ns, ip) {
    try {
        sh(["ip", "netns", "exec", ns, "curl", "-s", "-m", "1", `http://${ip}:9/`]);
    }
    catch {
        /* refused: expected */
    }
}
class Realised {
    nss;
    names = new Map();
    constructor(nss) {
        this.nss = nss;
        const tag = randomBytes(3).toString("hex");
        nss.forEach((ns, i) => this.names.set(ns.id, `podnet-test-${tag}-${i}`));
    }
    n(id) {
        return this.names.get(id);
    }
    ip(id, ...a) {
        return sh(["ip", "-n", this.n(id), ...a]);
    }
    up() {
        for (const ns of this.nss) {
            const name = this.n(ns.id);
            sh(["ip", "netns", "add", name]);
            sh([
                "ip",
                "netns",
                "exec",
                name,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ]);
            this.ip(ns.id, "link", "set", "lo", "up");
        }
        const byId = new Map(this.nss.map((ns) => [ns.id, ns]));
        const made = new Set();
        for (const ns of this.nss) {
            ns.links.forEach((l, i) => {
                if (l.kind === "loopback" || made.has(`${ns.id}|${l.name}`))
                    return;
                const idx = String(i + 1);
                const base = ["link", "add", "name", l.name, "index", idx, "address", l.mac, "mtu", String(l.mtu)];
                if (l.kind === "bridge")
                    this.ip(ns.id, ...base, "type", "bridge");
                else if (l.kind === "veth") {
                    const peerNs = byId.get(l.peer.ns);
                    const pi = ifindexOf(peerNs, l.peer.name);
                    const pl = peerNs.links[pi - 1];
                    this.ip(ns.id, ...base, "type", "veth", "peer", "name", pl.name, "index", String(pi), "address", pl.mac, "mtu", String(pl.mtu), "netns", this.n(peerNs.id));
                    made.add(`${peerNs.id}|${pl.name}`);
                }
                else
                    throw new Error(`cannot realise ${l.kind} here`);
                made.add(`${ns.id}|${l.name}`);
            });
        }
        for (const ns of this.nss) {
            for (const l of ns.links) {
                if (l.master)
                    this.ip(ns.id, "link", "set", l.name, "master", l.master);
                if (l.hairpin)
                    this.ip(ns.id, "link", "set", l.name, "type", "bridge_slave", "hairpin", "on");
            }
            for (const l of ns.links)
                if (l.up && l.kind !== "loopback")
                    this.ip(ns.id, "link", "set", l.name, "up");
            for (const a of ns.addresses) {
                if (a.dev === "lo")
                    continue;
                this.ip(ns.id, "addr", "add", a.cidr, ...(a.broadcast ? ["brd", a.broadcast] : []), "dev", a.dev);
            }
            for (const r of ns.routes) {
                if (r.proto === "kernel")
                    continue;
                const a = ["route", "add"];
                if (r.type !== "unicast")
                    a.push(r.type);
                a.push(formatDst(r.dst));
                if (r.via)
                    a.push("via", r.via);
                if (r.dev)
                    a.push("dev", r.dev);
                if (r.table !== "main")
                    a.push("table", String(r.table));
                if (r.proto)
                    a.push("proto", String(r.proto));
                if (r.scope)
                    a.push("scope", r.scope);
                if (r.onlink)
                    a.push("onlink");
                this.ip(ns.id, ...a);
            }
            for (const nb of ns.neighbours)
                this.ip(ns.id, "neigh", "replace", nb.ip, "lladdr", nb.lladdr, "dev", nb.dev, "nud", nb.state.toLowerCase());
        }
    }
    down() {
        for (const name of this.names.values()) {
            try {
                sh(["ip", "netns", "del", name]);
            }
            catch {
                /* already gone */
            }
        }
    }
}
const normalise = (s) => s
    .replace(/link-netns(id)? \S+/g, "link-netns X")
    .replace(/(timer)\s+[\d.]+/g, "$1    0.00")
    .split("\n")
    .filter((l) => !/^(33:33|01:00:5e)/.test(l))
    .join("\n");
for (const [cni, backend] of [
    ["flannel", "host-gw"],
    ["calico", "bgp"],
]) {
    test(`${cni}/${backend}: ip route/addr/-d link/neigh and bridge fdb print what the model renders`, {
        skip: skipReason ?? false,
    }, () => {
        const state = fixtureState({ cni, backend, nodes: 2, podsPerNode: 2 });
        const ctx = buildContext(state, { proxy: null });
        const builds = state.nodes.map((n) => buildNodeIR(state, n.name, ctx));
        const underlay = buildUnderlay(state, ctx).ns;
        const nss = [
            underlay,
            ...builds.map((b) => b.node.ns),
            ...builds.flatMap((b) => b.pods.filter((p) => p.ns).map((p) => p.ns)),
        ];
        const byId = new Map(nss.map((ns) => [ns.id, ns]));
        const opts = { peerIndex: (id, name) => ifindexOf(byId.get(id), name) };
        const r = new Realised(nss);
        try {
            r.up();
            // Let the bridges learn the pods' MACs (the CNI plugin's gratuitous ARP), and the
            // underlay the nodes' MACs, then drop the neighbour entries this traffic created.
            if (cni === "flannel") {
                for (const b of builds)
                    for (const p of b.pods.filter((p) => p.ns))
                        poke(r.n(p.ns.id), b.node.ns.addresses.find((a) => a.dev === "cni0").cidr.split("/")[0]);
            }
            for (const b of builds)
                poke(r.n(b.node.ns.id), state.config.networking.nodeSubnet.replace(/0\/24$/, "1"));
            for (const ns of nss) {
                r.ip(ns.id, "neigh", "flush", "nud", "reachable");
                r.ip(ns.id, "neigh", "flush", "nud", "stale");
                r.ip(ns.id, "neigh", "flush", "nud", "delay");
            }
            for (const ns of nss) {
                const k = (...a) => normalise(r.ip(ns.id, ...a));
                assert.equal(k("route", "show"), normalise(renderRoutes(ns, "main")), `${ns.id}: ip route show`);
                assert.equal(k("route", "show", "table", "local"), normalise(renderRoutes(ns, "local")), `${ns.id}: ip route show table local`);
                assert.equal(k("-4", "route", "show", "table", "all"), normalise(renderRoutes(ns, "all")), `${ns.id}: ip route show table all`);
                assert.equal(k("addr"), normalise(renderAddrs(ns, opts)), `${ns.id}: ip addr`);
                assert.equal(k("-d", "link", "show"), normalise(renderLinks(ns, opts)), `${ns.id}: ip -d link show`);
                // The neighbour table is a hash table (random seed per boot): compare as sets.
                const sorted = (t) => t.split("\n").sort().join("\n");
                assert.equal(sorted(k("-4", "neigh", "show")), sorted(normalise(renderNeigh(ns))), `${ns.id}: ip neigh show`);
                assert.equal(normalise(sh(["bridge", "-n", r.n(ns.id), "fdb", "show"])), normalise(renderFdb(ns)), `${ns.id}: bridge fdb show`);
            }
        }
        finally {
            r.down();
        }
    });
}
//# sourceMappingURL=render-ip.kernel.test.js.map
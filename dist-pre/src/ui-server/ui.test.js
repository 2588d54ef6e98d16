// The web view, used as a person would: `podnet ui`'s server on a free loopback port,
// the page driven in headless Chromium (Debian's /usr/bin/chromium via playwright-core;
// no browser is downloaded). Screenshots go to test-output/ui/.
// With PODNET_REQUIRE_KERNEL=1 (CI) a missing Chromium or an unbuilt app fails the test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCluster } from "../index.js";
import { modelSession } from "../questions/trace.js";
import { fixtureState } from "../plumbing/testing.js";
import { spawnSync } from "node:child_process";
import { kernelSkipReason } from "../linux/testing.js";
import { liveInfo, makeExec } from "../cli/cmd-ui.js";
import { defaultStaticDir, startUiServer } from "./server.js";
const CHROMIUM = "/usr/bin/chromium";
const REQUIRE = process.env.PODNET_REQUIRE_KERNEL === "1";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SHOTS = join(process.cwd(), "test-output", "ui");
const built = existsSync(join(defaultStaticDir(), "index.html"));
const why = !existsSync(CHROMIUM)
    ? `no ${CHROMIUM} (apt-get install chromium)`
    : !built
        ? "the web app is not built (npm run build)"
        : "";
const skip = why && !REQUIRE ? why : false;
let browser;
const servers = [];
async function serve(state) {
    const srv = await startUiServer({ session: modelSession(state), port: 0 });
    servers.push(srv);
    return srv;
}
async function open(srv) {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.on("dialog", (d) => {
        void d.dismiss();
        throw new Error(`a dialog opened: ${d.message()}`);
    });
    await page.goto(srv.url);
    await page.locator('[data-kind="node"]').first().waitFor();
    return page;
}
async function traceIn(page, from, to) {
    await page.selectOption("#walk-from", from);
    await page.fill("#walk-to", to);
    await page.click("#walk-trace");
    await page.locator("#walk-counter, #walk-error:not(:empty)").first().waitFor();
    const err = await page.locator("#walk-error").innerText();
    if (err)
        throw new Error(`the page could not trace ${from} → ${to}: ${err}`);
}
before(async () => {
    if (why) {
        if (REQUIRE)
            throw new Error(`web view tests need Chromium and the built app: ${why}`);
        return;
    }
    mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
});
after(async () => {
    await browser?.close();
    for (const s of servers)
        await s.close();
});
test("the map shows every pod of the example with its IP, each keyboard reachable", { skip }, async () => {
    const { state } = await loadCluster({});
    const page = await open(await serve(state));
    const labels = await page
        .locator('[data-kind="pod"]')
        .evaluateAll((els) => els.map((e) => [e.getAttribute("aria-label") ?? "", e.getAttribute("tabindex"), e.textContent ?? ""]));
    for (const p of state.pods) {
        const hit = labels.find(([l]) => l.startsWith(`pod ${p.namespace}/${p.name}, IP ${p.podIP},`));
        assert.ok(hit, `pod ${p.namespace}/${p.name} ${p.podIP} is on the map`);
        assert.equal(hit[1], "0", "focusable");
        assert.ok(hit[2].includes(p.podIP), "the IP is drawn as text");
    }
    assert.equal(labels.length, state.pods.length);
    // Nodes and Services too: name and address in the accessible name.
    for (const n of state.nodes)
        await page.getByRole("button", { name: `node ${n.name}, ${n.role}, address ${n.address}` }).waitFor();
    for (const s of state.services)
        assert.equal(await page.locator(`[data-kind="service"][aria-label^="Service ${s.namespace}/${s.name}, "]`).count(), 1);
    assert.match((await page.locator('[data-kind="service"].dns').getAttribute("aria-label")) ?? "", /kube-dns.*10\.96\.0\.10.*CoreDNS/);
    // Keyboard: Tab reaches the map's elements, Enter selects.
    await page.locator('[data-kind="pod"]').first().focus();
    await page.keyboard.press("Enter");
    await page.locator("#selection h3").filter({ hasText: "pod " }).waitFor();
    await page.screenshot({ path: join(SHOTS, "map.png") });
});
test("two pods on different nodes: the walk shows the outer VXLAN header between the nodes and ends DELIVERED", {
    skip,
}, async () => {
    const { state } = await loadCluster({});
    const a = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app") && !p.spec.hostNetwork);
    const b = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("user-app") && p.nodeName !== a.nodeName);
    const na = state.nodes.find((n) => n.name === a.nodeName);
    const nb = state.nodes.find((n) => n.name === b.nodeName);
    const page = await open(await serve(state));
    await traceIn(page, `${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`);
    // Step until the packet is encapsulated.
    for (let i = 0; i < 60 && !(await page.locator("#outer-header").isVisible()); i++)
        await page.click("#walk-step");
    const outer = await page.locator("#outer-header").innerText();
    assert.match(outer, /VXLAN/);
    assert.ok(outer.includes(na.address) && outer.includes(nb.address), `outer header ${na.address} → ${nb.address}: ${outer}`);
    assert.match(await page.locator("#step-detail").innerText(), new RegExp(`${a.podIP.replace(/\./g, "\\.")}`), "the inner packet still carries the pod addresses");
    await page.screenshot({ path: join(SHOTS, "walk-vxlan.png") });
    await page.click("#walk-play");
    await page.locator("#walk-verdict").waitFor({ timeout: 60_000 });
    assert.equal(await page.locator("#walk-verdict").innerText(), "DELIVERED");
    await page.screenshot({ path: join(SHOTS, "walk-delivered.png") });
});
test("curl to a Service: DNS first, then the DNAT step with the packet before and after", { skip }, async () => {
    const { state } = await loadCluster({});
    const a = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app"));
    const svc = state.services.find((s) => s.namespace === "default" && s.name === "user-service");
    const page = await open(await serve(state));
    await traceIn(page, `${a.namespace}/${a.name}`, "http://user-service");
    assert.match(await page.locator("#step-detail").innerText(), /DNS[\s\S]*user-service\.default\.svc\.cluster\.local/);
    const nat = page.locator("#walk-steps button", { hasText: `DNAT ${svc.clusterIP}:80 →` });
    await nat.first().click();
    const d = await page.locator("#step-detail").innerText();
    assert.match(d, /Before NAT[\s\S]*After NAT/);
    assert.ok(d.includes(`${svc.clusterIP}:80`), d);
    assert.match(d, /KUBE-SEP-/);
    await page.screenshot({ path: join(SHOTS, "walk-dnat.png") });
    // The inspector highlights the kube-proxy rules this trace matched on the source node.
    await page.click("#tab-inspector");
    await page.selectOption("#insp-node", a.nodeName);
    await page.locator("#insp-body .ln.used").first().waitFor();
    assert.match(await page
        .locator("#insp-body .ln.used")
        .allInnerTexts()
        .then((t) => t.join("\n")), /KUBE-SVC-/);
    await page.fill("#insp-search", "KUBE-SEP");
    assert.ok((await page.locator("#insp-body mark").count()) > 0);
    await page.screenshot({ path: join(SHOTS, "inspector.png") });
});
test("a flow NetworkPolicy denies (examples/policies) shows the policy; the matrix explains it", { skip }, async () => {
    const { state } = await loadCluster({ files: [join(ROOT, "examples/demo"), join(ROOT, "examples/policies")] });
    const a = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app"));
    const page = await open(await serve(state));
    await traceIn(page, `${a.namespace}/${a.name}`, "svc/default/auth-service");
    await page.click("#walk-last");
    assert.equal(await page.locator("#walk-verdict").innerText(), "DROPPED");
    assert.match(await page.locator("#step-detail").innerText(), /POLICY_DENIED/);
    const pol = page.locator("#walk-steps button", { hasText: "POLICY:" });
    await pol.last().click();
    assert.match(await page.locator("#step-detail").innerText(), /auth-from-users-and-tasks/);
    await page.screenshot({ path: join(SHOTS, "walk-denied.png") });
    // The inspector marks the policy chain's drop rule on the destination's node.
    const dstNode = state.pods.find((p) => p.name.startsWith("auth-deployment")).nodeName;
    await page.click("#tab-inspector");
    await page.selectOption("#insp-node", dstNode);
    await page.locator("#insp-body .ln.used", { hasText: "isolated by default/auth-from-users-and-tasks" }).waitFor();
    await page.click("#tab-matrix");
    const cell = page.getByRole("button", {
        name: "default/order-app[Deployment] to default/auth-deployment[Deployment]: no connections allowed",
    });
    await cell.click();
    assert.match(await page.locator("#mx-explain").innerText(), /auth-from-users-and-tasks/);
    await page.screenshot({ path: join(SHOTS, "matrix.png") });
});
test("names from manifests are text, never markup", { skip }, async () => {
    // Kubernetes validation rejects such a name, so the state is built and then one pod
    // is renamed directly (as a hand-edited kubectl dump could present it).
    const { state } = await loadCluster({});
    const evil = "<img src=x onerror=alert(1)>";
    const i = state.pods.findIndex((p) => p.namespace === "default" && !p.spec.hostNetwork);
    const pods = state.pods.slice();
    pods[i] = { ...pods[i], name: evil, labels: { ...pods[i].labels, note: "<script>alert(2)</script>" } };
    const page = await open(await serve({ ...state, pods }));
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("script:not([src])").count(), 0);
    const label = (await page.locator(`[data-kind="pod"][aria-label^="pod default/${evil},"]`).textContent()) ?? "";
    assert.ok(label.includes(evil), "the name is shown as text");
    // The trace's `to` is echoed in the error as text as well.
    await page.selectOption("#walk-from", "external");
    await page.fill("#walk-to", "<img src=y onerror=alert(3)>");
    await page.click("#walk-trace");
    await page.locator("#walk-error").filter({ hasText: "<img src=y" }).waitFor();
    // Selecting the pod shows its labels as text.
    await page.locator(`[data-kind="pod"][aria-label^="pod default/${evil},"]`).click();
    assert.match(await page.locator("#selection").innerText(), /note=<script>alert\(2\)<\/script>/);
    assert.equal(await page.locator("img").count(), 0);
});
test("3 nodes × 30 pods: every pod is drawn with its IP", { skip }, async () => {
    const state = fixtureState({ nodes: 3, podsPerNode: 30 });
    const page = await open(await serve(state));
    const labels = await page
        .locator('[data-kind="pod"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
    assert.equal(labels.length, state.pods.length);
    for (const p of state.pods)
        assert.ok(labels.some((l) => l.startsWith(`pod ${p.namespace}/${p.name}, IP ${p.podIP},`)), p.name);
    await page.screenshot({ path: join(SHOTS, "map-3x30.png") });
});
test("100 nodes × 3,000 pods: the map aggregates (collapsed nodes) and expands on demand", { skip }, async () => {
    const state = fixtureState({ nodes: 100, podsPerNode: 30 });
    const page = await open(await serve(state));
    assert.equal(await page.locator('[data-kind="node"]').count(), 100);
    assert.equal(await page.locator('[data-kind="pod"]').count(), 0, "pods start aggregated");
    const n = state.nodes[42];
    const mine = state.pods.filter((p) => p.nodeName === n.name);
    const group = page.getByRole("button", { name: `node ${n.name}: ${mine.length} pods (collapsed)` });
    await group.focus();
    await page.screenshot({ path: join(SHOTS, "map-100x3000.png") });
    await page.keyboard.press("Enter");
    // A crowded namespace stays aggregated inside the expanded node: open it as well.
    const ns = page.getByRole("button", {
        name: `namespace default on ${n.name}: ${mine.filter((p) => p.namespace === "default").length} pods, collapsed`,
    });
    await ns.focus();
    await page.keyboard.press("Enter");
    await page
        .locator('[data-kind="pod"]')
        .nth(mine.length - 1)
        .waitFor();
    const labels = await page
        .locator('[data-kind="pod"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
    assert.equal(labels.length, mine.length);
    for (const p of mine)
        assert.ok(labels.some((l) => l.startsWith(`pod ${p.namespace}/${p.name}, IP ${p.podIP},`)), p.name);
    await page.screenshot({ path: join(SHOTS, "map-100x3000-expanded.png") });
});
const kernelWhy = kernelSkipReason(["ip", "curl"]);
const liveSkip = skip || (kernelWhy && !REQUIRE ? `kernel: ${kernelWhy}` : false);
test("Live: on a cluster built by podnet up, the page runs the real curl beside the model's prediction", {
    skip: liveSkip,
}, async () => {
    if (kernelWhy)
        throw new Error(`PODNET_REQUIRE_KERNEL=1 but the live test cannot run: ${kernelWhy}`);
    const name = "uilive";
    const cli = (...args) => spawnSync(process.execPath, [join(ROOT, "bin/podnet.js"), ...args], { encoding: "utf8", timeout: 120_000 });
    cli("down", "--name", name);
    try {
        const u = cli("up", "--name", name);
        assert.equal(u.status, 0, u.stderr);
        const { state } = await loadCluster({});
        const srv = await startUiServer({
            session: modelSession(state),
            port: 0,
            live: () => liveInfo(name, true),
            exec: makeExec(name),
        });
        servers.push(srv);
        const page = await open(srv);
        const a = state.pods.find((p) => p.namespace === "default" && p.name.startsWith("order-app"));
        await traceIn(page, `${a.namespace}/${a.name}`, "http://user-service");
        await page.click("#tab-live");
        assert.match(await page.locator("#live-status").innerText(), /uilive: running/);
        await page.click("#live-run");
        await page.locator("#live-out pre").waitFor({ timeout: 30_000 });
        const out = await page.locator("#live-out").innerText();
        assert.match(out, /Model: DELIVERED/);
        assert.match(out, /Kernel: exit 0/);
        assert.match(out, /\n200 10\.96\.\d+\.\d+:80/, "curl got HTTP 200 from the Service's cluster IP");
        await page.screenshot({ path: join(SHOTS, "live.png") });
    }
    finally {
        const d = cli("down", "--name", name);
        assert.equal(d.status, 0, d.stderr);
    }
});
//# sourceMappingURL=ui.test.js.map
// `podnet dns serve` live reload and `podnet resolve`, run as a user runs them.
// Expected values: resolv.conf(5) search list walk with ndots and the demo manifests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, cpSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promises as dnsp } from "node:dns";
const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "bin", "podnet.js");
test("podnet resolve: api.example.com costs the search list then the absolute name", async () => {
    const { stdout } = await run(process.execPath, [BIN, "resolve", "order-app", "api.example.com", "-o", "json"]);
    const r = JSON.parse(stdout);
    assert.deepEqual(r.queries.map((q) => [q.name, q.rcode]), [
        ["api.example.com.default.svc.cluster.local.", "NXDOMAIN"],
        ["api.example.com.svc.cluster.local.", "NXDOMAIN"],
        ["api.example.com.cluster.local.", "NXDOMAIN"],
        ["api.example.com.", "NOERROR"],
    ]);
    assert.deepEqual(r.result.values, ["192.168.1.240"]); // the cluster config's externalDNS
    const txt = (await run(process.execPath, [BIN, "resolve", "order-app", "user-service"])).stdout;
    assert.match(txt, /1\. user-service\.default\.svc\.cluster\.local\. A .* NOERROR/);
    assert.match(txt, /after 1 query/);
});
test("podnet dns serve reloads on change and keeps the old zone on a bad edit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "podnet-dns-cli-"));
    cpSync(join(ROOT, "examples", "demo"), dir, { recursive: true });
    const port = 21000 + Math.floor(Math.random() * 20000);
    const p = spawn(process.execPath, [BIN, "dns", "serve", "-f", dir, "--config", join(dir, "cluster.yaml"), "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const waitFor = async (re, src) => {
        for (let i = 0; i < 150 && !re.test(src()); i++)
            await new Promise((r) => setTimeout(r, 100));
        assert.match(src(), re);
    };
    try {
        await waitFor(/serving cluster\.local/, () => out);
        const r = new dnsp.Resolver({ timeout: 2000, tries: 1 });
        r.setServers([`127.0.0.1:${port}`]);
        assert.equal((await r.resolve4("auth-service.default.svc.cluster.local")).length, 1);
        await assert.rejects(r.resolve4("fresh-service.default.svc.cluster.local"), { code: "ENOTFOUND" });
        writeFileSync(join(dir, "90-fresh.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: fresh-service\nspec:\n  clusterIP: 10.96.77.77\n  ports:\n    - port: 80\n");
        await waitFor(/reloaded/, () => out);
        assert.deepEqual(await r.resolve4("fresh-service.default.svc.cluster.local"), ["10.96.77.77"]);
        writeFileSync(join(dir, "90-fresh.yaml"), "apiVersion: v1\nkind: Service\nmetadata: [broken\n");
        await waitFor(/reload failed/, () => err);
        assert.deepEqual(await r.resolve4("fresh-service.default.svc.cluster.local"), ["10.96.77.77"]);
    }
    finally {
        p.kill("SIGTERM");
        await new Promise((r) => p.on("exit", r));
        rmSync(dir, { recursive: true, force: true });
    }
    void readFileSync;
});
//# sourceMappingURL=cmd-dns.test.js.map
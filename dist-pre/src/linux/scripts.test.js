// The Python programs are real files: each compiles (python3 -m py_compile), the ones
// podnet runs are found from the built code, and `npm pack` ships them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonScript } from "./scripts.js";
import { haveTool } from "./testing.js";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
function pyFiles(dir, out = []) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory())
            pyFiles(p, out);
        else if (e.name.endsWith(".py"))
            out.push(p);
    }
    return out;
}
function python3Skip() {
    if (haveTool("python3"))
        return false;
    if (process.env.PODNET_REQUIRE_KERNEL === "1")
        throw new Error("PODNET_REQUIRE_KERNEL=1 but python3 is missing");
    return "python3 is missing";
}
test("python: every .py file under src/ compiles", { skip: python3Skip() }, () => {
    const files = pyFiles(join(ROOT, "src"));
    assert.ok(files.length >= 3, `found ${files.join(", ")}`);
    // Compiled into a scratch cache: no __pycache__ left in the checkout.
    const cache = mkdtempSync(join(tmpdir(), "podnet-pyc-"));
    try {
        for (const f of files) {
            const r = spawnSync("python3", ["-m", "py_compile", f], {
                encoding: "utf8",
                env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
            });
            assert.equal(r.status, 0, `${f}: ${r.stderr}`);
        }
    }
    finally {
        rmSync(cache, { recursive: true, force: true });
    }
});
test("python: the programs podnet runs are found from the built code and listed in package.json files", () => {
    const files = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).files;
    for (const name of ["supervisor_binder.py", "verify_client.py"]) {
        const p = pythonScript(name);
        assert.ok(existsSync(p), p);
        assert.ok(files.some((f) => p.startsWith(join(ROOT, f))), `${p} is not under a package.json "files" entry`);
    }
});
//# sourceMappingURL=scripts.test.js.map
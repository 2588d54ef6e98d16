// The import-direction check (.dependency-cruiser.cjs, run by `npm run lint`) must fail
// when code imports against the layers: plant back-imports in a scratch tree and see it
// refuse them, then see it accept the same tree with the import turned the right way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPCRUISE = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
function cruise(files) {
    const dir = mkdtempSync(join(tmpdir(), "podnet-layers-"));
    try {
        writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }));
        for (const [path, text] of Object.entries(files)) {
            mkdirSync(dirname(join(dir, path)), { recursive: true });
            writeFileSync(join(dir, path), text);
        }
        const config = join(ROOT, ".dependency-cruiser.cjs");
        const r = spawnSync(process.execPath, [DEPCRUISE, "src", "--config", config, "--output-type", "err"], {
            cwd: dir,
            encoding: "utf8",
        });
        return { status: r.status, out: r.stdout + r.stderr };
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
test("layers: a lower layer importing a higher one fails the check", () => {
    const r = cruise({
        "src/net/ipv4.ts": 'import { main } from "../cli/main.js";\nexport const x = main;\n',
        "src/cli/main.ts": "export const main = 1;\n",
    });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /layer-net: src\/net\/ipv4\.ts → src\/cli\/main\.ts/);
});
test("layers: siblings of one rank do not import each other; a cycle fails", () => {
    const r = cruise({
        "src/proxy/a.ts": 'import { b } from "../plumbing/b.js";\nexport const a = b;\n',
        "src/plumbing/b.ts": "export const b = 1;\n",
        "src/sim/c.ts": 'import { d } from "./d.js";\nexport const c = () => d;\n',
        "src/sim/d.ts": 'import { c } from "./c.js";\nexport const d = () => c;\n',
    });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /layer-proxy: src\/proxy\/a\.ts → src\/plumbing\/b\.ts/);
    assert.match(r.out, /no-folder-cycle: src\/sim\/(c|d)\.ts/);
});
test("layers: production code may not import test kits; the pure core may not do I/O", () => {
    const r = cruise({
        "src/control/a.ts": 'import { fx } from "./testing.js";\nimport { readFileSync } from "node:fs";\nexport const a = [fx, readFileSync];\n',
        "src/control/testing.ts": "export const fx = 1;\n",
    });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /no-test-helpers-in-production: src\/control\/a\.ts → src\/control\/testing\.ts/);
    assert.match(r.out, /pure-core: src\/control\/a\.ts → (node:)?fs/);
});
test("layers: the same files importing downwards pass", () => {
    const r = cruise({
        "src/cli/main.ts": 'import { ip } from "../net/ipv4.js";\nexport const main = ip;\n',
        "src/net/ipv4.ts": "export const ip = 1;\n",
    });
    assert.equal(r.status, 0, r.out);
});
//# sourceMappingURL=layers.test.js.map
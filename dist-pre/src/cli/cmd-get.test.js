import { test } from "node:test";
import assert from "node:assert/strict";
import { parseGetArgs, runGet } from "./cmd-get.js";
import { runDescribe } from "./cmd-describe.js";
import { seed004State } from "../views/testing.js";
test("kubectl's argument forms", () => {
    assert.deepEqual(parseGetArgs(["pods"]), [{ resource: "pods", names: [] }]);
    assert.deepEqual(parseGetArgs(["po", "a", "b"]), [{ resource: "po", names: ["a", "b"] }]);
    assert.deepEqual(parseGetArgs(["po,svc"]), [
        { resource: "po", names: [] },
        { resource: "svc", names: [] },
    ]);
    assert.deepEqual(parseGetArgs(["pod/a", "svc/b", "pod/c"]), [
        { resource: "pod", names: ["a", "c"] },
        { resource: "svc", names: ["b"] },
    ]);
});
test("several types: NAME is prefixed with the type, tables separated by a blank line", () => {
    const out = runGet(seed004State(), ["svc,ep"], {});
    const blocks = out.stdout.split("\n\n");
    assert.equal(blocks.length, 2);
    assert.ok(blocks[0].includes("service/auth-service"));
    assert.ok(blocks[1].includes("endpoints/auth-service"));
});
test("an unknown resource type", () => {
    const out = runGet(seed004State(), ["bogus"], {});
    assert.equal(out.exitCode, 1);
    assert.equal(out.stderr, 'error: the server doesn\'t have a resource type "bogus"\n');
});
test("describe: exact name, prefix matches, NotFound", () => {
    const s = seed004State();
    assert.match(runDescribe(s, "svc", ["auth-service"], "default").stdout, /^Name:\s+auth-service\n/);
    const two = runDescribe(s, "pods", ["users-deployment"], "default").stdout;
    assert.equal(two.match(/^Name:/gm)?.length, 3);
    const nf = runDescribe(s, "pod", ["nope"], "default");
    assert.equal(nf.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    assert.equal(nf.exitCode, 1);
});
//# sourceMappingURL=cmd-get.test.js.map
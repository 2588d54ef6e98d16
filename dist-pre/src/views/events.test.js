// `kubectl get events` columns: LAST SEEN TYPE REASON OBJECT MESSAGE (NAMESPACE first with -A),
// OBJECT as lower-case kind/name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventsView } from "./events.js";
import { seed004State } from "./testing.js";
test("events table", () => {
    const s = seed004State();
    const lines = eventsView(s).stdout.split("\n");
    assert.deepEqual(lines[0].split(/\s{2,}/), ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    assert.deepEqual(lines[1].split(/\s{2,}/), [
        "2m",
        "Normal",
        "Scheduled",
        "pod/auth-deployment-5c8b9d7f4-x2k9p",
        "Successfully assigned default/auth-deployment-5c8b9d7f4-x2k9p to worker-1",
    ]);
    const all = eventsView(s, { allNamespaces: true }).stdout.split("\n");
    assert.deepEqual(all[0].split(/\s{2,}/).slice(0, 2), ["NAMESPACE", "LAST SEEN"]);
    assert.equal(eventsView(s, { namespace: "production" }).stderr, "No resources found in production namespace.\n");
});
//# sourceMappingURL=events.test.js.map
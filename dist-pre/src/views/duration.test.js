// Expected values: k8s.io/apimachinery/pkg/util/duration HumanDuration's rules
// (seconds below 2m, m+s below 10m, minutes below 3h, h+m below 8h, hours below 48h,
// d+h below 8d, days below 2y, y+d below 8y, then years) and its own test table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { humanDuration } from "./duration.js";
const m = 60;
const h = 3600;
const d = 24 * h;
test("HumanDuration: the apimachinery test table", () => {
    const cases = [
        [1, "1s"],
        [70, "70s"],
        [190, "3m10s"],
        [70 * m, "70m"],
        [47 * h, "47h"],
        [49 * h, "2d1h"],
        [(8 * 24 + 2) * h, "8d"],
        [367 * d, "367d"],
        [(365 * 2 * 24 + 25) * h, "2y1d"],
        [(365 * 8 * 24 + 2) * h, "8y"],
    ];
    for (const [s, want] of cases)
        assert.equal(humanDuration(s), want, `${s}s`);
});
test("HumanDuration: boundaries and the kubectl samples of seed 004", () => {
    assert.equal(humanDuration(0), "0s");
    assert.equal(humanDuration(-1), "0s"); // tolerated clock skew
    assert.equal(humanDuration(-2), "<invalid>");
    assert.equal(humanDuration(119), "119s");
    assert.equal(humanDuration(120), "2m");
    assert.equal(humanDuration(123), "2m3s");
    assert.equal(humanDuration(124), "2m4s"); // auth-service in seed 004
    assert.equal(humanDuration(10 * m), "10m");
    assert.equal(humanDuration(179 * m), "179m");
    assert.equal(humanDuration(3 * h), "3h");
    assert.equal(humanDuration(3 * h + 5 * m), "3h5m");
    assert.equal(humanDuration(8 * h + 59 * m), "8h");
    assert.equal(humanDuration(17 * h), "17h"); // users-service in seed 004
    assert.equal(humanDuration(40 * h), "40h"); // kubernetes in seed 004
    assert.equal(humanDuration(48 * h), "2d");
    assert.equal(humanDuration(51 * h), "2d3h");
    assert.equal(humanDuration(3 * 365 * d), "3y");
});
//# sourceMappingURL=duration.test.js.map
// Go text/tabwriter semantics (the writer kubectl prints through): cells are
// tab-terminated, the last cell of a line is not part of a column, a column's width is
// the widest cell + padding (at least minwidth) over a block of consecutive lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeTabs, kubectlTable, tabwrite } from "./tabwriter.js";
test("kubectl get table: three spaces between columns, no trailing spaces (seed 004 sample)", () => {
    const out = kubectlTable([
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        ["auth-service", "ClusterIP", "10.109.214.64", "<none>", "80/TCP", "2m4s"],
        ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "40h"],
        ["users-service", "LoadBalancer", "10.109.194.160", "<pending>", "8080:31344/TCP", "17h"],
    ]);
    assert.equal(out, [
        "NAME            TYPE           CLUSTER-IP       EXTERNAL-IP   PORT(S)          AGE",
        "auth-service    ClusterIP      10.109.214.64    <none>        80/TCP           2m4s",
        "kubernetes      ClusterIP      10.96.0.1        <none>        443/TCP          40h",
        "users-service   LoadBalancer   10.109.194.160   <pending>     8080:31344/TCP   17h",
        "",
    ].join("\n"));
});
test("minwidth: kubectl's writer pads short columns to 6", () => {
    assert.equal(kubectlTable([
        ["A", "B"],
        ["x", "y"],
    ]), "A     B\nx     y\n");
});
test("a line with fewer cells ends the column block", () => {
    // Go: the widths of "a:" and "bbbb:" are computed separately because "c" has no tab.
    assert.equal(tabwrite("a:\t1\nc\nbbbb:\t2\n", 0, 2), "a:  1\nc\nbbbb:  2\n");
    assert.equal(tabwrite("a:\t1\nbbbb:\t2\n", 0, 2), "a:     1\nbbbb:  2\n");
});
test("describe writer: kubectl describe pod's IPs block", () => {
    const text = "Name:\tp\nService Account:\tdefault\nIP:\t10.244.1.5\nIPs:\n  IP:\t10.244.1.5\nControlled By:\tReplicaSet/x\n";
    assert.equal(describeTabs(text), "Name:             p\nService Account:  default\nIP:               10.244.1.5\nIPs:\n  IP:           10.244.1.5\nControlled By:  ReplicaSet/x\n");
});
test("tab-terminated trailing cell keeps its padding (kubectl's Conditions rows)", () => {
    assert.equal(describeTabs("  Type\tStatus\n  Ready \tTrue \n"), "  Type    Status\n  Ready   True \n");
});
//# sourceMappingURL=tabwriter.test.js.map
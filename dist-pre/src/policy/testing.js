import { emptyState, podState } from "../testing/fixtures.js";
const PROTOS = ["TCP", "UDP", "SCTP"];
export function conformancePod(ns, name, ip, node = "worker-1", hostIP = "192.168.1.3") {
    return podState(ns, name, {
        uid: `${ns}-${name}`,
        labels: { pod: name },
        spec: {
            containers: [80, 81].flatMap((port) => PROTOS.map((p) => ({
                name: `cont-${port}-${p.toLowerCase()}`,
                ports: [{ name: `serve-${port}-${p.toLowerCase()}`, containerPort: port, protocol: p }],
            }))),
        },
        nodeName: node,
        podIP: ip,
        hostIP,
        containerID: `${ns}-${name}`,
    });
}
export function conformanceState(policies, ipBlockMatchesPods = true) {
    const pods = [];
    let i = 10;
    for (const ns of ["x", "y", "z"])
        for (const p of ["a", "b", "c"])
            pods.push(conformancePod(ns, p, `10.244.1.${i++}`));
    return emptyState({ networking: { podSubnet: "10.244.0.0/16", ipBlockMatchesPods } }, {
        seed: "t",
        namespaces: ["x", "y", "z"].map((n) => ({ name: n, labels: { ns: n } })),
        pods,
        networkPolicies: policies,
    });
}
//# sourceMappingURL=testing.js.map
// Expected values: the Kubernetes docs ("Discovering services: Environment variables",
// e.g. REDIS_PRIMARY_SERVICE_HOST=10.0.0.11 … REDIS_PRIMARY_PORT_6379_TCP_ADDR) and
// kubelet's envvars.FromServices.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureState } from "../dns/testing.js";
import { serviceEnvFor, serviceEnvVars } from "./env.js";
test("the docs' redis-primary example", () => {
    const s = fixtureState({
        services: [{ name: "redis-primary", clusterIP: "10.0.0.11", ports: [{ port: 6379 }] }],
    }).services.find((x) => x.name === "redis-primary");
    assert.deepEqual(serviceEnvVars(s), [
        { name: "REDIS_PRIMARY_SERVICE_HOST", value: "10.0.0.11" },
        { name: "REDIS_PRIMARY_SERVICE_PORT", value: "6379" },
        { name: "REDIS_PRIMARY_PORT", value: "tcp://10.0.0.11:6379" },
        { name: "REDIS_PRIMARY_PORT_6379_TCP", value: "tcp://10.0.0.11:6379" },
        { name: "REDIS_PRIMARY_PORT_6379_TCP_PROTO", value: "tcp" },
        { name: "REDIS_PRIMARY_PORT_6379_TCP_PORT", value: "6379" },
        { name: "REDIS_PRIMARY_PORT_6379_TCP_ADDR", value: "10.0.0.11" },
    ]);
});
test("named ports get _SERVICE_PORT_<NAME>; every port its link variables", () => {
    const s = fixtureState({
        services: [
            {
                name: "web-api",
                clusterIP: "10.96.5.5",
                ports: [
                    { name: "http", port: 80 },
                    { name: "dns-udp", port: 53, protocol: "UDP" },
                ],
            },
        ],
    }).services.find((x) => x.name === "web-api");
    const env = Object.fromEntries(serviceEnvVars(s).map((e) => [e.name, e.value]));
    assert.equal(env.WEB_API_SERVICE_PORT, "80");
    assert.equal(env.WEB_API_SERVICE_PORT_HTTP, "80");
    assert.equal(env.WEB_API_SERVICE_PORT_DNS_UDP, "53");
    assert.equal(env.WEB_API_PORT, "tcp://10.96.5.5:80");
    assert.equal(env.WEB_API_PORT_53_UDP, "udp://10.96.5.5:53");
    assert.equal(env.WEB_API_PORT_53_UDP_PROTO, "udp");
});
test("visible: the pod's namespace (created before it), always default/kubernetes; not headless or ExternalName", () => {
    const st = fixtureState({
        namespaces: ["production"],
        services: [
            { name: "early", clusterIP: "10.96.7.1", ports: [{ port: 80 }], created: 1 },
            { name: "late", clusterIP: "10.96.7.2", ports: [{ port: 80 }], created: 50 },
            { name: "headless", clusterIP: "None", ports: [{ port: 80 }] },
            { name: "ext", type: "ExternalName", externalName: "example.com" },
            { namespace: "production", name: "other-ns", clusterIP: "10.96.7.3", ports: [{ port: 80 }] },
        ],
    });
    const names = serviceEnvFor(st.services, "default", 10, true).map((e) => e.name);
    assert.ok(names.includes("EARLY_SERVICE_HOST"));
    assert.ok(names.includes("KUBERNETES_SERVICE_HOST"));
    assert.ok(names.includes("KUBE_DNS_SERVICE_HOST") === false); // kube-system
    assert.ok(!names.some((n) => n.startsWith("LATE_") || n.startsWith("HEADLESS_") || n.startsWith("EXT_") || n.startsWith("OTHER_NS_")));
    const prod = serviceEnvFor(st.services, "production", 10, true).map((e) => e.name);
    assert.ok(prod.includes("OTHER_NS_SERVICE_HOST"));
    assert.ok(prod.includes("KUBERNETES_SERVICE_PORT_HTTPS"));
});
test("enableServiceLinks: false keeps only the kubernetes Service's variables", () => {
    const st = fixtureState({ services: [{ name: "early", clusterIP: "10.96.7.1", ports: [{ port: 80 }] }] });
    const env = serviceEnvFor(st.services, "default", 10, false);
    assert.deepEqual(env.map((e) => e.name), [
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "KUBERNETES_SERVICE_PORT_HTTPS",
        "KUBERNETES_PORT",
        "KUBERNETES_PORT_443_TCP",
        "KUBERNETES_PORT_443_TCP_PROTO",
        "KUBERNETES_PORT_443_TCP_PORT",
        "KUBERNETES_PORT_443_TCP_ADDR",
    ]);
    assert.equal(env[0].value, "10.96.0.1");
    assert.equal(env[3].value, "tcp://10.96.0.1:443");
});
//# sourceMappingURL=env.test.js.map
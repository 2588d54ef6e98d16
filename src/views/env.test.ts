// Kubelet (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): the container's own
// variables first, `$(VAR)` expanded against earlier container variables and the
// service variables, then the service variables the container did not set itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { containerEnv, expandEnv, formatEnv } from "./env.js";
import { pod } from "./testing.js";

const svcEnv = [
  { name: "USER_SERVICE_SERVICE_HOST", value: "10.96.11.236" },
  { name: "USER_SERVICE_SERVICE_PORT", value: "80" },
  { name: "KUBERNETES_SERVICE_HOST", value: "10.96.0.1" },
];

test("own variables first, then service variables not overridden", () => {
  const p = pod("default", "order-app-75bd9978d-vglcs", "10.244.2.5", "worker-2", {
    env: [...svcEnv],
    spec: {
      containers: [
        {
          name: "order-app",
          env: [
            { name: "USER_SERVICE_URL", value: "http://$(USER_SERVICE_SERVICE_HOST):$(USER_SERVICE_SERVICE_PORT)" },
            { name: "KUBERNETES_SERVICE_HOST", value: "override" },
          ],
        },
      ],
    },
  });
  assert.equal(
    formatEnv(containerEnv(p)),
    "USER_SERVICE_URL=http://10.96.11.236:80\nKUBERNETES_SERVICE_HOST=override\nUSER_SERVICE_SERVICE_HOST=10.96.11.236\nUSER_SERVICE_SERVICE_PORT=80\n",
  );
});

test("$(VAR) expansion: known names replaced, unknown kept, $$ escapes", () => {
  const look = (n: string) => ({ A: "1", B: "two" })[n];
  assert.equal(expandEnv("$(A)-$(B)", look), "1-two");
  assert.equal(expandEnv("$(NOPE)", look), "$(NOPE)");
  assert.equal(expandEnv("$$(A)", look), "$(A)");
  assert.equal(expandEnv("cost $5", look), "cost $5");
});

test("an unknown container is an error", () => {
  const p = pod("default", "x-abcdefghi-12345", "10.244.1.2", "worker-1");
  assert.throws(() => containerEnv(p, "nope"), /container "nope" not found/);
});

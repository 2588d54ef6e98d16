// /api/trace through the Ingress controller: the web view gets the plain trace and the legs
// (routing decision, the controller's connection to the endpoint) to draw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";
import { modelSession } from "../questions/trace.js";
import { runTrace } from "./api.js";
import { app, ingress } from "../ingress/testing.js";
import { clusterYaml, LB_NETWORKING } from "../testing/manifests.js";

const CONFIG = clusterYaml("gui", { workers: 1, networking: LB_NETWORKING });
const MANIFESTS = app("api") + ingress("shop", "shop.example.com", [{ path: "/", type: "Prefix", service: "api" }]);

test("/api/trace external → URL: the legs come with the trace; a plain trace has none", () => {
  const state = buildState(parseSpec([{ file: "m.yaml", text: MANIFESTS }], { file: "c.yaml", text: CONFIG }));
  const session = modelSession(state);
  const r = runTrace(session, { from: "external", to: "http://shop.example.com/" });
  assert.deepEqual(
    r.legs?.map((l) => l.kind),
    ["connection", "routing", "connection"],
  );
  const routing = r.legs![1];
  assert.ok(routing.kind === "routing");
  assert.deepEqual(routing.decision.backend, { service: "default/api", port: 80 });
  const api = state.pods.find((p) => p.name.startsWith("api-"))!;
  assert.equal(routing.endpoint, `${api.podIP}:8080`);
  const plain = runTrace(session, { from: "external", to: "svc/ingress-nginx/ingress-nginx-controller" });
  assert.equal(plain.legs, undefined);
});

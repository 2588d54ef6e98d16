// Test kit of the questions layer: inputs more than one test file asks questions of.
import { buildState } from "../control/build.js";
import { parseSpec } from "../manifest/parse.js";
import { type ModelSession, modelSession } from "./trace.js";

// A headless StatefulSet's Service in namespace shop, and a client there.
export const SHOP = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: db}, ports: [{name: metrics, port: 9187}, {name: pg, port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres, ports: [{name: pg, containerPort: 5432}, {containerPort: 9187}]}]}
`;

/** The model of SHOP. */
export function shopSession(): ModelSession {
  return modelSession(buildState(parseSpec([{ file: "shop.yaml", text: SHOP }])));
}

// The legs of a trace through an Ingress controller (ingress-path.ts), types only: the web
// view reads them without bundling the server.
import type { RouteDecision } from "../ingress/types.js";
import type { TraceResult } from "../sim/trace.js";

/** The controller's decision between the two connections. */
export interface RoutingLeg {
  kind: "routing";
  /** "ingress-nginx/ingress-nginx-controller-…": the pod that decided. */
  pod: string;
  controller: string;
  /** "GET http://shop.example.com/api". */
  request: string;
  /** The nginx server and location that matched. */
  server: string;
  location: string | null;
  decision: RouteDecision;
  /** The endpoint the controller connects to ("IP:PORT"), null when it answers itself. */
  endpoint: string | null;
  /** One line: what decided and where it goes. */
  detail: string;
}

export interface ConnectionLeg {
  kind: "connection";
  /** "client → ingress controller", "ingress controller → backend". */
  name: string;
  trace: TraceResult;
}

export type TraceLeg = ConnectionLeg | RoutingLeg;

/** A web-view trace: the plain trace, plus the legs when it went through a controller. */
export type WalkResult = TraceResult & {
  legs?: TraceLeg[];
  resolved?: { host: string; address: string; by: string };
};

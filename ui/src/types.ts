// The server's JSON shapes (type-only imports: nothing from the server is bundled).
export type {
  MapModel,
  MapNode,
  MapPod,
  MapService,
  NodeInspect,
  ReachModel,
  ReachCell,
} from "../../src/ui-server/types.js";
export type { LiveInfo, ExecResult, FlowsReply } from "../../src/ui-server/types.js";
export type { TraceResult, TracePath, Step, Hop, PacketView, StepObject, Disposition } from "../../src/sim/trace.js";
export type { RoutingLeg, WalkResult } from "../../src/questions/ingress-path-types.js";
import type { MapModel } from "../../src/ui-server/types.js";
import type { LiveInfo } from "../../src/ui-server/types.js";
export type StateResponse = MapModel & { live: LiveInfo };

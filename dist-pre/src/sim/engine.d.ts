import { WalkDeliver } from "./walk/deliver.js";
export { ForkFallback, LocalEnum, type Chooser, type PathSink, type WalkOptions } from "./walk/core.js";
export { ipsetMatch } from "./walk/conntrack.js";
export { routeText } from "./walk/say.js";
/** One path through the namespaces of the IR (see the layers above). */
export declare class Walk extends WalkDeliver {
}

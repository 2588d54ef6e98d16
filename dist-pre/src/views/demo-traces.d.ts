import { type TracePath } from "../questions/trace.js";
export declare function condensedPath(p: TracePath, indent?: string): string;

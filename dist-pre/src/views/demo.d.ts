import type { ClusterState } from "../control/state.js";
import type { ViewOptions } from "./common.js";
export interface DemoContext {
    /** The cluster as the demo goes: a section may replace it (the delete section does). */
    state: ClusterState;
    opts: ViewOptions;
    /** Facts sections share (e.g. the pod the DNS section used). */
    notes: Record<string, unknown>;
}
export interface DemoSection {
    id: string;
    title: string;
    run(ctx: DemoContext): string;
}
/** `$ podnet get …` and its output, as the demo shows a command. */
export declare function shell(command: string, output: string): string;
/** The demo, in order. Add sections with addDemoSection rather than editing callers. */
export declare const demoSections: DemoSection[];
/** Insert a section after the one with id `after` (at the end, before "next", otherwise). */
export declare function addDemoSection(section: DemoSection, after?: string): void;
/** The whole demo as text (pure: the state comes in, text goes out). */
export declare function renderDemo(state: ClusterState, opts?: ViewOptions, only?: string[]): string;

import { type Server } from "node:http";
import type { ModelSession } from "../questions/trace.js";
import { type ExecRequest, type ExecResult, type LiveInfo } from "./api.js";
export type { ExecRequest, ExecResult, LiveInfo };
export interface UiServerOptions {
    /** The model asked: its state and IR are drawn, its traces answer /api/trace. */
    session: ModelSession;
    port?: number;
    /** Directory with the built app (default: ui/dist next to the package). */
    staticDir?: string;
    live?: () => LiveInfo;
    exec?: (r: ExecRequest) => Promise<ExecResult>;
}
export interface UiServer {
    url: string;
    port: number;
    server: Server;
    close(): Promise<void>;
}
export declare const HOST = "127.0.0.1";
export declare function defaultStaticDir(): string;
export declare function startUiServer(o: UiServerOptions): Promise<UiServer>;

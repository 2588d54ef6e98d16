import type { ProxyMode } from "./mode.js";
export declare const noneMode: ProxyMode;

import type { CniFlavor } from "../flavor.js";
export declare const flannelHostGw: CniFlavor;

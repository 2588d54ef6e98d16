import type { Command } from "commander";
import type { IpvsVirtualServer } from "../ir/types.js";
/** `ipvsadm -Ln`: virtual servers with their real servers (Masq forwarding). */
export declare function renderIpvsadm(vss: IpvsVirtualServer[]): string;
export declare function register(program: Command): void;

export { fixtureIR } from "./fixture.js";
export declare function haveTool(t: string): boolean;
/**
 * Why kernel tests cannot run here (null: they can). With PODNET_REQUIRE_KERNEL=1 the
 * caller must fail instead of skipping.
 */
export declare function kernelSkipReason(tools?: string[]): string | null;
/** node:test `skip` option value: a reason, or false; throws when PODNET_REQUIRE_KERNEL=1. */
export declare function kernelSkip(tools?: string[]): string | false;
/** The root namespace as text: links, addresses, routes, rules, netfilter, relevant sysctls. Read-only. */
export declare function rootSnapshot(): Record<string, string>;

/** The Debian package that provides a command (the command's own name when unlisted). */
export declare function packageOf(tool: string): string;
/** The commands of `tools` that no directory of `path` holds as an executable. */
export declare function missingTools(tools: string[], path?: string): string[];
/** Why a test needing `tools` cannot run (null: it can), naming commands and packages. */
export declare function toolsMissingReason(tools: string[], path?: string): string | null;
/**
 * node:test's `skip` option for a test needing `tools`: false when all are there, else the
 * reason; with `require` (default: PODNET_REQUIRE_KERNEL=1) a missing tool throws instead.
 */
export declare function toolSkip(tools: string[], o?: {
    path?: string;
    require?: boolean;
}): string | false;

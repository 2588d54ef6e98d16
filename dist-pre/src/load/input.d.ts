import { type SourceText } from "../manifest/parse.js";
import type { ClusterSpec } from "../manifest/cluster-spec.js";
/** Reads every source named on the command line. Missing paths are a SpecError naming them. */
export declare function readSources(paths: string[], stdin?: () => Promise<string>): Promise<SourceText[]>;
/** Reads the --config file. */
export declare function readConfigFile(path: string): SourceText;
/** The package root: the nearest directory upwards holding podnet's package.json. */
export declare function packageRoot(from?: string): string;
/** examples/demo of the installed package: what every command uses without -f. */
export declare function embeddedExampleDir(): string;
/**
 * -f paths (none: the embedded example) and an optional --config file -> ClusterSpec.
 * Throws SpecError for unreadable or invalid input.
 */
export declare function loadSpecFromArgs(opts: {
    files?: string[];
    config?: string;
    stdin?: () => Promise<string>;
}): Promise<ClusterSpec>;

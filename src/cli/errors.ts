// Errors of the command line, apart from main.ts so that commands need not import it.

/** A wrong command line (unknown pod, bad flag value): exit 1. */
export class UsageError extends Error {}

/**
 * Exit code of a command that ran fine and found something failing: `diagnose` (a check
 * failed), `check` (an expectation does not hold). Distinct from 1 (usage) and 2 (invalid
 * input), so that CI can tell "the cluster is broken" from "the command was wrong".
 */
export const EXIT_FAILED_CHECK = 3;

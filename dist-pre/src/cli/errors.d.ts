/** A wrong command line (unknown pod, bad flag value): exit 1. */
export declare class UsageError extends Error {
}

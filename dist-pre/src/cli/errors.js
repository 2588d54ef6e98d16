// Errors of the command line, apart from main.ts so that commands need not import it.
/** A wrong command line (unknown pod, bad flag value): exit 1. */
export class UsageError extends Error {
}
//# sourceMappingURL=errors.js.map
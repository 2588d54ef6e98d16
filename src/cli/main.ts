// The podnet command line. Each capability registers its commands from its own
// module (src/cli/cmd-*.ts) so that the layers stay separate; this file only wires
// them and maps errors to exit codes: 2 invalid input, 1 usage/other, 0 ok (3, a failed
// check of `diagnose`/`check`, is the command's own: errors.ts EXIT_FAILED_CHECK).

import { Command, CommanderError } from "commander";
import { truncate } from "../manifest/diag.js";
import { SpecError } from "../manifest/errors.js";
import { commands } from "./commands.js";
import { UsageError } from "./errors.js";
import { escapeWrites } from "./terminal.js";

/** Output piped to a reader that went away (`podnet … | head`): stop quietly, as a tool
 *  killed by SIGPIPE does, instead of an unhandled EPIPE error with a stack trace. */
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount("error") > 0) return;
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/** A failed system call (bind, open, read): its message names the call and the path or address. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && "syscall" in e;
}

export async function main(argv: string[]): Promise<number> {
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  escapeWrites(process.stdout);
  escapeWrites(process.stderr);
  const program = new Command("podnet")
    .description(
      "Kubernetes pod networking: computed from manifests, traced hop by hop, built for real in network namespaces",
    )
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  // `podnet reach --diff -f OLD -f2 NEW`: commander would read `-f2` as `-f 2`.
  argv = argv.map((a) => (a === "-f2" ? "--f2" : a));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help")
        return 0;
      return 1; // commander already printed the usage error
    }
    if (e instanceof SpecError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    if (isSystemError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    // A bug of podnet's, not of the input: the stack only on request.
    if (process.env.PODNET_DEBUG) process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
    else
      process.stderr.write(
        `error: internal error: ${truncate(String((e as Error)?.message ?? e), 400)} (PODNET_DEBUG=1 prints the stack)\n`,
      );
    return 1;
  }
}

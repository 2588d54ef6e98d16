// The podnet command line. Each capability registers its commands from its own
// module (src/cli/cmd-*.ts) so that the layers stay separate; this file only wires
// them and maps errors to exit codes: 2 invalid input, 1 usage/other, 0 ok.
import { Command, CommanderError } from "commander";
import { SpecError } from "../manifest/errors.js";
import { commands } from "./commands.js";
import { UsageError } from "./errors.js";
export async function main(argv) {
    const program = new Command("podnet")
        .description("Kubernetes pod networking: computed from manifests, traced hop by hop, built for real in network namespaces")
        .version("0.1.0")
        .exitOverride()
        .configureOutput({ writeErr: (s) => process.stderr.write(s) });
    for (const register of commands)
        register(program);
    // `podnet reach --diff -f OLD -f2 NEW`: commander would read `-f2` as `-f 2`.
    argv = argv.map((a) => (a === "-f2" ? "--f2" : a));
    try {
        await program.parseAsync(argv);
        return typeof process.exitCode === "number" ? process.exitCode : 0;
    }
    catch (e) {
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
        process.stderr.write(`error: ${e?.stack ?? String(e)}\n`);
        return 1;
    }
}
//# sourceMappingURL=main.js.map
import { readFile, writeFile } from "node:fs/promises";
import { loadCluster } from "../load/cluster.js";
import { cliWarn } from "./cluster-opts.js";
import { parseExpectations, renderCheck, renderJUnit, runCheck } from "../questions/check.js";
import { modelSession } from "../questions/trace.js";
import { SpecError } from "../manifest/errors.js";
const collect = (v, prev) => [...prev, v];
export function register(program) {
    program
        .command("check <file>")
        .description("check connectivity expectations (from, to, port, protocol, expect: allow|deny) with the full model")
        .option("-f, --filename <path>", "manifests (file, directory, or - for stdin); repeatable", collect, [])
        .option("--config <file>", "cluster config (kind: Cluster)")
        .option("--seed <seed>", "seed for names and allocations")
        .option("--junit <file>", "also write JUnit XML here")
        .action(async (file, o) => {
        let text;
        try {
            text = await readFile(file, "utf8");
        }
        catch (e) {
            throw new SpecError([
                {
                    severity: "error",
                    message: `${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`,
                    file,
                },
            ]);
        }
        const exps = parseExpectations(file, text);
        const { state } = await loadCluster({ files: o.filename, config: o.config, seed: o.seed, warn: cliWarn });
        const out = runCheck(modelSession(state), exps);
        process.stdout.write(renderCheck(out));
        if (o.junit)
            await writeFile(o.junit, renderJUnit(out));
        if (out.some((x) => !x.ok))
            process.exitCode = 1;
    });
}
//# sourceMappingURL=cmd-check.js.map
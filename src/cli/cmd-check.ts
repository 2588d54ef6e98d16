// `podnet check FILE`: connectivity expectations for CI (exit 0 all hold, 1 otherwise).
import type { Command } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { FAULT_OPTION, loadFromFlags } from "./cluster-opts.js";
import { parseExpectations, renderCheck, renderJUnit, runCheck } from "../questions/check.js";
import { modelSession } from "../questions/trace.js";
import { SpecError } from "../manifest/errors.js";

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command("check <file>")
    .description("check connectivity expectations (from, to, port, protocol, expect: allow|deny) with the full model")
    .option("-f, --filename <path>", "manifests (file, directory, or - for stdin); repeatable", collect, [])
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for names and allocations")
    .option("--junit <file>", "also write JUnit XML here")
    .option(...FAULT_OPTION)
    .action(async (file: string, o) => {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw new SpecError([
          {
            severity: "error",
            message: `${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
            file,
          },
        ]);
      }
      const exps = parseExpectations(file, text);
      const { state } = await loadFromFlags(o);
      const out = runCheck(modelSession(state), exps);
      process.stdout.write(renderCheck(out));
      if (o.junit) await writeFile(o.junit, renderJUnit(out));
      if (out.some((x) => !x.ok)) process.exitCode = 1;
    });
}

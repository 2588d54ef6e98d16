// `podnet check FILE`: connectivity expectations for CI (exit 0 all hold, 3 one does not;
// 1 usage and 2 invalid input as everywhere).
import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { readTextFile } from "../load/input.js";
import { FAULT_OPTION, loadFromFlags } from "./cluster-opts.js";
import { parseExpectations, renderCheck, renderJUnit, runCheck } from "../questions/check.js";
import { modelSession } from "../questions/trace.js";
import { EXIT_FAILED_CHECK, UsageError } from "./errors.js";

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command("check <file>")
    .description("check connectivity expectations (from, to, port, protocol, expect: allow|deny) with the full model")
    .option("-f, --filename <path>", "manifests (file, directory, or - for stdin); repeatable", collect, [])
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for names and allocations")
    .option("--junit <file>", "also write JUnit XML here")
    .option(
      "-o, --output <format>",
      "text|json (json: per expectation its paths' verdict, drop_reason, drop_reason_desc)",
      "text",
    )
    .option(...FAULT_OPTION)
    .action(async (file: string, o) => {
      if (o.output !== "text" && o.output !== "json") throw new UsageError(`-o must be text or json: "${o.output}"`);
      const text = readTextFile(file);
      const exps = parseExpectations(file, text);
      const { state } = await loadFromFlags(o);
      const out = runCheck(modelSession(state), exps);
      const failed = out.filter((x) => !x.ok).length;
      process.stdout.write(
        o.output === "json"
          ? JSON.stringify({ passed: out.length - failed, failed, results: out }, null, 2) + "\n"
          : renderCheck(out),
      );
      if (o.junit)
        await writeFile(o.junit, renderJUnit(out)).catch((e: Error) => {
          throw new UsageError(`--junit ${o.junit}: ${e.message}`);
        });
      if (failed) process.exitCode = EXIT_FAILED_CHECK;
    });
}

// The options every model command shares (-f manifests, --config, --seed) and the
// view options that come from the host (the kernel a real node would report).

import { release } from "node:os";
import type { Command } from "commander";
import { loadCluster } from "../load/cluster.js";
import type { ViewOptions } from "../views/common.js";
import type { CommandOutput } from "../views/get.js";
import { quoteValue } from "../manifest/diag.js";
import { type Fault, formatFault, parseFault } from "../manifest/faults.js";
import { UsageError } from "./errors.js";

export const collect = (v: string, prev: string[]) => [...prev, v];

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option(
      "-f, --filename <path>",
      "manifests: file, directory or - for stdin; repeatable (default: the embedded example)",
      collect,
      [],
    )
    .option("--config <file>", "cluster config (kind: Cluster)")
    .option("--seed <seed>", "seed for generated names and allocations")
    .option(
      "--max-input-bytes <n>",
      "refuse an input file or stdin larger than this (default: PODNET_MAX_INPUT_BYTES, else 3 GiB)",
    )
    .option(...FAULT_OPTION);
}

/** --fault 'NAME ARGS' (repeatable): a named fault added to the config's `faults:` (manifest/faults.ts). */
export const FAULT_OPTION = [
  "--fault <fault>",
  "a named fault on the model, as 'NAME ARG…' (e.g. 'kube-proxy-down worker-1'); repeatable (podnet fault list: the names)",
  collect,
  [] as string[],
] as const;

/** The --fault values parsed; a bad one is a usage error naming it. */
export function faultsFromFlags(values: readonly string[] | undefined): Fault[] {
  const out: Fault[] = [];
  for (const v of values ?? []) {
    const f = parseFault(v);
    if (typeof f === "string") throw new UsageError(`--fault ${quoteValue(v)}: ${f}`);
    if (!out.some((g) => formatFault(g) === formatFault(f))) out.push(f);
  }
  return out;
}

export interface ClusterFlags {
  filename?: string[];
  config?: string;
  seed?: string;
  maxInputBytes?: string;
  /** --fault values ('NAME ARG…'). */
  fault?: string[];
}

/** --max-input-bytes: the loader reads the cap from PODNET_MAX_INPUT_BYTES (src/load/input.ts). */
export function applyInputCap(o: { maxInputBytes?: string }): void {
  if (o.maxInputBytes === undefined) return;
  if (!/^[0-9]{1,10}$/.test(o.maxInputBytes) || Number(o.maxInputBytes) < 1 || Number(o.maxInputBytes) > 2 ** 32 - 1)
    throw new UsageError(`--max-input-bytes must be a byte count 1-4294967295: ${quoteValue(o.maxInputBytes)}`);
  process.env.PODNET_MAX_INPUT_BYTES = o.maxInputBytes;
}

/** Warnings (ignored kinds, unknown named targetPorts, full nodes) go to stderr, once each. */
export const cliWarn = (message: string) => process.stderr.write(`warning: ${message}\n`);

/**
 * The model for a command that only reads it: tolerant (API rules the network does not
 * depend on are warnings). Building or changing a real network (`up`, `apply --name`)
 * loads strictly instead.
 */
export async function loadFromFlags(o: ClusterFlags) {
  applyInputCap(o);
  const faults = faultsFromFlags(o.fault);
  return loadCluster({
    files: o.filename ?? [],
    config: o.config,
    seed: o.seed,
    warn: cliWarn,
    mode: "tolerant",
    faults,
  });
}

export function hostViewOptions(): ViewOptions {
  return { nodeInfo: { kernelVersion: release() } };
}

export function emit(out: CommandOutput): void {
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  if (out.exitCode) process.exitCode = out.exitCode;
}

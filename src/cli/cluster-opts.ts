// The options every model command shares (-f manifests, --config, --seed) and the
// view options that come from the host (the kernel a real node would report).

import { cpus, release, totalmem } from "node:os";
import type { Command } from "commander";
import { loadCluster } from "../load/cluster.js";
import type { ViewOptions } from "../views/common.js";
import type { CommandOutput } from "../views/get.js";

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
    .option("--seed <seed>", "seed for generated names and allocations");
}

export interface ClusterFlags {
  filename?: string[];
  config?: string;
  seed?: string;
}

/** Warnings (ignored kinds, unknown named targetPorts, full nodes) go to stderr, once each. */
export const cliWarn = (message: string) => process.stderr.write(`warning: ${message}\n`);

/**
 * The model for a command that only reads it: tolerant (API rules the network does not
 * depend on are warnings). Building or changing a real network (`up`, `apply --name`)
 * loads strictly instead.
 */
export async function loadFromFlags(o: ClusterFlags) {
  return loadCluster({ files: o.filename ?? [], config: o.config, seed: o.seed, warn: cliWarn, mode: "tolerant" });
}

export function hostViewOptions(): ViewOptions {
  // A kind node reports the host's CPUs and memory (in Ki) as its capacity.
  return {
    nodeInfo: { kernelVersion: release() },
    nodeCapacity: { cpu: String(cpus().length || 1), memory: `${Math.floor(totalmem() / 1024)}Ki` },
  };
}

export function emit(out: CommandOutput): void {
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  if (out.exitCode) process.exitCode = out.exitCode;
}

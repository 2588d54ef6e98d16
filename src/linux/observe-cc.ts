// Compiles podnet observe's C programs (observe_reader.c, observe_flood.c) with the
// machine's C compiler into a directory of podnet's own (the cluster's state dir, a test's
// temporary dir). Null when there is no compiler or it fails: the caller falls back (the
// Python reader) or says why. The sources sit with the Python scripts, read from
// the package's src/linux/py (shipped, see package.json "files") as pythonScript's are.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type ObserveProgram = "observe_reader" | "observe_flood";

export function observeSource(name: ObserveProgram): string {
  return fileURLToPath(new URL(`../../../src/linux/py/${name}.c`, import.meta.url));
}

/** The first C compiler on PATH: `cc` (Debian's alternative), gcc, clang. */
export function cCompiler(): string | null {
  for (const cc of ["cc", "gcc", "clang"])
    for (const d of (process.env.PATH ?? "/usr/bin:/bin").split(":"))
      if (d && existsSync(join(d, cc))) return join(d, cc);
  return null;
}

export interface Compiled {
  path: string | null;
  /** Why there is no binary. */
  error?: string;
}

/** Builds `name` as <dir>/<name>; `dir` must exist and be podnet's. */
export function compileObserve(name: ObserveProgram, dir: string): Compiled {
  const cc = cCompiler();
  if (!cc) return { path: null, error: "no C compiler (cc, gcc or clang) on PATH" };
  const out = join(dir, name);
  const r = spawnSync(cc, ["-O2", "-o", out, observeSource(name)], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0)
    return { path: null, error: `${cc} ${name}.c: ${(r.stderr || r.error?.message || "").slice(0, 400)}` };
  return { path: out };
}

#!/usr/bin/env node
// Compiles bpf/*.c (podnet's Cilium datapath programs) into dist/bpf/*.o with clang
// (-O2 -target bpf, BTF with -g). Without clang (or libbpf-dev's headers) the build says so
// and skips: everything but `podnet up` of a Cilium cluster works without them, and the
// kernel tests that need the objects skip naming clang (fail with PODNET_REQUIRE_KERNEL=1).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "bpf");
const out = join(root, "dist", "bpf");
const clang = process.env.CLANG ?? "clang";
if (spawnSync(clang, ["--version"], { stdio: "ignore" }).status !== 0) {
  console.warn(`build:bpf: ${clang} not found: skipping the BPF programs (install clang and libbpf-dev)`);
  process.exit(0);
}
if (!existsSync("/usr/include/bpf/bpf_helpers.h")) {
  console.warn("build:bpf: /usr/include/bpf/bpf_helpers.h not found: skipping the BPF programs (install libbpf-dev)");
  process.exit(0);
}
// asm/types.h lives under the multiarch include directory on Debian.
const arch =
  spawnSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).stdout?.trim() ||
  `${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;
mkdirSync(out, { recursive: true });
let failed = 0;
for (const f of readdirSync(src).filter((f) => f.endsWith(".c"))) {
  const o = join(out, f.replace(/\.c$/, ".o"));
  const r = spawnSync(
    clang,
    ["-O2", "-g", "-target", "bpf", "-Wall", "-Werror", `-I/usr/include/${arch}`, "-c", join(src, f), "-o", o],
    { stdio: "inherit" },
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

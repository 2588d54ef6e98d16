#!/usr/bin/env node
// V8's allocation-site pretenuring takes the packet walk's short-lived objects (steps,
// continuations) for long-lived ones after the first traces, allocates them in the old
// generation, and those then keep every young object they point to alive until a full GC:
// traces ran 1.6-1.9x slower (bench/trace). Set before any podnet code runs.
import v8 from "node:v8";
v8.setFlagsFromString("--no-allocation-site-pretenuring");
const { main } = await import("../dist/src/cli/main.js");
main(process.argv).then((code) => {
  process.exitCode = code;
});

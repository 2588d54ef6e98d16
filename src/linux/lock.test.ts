// The commands' locks (flock(2) through flock(1)): exclusive, naming their holder, free
// again when the holder lets go or dies — kill -9 included. No namespaces: a temp dir.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LockBusyError, acquireLock, lockHolder } from "./lock.js";
import { haveTool } from "./testing.js";

const skip = haveTool("flock") ? false : "flock(1) (util-linux) is not installed";
const busy = (h: { pid: number } | null) => `held by ${h?.pid ?? "?"}`;

test("lock: exclusive, names its holder, free again after release; no file left", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-lock-"));
  const path = join(dir, "sub", "x.lock");
  try {
    const a = await acquireLock(path, "testing", busy);
    assert.equal(lockHolder(path)?.pid, process.pid);
    assert.equal(lockHolder(path)?.what, "testing");
    const e = await acquireLock(path, "testing", busy).then(
      () => null,
      (x: unknown) => x,
    );
    assert.ok(e instanceof LockBusyError);
    assert.equal(e.message, `held by ${process.pid}`);
    a.release();
    a.release(); // idempotent
    assert.equal(existsSync(join(dir, "sub")), false, "the file and its emptied directory are gone");
    const b = await acquireLock(path, "testing", busy);
    b.release();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lock: a holder killed with SIGKILL leaves no stale lock", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-lock-"));
  const path = join(dir, "x.lock");
  const mod = fileURLToPath(new URL("./lock.js", import.meta.url));
  const holder = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { acquireLock } = await import(${JSON.stringify(mod)});
       await acquireLock(${JSON.stringify(path)}, "holding", () => "busy");
       process.stdout.write("held\\n");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    await new Promise<void>((res, rej) => {
      holder.stdout.on("data", (d) => String(d).includes("held") && res());
      holder.on("exit", (c) => rej(new Error(`holder exited ${c}`)));
    });
    const e = await acquireLock(path, "testing", busy).then(
      () => null,
      (x: unknown) => x,
    );
    assert.ok(e instanceof LockBusyError, "held while the holder lives");
    assert.equal(e.holder?.pid, holder.pid);
    holder.kill("SIGKILL");
    await new Promise((r) => holder.once("exit", r));
    // Its helper sees the pipe close and exits; the kernel drops the lock with it. A
    // contender that asks at once waits for that, as the holder is gone.
    const l = await acquireLock(path, "testing", busy);
    assert.equal(lockHolder(path)?.pid, process.pid);
    l.release();
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

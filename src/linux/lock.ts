// Exclusive locks held across a critical section of a podnet command: one `podnet up`
// per cluster name (from the existence check to the end of bring-up), one live change at
// a time per cluster; `down` takes both, in that order (a change takes only its own).
//
// flock(2) through flock(1) from util-linux (Node has no flock): a small helper process
// opens the lock file, takes the lock and then waits on a pipe from us; it holds the lock
// until we close that pipe or die (kill -9 included: the kernel closes the pipe, the
// helper exits, and the kernel drops the lock with its last descriptor). So a crashed
// holder never leaves a stale lock, and no PID-reuse heuristics are needed. Rejected: an
// exclusive-create file holding PID + start time (a stale lock must be broken, and two
// processes breaking it at once can both win); an abstract unix socket (per network
// namespace, and any local user could take the name first).
// The file holds the holder's PID, start time and purpose, for the contender's message.
// The holder unlinks the file before it lets go; a contender that locked an unlinked
// file (its path now names another, or none) tries again.
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { STATE_ROOT, stateDir, validateClusterName } from "./names.js";
import { procStartTime } from "./state.js";

/** Who holds a lock (what its file says; pid 0 when it has not written it yet). */
export interface LockHolder {
  pid: number;
  startTime: string;
  what: string;
  since: string;
}

/** The lock is held by another process (after `waitMs`). */
export class LockBusyError extends Error {
  constructor(
    message: string,
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

export interface HeldLock {
  path: string;
  /** Lets go: unlinks the file (and its directory when that is left empty), then ends the helper. Idempotent. */
  release(): void;
}

/** How long a contender waits for the lock of a holder that is gone (its helper exiting). */
const GONE_HOLDER_WAIT_S = 5;

// $1 lock file, $2 seconds to wait (0: fail at once). Exit 75: busy; 76: the file was
// unlinked or replaced while we waited (try again); 77: cannot open it.
const SCRIPT = [
  `exec 9<>"$1" || exit 77`,
  `if [ "$2" = 0 ]; then flock -n -x 9 || exit 75; else flock -w "$2" -x 9 || exit 75; fi`,
  `[ "$(stat -c %d:%i -- "$1" 2>/dev/null)" = "$(stat -L -c %d:%i /proc/$$/fd/9)" ] || exit 76`,
  `echo locked`,
  `exec cat >/dev/null`,
].join("\n");

/** Reads the holder a lock file names (null: empty, unreadable, or not ours). */
export function lockHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof h.pid === "number" ? h : null;
  } catch {
    return null;
  }
}

/**
 * Takes the exclusive lock `path` (created if absent). `waitMs` 0 (the default) fails at
 * once when it is held; `busy(holder)` makes the LockBusyError's message.
 */
export async function acquireLock(
  path: string,
  what: string,
  busy: (h: LockHolder | null) => string,
  o: { waitMs?: number } = {},
): Promise<HeldLock> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let secs = o.waitMs ? String(Math.max(1, Math.ceil(o.waitMs / 1000))) : "0";
  let waitedForGone = false;
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await lockHelper(path, secs);
    if (r.kind === "held") {
      writeHolder(path, what);
      const ino = statSync(path).ino;
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            // Only our file: never one another holder made after ours was removed.
            if (statSync(path).ino === ino) unlinkSync(path);
            rmdirSync(dirname(path)); // no empty directory of ours left in /run
          } catch {
            /* removed with its directory (podnet down), or the directory holds more */
          }
          r.child.stdin?.end();
        },
      };
    }
    if (r.kind === "retry") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      continue;
    }
    if (r.kind === "busy") {
      // The holder writes its name right after it takes the lock: give it a moment.
      let h = lockHolder(path);
      for (let i = 0; i < 10 && !h; i++) {
        await new Promise((res) => setTimeout(res, 20));
        h = lockHolder(path);
      }
      // A holder that is gone (killed) still holds the lock until its helper has read the
      // end of its pipe and exited: wait for that (a few ms, more on a loaded machine) once.
      if (h && !waitedForGone && procStartTime(h.pid) !== h.startTime) {
        waitedForGone = true;
        secs = String(Math.max(Number(secs), GONE_HOLDER_WAIT_S));
        continue;
      }
      throw new LockBusyError(busy(h), h);
    }
    throw new Error(`cannot take the lock ${path}: ${r.message}`);
  }
  throw new Error(`cannot take the lock ${path}: it could not be opened or kept in 20 tries`);
}

/**
 * The lock of live changes to cluster NAME (`apply|scale|delete --name`), in its state
 * dir: one change at a time, and `down` takes it too so that it never removes a cluster
 * under a change's journal and rollback.
 */
export function changeLockPath(cluster: string): string {
  return join(stateDir(cluster), "change.lock");
}

/** The lock of cluster NAME's bring-up and teardown: beside its state dir, which `down` removes. */
export function clusterLockPath(cluster: string): string {
  return join(STATE_ROOT, `${validateClusterName(cluster)}.lock`);
}

type HelperResult =
  | { kind: "held"; child: ChildProcess }
  | { kind: "busy" }
  | { kind: "retry" }
  | { kind: "error"; message: string };

function lockHelper(path: string, secs: string): Promise<HelperResult> {
  return new Promise((resolve) => {
    // Detached: a Ctrl-C to the terminal's process group must not end the helper (the
    // command rolls back under the lock); it ends when our end of its stdin closes.
    const child = spawn("sh", ["-c", SCRIPT, "podnet-lock", path, secs], {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    let err = "";
    let done = false;
    child.stdin.on("error", () => {});
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err += d));
    child.stdout.on("data", (d: string) => {
      out += d;
      if (!done && out.includes("locked\n")) {
        done = true;
        child.stdout.destroy();
        child.stderr.destroy();
        // Neither the helper nor its pipe keeps the event loop alive.
        child.unref();
        (child.stdin as unknown as { unref?: () => void }).unref?.();
        resolve({ kind: "held", child });
      }
    });
    child.on("error", (e) => {
      if (!done) {
        done = true;
        resolve({ kind: "error", message: e.message });
      }
    });
    child.on("exit", (code) => {
      if (done) return;
      done = true;
      if (code === 75) resolve({ kind: "busy" });
      else if (code === 76 || code === 77) resolve({ kind: "retry" });
      else
        resolve({
          kind: "error",
          message: `${err.trim() || `exit ${code}`}${code === 127 ? " (flock(1) from util-linux is needed)" : ""}`,
        });
    });
  });
}

function writeHolder(path: string, what: string): void {
  const h: LockHolder = {
    pid: process.pid,
    startTime: procStartTime(process.pid) ?? "",
    what,
    since: new Date().toISOString(),
  };
  // In place (the lock belongs to this inode); never through a planted link.
  const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    writeSync(fd, JSON.stringify(h) + "\n");
  } finally {
    closeSync(fd);
  }
}

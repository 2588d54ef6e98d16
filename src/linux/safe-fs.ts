// Writing podnet's files under /etc/netns and /run/podnet without following links it did
// not create (issue #19: `up` followed a symlink planted in /etc/netns/<ns>/ and overwrote
// its target). Files are created with O_CREAT|O_EXCL|O_NOFOLLOW (open(2): O_EXCL fails on
// any existing name, a symbolic link included, and never follows it); a file that is
// replaced is written to a fresh name that way and renamed over the old one (rename(2)
// replaces the directory entry, never what a link points at). Directories podnet keeps its
// files in must be real directories: a link in their place is refused too (O_NOFOLLOW only
// guards the last component of a path). A planted link is an error naming it; nothing is
// written through it.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from "node:fs";
import { dirname } from "node:path";

/** A symbolic link (or another object) where podnet creates its own file or directory. */
export class PlantedLinkError extends Error {}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "?";
  }
}

function refuseLink(path: string, what: string): never {
  throw new PlantedLinkError(
    `refusing to use ${path}: it is a symbolic link (to ${linkTarget(path)}) that podnet did not create, where podnet writes its ${what}; remove it`,
  );
}

/**
 * A directory of podnet's: made if absent (not its parents' links followed: every existing
 * component from `stop` down must be a real directory), refused if a link or a file is there.
 */
export function ensureDir(path: string, mode = 0o755, stop = "/"): void {
  const parent = dirname(path);
  if (parent !== path && parent !== stop && parent.startsWith(stop)) ensureDir(parent, mode, stop);
  try {
    mkdirSync(path, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink()) refuseLink(path, "directory");
  if (!st.isDirectory()) throw new PlantedLinkError(`refusing to use ${path}: it is not a directory`);
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates `path` (it must not exist) and writes `data`. A link there is a PlantedLinkError
 * naming it; any other existing file an error too (podnet writes its files afresh).
 */
export function writeNewFile(path: string, data: string, mode = 0o644): void {
  let fd: number;
  try {
    fd = openSync(path, CREATE, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP") {
      if (lstatOrNull(path)?.isSymbolicLink()) refuseLink(path, "file");
      throw new Error(
        `refusing to overwrite ${path}: it exists already (podnet creates it afresh; podnet down removes it)`,
      );
    }
    throw e;
  }
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` atomically: a fresh temporary file (created exclusively) renamed over it.
 * A link at `path` is refused, not replaced: someone put it there.
 */
export function replaceFile(path: string, data: string, mode = 0o644): void {
  if (lstatOrNull(path)?.isSymbolicLink()) refuseLink(path, "file");
  const tmp = `${dirname(path)}/.${path.slice(dirname(path).length + 1)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeNewFile(tmp, data, mode);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Opens a log for appending (made if absent), never through a link: O_APPEND|O_CREAT|O_NOFOLLOW. */
export function openAppend(path: string, mode = 0o644): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP" && lstatOrNull(path)?.isSymbolicLink()) refuseLink(path, "log");
    throw e;
  }
}

/** Appends one record to a file of podnet's (see openAppend). */
export function appendNoFollow(path: string, data: string): void {
  const fd = openAppend(path);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

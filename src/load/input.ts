// Reading manifests from files, directories and stdin (the I/O edge of spec/).
// Directories are walked recursively in sorted order, taking *.yaml, *.yml and *.json
// (kubectl -R); a file named explicitly is read whatever its extension; "-" is stdin.
import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SpecError } from "../manifest/errors.js";
import { type ByteSource, type LoadMode, SPLIT_ABOVE, parseSpec, type SourceText } from "../manifest/parse.js";
import type { ClusterSpec } from "../manifest/cluster-spec.js";
import type { Diagnostic } from "../manifest/types.js";

const MANIFEST = /\.(ya?ml|json)$/i;

function inputError(file: string, message: string): SpecError {
  const d: Diagnostic = { severity: "error", message: `${file}: ${message}`, file };
  return new SpecError([d]);
}

/**
 * The most bytes one input (a file, stdin, the config) may have: 3 GiB by default, well
 * above a dump of a cluster at Kubernetes' scalability thresholds (~1 GB), below a Buffer's
 * 4 GiB. PODNET_MAX_INPUT_BYTES (or the commands' --max-input-bytes) sets it. An endless
 * input (`-f /dev/zero`, a stdin that never ends) stops at the cap with an error.
 */
export const DEFAULT_MAX_INPUT_BYTES = 3 * 2 ** 30;

export function maxInputBytes(): number {
  const v = process.env.PODNET_MAX_INPUT_BYTES;
  if (v === undefined || v === "") return DEFAULT_MAX_INPUT_BYTES;
  const n = /^[0-9]{1,13}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 2 ** 32 - 1))
    throw inputError("PODNET_MAX_INPUT_BYTES", `${JSON.stringify(v.slice(0, 80))} must be a byte count 1-4294967295`);
  return n;
}

function tooLarge(file: string, max: number): SpecError {
  return inputError(
    file,
    `more than ${max} bytes (the input cap; raise it with --max-input-bytes or PODNET_MAX_INPUT_BYTES)`,
  );
}

// Files and stdin are read as bytes, never decoded whole here: a cluster's dump can be larger
// than V8's longest string (~512 MB); the manifest reader decodes it document by document.
// For loading, a file from SPLIT_ABOVE bytes on is not even read here: the reader takes it in
// pieces (fileSource). `readSources` (what `up` records) still gives every file's bytes.
async function readStdin(): Promise<Uint8Array> {
  const max = maxInputBytes();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of process.stdin) {
    const b = typeof c === "string" ? Buffer.from(c) : (c as Buffer);
    total += b.length;
    if (total > max) {
      process.stdin.destroy();
      throw tooLarge("<stdin>", max);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A pipe or character device read to its end, at most `max` bytes. */
function readStream(path: string, fd: number, max: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(1 << 20);
    let n: number;
    try {
      n = readSync(fd, b, 0, b.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      if ((e as NodeJS.ErrnoException).code === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > max) throw tooLarge(path, max);
    chunks.push(b.subarray(0, n));
  }
  return Buffer.concat(chunks);
}

/** A file's bytes. readFileSync refuses files over 2 GiB; a Buffer holds up to 4 GiB here. */
function readBytes(path: string, max = maxInputBytes()): Buffer {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    // A pipe (`-f <(cmd)`, /dev/stdin on a pipe) has no size: read it up to the cap. A
    // device (/dev/zero, a terminal) is no manifest: refused before reading.
    if (st.isFIFO()) return readStream(path, fd, max);
    if (!st.isFile()) throw inputError(path, "is not a regular file or a pipe");
    const size = st.size;
    if (size > max) throw tooLarge(path, max);
    if (size < 2 ** 31 - 1) return readFileSync(fd);
    const b = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, b, off, Math.min(size - off, 1 << 30), off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? b : b.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * A large file as a ByteSource: the manifest reader reads it in pieces, so it is never in
 * memory whole. Reading on from where the last read ended keeps the file open; the end of
 * the file, or a read elsewhere (the lines of a diagnostic, later), closes it.
 */
function fileSource(path: string, size: number): ByteSource {
  let fd: number | undefined;
  let next = -1;
  // What a later read checks the file against (values read when asked for: manifest/deferred.ts).
  const first = statOf(path);
  const close = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return {
    size,
    read(into, position, length) {
      if (fd === undefined || position !== next) {
        close();
        fd = openSync(path, "r");
      }
      let n: number;
      try {
        n = readSync(fd, into, 0, Math.min(length, into.byteLength), position);
      } catch (e) {
        close();
        throw e;
      }
      next = position + n;
      if (n === 0 || next >= size) close();
      return n;
    },
    unchanged() {
      const now = statOf(path);
      return first !== undefined && now !== undefined && now === first;
    },
  };
}

/** A file's identity and version (device, inode, size, modification time), or undefined. */
function statOf(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return undefined;
  }
}

// A Helm chart's directory (it holds Chart.yaml): its templates are Go templates, not YAML until
// `helm template` renders them (https://helm.sh/docs/topics/charts/#the-chart-file-structure);
// the parser skips Chart.yaml with a warning that says so.
const CHART_SOURCES = new Set(["templates", "charts", "crds"]);

/** The manifests under dir, sorted; a directory met again through a symlink is walked once. */
function walk(dir: string, out: string[], seen = new Set<string>()): void {
  const d = statSync(dir);
  const id = `${d.dev}:${d.ino}`;
  if (seen.has(id)) return;
  seen.add(id);
  const names = readdirSync(dir).sort();
  const chart = names.includes("Chart.yaml");
  for (const name of names) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (!(chart && CHART_SOURCES.has(name))) walk(p, out, seen);
    } else if (st.isFile() && MANIFEST.test(name)) out.push(p);
  }
}

/** Reads every source named on the command line. Missing paths are a SpecError naming them. */
export async function readSources(
  paths: string[],
  stdin: () => Promise<string | Uint8Array> = readStdin,
): Promise<{ file: string; text: string | Uint8Array }[]> {
  return (await collectSources(paths, stdin, false)) as { file: string; text: string | Uint8Array }[];
}

/** The sources; with `pieces`, files from SPLIT_ABOVE bytes on as ByteSources (read later, in pieces). */
async function collectSources(
  paths: string[],
  stdin: () => Promise<string | Uint8Array>,
  pieces: boolean,
): Promise<SourceText[]> {
  const out: SourceText[] = [];
  const content = (f: string): SourceText["text"] => {
    const size = pieces ? statSync(f).size : 0;
    return pieces && size >= SPLIT_ABOVE ? fileSource(f, size) : readBytes(f);
  };
  const missing: Diagnostic[] = [];
  let stdinText: string | Uint8Array | undefined;
  for (const p of paths) {
    if (p === "-") {
      // Reading stdin twice would give nothing the second time: read it once.
      stdinText ??= await stdin();
      out.push({ file: "<stdin>", text: stdinText });
      continue;
    }
    if (!existsSync(p)) {
      missing.push({ severity: "error", message: `${p}: no such file or directory`, file: p });
      continue;
    }
    try {
      if (statSync(p).isDirectory()) {
        const files: string[] = [];
        walk(p, files);
        for (const f of files) out.push({ file: f, text: content(f) });
      } else out.push({ file: p, text: content(p) });
    } catch (e) {
      if (e instanceof SpecError) missing.push(...e.diagnostics);
      else missing.push({ severity: "error", message: `${p}: ${(e as Error).message}`, file: p });
    }
  }
  if (missing.length > 0) throw new SpecError(missing);
  return out;
}

/** The most bytes of a text file a flag names (--rules-from, check's FILE): 256 MiB, far
 *  above an iptables-save of a threshold cluster, or the input cap when that is lower. */
const TEXT_FILE_MAX = 256 * 2 ** 20;

/**
 * A text file named by a flag, read as -f reads its files (a pipe to its end, a device
 * refused), as UTF-8, at most TEXT_FILE_MAX bytes. Every failure is a SpecError naming it.
 */
export function readTextFile(path: string): string {
  const max = Math.min(maxInputBytes(), TEXT_FILE_MAX);
  try {
    return readBytes(path, max).toString("utf8");
  } catch (e) {
    if (e instanceof SpecError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw inputError(path, err.code === "ENOENT" ? "no such file or directory" : err.message);
  }
}

/** Reads the --config file. */
export function readConfigFile(path: string): { file: string; text: string } {
  if (!existsSync(path)) throw inputError(path, "no such file or directory");
  if (statSync(path).isDirectory()) throw inputError(path, "is a directory (the config is one file)");
  return { file: path, text: new TextDecoder().decode(readBytes(path)) };
}

/** The package root: the nearest directory upwards holding podnet's package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, "utf8")).name === "podnet") return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("podnet: cannot find the package root (package.json with name podnet)");
    dir = up;
  }
}

/** examples/demo of the installed package: what every command uses without -f. */
export function embeddedExampleDir(): string {
  return join(packageRoot(), "examples", "demo");
}

/**
 * -f paths (none: the embedded example) and an optional --config file -> ClusterSpec.
 * Throws SpecError for unreadable or invalid input; `mode` (default strict): see LoadMode.
 */
export async function loadSpecFromArgs(opts: {
  files?: string[];
  config?: string;
  stdin?: () => Promise<string | Uint8Array>;
  mode?: LoadMode;
}): Promise<ClusterSpec> {
  const embedded = !(opts.files && opts.files.length > 0);
  const files = embedded ? [embeddedExampleDir()] : (opts.files as string[]);
  let sources = await collectSources(files, opts.stdin ?? readStdin, true);
  // Name the embedded files as the package ships them, not by absolute path.
  if (embedded) sources = sources.map((s) => ({ ...s, file: relative(packageRoot(), s.file) }));
  const config = opts.config ? readConfigFile(opts.config) : undefined;
  return parseSpec(sources, config, opts.mode ?? "strict");
}

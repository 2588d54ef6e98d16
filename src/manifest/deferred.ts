// Values of a served object read from its file when something first asks for them
// (fast-yaml.ts DEFER). A Pod's status lists (conditions, container statuses, podIPs,
// hostIPs) are ~20 heap objects a pod that loading a dump does not look at (a pod's address
// is status.podIP, its readiness a digest of the conditions taken as the reader passes them:
// see Digest; the network's build looks at container states, views show them), and a
// threshold dump has 150,000 pods:
// each object is copied twice by the young-generation collector on its way to the old one,
// and each page of heap they fill is faulted in. The reader notes where each such value's
// text lies in the file, and the key stays on its object, in its place, as an accessor: the
// first read of it reads the text, and the store keeps the value for the next. So every
// reader (views, questions, JSON) sees the value as if it had been read with the rest. One
// read reads the same key's values within the next 1 MB of the file too (one read, in file
// order): views go through every pod.
//
// Only lists of mappings are deferred (fast-yaml.ts Reader.defer checks each entry), the
// shape validation asks of them (validate/pod.ts STATUS_LISTS). A text that no longer reads
// when asked (the file changed or is gone: ByteSource.unchanged) or reads as another shape
// leaves the key undefined, as a LATER value whose text no longer reads does (documents.ts
// inFull).
import { Buffer } from "node:buffer";
import { parse } from "yaml";
import { BAIL, type DeferSink, readBlock } from "./fast-yaml.js";
import type { ByteSource } from "./split.js";
import { KUBE_YAML_READ } from "./yaml-scalars.js";

/**
 * Values read together: those of the next objects in the file, within this many bytes of it
 * (one read into a buffer kept for the next: fresh memory is faulted in).
 */
const BATCH_BYTES = 1 << 20;

/**
 * What model code needs of a deferred value, taken from its text as the reader passes it (so
 * that the value need not be read for it): a number 1-255 it gives meaning to, 0 for nothing
 * (the value is then read). s[start, end): the text, as a DeferSink is handed it (b: s's codes).
 */
export type Digest = (s: string, b: Uint8Array, start: number, end: number) => number;

/** The deferred values of one file: where each one's text is, and each one once read. */
export class DeferStore {
  /** File offset of the text the reader reads (s[0] of the sink's s); set per item. */
  base = 0;
  /** Per value: its text's file offsets [start, end), ascending (the file is read in order). */
  private at = new Float64Array(2 * 1024);
  /**
   * Per value: its key's number in `keys` (low 6 bits), FIRST_OF when it is its object's
   * first value (an object's values are noted in a row), DONE once read or set. No object is
   * referred to from here: 600,000 values' owners would be an array for the collector to trace.
   */
  private meta = new Uint8Array(1024);
  /** Per value, once read or set: the value (the key's accessor stays and gives it). */
  private values: unknown[] = [];
  /** Per value: its digest (see Digest), 0 for none. */
  private dig = new Uint8Array(1024);
  private readonly keys: string[] = [];
  private count = 0;
  /** The bytes of the last batch read (kept for the next: fresh memory is faulted in). */
  private buf: Buffer | undefined;

  constructor(
    private readonly src: ByteSource,
    private readonly digests: Readonly<Record<string, Digest>> = {},
  ) {}

  /** The sink fast-yaml hands DEFER values to, for this store. */
  sink(): DeferSink {
    return (o, key, s, b, start, end) => {
      const rec = o as Record<string | symbol, unknown>;
      const first = rec[STORE] !== this;
      const id = this.note(key, this.base + start, this.base + end, first);
      const digest = Object.hasOwn(this.digests, key) ? this.digests[key] : undefined;
      if (digest !== undefined) this.dig[id] = digest(s, b, start, end);
      if (first) {
        rec[STORE] = this;
        rec[FIRST] = id;
      }
      Object.defineProperty(o, key, accessor(key));
      return true;
    };
  }

  /** How many values are noted: what forget() goes back to. */
  get size(): number {
    return this.count;
  }

  /** Forgets the values noted from `n` on (an item read again whole). */
  forget(n: number): void {
    this.count = n;
  }

  private note(key: string, start: number, end: number, first: boolean): number {
    const n = this.count;
    if (n === this.meta.length) {
      const at = new Float64Array(this.at.length * 2);
      at.set(this.at);
      this.at = at;
      const meta = new Uint8Array(this.meta.length * 2);
      meta.set(this.meta);
      this.meta = meta;
      const dig = new Uint8Array(this.dig.length * 2);
      dig.set(this.dig);
      this.dig = dig;
    }
    let k = this.keys.indexOf(key);
    if (k < 0) k = this.keys.push(key) - 1;
    if (k > KEY) throw new Error("more deferred keys than a store numbers"); // the rules name six
    this.at[2 * n] = start;
    this.at[2 * n + 1] = end;
    this.meta[n] = k | (first ? FIRST_OF : 0);
    this.dig[n] = 0;
    return this.count++;
  }

  /** The number of o's value for key, or -1. */
  indexOf(o: Record<string | symbol, unknown>, key: string): number {
    const first = o[FIRST];
    const k = this.keys.indexOf(key);
    if (typeof first !== "number" || k < 0) return -1;
    const meta = this.meta;
    for (let i = first; i < this.count && (i === first || (meta[i] & FIRST_OF) === 0); i++)
      if ((meta[i] & KEY) === k) return i;
    return -1;
  }

  /** Value i's digest, 0 once it is set (the digest is of the file's text). */
  digest(i: number): number {
    return this.dig[i];
  }

  /** Whether value i waits to be read. */
  waiting(i: number): boolean {
    return (this.meta[i] & DONE) === 0;
  }

  /** Value i, read (with those after it) when it waits. */
  get(i: number): unknown {
    if ((this.meta[i] & DONE) === 0) this.load(i);
    return this.values[i];
  }

  set(i: number, v: unknown): void {
    if (this.values.length < this.count) this.values.length = this.count;
    this.values[i] = v;
    this.meta[i] |= DONE;
    this.dig[i] = 0;
  }

  /**
   * Reads value `id` and those of the same key after it in the same batch (a view that shows
   * one key of every pod asks for no other: `get pods` reads container statuses, not IPs).
   */
  private load(id: number): void {
    const at = this.at;
    const meta = this.meta;
    const key = meta[id] & KEY;
    const lo = at[2 * id];
    let last = id;
    while (last + 1 < this.count && at[2 * (last + 1) + 1] - lo <= BATCH_BYTES) last++;
    while (last > id && (meta[last] & KEY) !== key) last--;
    const b = this.bytes(lo, at[2 * last + 1]);
    if (this.values.length < this.count) this.values.length = this.count;
    for (let i = id; i <= last; i++) {
      if ((meta[i] & (DONE | KEY)) !== key) continue; // read already, or another key's
      meta[i] |= DONE;
      if (b === undefined) continue;
      const start = at[2 * i] - lo;
      const end = at[2 * i + 1] - lo;
      // The value's own text: a string of the whole batch would be a large object, on pages
      // of its own.
      this.values[i] = listAt(
        b.toString("latin1", start, end),
        new Uint8Array(b.buffer, b.byteOffset + start, end - start),
      );
    }
  }

  /** File bytes [lo, hi), or undefined when the file no longer holds what was read. */
  private bytes(lo: number, hi: number): Buffer | undefined {
    if (this.src.unchanged?.() === false) return undefined;
    const n = hi - lo;
    if (this.buf === undefined || this.buf.length < n) this.buf = Buffer.allocUnsafe(Math.max(n, BATCH_BYTES));
    const b = this.buf;
    let off = 0;
    try {
      while (off < n) {
        const got = this.src.read(b.subarray(off, n), lo + off, n - off);
        if (got <= 0) return undefined;
        off += got;
      }
    } catch {
      return undefined;
    }
    return b;
  }
}

/** A list of mappings read from s[start, end) (b: s's codes; all of s by default), or undefined. */
function listAt(s: string, b: Uint8Array, start = 0, end = s.length): unknown[] | undefined {
  let v = readBlock(s, b, start, end);
  if (v === BAIL) {
    try {
      v = parse(s.slice(start, end), KUBE_YAML_READ);
    } catch {
      return undefined;
    }
  }
  return Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x)) ? v : undefined;
}

const KEY = 0x3f;
const FIRST_OF = 0x40;
const DONE = 0x80;

/** On an object with deferred keys: its store, and the number of its first value there. */
const STORE = Symbol("podnet.deferred.store");
const FIRST = Symbol("podnet.deferred.first");

type Deferring = Record<string | symbol, unknown>;

// The getter a key has, without a descriptor object made for the question: a key deleted or
// set since has none of ours (Annex B's Object.prototype.__lookupGetter__).
const LOOKUP_GETTER = (Object.prototype as unknown as { __lookupGetter__(k: string): unknown }).__lookupGetter__;

const storeOf = (o: Deferring): DeferStore | undefined => {
  const s = o[STORE];
  return s instanceof DeferStore ? s : undefined;
};

// One accessor (getter and setter functions) per key, shared by every object: V8 shares the
// hidden class of objects whose properties have the same accessors.
const ACCESSORS = new Map<string, PropertyDescriptor>();

function accessor(key: string): PropertyDescriptor {
  let a = ACCESSORS.get(key);
  if (a) return a;
  a = {
    get(this: Deferring) {
      const store = storeOf(this);
      const i = store ? store.indexOf(this, key) : -1;
      return store && i >= 0 ? store.get(i) : undefined;
    },
    set(this: Deferring, v: unknown) {
      const store = storeOf(this);
      const i = store ? store.indexOf(this, key) : -1;
      if (store && i >= 0) store.set(i, v);
      // Not the object noted (a copy's own accessor, by defineProperty): a plain value then.
      else Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  };
  ACCESSORS.set(key, a);
  return a;
}

/**
 * The digest of o's key (DeferStore's Digest), 0 when there is none: the key is not deferred,
 * has no digest, or was set since.
 */
export function digestOf(o: unknown, key: string): number {
  if (typeof o !== "object" || o === null) return 0;
  const store = storeOf(o as Deferring);
  if (store === undefined || LOOKUP_GETTER.call(o, key) !== ACCESSORS.get(key)?.get) return 0;
  const i = store.indexOf(o as Deferring, key);
  return i >= 0 ? store.digest(i) : 0;
}

/** Whether o's key still waits to be read (so that reading it would read the file). */
export function isDeferred(o: unknown, key: string): boolean {
  if (typeof o !== "object" || o === null) return false;
  const store = storeOf(o as Deferring);
  // Deleted or set as another property since: not ours.
  if (store === undefined || LOOKUP_GETTER.call(o, key) !== ACCESSORS.get(key)?.get) return false;
  const i = store.indexOf(o as Deferring, key);
  return i >= 0 && store.waiting(i);
}

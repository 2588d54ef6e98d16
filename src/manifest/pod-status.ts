// What model code takes from a Pod's `status.conditions`, the same whether the list was read
// with the pod or waits in the file (deferred.ts: a dump's served pods' lists are read when
// first asked for). Every pod's readiness is wanted when the state is built; reading every
// pod's conditions for it would keep five objects a pod, so the reader's DEFER sink takes a
// digest of the list's text as it passes (readyDigest), and these functions use it.
import { type Digest, digestOf } from "./deferred.js";

type Condition = { type?: unknown; status?: unknown } | null;

/**
 * Whether a Ready condition has status "True" (any of them, as the state has always read it;
 * a YAML `True` is a boolean, which the API server would refuse, and does not count).
 */
export function podReady(status: unknown): boolean {
  const d = digestOf(status, "conditions");
  if (d !== 0) return d === TRUE;
  const conds = (status as { conditions?: unknown } | null | undefined)?.conditions;
  if (!Array.isArray(conds)) return false;
  for (const c of conds as Condition[]) if (c?.type === "Ready" && String(c.status) === "True") return true;
  return false;
}

/**
 * The status of the first Ready condition as given, undefined without one (k8s.io/kubernetes
 * pkg/api/v1/pod/util.go GetPodCondition takes the first of a type).
 */
export function firstReadyStatus(status: unknown): unknown {
  const d = digestOf(status, "conditions");
  if (d !== 0) return d === NONE ? undefined : STATUS[d];
  const conds = (status as { conditions?: unknown } | null | undefined)?.conditions;
  if (!Array.isArray(conds)) return undefined;
  return (conds as Condition[]).find((c) => c?.type === "Ready")?.status;
}

// Digests: 0 says nothing (the list is read instead).
const TRUE = 1;
const NONE = 4;
const STATUS = ["", "True", "False", "Unknown"];

const SP = 32;
const DASH = 45;
const COLON = 58;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const TYPE = bytes("type");
const STATUS_KEY = bytes("status");
const READY = bytes("Ready");
const QUOTED = STATUS.map((s) => bytes(`"${s}"`));
// A condition type's characters (a qualified name: k8s.io/apimachinery validation).
const NAME = new Uint8Array(256);
for (const c of bytes("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")) NAME[c] = 1;

/** Whether b[p, e) is `want`. */
function is(b: Uint8Array, p: number, e: number, want: Uint8Array): boolean {
  if (e - p !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (b[p + i] !== want[i]) return false;
  return true;
}

/** Where a key `want` followed by `:` ends at p (past the colon), or -1. */
function keyAt(b: Uint8Array, p: number, le: number, want: Uint8Array): number {
  const n = want.length;
  for (let i = 0; i < n; i++) if (b[p + i] !== want[i]) return -1;
  let k = p + n;
  while (k < le && b[k] === SP) k++;
  return k < le && b[k] === COLON && (k + 1 === le || b[k + 1] === SP) ? k + 1 : -1;
}

/**
 * A conditions list's text, s[start, end) (b: its codes; whole lines, the first an entry `- ` at the list's
 * indentation), digested: 1-3 when exactly one entry has `type: Ready` and its status is
 * `"True"`, `"False"` or `"Unknown"` (double-quoted, as sigs.k8s.io/yaml writes a string
 * that reads as a boolean); 4 when no entry has type Ready; 0 for anything else (two Ready
 * entries, a status in another form, a type quoted or commented, a line it cannot place),
 * so that the list is read instead. Only lines at an entry's key indentation are looked at:
 * a deeper line is part of a value (a block scalar's `type: Ready` is text). The text is a
 * list the reader took for one (fast-yaml.ts Reader.defer); a YAML error deeper in it, which
 * the API server never writes, is the reading's to find.
 */
export function readyDigest(s: string, b: Uint8Array, start: number, end: number): number {
  let listInd = -1;
  let keyInd = -1;
  let ready = 0; // Ready entries seen
  let digest = NONE;
  let inReady = false; // the current entry has type Ready
  let entryStatus = 0; // the current entry's status: 0 none, 1-3, -1 another form
  let typeSeen = false;
  let p = start;
  while (p < end) {
    let q = p;
    while (q < end && b[q] === SP) q++;
    // String's indexOf: a search, not a loop over every character here.
    let le = s.indexOf("\n", q);
    if (le < 0 || le > end) le = end;
    const ind = q - p;
    const line = p;
    p = le + 1;
    if (q === le) continue; // blank
    if (listInd < 0) listInd = ind;
    if (ind === listInd && b[q] === DASH && (q + 1 === le || b[q + 1] === SP)) {
      if (inReady) {
        if (entryStatus <= 0) return 0;
        digest = entryStatus;
      }
      inReady = false;
      typeSeen = false;
      entryStatus = 0;
      q++;
      while (q < le && b[q] === SP) q++;
      keyInd = q - line;
    } else if (ind !== keyInd) {
      if (ind < keyInd || keyInd < 0) return 0;
      continue; // a deeper line: part of a value
    }
    // A key at q: an API field's name, a letter first (a quoted key, a comment, a nested
    // list … are read instead).
    const c = b[q];
    if (c === 116) {
      const k = keyAt(b, q, le, TYPE);
      if (k < 0) continue; // another key starting with t
      if (typeSeen) return 0;
      typeSeen = true;
      let v = k;
      while (v < le && b[v] === SP) v++;
      let ve = le;
      while (ve > v && b[ve - 1] === SP) ve--;
      if (is(b, v, ve, READY)) {
        if (++ready > 1) return 0;
        inReady = true;
      } else {
        // Another type, if written as a plain name: quoted, an alias or a tag it might read as Ready.
        if (v === ve) return 0;
        for (let i = v; i < ve; i++) if (NAME[b[i]] === 0) return 0;
      }
    } else if (c === 115) {
      const k = keyAt(b, q, le, STATUS_KEY);
      if (k < 0) continue;
      if (entryStatus !== 0) return 0;
      let v = k;
      while (v < le && b[v] === SP) v++;
      let ve = le;
      while (ve > v && b[ve - 1] === SP) ve--;
      entryStatus = -1;
      // Exactly one of the quoted forms (so a quote closed on the line, nothing after it).
      for (let s = 1; s < QUOTED.length; s++) if (is(b, v, ve, QUOTED[s])) entryStatus = s;
    } else if ((c | 0x20) < 97 || (c | 0x20) > 122) return 0;
  }
  if (inReady) {
    if (entryStatus <= 0) return 0;
    digest = entryStatus;
  }
  return digest;
}

/** The digests a DeferStore of served pods takes of their deferred lists. */
export const POD_DIGESTS: Readonly<Record<string, Digest>> = { conditions: readyDigest };

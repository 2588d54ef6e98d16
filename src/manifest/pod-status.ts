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
const NL = 10;
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

/**
 * Whether the value b[v, ve) ends on its line: a plain one without a comment, or a quoted one
 * closed there with no quote or escape inside (anything else is left to the readers).
 */
function plainOrClosed(b: Uint8Array, v: number, ve: number): boolean {
  const q = b[v];
  if (q !== 34 && q !== 39) {
    for (let i = v; i < ve; i++) if (b[i] === 35) return false; // `#`
    return true;
  }
  if (ve - v < 2 || b[ve - 1] !== q) return false;
  for (let i = v + 1; i < ve - 1; i++) if (b[i] === q || b[i] === 92) return false;
  return true;
}

/**
 * A conditions list's text, b[start, end) (whole lines, the first an entry `- ` at the list's
 * indentation), digested: 1-3 when exactly one entry has `type: Ready` and its status is
 * `"True"`, `"False"` or `"Unknown"` (double-quoted, as sigs.k8s.io/yaml writes a string
 * that reads as a boolean); 4 when no entry has type Ready; 0 for anything else (two Ready
 * entries, a status in another form, a type quoted or commented, a line it cannot place),
 * so that the list is read instead. Only lines at an entry's key indentation are looked at:
 * a deeper line is part of a value (a block scalar's `type: Ready` is text).
 */
export function readyDigest(b: Uint8Array, start: number, end: number): number {
  let listInd = -1;
  let keyInd = -1;
  let ready = 0; // Ready entries seen
  let digest = NONE;
  let inReady = false; // the current entry has type Ready
  let entryStatus = 0; // the current entry's status: 0 none, 1-3, -1 another form
  let typeSeen = false;
  const close = () => {
    if (!inReady) return true;
    if (entryStatus <= 0) return false;
    digest = entryStatus;
    return true;
  };
  let p = start;
  while (p < end) {
    let le = b.indexOf(NL, p);
    if (le < 0 || le > end) le = end;
    let q = p;
    while (q < le && b[q] === SP) q++;
    const ind = q - p;
    const line = p;
    p = le + 1;
    if (q === le) continue; // blank
    if (listInd < 0) listInd = ind;
    if (ind === listInd && b[q] === DASH && (q + 1 === le || b[q + 1] === SP)) {
      if (!close()) return 0;
      inReady = false;
      typeSeen = false;
      entryStatus = 0;
      q++;
      while (q < le && b[q] === SP) q++;
      keyInd = q - line;
    } else if (ind < keyInd || keyInd < 0) return 0;
    else if (ind > keyInd) continue;
    // A key at q (an API field's name: a letter first), its value to the line's end.
    const c0 = b[q] | 0x20;
    if (c0 < 97 || c0 > 122) return 0; // a quoted key, a comment, a nested list …: read it
    let k = q;
    while (k < le && b[k] !== COLON) k++;
    if (k === le || (k + 1 < le && b[k + 1] !== SP)) return 0;
    let ke = k;
    while (ke > q && b[ke - 1] === SP) ke--;
    let v = k + 1;
    while (v < le && b[v] === SP) v++;
    let ve = le;
    while (ve > v && b[ve - 1] === SP) ve--;
    if (!plainOrClosed(b, v, ve)) return 0;
    if (is(b, q, ke, TYPE)) {
      if (typeSeen || v === ve) return 0;
      typeSeen = true;
      if (!is(b, v, ve, READY)) {
        // Another type, if written as a plain name: quoted, an alias or a tag it might read as Ready.
        for (let i = v; i < ve; i++) if (!NAME[b[i]]) return 0;
        continue;
      }
      if (++ready > 1) return 0;
      inReady = true;
    } else if (is(b, q, ke, STATUS_KEY)) {
      if (entryStatus !== 0) return 0;
      entryStatus = -1;
      for (let s = 1; s < QUOTED.length; s++) if (is(b, v, ve, QUOTED[s])) entryStatus = s;
    }
  }
  return close() ? digest : 0;
}

/** The digests a DeferStore of served pods takes of their deferred lists. */
export const POD_DIGESTS: Readonly<Record<string, Digest>> = { conditions: readyDigest };

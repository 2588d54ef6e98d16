// Secret (pkg/apis/core/validation ValidateSecret; the request body's decoding for `data`,
// whose values are base64 bytes). No rule here is network-relevant: Secrets only feed
// containers' environments. A value is never printed: findings name the key alone.
import type { KubeObject } from "../types.js";
import { NO_VALUE, isObj, keyPath } from "../diag.js";
import type { Err } from "./common.js";

/** IsConfigMapKey (k8s.io/apimachinery pkg/util/validation). */
export function configKeyError(k: string): string | undefined {
  if (k.length > 253) return "must be no more than 253 characters";
  if (!/^[-._a-zA-Z0-9]+$/.test(k))
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  if (k === ".") return "must not be '.'";
  if (k === "..") return "must not be '..'";
  if (k.startsWith("..")) return "must not start with '..'";
  return undefined;
}

const B64 = /^[A-Za-z0-9+/]$/;

/**
 * Go's base64.StdEncoding.Decode as encoding/json uses it for []byte: the offset of the
 * first corrupt byte ("illegal base64 data at input byte N"), or undefined when the text
 * decodes. Newlines are skipped; padding is required.
 */
export function base64ErrorOffset(s: string): number | undefined {
  let si = 0;
  const nl = (ch: string) => ch === "\n" || ch === "\r";
  while (si < s.length) {
    // decodeQuantum
    for (let j = 0; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return undefined;
        return si - j;
      }
      const ch = s[si++];
      if (B64.test(ch)) continue;
      if (nl(ch)) {
        j--;
        continue;
      }
      if (ch !== "=") return si - 1;
      // padding
      if (j === 0 || j === 1) return si - 1;
      if (j === 2) {
        while (si < s.length && nl(s[si])) si++;
        if (si === s.length) return s.length;
        if (s[si] !== "=") return si - 1;
        si++;
      }
      while (si < s.length && nl(s[si])) si++;
      return si < s.length ? si : undefined;
    }
  }
  return undefined;
}

/** Each key of the object's maps `fields` (a map that is not one is reported), key names checked. */
function eachEntry(
  err: Err,
  o: KubeObject,
  fields: readonly string[],
  notMap: (m: unknown) => unknown,
  visit: (field: string, f: string, v: unknown) => void,
): void {
  for (const field of fields) {
    const m = o[field];
    if (m === undefined || m === null) continue;
    if (!isObj(m)) {
      err(field, notMap(m), "must be a mapping");
      continue;
    }
    for (const k of Object.keys(m)) {
      const f = keyPath(field, k);
      const ke = configKeyError(k);
      if (ke) err(f, k, ke);
      visit(field, f, m[k]);
    }
  }
}

export function checkSecret(err: Err, o: KubeObject): void {
  let size = 0;
  // A Secret's values are never printed (NO_VALUE), not even a wrong one.
  eachEntry(
    err,
    o,
    ["data", "stringData"],
    () => NO_VALUE,
    (field, f, v) => {
      if (typeof v !== "string") {
        err(f, NO_VALUE, field === "data" ? "must be a string (base64-encoded bytes)" : "must be a string");
        return;
      }
      if (field === "data") {
        const at = base64ErrorOffset(v);
        if (at !== undefined) err(f, NO_VALUE, `illegal base64 data at input byte ${at}`);
        else size += Math.floor((v.replace(/[\r\n=]/g, "").length * 3) / 4);
      } else size += new TextEncoder().encode(v).length;
    },
  );
  // MaxSecretSize: 1 MiB of data (stringData counted as it will be stored).
  if (size > 1024 * 1024) err("data", NO_VALUE, "Too long: must have at most 1048576 bytes");
}

/** ConfigMap (ValidateConfigMap): config keys; `data` values are strings (the API server
 *  cannot decode another type: "json: cannot unmarshal number into Go struct field
 *  ConfigMap.data of type string"). */
export function checkConfigMap(err: Err, o: KubeObject): void {
  eachEntry(
    err,
    o,
    ["data", "binaryData"],
    (m) => m,
    (field, f, v) => {
      if (typeof v !== "string")
        err(
          f,
          v,
          `json: cannot unmarshal ${goJsonType(v)} into Go struct field ConfigMap.${field} of type ${field === "data" ? "string" : "[]uint8"} (quote the value)`,
        );
    },
  );
}

/** The JSON type name encoding/json's UnmarshalTypeError gives a value. */
function goJsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v === "object" ? "object" : typeof v;
}

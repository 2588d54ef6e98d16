// YAML and JSON as kubectl prints a List (kubectl pkg/cmd/get/get.go; sigs.k8s.io/yaml over
// go-yaml v2): keys sorted, sequences not indented under their key, strings that would read
// as another type double-quoted, multi-line strings as literal blocks. For bench/snapshot.ts.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// go-yaml v2 (YAML 1.1) resolves these as non-strings: such strings are double-quoted.
const BOOL_NULL =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|)$/;
const NUMBER =
  /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|0b[01_]+|0x[0-9a-fA-F_]+|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP = /^\d{4}-\d\d?-\d\d?(?:$|[Tt ])/;
// What a plain scalar may look like (otherwise go-yaml's emitter falls back to single quotes).
const PLAIN = /^(?:[A-Za-z0-9_./$(]|-(?=\S))[^\n#'"`{}[\]|>&*!%@]*$/;

function scalar(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = v as string;
  if (BOOL_NULL.test(s) || NUMBER.test(s) || TIMESTAMP.test(s)) return JSON.stringify(s);
  if (PLAIN.test(s) && !s.includes(": ") && !s.endsWith(":") && !s.endsWith(" ")) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

function isMap(v: Json): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function entry(pre: string, key: string, v: Json, ind: string, out: string[]): void {
  const k = scalar(key);
  if (isMap(v)) {
    if (Object.keys(v).length === 0) out.push(`${pre}${k}: {}\n`);
    else {
      out.push(`${pre}${k}:\n`);
      map(v, `${ind}  `, out);
    }
  } else if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${pre}${k}: []\n`);
    else {
      out.push(`${pre}${k}:\n`);
      seq(v, ind, out);
    }
  } else if (typeof v === "string" && v.includes("\n")) {
    const body = v.endsWith("\n") ? v.slice(0, -1) : v;
    out.push(`${pre}${k}: |${v.endsWith("\n") ? "" : "-"}\n`);
    for (const line of body.split("\n")) out.push(line ? `${ind}  ${line}\n` : "\n");
  } else out.push(`${pre}${k}: ${scalar(v)}\n`);
}

function map(o: { [k: string]: Json }, ind: string, out: string[], first?: string): void {
  const keys = Object.keys(o).sort();
  for (let i = 0; i < keys.length; i++)
    entry(i === 0 && first !== undefined ? first : ind, keys[i], o[keys[i]], ind, out);
}

function seq(a: Json[], ind: string, out: string[]): void {
  for (const v of a) {
    if (isMap(v) && Object.keys(v).length > 0) map(v, `${ind}  `, out, `${ind}- `);
    else if (isMap(v)) out.push(`${ind}- {}\n`);
    else if (Array.isArray(v)) out.push(`${ind}- ${JSON.stringify(v)}\n`);
    else out.push(`${ind}- ${scalar(v)}\n`);
  }
}

/** One item of the List, as kubectl prints it under `items:`. */
export function itemYaml(o: { [k: string]: Json }): string {
  const out: string[] = [];
  map(o, "  ", out, "- ");
  return out.join("");
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isMap(v)) return v;
  const o: { [k: string]: Json } = {};
  for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
  return o;
}

/** One item of the List as `kubectl get -o json` prints it: 4-space indent, keys sorted. */
export function itemJson(o: { [k: string]: Json }): string {
  return JSON.stringify(sortKeys(o), null, 4).replace(/^/gm, "        ");
}

/** JSON with keys sorted, as kubectl stores the last-applied configuration. */
export function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  if (typeof v === "object" && v !== null)
    return `{${Object.keys(v)
      .filter((k) => k !== "source" && (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

// What an unquoted (plain) YAML scalar means, as Kubernetes reads manifests: kubectl and the
// API server decode YAML with sigs.k8s.io/yaml, which runs go-yaml v2 (its fork
// sigs.k8s.io/yaml/goyaml.v2) into interface{} and then JSON. go-yaml v2 resolves a plain
// scalar in resolve.go `resolve` (YAML 1.1 booleans, but not YAML 1.1's sexagesimal numbers
// or its looser floats), and decode.go keeps a timestamp read into interface{} as its string:
//   - null: "", ~, null, Null, NULL; booleans: y Y yes Yes YES true True TRUE on On ON and
//     n N no No NO false False FALSE off Off OFF (so `yes` is a boolean, unlike YAML 1.2 core);
//     .inf/.nan in their three spellings (resolveMap);
//   - first character a digit or sign: underscores dropped, then an integer as Go's
//     strconv.ParseInt(s, 0, 64) reads it (0x/0o/0b prefixes in either case, a leading 0 is
//     octal), else ParseUint, else a float matching yamlStyleFloat
//     `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` that ParseFloat reads in range;
//   - first character '.': a float if ParseFloat reads it (`.5`, `.5e3`);
//   - anything else is a string: `e6`, `.`, `1:30`, `2001-12-14`, `1e400`, `0x`.
// The `yaml` library's own yaml-1.1 schema reads `e6`, `.` and `._` as NaN, `1:30` as 90 and
// dates as Date: the tags below take its place for numbers (documents.ts, infer.ts), and
// fast-yaml.ts calls `plainScalar` directly, so both readers give the same values.
import type { ScalarTag, Tags } from "yaml";

const MAP = new Map<string, unknown>([
  ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((s) => [s, true] as const),
  ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((s) => [s, false] as const),
  ...["", "~", "null", "Null", "NULL"].map((s) => [s, null] as const),
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, Number.NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);

// Go's base-0 integer syntax (strconv.ParseInt/ParseUint), after underscores are dropped.
const GO_INT = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/;
const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** An integer as ParseInt(s, 0, 64) or else ParseUint(s, 0, 64) reads it; undefined if neither does. */
function goInt(plain: string): number | undefined {
  const m = GO_INT.exec(plain);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, oct0, dec] = m;
  // Nothing longer fits in 64 bits; and BigInt of a huge string is quadratic (a 2 MB port).
  if ((hex ?? oct ?? bin ?? oct0 ?? dec).replace(/^0+/, "").length > 64) return undefined;
  const v = hex
    ? BigInt(`0x${hex}`)
    : oct !== undefined
      ? BigInt(`0o${oct}`)
      : bin !== undefined
        ? BigInt(`0b${bin}`)
        : oct0 !== undefined
          ? oct0 === ""
            ? 0n
            : BigInt(`0o${oct0}`)
          : BigInt(dec);
  const n = sign === "-" ? -v : v;
  // ParseInt: int64; ParseUint (no sign allowed): up to 2^64-1.
  if (n < INT64_MIN || n > UINT64_MAX || (n >= 2n ** 63n && sign !== "")) return undefined;
  return Number(n);
}

const NUMBER_FIRST = /^[-+0-9]/;

/** A number (go-yaml v2's int or float resolution), or undefined: the scalar is not one. */
export function plainNumber(s: string): number | undefined {
  if (s.charCodeAt(0) === 46 /* . */) {
    if (!DOT_FLOAT.test(s)) return undefined;
    return Number(s);
  }
  if (!NUMBER_FIRST.test(s)) return undefined;
  const plain = s.includes("_") ? s.replaceAll("_", "") : s;
  const i = goInt(plain);
  if (i !== undefined) return i;
  if (!YAML_STYLE_FLOAT.test(plain)) return undefined;
  const f = Number(plain);
  // ParseFloat fails with ErrRange beyond float64: go-yaml then keeps the string.
  return Number.isFinite(f) ? f : undefined;
}

/** What an unquoted scalar is, as sigs.k8s.io/yaml (go-yaml v2) reads it into JSON. */
export function plainScalar(s: string): unknown {
  const hit = MAP.get(s);
  if (hit !== undefined || MAP.has(s)) return hit;
  const n = plainNumber(s);
  return n === undefined ? s : n;
}

/** A RegExp whose test() is a predicate: the `yaml` library picks a tag by `tag.test.test(value)`. */
class Predicate extends RegExp {
  constructor(private readonly f: (s: string) => boolean) {
    super("");
  }
  override test(s: string): boolean {
    return this.f(s);
  }
}

const NUMBER_TAG: ScalarTag = {
  identify: (v) => typeof v === "number",
  default: true,
  tag: "tag:yaml.org,2002:float",
  test: new Predicate((s) => plainNumber(s) !== undefined),
  resolve: (s) => plainNumber(s) as number,
};

const REPLACED = new Set(["tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"]);

/**
 * The `yaml` library's yaml-1.1 tags with its numbers and timestamps replaced by go-yaml
 * v2's (for `customTags`): null, booleans, .inf/.nan and the merge key stay the library's,
 * which match go-yaml v2's lists.
 */
export function goYamlV2Tags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    if (typeof t === "string" || !REPLACED.has(t.tag)) return true;
    // .inf/.nan: the library's float tag without a format, tested first.
    const re = (t as ScalarTag).test;
    return re !== undefined && re.test(".inf") && !re.test("1");
  });
  return [...kept, NUMBER_TAG];
}

/** The `yaml` library's options for reading YAML as Kubernetes does (parse, parseDocument). */
export const KUBE_YAML = { version: "1.1", customTags: goYamlV2Tags } as const;

/** KUBE_YAML for reading input: plain error messages (podnet adds file and line), a key twice an error. */
export const KUBE_YAML_READ = { prettyErrors: false, uniqueKeys: true, ...KUBE_YAML } as const;

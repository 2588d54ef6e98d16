// Objects by kind, namespace and name, in maps nested by each: what "kind/namespace/name"
// keys say, without a string made per object. A threshold dump has 207,000 objects; their
// names are strings the reader already holds (each hashed once, the hash then cached),
// where joined keys are 207,000 new strings to hash, kept as long as the map.

/** A value as a template literal joins it (names and namespaces of bad input may be numbers). */
const str = (v: unknown): string => (typeof v === "string" ? v : String(v));

/** A joined key's parts, split at its first two slashes; undefined without two. */
function split(key: string): [string, string, string] | undefined {
  const i = key.indexOf("/");
  const j = i < 0 ? -1 : key.indexOf("/", i + 1);
  return j < 0 ? undefined : [key.slice(0, i), key.slice(i + 1, j), key.slice(j + 1)];
}

/**
 * Keys are compared as the joined strings would be: a kind or namespace with a slash in it
 * (bad input) is split again at the first two slashes of the joined key, so that
 * ("K", "a/b", "c") and ("K", "a", "b/c") are one key, as "K/a/b/c" is one string.
 */
export class ObjectIndex<T> {
  private byKind = new Map<string, Map<string, Map<string, T>>>();

  /** The value already under the key; else `value` is put there and undefined returned. */
  add(kind: string, namespace: unknown, name: unknown, value: T): T | undefined {
    return this.put(kind, namespace, name, value, false);
  }

  set(kind: string, namespace: unknown, name: unknown, value: T): void {
    this.put(kind, namespace, name, value, true);
  }

  private put(kind: string, namespace: unknown, name: unknown, value: T, replace: boolean): T | undefined {
    const ns = str(namespace);
    const n = str(name);
    if (kind.includes("/") || ns.includes("/")) {
      const [k, s, m] = split(`${kind}/${ns}/${n}`)!;
      return this.put(k, s, m, value, replace);
    }
    let byNs = this.byKind.get(kind);
    if (!byNs) this.byKind.set(kind, (byNs = new Map()));
    let names = byNs.get(ns);
    if (!names) byNs.set(ns, (names = new Map()));
    const had = names.get(n);
    if (had === undefined || replace) names.set(n, value);
    return had;
  }

  /** Whether the joined key "kind/namespace/name" has a value. */
  has(key: string): boolean {
    const p = split(key);
    return p !== undefined && this.byKind.get(p[0])?.get(p[1])?.has(p[2]) === true;
  }
}

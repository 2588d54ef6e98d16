// Calico's selector language as its docs define it
// (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors) and as
// projectcalico/calico libcalico-go/lib/selector (tokenizer, parser, ast.go) parses, prints
// and evaluates it. Expected values come from those, not from running this code.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type CalicoSelector,
  calicoMatches,
  compileCalicoSelector,
  isAll,
  MAX_SELECTOR_DEPTH,
  MAX_SELECTOR_LENGTH,
  parseCalicoSelector,
  selectorText,
  usesGlobal,
} from "./calico-selector.js";

function sel(text: string): CalicoSelector {
  const r = parseCalicoSelector(text);
  if ("error" in r) assert.fail(`${JSON.stringify(text.slice(0, 80))}: ${r.error}`);
  return r.sel;
}
function err(text: string): string {
  const r = parseCalicoSelector(text);
  if ("sel" in r) assert.fail(`${JSON.stringify(text.slice(0, 80))} parsed as ${selectorText(r.sel).slice(0, 80)}`);
  return r.error;
}
const m = (text: string, labels: Record<string, string>) => calicoMatches(sel(text), labels);

const pod = { app: "web", tier: "frontend", "projectcalico.org/namespace": "prod", "k8s.io/x_y-z": "1" };

test("each operator as ast.go evaluates it", () => {
  assert.equal(m("all()", {}), true);
  assert.equal(m("has(app)", pod), true);
  assert.equal(m("has(env)", pod), false);
  assert.equal(m('app == "web"', pod), true);
  assert.equal(m('app == "db"', pod), false);
  assert.equal(m('app != "db"', pod), true);
  assert.equal(m('app != "web"', pod), false);
  assert.equal(m('tier in {"frontend", "backend"}', pod), true);
  assert.equal(m('tier in {"backend"}', pod), false);
  assert.equal(m('tier not in {"backend", "db"}', pod), true);
  assert.equal(m('tier not in {"frontend", "db"}', pod), false);
  assert.equal(m('tier contains "ont"', pod), true);
  assert.equal(m('tier contains "x"', pod), false);
  assert.equal(m('tier starts with "front"', pod), true);
  assert.equal(m('tier starts with "end"', pod), false);
  assert.equal(m('tier ends with "end"', pod), true);
  assert.equal(m('tier ends with "front"', pod), false);
  assert.equal(m("!has(env)", pod), true);
  assert.equal(m('!app == "web"', pod), false);
  assert.equal(m("!all()", pod), false);
  assert.equal(m('app == "web" && tier == "frontend"', pod), true);
  assert.equal(m('app == "web" && tier == "backend"', pod), false);
  assert.equal(m('app == "db" || tier == "frontend"', pod), true);
  assert.equal(m('app == "db" || tier == "backend"', pod), false);
  // An empty set parses; in {} matches nothing, not in {} everything.
  assert.equal(m("tier in {}", pod), false);
  assert.equal(m("tier not in {}", pod), true);
  // The empty string is a value like any other.
  assert.equal(m('tier contains ""', pod), true);
  assert.equal(m('tier == ""', { tier: "" }), true);
});

test("!=, not in are true on an absent key; ==, in, contains, starts/ends with false", () => {
  assert.equal(m('env != "prod"', pod), true);
  assert.equal(m('env not in {"prod"}', pod), true);
  assert.equal(m('env not in {"prod", "dev"}', pod), true);
  assert.equal(m('env == ""', pod), false);
  assert.equal(m('env in {""}', pod), false);
  assert.equal(m('env in {"a", "b"}', pod), false);
  assert.equal(m('env contains ""', pod), false);
  assert.equal(m('env starts with ""', pod), false);
  assert.equal(m('env ends with ""', pod), false);
  // Object's own members are not labels.
  assert.equal(m("has(constructor)", {}), false);
  assert.equal(m("has(__proto__)", {}), false);
  assert.equal(m('toString != "x"', {}), true);
  assert.equal(m('constructor in {"a", "b"}', {}), false);
  assert.equal(m('constructor == "x"', { constructor: "x" }), true);
});

test("precedence: ! binds tightest, then &&, then ||; parentheses group", () => {
  const s = sel('a == "1" || b == "2" && c == "3"');
  assert.equal(selectorText(s), '(a == "1" || (b == "2" && c == "3"))');
  assert.equal(calicoMatches(s, { a: "1" }), true);
  assert.equal(calicoMatches(s, { b: "2" }), false); // (a || b) && c would differ only here and below
  assert.equal(calicoMatches(s, { b: "2", c: "3" }), true);
  assert.equal(calicoMatches(s, { a: "1", c: "x" }), true);
  const p = sel('(a == "1" || b == "2") && c == "3"');
  assert.equal(calicoMatches(p, { a: "1" }), false);
  assert.equal(calicoMatches(p, { a: "1", c: "3" }), true);
  // ! applies to the next term only.
  assert.equal(selectorText(sel("!has(a) && has(b)")), "(!has(a) && has(b))");
  assert.equal(m("!has(a) && has(b)", { b: "" }), true);
  assert.equal(m("!(has(a) && has(b))", { b: "" }), true);
  assert.equal(m("!(has(a) || has(b))", { b: "" }), false);
  // A run of ! collapses to one boolean (parser.go parseOperation).
  assert.deepEqual(sel("!!has(a)"), sel("has(a)"));
  assert.deepEqual(sel("!!!has(a)"), sel("!has(a)"));
  // Chains are one n-ary node each, left to right.
  assert.deepEqual(sel("has(a) && has(b) && has(c)"), {
    kind: "and",
    operands: [
      { kind: "has", key: "a" },
      { kind: "has", key: "b" },
      { kind: "has", key: "c" },
    ],
  });
  assert.equal(selectorText(sel("has(a) || has(b) || has(c) && has(d)")), "(has(a) || has(b) || (has(c) && has(d)))");
  assert.equal(m("has(x) || has(y) || has(z)", { z: "" }), true);
  assert.equal(m("has(x) && has(y) && has(z)", { x: "", y: "" }), false);
});

test("quoting and whitespace", () => {
  // Single or double quotes, no escapes: a string runs to the next quote of its kind.
  assert.deepEqual(sel("app == 'web'"), sel('app == "web"'));
  assert.equal(m(`msg == 'say "hi"'`, { msg: 'say "hi"' }), true);
  assert.equal(m(`msg == "it's"`, { msg: "it's" }), true);
  assert.equal(m('msg == "a\\"', { msg: "a\\" }), true);
  // Spaces and tabs anywhere between tokens, or none.
  const tight = sel('app=="web"&&!has(x)||tier in{"a","b"}');
  assert.deepEqual(sel(' \t app  ==\t"web" &&  ! has(x)  ||  tier  in  { "a" ,\t"b" } '), tight);
  assert.deepEqual(sel('app == "web" && !has(x) || tier in {"a", "b"}'), tight);
  // The regular expressions' \s* inside has( ), all( ), "not in", "starts with": any \s.
  assert.deepEqual(sel("has(  a.b/c  )"), { kind: "has", key: "a.b/c" });
  assert.deepEqual(sel("all( )"), { kind: "all" });
  assert.deepEqual(sel("global(\t)"), { kind: "global" });
  assert.deepEqual(sel('a notin {"x"}'), sel('a not in {"x"}'));
  assert.deepEqual(sel('a not \t in {"x"}'), sel('a not in {"x"}'));
  assert.deepEqual(sel('a startswith "x"'), sel('a starts with "x"'));
  assert.deepEqual(sel('a ends  with "x"'), sel('a ends with "x"'));
  // A trailing comma in a set parses; values are sorted and deduplicated (ConvertToStringSetInPlace).
  assert.deepEqual(sel('a in {"b", "a", "b",}'), { kind: "in", key: "a", values: ["a", "b"] });
  // Go sorts by UTF-8 bytes: U+FF21 before U+1F600 (UTF-16 order would put the emoji first).
  assert.deepEqual(sel('a in {"😀", "Ａ", "Z"}'), { kind: "in", key: "a", values: ["Z", "Ａ", "😀"] });
  // Only whitespace is all(), as the empty selector.
  assert.deepEqual(sel(""), { kind: "all" });
  assert.deepEqual(sel("  \t "), { kind: "all" });
});

test("label keys: [a-zA-Z0-9_./-]{1,512}; operator words only after a label", () => {
  assert.equal(m("has(projectcalico.org/namespace)", pod), true);
  assert.equal(m("has(k8s.io/x_y-z)", pod), true);
  assert.equal(m('projectcalico.org/namespace == "prod"', pod), true);
  assert.equal(m('projectcalico.org/namespace in {"prod", "dev"}', pod), true);
  assert.equal(m('k8s.io/x_y-z == "1"', pod), true);
  assert.equal(m('0-start.x == "1"', { "0-start.x": "1" }), true);
  // Keywords are contextual: a label may be named like one.
  assert.equal(m('in == "x"', { in: "x" }), true);
  assert.equal(m('not in {"x"}', { not: "x" }), true); // label "not", operator in
  assert.equal(m('not not in {"x"}', { not: "y" }), true);
  assert.equal(m('contains contains "x"', { contains: "axb" }), true);
  assert.equal(m('has == "x" && all != "y"', { has: "x", all: "z" }), true);
  assert.equal(m("has(in)", { in: "" }), true);
  // A value cannot be a bare word.
  assert.match(err("a == b"), /expected string after == at offset 5/);
  const long = "k".repeat(512);
  assert.equal(m(`has(${long})`, { [long]: "" }), true);
  assert.equal(m(`${long} == "v"`, { [long]: "v" }), true);
  assert.match(err(`has(${long}k)`), /malformed has\(\) at offset 0/);
  assert.match(err(`${long}k == "v"`), /longer than 512 characters/);
});

test("global() matches like all() but is reported; isAll", () => {
  assert.equal(m("global()", {}), true);
  assert.equal(m("global()", pod), true);
  assert.equal(usesGlobal(sel("global()")), true);
  assert.equal(usesGlobal(sel('global() && app == "web"')), true);
  assert.equal(usesGlobal(sel('!(has(a) || (global() && app == "web"))')), true);
  assert.equal(usesGlobal(sel("all()")), false);
  assert.equal(usesGlobal(sel('global == "x"')), false);
  assert.equal(isAll(sel("")), true);
  assert.equal(isAll(sel("all()")), true);
  assert.equal(isAll(sel("(all())")), true);
  assert.equal(isAll(sel("!!all()")), true);
  assert.equal(isAll(sel("global()")), false);
  assert.equal(isAll(sel("!all()")), false);
  assert.equal(isAll(sel("all() || has(a)")), false);
});

test("selectorText prints as ast.go String() and reparses to an equal AST", () => {
  const cases: [string, string][] = [
    ["", "all()"],
    ["  all( ) ", "all()"],
    ["global()", "global()"],
    ["has( a/b )", "has(a/b)"],
    ["a=='x'", 'a == "x"'],
    [`a != 'x"y'`, `a != 'x"y'`],
    ["a contains 'x'", 'a contains "x"'],
    ["a startswith 'x'", 'a starts with "x"'],
    ["a ends with 'x'", 'a ends with "x"'],
    ["a in {'c','a'}", 'a in {"a", "c"}'],
    [`a notin {'"', "'"}`, `a not in {'"', "'"}`],
    ["a in {}", "a in {}"],
    ["((has(a)))", "has(a)"],
    ["!(has(a))", "!has(a)"],
    ["!(has(a) && has(b))", "!(has(a) && has(b))"],
    ["(has(a) && has(b)) && has(c)", "((has(a) && has(b)) && has(c))"],
    ["has(a) && (has(b) || !global())", "(has(a) && (has(b) || !global()))"],
  ];
  for (const [input, text] of cases) {
    const s = sel(input);
    assert.equal(selectorText(s), text, input);
    assert.deepEqual(sel(selectorText(s)), s, input);
  }
  // Calico's one non-round-trip: a ! directly on a parenthesised ! prints as "!!", which
  // the parser collapses. The meaning is the same.
  const nn = sel("!(!has(a))");
  assert.equal(selectorText(nn), "!!has(a)");
  assert.deepEqual(sel(selectorText(nn)), sel("has(a)"));
  assert.equal(calicoMatches(nn, { a: "" }), true);
  assert.equal(calicoMatches(nn, {}), false);
});

test("errors name what was expected and the offset", () => {
  assert.match(err('a == "x'), /^unterminated string at offset 5/);
  assert.match(err("a == 'x\""), /^unterminated string at offset 5/);
  assert.match(err('a = "x"'), /^expected == at offset 2/);
  assert.match(err("has(a) & has(b)"), /^expected && at offset 7/);
  assert.match(err("has(a) | has(b)"), /^expected \|\| at offset 7/);
  assert.match(err("a =="), /^expected string after == at offset 4, found end of selector/);
  assert.match(err("a in"), /^expected set after in at offset 4/);
  assert.match(err('a in "x"'), /^expected set after in at offset 5/);
  assert.match(err('a in {"x"'), /^expected } at offset 9/);
  assert.match(err('a in {"x" "y"}'), /^expected } at offset 10/);
  assert.match(err("a in {,}"), /^expected } at offset 6/);
  assert.match(err("a"), /^unexpected end of string looking for op after label "a" at offset 1/);
  assert.match(err("has(a) && b"), /^unexpected end of string looking for op/);
  assert.match(err("a && b"), /^expected an operator after label "a" at offset 2/);
  assert.match(err("a b"), /^unexpected characters after label "a" at offset 2, was expecting an operator/);
  assert.match(err("has(a) &&"), /^unexpected end of selector at offset 9, expected a label/);
  assert.match(err("|| has(a)"), /^unexpected token "\|\|" at offset 0/);
  assert.match(err("!"), /^unexpected end of selector at offset 1/);
  assert.match(err("()"), /^unexpected token "\)" at offset 1/);
  assert.match(err('== "x"'), /^unexpected token "==" at offset 0/);
  assert.match(err("(has(a)"), /^expected \) at offset 7 to close \( at offset 0/);
  assert.match(err("has(a))"), /^unexpected content at end of selector at offset 6/);
  assert.match(err('a == "x" b == "y"'), /^unexpected content at end of selector at offset 9: "b"/);
  assert.match(err("has(a) has(b)"), /^unexpected content at end of selector at offset 7/);
  assert.match(err("foo()"), /^unknown function "foo" at offset 0/);
  assert.match(err("has()"), /^malformed has\(\) at offset 0/);
  assert.match(err("has (a)"), /^malformed has\(\) at offset 0/);
  assert.match(err("has(a b)"), /^malformed has\(\) at offset 0/);
  assert.match(err("all(x)"), /^malformed all\(\) at offset 0/);
  assert.match(err("@"), /^unexpected characters at offset 0: "@"/);
  assert.match(err('a == "x" && é == "y"'), /^unexpected characters at offset 12/);
  // Line breaks separate tokens too (a selector written as a YAML block ends with one).
  assert.ok("sel" in parseCalicoSelector("has(a)\n&& has(b)"));
  assert.ok("sel" in parseCalicoSelector("app == 'web'\n"));
  assert.match(parseCalicoSelector(42 as unknown as string) && err(42 as unknown as string), /string/);
});

test("hostile input: refused quickly, never thrown", () => {
  const t0 = Date.now();
  // 100,000 deep is past the length limit; 60,000 deep within it stops at the depth limit.
  assert.match(err("(".repeat(100_000)), /too long/);
  assert.match(err("(".repeat(60_000)), /^selector nested too deeply at offset 128/);
  assert.match(err(`${"(".repeat(30_000)}has(a)${")".repeat(30_000)}`), /nested too deeply/);
  assert.match(err("!(".repeat(30_000)), /nested too deeply/);
  assert.match(
    err("x".repeat(1_000_000)),
    new RegExp(`too long \\(1000000 characters; at most ${MAX_SELECTOR_LENGTH}\\)`),
  );
  assert.match(err(`a == "${"x".repeat(MAX_SELECTOR_LENGTH)}"`), /too long/);
  // Exactly at the limits is accepted.
  const deep = `${"(".repeat(MAX_SELECTOR_DEPTH)}has(a)${")".repeat(MAX_SELECTOR_DEPTH)}`;
  assert.deepEqual(sel(deep), { kind: "has", key: "a" });
  assert.equal(err(`(${deep})`).includes("nested too deeply"), true);
  const flat = `${"!".repeat(MAX_SELECTOR_LENGTH - 6)}has(a)`;
  assert.deepEqual(sel(flat), { kind: "has", key: "a" });
  const wide = Array.from({ length: 3000 }, (_, i) => `k${i} == "v"`).join(" || ");
  assert.equal(calicoMatches(sel(wide), { k2999: "v" }), true);
  assert.match(err("k".repeat(65_000)), /longer than 512 characters/);
  // Long runs that almost match a keyword or a has( are scanned once.
  assert.match(err(`a not${" ".repeat(60_000)}x`), /was expecting an operator/);
  assert.match(err(`has(${" ".repeat(60_000)}`), /malformed has/);
  assert.match(err(`a in {${'"x",'.repeat(16_000)}`), /expected } at offset/);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});

test("compiled matcher: the same answers, no per-call state", () => {
  const s = sel('(app == "web" || tier in {"a", "b", "frontend"}) && !has(legacy) && env != "dev"');
  const f = compileCalicoSelector(s);
  const sets: Record<string, string>[] = [
    pod,
    { ...pod, legacy: "" },
    { ...pod, env: "dev" },
    { tier: "b" },
    { tier: "c" },
    {},
  ];
  const want = [true, false, false, true, false, false];
  sets.forEach((l, i) => {
    assert.equal(f(l), want[i], JSON.stringify(l));
    assert.equal(calicoMatches(s, l), want[i], JSON.stringify(l));
  });
  // Null-prototype label maps work too.
  const bare: Record<string, string> = Object.assign(Object.create(null), { app: "web" });
  assert.equal(f(bare), true);
});

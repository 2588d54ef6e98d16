// The largest files and functions under src/ (tests and test kits left out), by lines, and
// how many explicit `any` and type casts (`as T`, not `as const`) the code holds:
//   node scripts/sizes.mjs [top=10] [dir=src]
// The rule of thumb (CONTRIBUTING.md): no file over ~700 lines, no function over ~150
// without a comment saying why it must be one.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const top = Number(process.argv[2] ?? 10);
const root = process.argv[3] ?? "src";
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts") && !/\.test\.ts$|\/testing(-[a-z0-9-]+)?\.ts$|^src\/testing\//.test(p)) files.push(p);
  }
})(root);

const fileSizes = [];
const fnSizes = [];
let anys = 0;
let casts = 0;
for (const f of files) {
  const text = readFileSync(f, "utf8");
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  fileSizes.push([sf.getLineAndCharacterOfPosition(text.length).line + 1, f]);
  const visit = (node, owner) => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) anys++;
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && node.type.getText() !== "const") casts++;
    let name = owner;
    if (ts.isClassDeclaration(node) && node.name) name = node.name.text;
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const own =
        node.name?.getText?.() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : "(anonymous)");
      fnSizes.push([end - start + 1, `${f}:${start + 1} ${owner ? `${owner}.` : ""}${own}`]);
    }
    ts.forEachChild(node, (c) => visit(c, name));
  };
  visit(sf, "");
}
const show = (title, rows) => {
  console.log(title);
  for (const [n, what] of rows.sort((a, b) => b[0] - a[0]).slice(0, top))
    console.log(`${String(n).padStart(6)}  ${what}`);
};
show(`largest files (${files.length} files)`, fileSizes);
show("largest functions", fnSizes);
console.log(`explicit any: ${anys}, casts: ${casts}`);

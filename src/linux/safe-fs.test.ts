// The file writer of /etc/netns and /run/podnet (issue #19): a planted symbolic link is an
// error naming it and its target is left as it was; files are created exclusively (open(2)
// O_CREAT|O_EXCL|O_NOFOLLOW) and replaced by rename. On a temporary directory: no root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlantedLinkError, appendNoFollow, ensureDir, openAppend, replaceFile, writeNewFile } from "./safe-fs.js";
import { closeSync } from "node:fs";

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "podnet-safefs-"));
  const victim = join(dir, "victim");
  writeFileSync(victim, "precious\n");
  return { dir, victim, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("writeNewFile: a link planted where the file goes is refused by name, its target untouched", () => {
  const s = scratch();
  try {
    const p = join(s.dir, "resolv.conf");
    symlinkSync(s.victim, p);
    assert.throws(
      () => writeNewFile(p, "nameserver 10.96.0.10\n"),
      (e: Error) => {
        assert.ok(e instanceof PlantedLinkError);
        assert.ok(e.message.includes(p) && e.message.includes(s.victim), e.message);
        return true;
      },
    );
    assert.equal(readFileSync(s.victim, "utf8"), "precious\n");
    // A dangling link too (O_CREAT would otherwise create its target).
    const q = join(s.dir, "hosts");
    symlinkSync(join(s.dir, "made-elsewhere"), q);
    assert.throws(() => writeNewFile(q, "x"), PlantedLinkError);
    assert.throws(() => lstatSync(join(s.dir, "made-elsewhere")));
  } finally {
    s.done();
  }
});

test("writeNewFile: creates afresh; an existing file is not overwritten", () => {
  const s = scratch();
  try {
    const p = join(s.dir, "f");
    writeNewFile(p, "one\n");
    assert.equal(readFileSync(p, "utf8"), "one\n");
    assert.throws(() => writeNewFile(p, "two\n"), /exists already/);
    assert.equal(readFileSync(p, "utf8"), "one\n");
  } finally {
    s.done();
  }
});

test("replaceFile: replaces by rename; a planted link is refused and its target kept", () => {
  const s = scratch();
  try {
    const p = join(s.dir, "state.json");
    replaceFile(p, "1");
    replaceFile(p, "2");
    assert.equal(readFileSync(p, "utf8"), "2");
    const l = join(s.dir, "bird.conf");
    symlinkSync(s.victim, l);
    assert.throws(() => replaceFile(l, "x"), PlantedLinkError);
    assert.equal(readFileSync(s.victim, "utf8"), "precious\n");
  } finally {
    s.done();
  }
});

test("ensureDir: a link in place of podnet's directory is refused (O_NOFOLLOW guards only the last component)", () => {
  const s = scratch();
  try {
    const elsewhere = join(s.dir, "elsewhere");
    mkdirSync(elsewhere);
    const netns = join(s.dir, "netns");
    ensureDir(join(netns, "podnet-h.pod.default.a"), 0o755, s.dir);
    symlinkSync(elsewhere, join(netns, "podnet-h.pod.default.b"));
    assert.throws(
      () => ensureDir(join(netns, "podnet-h.pod.default.b"), 0o755, s.dir),
      (e: Error) => {
        assert.ok(e instanceof PlantedLinkError && e.message.includes("podnet-h.pod.default.b"), e.message);
        return true;
      },
    );
    // A link higher up (the /etc/netns level) is refused too.
    const top = join(s.dir, "top");
    symlinkSync(elsewhere, top);
    assert.throws(() => ensureDir(join(top, "x"), 0o755, s.dir), PlantedLinkError);
  } finally {
    s.done();
  }
});

test("openAppend/appendNoFollow: logs are appended, never through a link", () => {
  const s = scratch();
  try {
    const log = join(s.dir, "x.log");
    closeSync(openAppend(log));
    appendNoFollow(log, "a\n");
    appendNoFollow(log, "b\n");
    assert.equal(readFileSync(log, "utf8"), "a\nb\n");
    const l = join(s.dir, "y.log");
    symlinkSync(s.victim, l);
    assert.throws(() => appendNoFollow(l, "x"), PlantedLinkError);
    assert.equal(readFileSync(s.victim, "utf8"), "precious\n");
  } finally {
    s.done();
  }
});

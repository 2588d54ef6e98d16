// Passing over the indented lines of a YAML List's items in bulk, for split.ts. Inside the
// items only a line at column 0 says anything, and the lines before it are only counted (for
// the next item's line number). A threshold cluster's dump has ~38 M such lines: String
// indexOf cost ~15 ns a line there, nearly all of it the call; this WebAssembly loop looks at
// 16 bytes a step (~2.5 ns a line). It reads the window's bytes where they were read to (the
// window lives in its memory): copying them out for it, item by item, would cost what it saves.
// A larger window is a new memory, never a grown one: growing detaches the memory's old
// ArrayBuffer, and after the first detached buffer V8 checks for one at every typed array access
// in the process (its detaching protector), which cost the whole load ~10 %.
// Without WebAssembly (node --jitless) or its SIMD, split.ts goes line by line as before.

// The part of the WebAssembly API used here (@types/node 20 leaves it to lib.dom); node
// --jitless has none.
const wasm = (
  globalThis as {
    WebAssembly?: {
      Module: new (bytes: Uint8Array) => object;
      Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
      Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

const PAGE = 64 << 10;

/**
 * `over(r, len)`: from r, the start of a line that begins with a space, in bytes [0, len) of
 * `buffer`, the start of the first line after it that does not begin with one (at column 0);
 * without one whose first byte is in [0, len), the end of the last line break. `lines()`:
 * how many line breaks it went over.
 */
export interface LinePass {
  readonly buffer: ArrayBuffer;
  over(r: number, len: number): number;
  lines(): number;
}

// Why a small assembler here rather than wabt (github.com/WebAssembly/wabt, wabt.js): the
// module is one function of 30 kinds of instruction, and wabt would mean a build step and a
// generated file this pure layer reads at run time, or ~1.5 MB loaded with every large
// input; committed binary bytes would be unreadable. The assembler covers exactly OPS.
// The function in WebAssembly's text format, for the small assembler below. 16 bytes a step:
// a bit mask of the line breaks, and of the bytes after them that are not a space.
const OVER = `
  local.get r  local.set last
  block  loop
    ;; 17 bytes left: the step's 16 and the one after them
    local.get r  i32.const 17  i32.add  local.get len  i32.gt_u  br_if 1
    local.get r  v128.load 0  i32.const 10  i8x16.splat  i8x16.eq  i8x16.bitmask  local.tee nl
    if
      local.get nl
      local.get r  v128.load 1  i32.const 32  i8x16.splat  i8x16.ne  i8x16.bitmask
      i32.and  local.tee hit
      if
        ;; the line breaks up to the first one before a column-0 line, and the line after it
        local.get n  local.get nl  local.get hit  local.get hit  i32.const 1  i32.sub  i32.xor
        i32.and  i32.popcnt  i32.add  global.set 0
        local.get r  local.get hit  i32.ctz  i32.add  i32.const 1  i32.add  return
      end
      local.get n  local.get nl  i32.popcnt  i32.add  local.set n
      ;; after the step's last line break
      local.get r  i32.const 32  i32.add  local.get nl  i32.clz  i32.sub  local.set last
    end
    local.get r  i32.const 16  i32.add  local.set r
    br 0
  end  end
  ;; the last bytes one at a time
  block  loop
    local.get r  local.get len  i32.ge_u  br_if 1
    local.get r  i32.load8_u  i32.const 10  i32.eq
    if
      local.get n  i32.const 1  i32.add  local.set n
      local.get r  i32.const 1  i32.add  local.tee last  local.get len  i32.lt_u
      if
        local.get last  i32.load8_u  i32.const 32  i32.ne
        if  local.get n  global.set 0  local.get last  return  end
      end
    end
    local.get r  i32.const 1  i32.add  local.set r
    br 0
  end  end
  local.get n  global.set 0  local.get last
`;

/** Opcodes of the text above: [bytes, immediate] (l: a local's name, u: a number, m: a memory offset). */
const OPS: Record<string, [number[], string?]> = {
  block: [[0x02, 0x40]],
  loop: [[0x03, 0x40]],
  if: [[0x04, 0x40]],
  end: [[0x0b]],
  br: [[0x0c], "u"],
  br_if: [[0x0d], "u"],
  return: [[0x0f]],
  "local.get": [[0x20], "l"],
  "local.set": [[0x21], "l"],
  "local.tee": [[0x22], "l"],
  "global.set": [[0x24], "u"],
  "i32.load8_u": [[0x2d, 0, 0]],
  "i32.const": [[0x41], "u"], // small positive numbers only: their signed LEB128 is the same
  "i32.eq": [[0x46]],
  "i32.ne": [[0x47]],
  "i32.lt_u": [[0x49]],
  "i32.gt_u": [[0x4b]],
  "i32.ge_u": [[0x4f]],
  "i32.clz": [[0x67]],
  "i32.ctz": [[0x68]],
  "i32.popcnt": [[0x69]],
  "i32.add": [[0x6a]],
  "i32.sub": [[0x6b]],
  "i32.and": [[0x71]],
  "i32.xor": [[0x73]],
  "v128.load": [[0xfd, 0x00, 0], "m"],
  "i8x16.splat": [[0xfd, 0x0f]],
  "i8x16.eq": [[0xfd, 0x23]],
  "i8x16.ne": [[0xfd, 0x24]],
  "i8x16.bitmask": [[0xfd, 0x64]],
};

const PARAMS = ["r", "len"];
const LOCALS = ["n", "nl", "hit", "last"];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s)];

function assemble(text: string): number[] {
  const vars = [...PARAMS, ...LOCALS];
  const out: number[] = [];
  const words = text.replace(/;;.*$/gm, "").split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const op = OPS[words[i]];
    if (!op) throw new Error(`line-pass: unknown op ${words[i]}`);
    out.push(...op[0]);
    if (op[1] === "l") out.push(...uleb(vars.indexOf(words[++i])));
    else if (op[1]) out.push(...uleb(Number(words[++i])));
  }
  return out;
}

/** The module: memory 0 (imported as m.memory), global 0 the count, function `over`. */
function moduleBytes(): Uint8Array {
  const I32 = 0x7f;
  const code = [...uleb(1), ...uleb(LOCALS.length), I32, ...assemble(OVER), 0x0b];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(PARAMS.map(() => [I32])), ...vec([[I32]])]])),
    ...section(2, vec([[...name("m"), ...name("memory"), 0x02, 0x00, 1]])),
    ...section(3, vec([[0]])),
    ...section(6, vec([[I32, 0x01, 0x41, 0x00, 0x0b]])),
    ...section(
      7,
      vec([
        [...name("over"), 0x00, 0],
        [...name("lines"), 0x03, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

let compiled: object | null | undefined;

/** A LinePass over a new memory of `size` bytes or more; undefined without WebAssembly SIMD. */
export function linePass(size: number): LinePass | undefined {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(moduleBytes()) : null;
    } catch {
      compiled = null; // a CPU without the SIMD WebAssembly needs
    }
  }
  if (!compiled || !wasm) return undefined;
  try {
    const memory = new wasm.Memory({ initial: Math.ceil(size / PAGE) });
    const x = new wasm.Instance(compiled, { m: { memory } }).exports as {
      over: (r: number, len: number) => number;
      lines: { value: number };
    };
    return { buffer: memory.buffer, over: x.over, lines: () => x.lines.value };
  } catch {
    return undefined; // no address space left for another memory: line by line then
  }
}

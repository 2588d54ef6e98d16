// The flow observer's ring (observe-main.ts): the last `size` event lines of the nodes'
// readers, kept as the blocks they came in (one pipe read of one reader: "C\t…\nC\t…"),
// as the Buffers they were read into, not line by line as strings. At 10,000
// connections/s (~80,000 events/s) the observer's CPU went mostly to the garbage collector
// copying the lines' strings (each kept until the ring turns over) from the young
// generation to the old; a Buffer's bytes are outside V8's heap and never copied. Lines
// are cut out, as text, only when a client asks for them. Pure.

/** Lines of UTF-8 text, joined by "\n", none at the end. */
export type Block = Uint8Array | string;

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
/** A block as text. */
export function text(b: Block): string {
  return typeof b === "string" ? b : decoder.decode(b);
}

export class EventRing {
  private texts: Block[] = [];
  private prefixes: string[] = [];
  private counts: number[] = [];
  /** The oldest block still held, and how many of its first lines are out of the ring. */
  private first = 0;
  private skip = 0;
  /** Lines held (at most size). */
  private stored = 0;
  /** Lines pushed since the start. */
  head = 0;

  constructor(readonly size: number) {}

  /**
   * Adds `count` lines, `text` (joined by "\n", none at the end), each to be served with
   * `prefix` before it ("<node>\t"); the oldest lines leave when the ring is full.
   */
  push(prefix: string, text: Block, count: number): void {
    if (count <= 0) return;
    this.texts.push(text);
    this.prefixes.push(prefix);
    this.counts.push(count);
    this.stored += count;
    this.head += count;
    while (this.stored > this.size) {
      const over = this.stored - this.size;
      const left = this.counts[this.first] - this.skip;
      if (over >= left) {
        this.texts[this.first] = EMPTY;
        this.stored -= left;
        this.first++;
        this.skip = 0;
      } else {
        this.skip += over;
        this.stored -= over;
      }
    }
    if (this.first > 1024 && this.first * 2 > this.texts.length) {
      this.texts.splice(0, this.first);
      this.prefixes.splice(0, this.first);
      this.counts.splice(0, this.first);
      this.first = 0;
    }
  }

  /** The last n lines held, oldest first, each "<prefix><line>\n" ("" for none). */
  last(n: number): string {
    let need = Math.min(Math.max(0, n), this.stored);
    const parts: string[] = [];
    for (let i = this.texts.length - 1; need > 0 && i >= this.first; i--) {
      const count = this.counts[i] - (i === this.first ? this.skip : 0);
      const take = Math.min(count, need);
      parts.push(prefixLines(this.prefixes[i], tailLines(text(this.texts[i]), this.counts[i], take)));
      need -= take;
    }
    return parts.reverse().join("");
  }
}

/** The last k lines of `text`, which has `count` lines joined by "\n". */
export function tailLines(text: string, count: number, k: number): string {
  if (k >= count) return text;
  let pos = text.length;
  for (let j = 0; j < k; j++) pos = text.lastIndexOf("\n", pos - 1);
  return text.slice(pos + 1);
}

/** Each line of `text` (joined by "\n") with `prefix` before it, and "\n" after it. */
export function prefixLines(prefix: string, text: string): string {
  return `${prefix}${text.replaceAll("\n", `\n${prefix}`)}\n`;
}

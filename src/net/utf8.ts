// Byte lengths under a kernel limit (nft comments and names, NFLOG prefixes) counted in
// UTF-8, as the kernel stores the text. By hand: one pass over the code points, where
// cutting a character at a time and encoding again was quadratic (a drop comment naming
// 1,000 policies took seconds per pod).

/** Bytes of one code point in UTF-8 (a lone surrogate: 3, as TextEncoder's U+FFFD). */
const bytesOf = (c: number) => (c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);

/** The text's length in UTF-8 bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    n += bytesOf(c);
    if (c > 0xffff) i++;
  }
  return n;
}

/** The longest start of the text, in whole characters, that takes at most `max` UTF-8 bytes. */
export function fitUtf8(s: string, max: number): string {
  let n = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.codePointAt(i) as number;
    n += bytesOf(c);
    if (n > max) break;
    i += c > 0xffff ? 2 : 1;
  }
  return s.slice(0, i);
}

// Go's text/tabwriter (no flags, left-aligned, space padding), which kubectl uses for
// every table it prints. Cells are '\t'-terminated; the last cell of a line does not
// belong to a column. Column widths are computed per block of consecutive lines that
// have that column, so a line with fewer cells ends the block (this is why
// `kubectl describe` aligns "Name:" and "IPs:" sections differently).

interface Cell {
  text: string;
  width: number;
}

/** Format `text` (lines of '\t'-separated cells) as Go's tabwriter would. */
export function tabwrite(text: string, minwidth: number, padding: number): string {
  const rawLines = text.split("\n");
  // A trailing newline yields an empty last line that Go does not emit.
  const endsWithNewline = rawLines.length > 0 && rawLines[rawLines.length - 1] === "";
  if (endsWithNewline) rawLines.pop();
  const lines: Cell[][] = rawLines.map((l) => l.split("\t").map((t) => ({ text: t, width: [...t].length })));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      let s = "";
      lines[i].forEach((c, j) => {
        s += c.text;
        if (j < widths.length && j < lines[i].length - 1) s += " ".repeat(Math.max(0, widths[j] - c.width));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let thisLine = line0; thisLine < line1; thisLine++) {
      if (column >= lines[thisLine].length - 1) continue;
      writeLines(line0, thisLine);
      line0 = thisLine;
      let width = minwidth;
      for (; thisLine < line1; thisLine++) {
        const line = lines[thisLine];
        if (column >= line.length - 1) break;
        const w = line[column].width + padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, thisLine);
      widths.pop();
      line0 = thisLine;
      thisLine--; // the for-loop's increment must not skip the line that ended the block
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join("\n") + (endsWithNewline ? "\n" : "");
}

/** kubectl get's table writer: printers.GetNewTabWriter (minwidth 6, padding 3). */
export function kubectlTable(rows: string[][]): string {
  return tabwrite(rows.map((r) => r.map(oneCell).join("\t")).join("\n") + "\n", 6, 3);
}

// A newline or tab inside a value (a label the API would refuse, read tolerantly) would start
// a row or a column of its own: a forged line in the table. Shown as \n and \t instead.
const oneCell = (c: string) => (/[\n\t]/.test(c) ? c.replace(/\n/g, "\\n").replace(/\t/g, "\\t") : c);

/** kubectl describe's writer: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export function describeTabs(text: string): string {
  return tabwrite(text, 0, 2);
}

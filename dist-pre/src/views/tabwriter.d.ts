/** Format `text` (lines of '\t'-separated cells) as Go's tabwriter would. */
export declare function tabwrite(text: string, minwidth: number, padding: number): string;
/** kubectl get's table writer: printers.GetNewTabWriter (minwidth 6, padding 3). */
export declare function kubectlTable(rows: string[][]): string;
/** kubectl describe's writer: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export declare function describeTabs(text: string): string;

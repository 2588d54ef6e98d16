export declare function humanDuration(totalSeconds: number): string;

export declare const REQUIRE_KERNEL: boolean;
export declare function kernelMissing(tools?: string[]): string | null;
/** Skips (or fails under PODNET_REQUIRE_KERNEL=1) when the kernel can't be used; returns whether to go on. */
export declare function requireKernel(t: {
    skip: (m: string) => void;
}, tools?: string[]): boolean;
export declare function runIn(ns: string, argv: string[], input?: string): {
    status: number | null;
    stdout: string;
    stderr: string;
};
export declare function withScratchNetns(t: {
    skip: (m: string) => void;
}, body: (ns: string) => void, tools?: string[]): void;

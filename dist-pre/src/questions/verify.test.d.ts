export declare function randomCluster(seed: string, opts: {
    bird: boolean;
}): {
    files: Record<string, string>;
    describe: string;
};

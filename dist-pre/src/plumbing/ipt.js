// iptables rules written as the argument list iptables-save prints, turned into the IR's
// structured form. Options take every following token up to the next one that starts
// with "-" (podnet never writes negative numbers as arguments); "!" negates the next option.
export function iptRule(...argv) {
    const rule = { opts: [] };
    let i = 0;
    let neg = false;
    let inTarget = false;
    while (i < argv.length) {
        const t = argv[i++];
        if (t === "!") {
            neg = true;
            continue;
        }
        if (t === "-j" || t === "-g") {
            rule.target = argv[i++];
            if (t === "-g")
                rule.goto = true;
            inTarget = true;
            rule.targetOpts = [];
            continue;
        }
        if (!t.startsWith("-"))
            throw new Error(`iptRule: unexpected argument "${t}" in ${JSON.stringify(argv)}`);
        const args = [];
        while (i < argv.length && !argv[i].startsWith("-") && argv[i] !== "!")
            args.push(argv[i++]);
        const opt = neg ? { opt: t, args, neg: true } : { opt: t, args };
        neg = false;
        (inTarget ? rule.targetOpts : rule.opts).push(opt);
    }
    if (rule.targetOpts && rule.targetOpts.length === 0)
        delete rule.targetOpts;
    return rule;
}
//# sourceMappingURL=ipt.js.map
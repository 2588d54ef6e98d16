export class SpecError extends Error {
    diagnostics;
    constructor(diagnostics) {
        super(diagnostics.map((d) => d.message).join("\n"));
        this.diagnostics = diagnostics;
        this.name = "SpecError";
    }
}
//# sourceMappingURL=errors.js.map
// Bad input is an exception carrying every diagnostic, each naming file, line,
// document, field path and the quoted value:
//   app.yaml:14 (Service default/auth-service) spec.ports[0].port: 70000 is not a valid port (1-65535)
import type { Diagnostic } from "./types.js";

export class SpecError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join("\n"));
    this.name = "SpecError";
  }
}

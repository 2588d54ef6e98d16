// The list of command modules. Each exports `register(program)`.
import type { Command } from "commander";

export const commands: ((program: Command) => void)[] = [];

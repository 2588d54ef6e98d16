// The web view's build: a static app in ui/dist that `podnet ui` serves
// (run as `vite build ui`, so the root is this directory).
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  logLevel: "warn",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
});

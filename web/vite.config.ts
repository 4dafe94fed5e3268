import { defineConfig } from "vite";

// Built assets are embedded into risd (cmake/embed.cmake keeps base names only): one flat
// assets folder, no inlined base64, no source maps shipped to every browser.
export default defineConfig({
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
});

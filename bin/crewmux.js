#!/usr/bin/env node
// `crewmux status` loads its modules as one file (dist/src/cli/status-bundle.js, built by scripts/bundle-cli.mjs), the
// rest of crewmux loads dist/src/cli/main.js. A bundle older than main.js (tsc ran after it) is not used.
// node:fs is fetched, not imported: a bin imports nothing but its entry point (eslint.config.js).
const { statSync } = process.getBuiltinModule('node:fs');
const cli = new URL('../dist/src/cli/', import.meta.url);
/** The status bundle's URL when it is there and not older than main.js, else undefined. */
function statusBundle() {
  try {
    const bundle = new URL('status-bundle.js', cli);
    return statSync(bundle).mtimeMs >= statSync(new URL('main.js', cli)).mtimeMs ? bundle.href : undefined;
  } catch {
    return undefined;
  }
}
await import((process.argv[2] === 'status' && statusBundle()) || new URL('main.js', cli).href);

// ESLint flat config: the layer arrows (entry surfaces -> app -> core <- adapters) as lint errors,
// typescript-eslint's type-aware rules over src/ and test/, plain JS rules over scripts, bins and fixture
// programs. Formatting is prettier's job (`prettier --check` in `npm run lint`); eslint-config-prettier turns
// off every rule that would fight it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The adapter files src/app/ may still import (values or types), named from the repository root. The list is
 * to shrink to empty: each entry goes once app/ reaches that adapter through a port in src/app/ports/ (types
 * and data constants move to src/core/, e.g. src/core/session/rows.ts for the store's rows), wired in
 * src/compose/. Never add to it: a new need from app/ for the world is a new port.
 */
export const APP_ADAPTER_EXCEPTIONS = [
  'src/adapters/system/agent-files.ts',
  'src/adapters/process/exec.ts',
  'src/adapters/external/card-store.ts',
  'src/adapters/external/json-rpc-client.ts',
  'src/adapters/external/json-rpc-server.ts',
  'src/adapters/external/mdns.ts',
  'src/adapters/external/proc-table.ts',
  'src/adapters/external/pty.ts',
  'src/adapters/system/files.ts',
  'src/adapters/llm/http-get.ts',
  'src/adapters/llm/http-post.ts',
  'src/adapters/llm/memory-index.ts',
  'src/adapters/llm/router-cooldowns.ts',
  'src/adapters/system/net.ts',
  'src/adapters/process/process-tree.ts',
  'src/adapters/skills/skill-folder.ts',
  'src/adapters/skills/skill-source.ts',
  'src/adapters/skills/trust-store.ts',
  'src/adapters/process/which.ts',
];

// ---------------------------------------------------------------------------------------------------------
// Layer arrows. Imports are relative specifiers ('../../adapters/tmux/tmux.js'), and no subject folder shares a
// name with a layer folder, so "climbs out with ../ and lands in <layer>/" identifies the target layer from
// any depth. Each src/ file gets one layer block below: when two blocks match a file the later one's rule
// options replace the earlier one's, which is how src/app/ports/** gets its own, narrower arrows.

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A specifier that climbs out of the importing folder into one of `layers` (top-level folders of src/). */
const into = (...layers) => `^(?:\\.\\./)+(?:${layers.join('|')})(?:/|$)`;
/** `into('adapters')` minus the files of APP_ADAPTER_EXCEPTIONS. */
const intoAdaptersExcept = (files) => {
  const allowed = files.map((f) => escape(f.replace(/^src\/adapters\//, '').replace(/\.ts$/, '.js')));
  return allowed.length === 0 ? into('adapters') : `^(?:\\.\\./)+adapters/(?!(?:${allowed.join('|')})$)`;
};

const ARCH = 'arrows: LAYERS in eslint.config.js';
/** One broken arrow: the regex over the import specifier and the message that says what to do instead. */
const arrow = (regex, message) => ({ regex, message: `${message} (${ARCH})` });

const noAdapters = (who) =>
  arrow(
    into('adapters'),
    `${who} -> adapters is not an arrow: only src/compose/ wires adapters. Call a use case in src/app/, or ` +
      `take what you need as a parameter (a port in src/app/ports/) and let src/compose/ pass the adapter; ` +
      `a type it needs (a row) moves to src/core/.`,
  );
const noEntry = (who, layers = ['cli', 'mcp', 'dashboard', 'shim']) =>
  arrow(
    into(...layers),
    `${who} -> an entry surface (${layers.join(', ')}) points the wrong way: entry surfaces call inward, ` +
      `never each other and never from below. Move the shared piece down into src/app/ or src/core/.`,
  );
const noCompose = (who) =>
  arrow(
    into('compose'),
    `${who} -> compose points the wrong way: src/compose/ is the composition root that imports every layer. ` +
      `Take the dependency as a parameter, or move the type it needs into src/app/ (or src/core/).`,
  );
const noDemo = (who) =>
  arrow(
    into('demo'),
    `${who} -> demo: src/demo/ holds scripted agent programs, reached only as processes speaking MCP.`,
  );

const CORE_PACKAGES = ['zod', 'smol-toml', 'tweetnacl', 'node:path', 'node:url', 'node:crypto'];

/**
 * The forbidden import patterns of each src/ layer, keyed by the layer block's `files` glob. What is left
 * allowed, per layer:
 *   cli, shim         -> compose, app, core          (shim is the crewmux-shim entry point, a sibling of cli)
 *   mcp, dashboard    -> app, core                   (and their own folder; never each other)
 *   compose           -> every layer but cli, shim, demo   (the composition roots)
 *   app               -> core, app (ports in app/ports/), plus APP_ADAPTER_EXCEPTIONS while it shrinks
 *   app/ports         -> core, app/ports
 *   adapters          -> core, app/ports
 *   core              -> core, and only the packages in CORE_PACKAGES
 *   demo              -> demo, core, adapters/exec, packages (scripted agents reach crewmux over MCP, like any agent)
 *   bin/*.js          -> ../dist/src/cli/main.js or ../dist/src/shim/main.js, nothing else (bin/crewmux.js picks
 *                        main.js or, for `status`, its bundle at run time: scripts/bundle-cli.mjs)
 *   test/, scripts/   -> anything: they test and measure every layer.
 */
const LAYERS = {
  'src/cli/**': [noAdapters('cli'), noEntry('cli', ['mcp', 'dashboard', 'shim']), noDemo('cli')],
  'src/mcp/**': [noAdapters('mcp'), noEntry('mcp', ['cli', 'dashboard', 'shim']), noCompose('mcp'), noDemo('mcp')],
  'src/dashboard/**': [
    noAdapters('dashboard'),
    noEntry('dashboard', ['cli', 'mcp', 'shim']),
    noCompose('dashboard'),
    noDemo('dashboard'),
  ],
  'src/shim/**': [noAdapters('shim'), noEntry('shim', ['cli', 'mcp', 'dashboard']), noDemo('shim')],
  'src/compose/**': [
    arrow(
      into('cli', 'shim'),
      'compose -> an entry point (cli, shim) points the wrong way: entry points call compose, not the reverse. ' +
        'Move the type or helper compose needs into src/app/ (or src/core/).',
    ),
    noDemo('compose'),
  ],
  'src/app/**': [
    arrow(
      intoAdaptersExcept(APP_ADAPTER_EXCEPTIONS),
      'app -> adapters is not an arrow (app -> core <- adapters): declare the need as a port in ' +
        'src/app/ports/ (types and constants go to src/core/), implement it in src/adapters/, wire it in ' +
        'src/compose/. APP_ADAPTER_EXCEPTIONS in eslint.config.js only shrinks.',
    ),
    noEntry('app'),
    noCompose('app'),
    noDemo('app'),
  ],
  'src/app/ports/**': [
    arrow(
      // Climbs out of ports/ into anything but core/ or ports/ (the (?!\.\./) keeps the ../ run whole).
      '^(?:\\.\\./)+(?!\\.\\./|core/|ports/)',
      'app/ports -> only src/core/ and src/app/ports/: a port is an interface over core types, so the ' +
        'adapter that implements it and the use case that calls it both depend on it and it depends on neither.',
    ),
  ],
  'src/adapters/**': [
    arrow(
      '^(?:\\.\\./)+app/(?!ports/)',
      'adapters -> app is allowed only into src/app/ports/ (the interface an adapter implements). ' +
        'Use cases call adapters, not the reverse: move the shared type to src/core/ or a port.',
    ),
    noEntry('adapters'),
    noCompose('adapters'),
    noDemo('adapters'),
  ],
  'src/core/**': [
    arrow(
      into('adapters', 'app', 'cli', 'mcp', 'dashboard', 'shim', 'compose', 'demo'),
      'core -> another layer: src/core/ is pure logic and imports only src/core/. Move the code you need ' +
        'into core, or do this in src/app/ and pass core the result.',
    ),
    arrow(
      `^(?!\\.|(?:${CORE_PACKAGES.map(escape).join('|')})(?:/|$))`,
      `core -> I/O or a framework: src/core/ is pure and may import only src/core/ and ` +
        `${CORE_PACKAGES.join(', ')}. Touch the world in src/adapters/ and pass core the data.`,
    ),
  ],
  'src/demo/**': [
    arrow(
      into('app', 'cli', 'mcp', 'dashboard', 'shim', 'compose'),
      'demo -> crewmux internals: src/demo/ holds scripted agent programs that, like a real agent, reach ' +
        'crewmux only over MCP. They may import src/demo/, src/core/ (pure), the spawn site and packages.',
    ),
    // A scripted agent runs git like any program would, through the one spawn site (adapters/process/exec.ts).
    arrow(
      intoAdaptersExcept(['src/adapters/process/exec.ts']),
      'demo -> adapters: a scripted agent may use only the spawn site, src/adapters/process/exec.ts.',
    ),
  ],
};

/**
 * no-restricted-imports sees `import`/`export ... from` (type-only too) but not `import('...')` expressions
 * or `import('...').T` types; no-restricted-syntax covers those two with the same regexes and messages.
 */
const layerBlock = (files, patterns) => ({
  files: [files],
  rules: {
    'no-restricted-imports': ['error', { patterns: patterns.map(({ regex, message }) => ({ regex, message })) }],
    'no-restricted-syntax': [
      'error',
      ...patterns.map(({ regex, message }) => {
        const re = regex.replace(/\//g, '\\/');
        return {
          selector: `ImportExpression[source.value=/${re}/], TSImportType[source.value=/${re}/]`,
          message,
        };
      }),
    ],
  },
});

/** The layer rules alone (no parser, no type information): what test/unit/lint-layers.test.ts lints with. */
export const layerConfigs = [
  ...Object.entries(LAYERS).map(([files, patterns]) => layerBlock(files, patterns)),
  {
    files: ['bin/*.js'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            arrow(
              '^(?!\\.\\./dist/src/(?:cli|shim)/main\\.js$)',
              'bin/ -> anything but the built entry point: a bin is a shebang and one import of ' +
                '../dist/src/cli/main.js or ../dist/src/shim/main.js, nothing else.',
            ),
          ],
        },
      ],
    },
  },
];

// ---------------------------------------------------------------------------------------------------------

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'test-artifacts/', 'test/fixtures/panes/', 'test/fixtures/search/'],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  // Plain JS: scripts, bins, fixture agent programs, this file (Node), the dashboard page (browser).
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/dashboard/static/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    // Its page.evaluate() callbacks run in the browser.
    files: ['scripts/bench-dashboard.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },

  // TypeScript, type-aware: src/ and test/ are the one tsconfig.json project.
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] },
          ],
        },
      ],
      // Beyond the recommended set, four that catch real bugs and cost nothing here (0-1 hits each):
      // string unions instead of enums make a missed case in a switch the bug to catch;
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `return promise` inside try skips the catch and finally;
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      eqeqeq: ['error', 'smart'],
      // the codebase already writes `import type`, which shows what crosses a layer at runtime, and
      // `import('x').T` type annotations would slip past no-restricted-imports.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],

      // Off: pure churn here, no bugs found behind them.
      // Factories return object literals of closures (createX()), not classes reading `this`; the rule cannot
      // tell an interface method implemented by a closure, and all 33 hits were such (ctx.now, t.after(sb.cleanup)).
      '@typescript-eslint/unbound-method': 'off',
      // Handlers are async to fit an interface (MCP tools, fastify routes, ports); a missing await on a promise
      // is what no-floating-promises and await-thenable catch.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON from stdout, HTTP bodies and SQLite rows as `any` on purpose: a wrong shape fails the
    // assertion anyway. src/ keeps the no-unsafe-* rules.
    files: ['test/**/*.ts'],
    ignores: ['test/helpers/wait.ts'],
    rules: {
      // process.kill(0, sig) signals the runner's whole process group (a pid file read before it was written
      // parsed as 0 and killed a CI run): tests signal through signalPid, which refuses what is not a pid.
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='kill']",
          message: 'signal processes with signalPid (or probe with isAlive) from test/helpers/wait.ts',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Terminal text: matching ESC, BEL and C0 controls is the point of these regexes (elsewhere the rule stays,
    // with an eslint-disable comment where one is meant, as in src/adapters/skills/skill-folder.ts).
    files: ['src/core/text/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },

  ...layerConfigs,

  prettier,
);

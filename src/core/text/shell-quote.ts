/**
 * POSIX single-quote quoting. Used only for argv crewmux itself builds (agent command and args from
 * config, file paths); task and message text never reaches a shell.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * `export NAME='value'` lines for a file a POSIX shell sources (`. file`): how an agent's environment
 * reaches its pane without appearing on any command line. Names that are not shell identifiers are
 * left out (a shell could not export them); values are single-quoted, so nothing in them is expanded.
 */
export function shellExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'\n`)
    .join('');
}

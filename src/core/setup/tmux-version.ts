/** Reading tmux's version string. */

/** Parses `tmux -V` ("tmux 3.3a", "tmux next-3.4") into [major, minor]. */
export function parseTmuxVersion(v: string): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * git push / fetch / ls-remote between the lead host's repository and a node's bare repository (the GitTransfer
 * port). Exact refspecs only; git runs with `GIT_SSH_COMMAND` set to the caller's ssh (the node channel's, with its
 * control socket), transports limited to ssh and file (`GIT_ALLOW_PROTOCOL`: no ext::, no http), no terminal
 * prompt, no hooks on this side (`push --no-verify`), no tags or submodules fetched, no FETCH_HEAD written. The
 * bytes moved are git's own progress figure ("Writing objects: ..., 1.2 MiB").
 */
import { exec } from '../process/exec.js';
import type { GitTransfer, TransferOptions, TransferResult } from '../../app/ports/git-transfer.js';

const UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** The pack bytes in git's progress output (`Writing objects: 100% (3/3), 236 bytes | ...`); 0 when none. */
export function packBytes(stderr: string, verb: 'Writing' | 'Receiving'): number {
  const re = new RegExp(`${verb} objects: +100% \\(\\d+/\\d+\\), ([\\d.]+) (bytes|KiB|MiB|GiB)`, 'g');
  let bytes = 0;
  for (const m of stderr.matchAll(re)) bytes = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  return bytes;
}

/** A GitTransfer running `git` (or `binary`) with `env` (the supervisor's environment) under the rules above. */
export function createGitTransfer(deps: { env: NodeJS.ProcessEnv; binary?: string }): GitTransfer {
  const run = async (repo: string, args: string[], o: TransferOptions = {}) => {
    const env: NodeJS.ProcessEnv = {
      ...deps.env,
      GIT_ALLOW_PROTOCOL: 'ssh:file',
      GIT_TERMINAL_PROMPT: '0',
      ...(o.sshCommand ? { GIT_SSH_COMMAND: o.sshCommand } : {}),
    };
    return exec(deps.binary ?? 'git', ['-C', repo, ...args], { env, timeoutMs: o.timeoutMs ?? 300_000 });
  };
  return {
    async push(repo, url, refspecs, o): Promise<TransferResult> {
      // `--` keeps a URL or refspec from ever being read as an option.
      const r = await run(repo, ['push', '--no-verify', '--progress', '--porcelain', '--', url, ...refspecs], o);
      return { bytes: packBytes(r.stderr, 'Writing') };
    },
    async fetch(repo, url, refspecs, o): Promise<TransferResult> {
      const r = await run(
        repo,
        [
          '-c',
          'fetch.recurseSubmodules=false',
          // Kept as a pack (index-pack), so git reports the bytes received even for a few objects.
          '-c',
          'fetch.unpackLimit=1',
          'fetch',
          '--no-tags',
          '--no-recurse-submodules',
          '--no-write-fetch-head',
          '--progress',
          '--',
          url,
          ...refspecs,
        ],
        o,
      );
      return { bytes: packBytes(r.stderr, 'Receiving') };
    },
    async listRefs(repo, url, prefix, o) {
      const r = await run(repo, ['ls-remote', '--refs', '--', url, `${prefix}*`], o);
      const refs = new Map<string, string>();
      for (const line of r.stdout.split('\n')) {
        const [sha, ref] = line.split('\t');
        if (sha && ref) refs.set(ref, sha);
      }
      return refs;
    },
  };
}

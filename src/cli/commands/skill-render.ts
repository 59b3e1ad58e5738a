/** Text rendering for `crewmux skill` (the --json forms print the data as it is). */
import { clip, table, type Output } from '../output.js';
import type { LoadedSkill } from '../../app/skills/catalog.js';
import type { InstalledSkill } from '../../app/skills/install.js';
import type { TrustedKeyEntry } from '../../core/skills/key-files.js';
import type { SkillTrust } from '../../core/skills/signature.js';

/** One short word-group for a trust state: `trusted (alice)`, `unsigned`, `BAD SIGNATURE`. */
export function trustLabel(t: SkillTrust): string {
  switch (t.status) {
    case 'trusted':
      return `trusted (${t.keyName})`;
    case 'builtin':
      return 'built-in';
    case 'unsigned':
      return 'unsigned';
    case 'untrusted':
      return `untrusted key ${t.publicKey.slice(0, 12)}…`;
    case 'invalid':
      return 'BAD SIGNATURE';
  }
}

/** Prints the skills table, then refusals, then trusted keys. */
export function renderSkillList(
  out: Output,
  skills: LoadedSkill[],
  keys: TrustedKeyEntry[],
  requireSigned: boolean,
): void {
  if (skills.length === 0) out.out('No skills found.');
  else {
    out.out(
      table(
        ['NAME', 'VERSION', 'SOURCE', 'SIGNATURE', 'STATE', 'DESCRIPTION'],
        skills.map((s) => [
          s.name,
          s.manifest?.version ?? '-',
          s.overrides.length ? `${s.source} (overrides ${s.overrides.join(', ')})` : s.source,
          trustLabel(s.trust),
          s.refusal ? 'refused' : 'ok',
          clip(s.manifest?.description ?? '', 60),
        ]),
      ),
    );
  }
  for (const s of skills.filter((x) => x.refusal)) out.out(`refused ${s.name} (${s.dir}): ${s.refusal}`);
  out.out(
    `Signed skills required: ${requireSigned ? 'yes' : 'no'}. Trusted keys: ${keys.length ? keys.map((k) => `${k.name} ${k.publicKey}`).join('; ') : 'none'}.`,
  );
}

/** Prints the outcome of `skill verify`. */
export function renderVerify(out: Output, s: LoadedSkill, ok: boolean): void {
  out.out(
    `${s.name} (${s.source}, ${s.dir}): ${trustLabel(s.trust)}${s.trust.status === 'invalid' ? `: ${s.trust.reason}` : ''}`,
  );
  if (s.digest) out.out(`digest sha512:${s.digest}`);
  if (s.refusal && s.trust.status !== 'invalid') out.out(`problem: ${s.refusal}`);
  out.out(ok ? 'OK' : 'NOT VERIFIED: the skill is not signed by a trusted key.');
}

/** Prints installed skills, one line each. */
export function renderInstalled(out: Output, installed: InstalledSkill[]): void {
  for (const s of installed)
    out.out(`${s.replaced ? 'Replaced' : 'Installed'} ${s.name} ${s.version} -> ${s.dir} (${trustLabel(s.trust)})`);
}

/**
 * `crewmux skill ACTION`: add, list, verify, remove, keygen, sign, trust, untrust. One yargs command
 * with an action positional (the registry's handler gets the app context, which nested yargs commands
 * would not); each action calls a use case in src/app and hands the data to skill-render.ts.
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import type { AppContext } from '../../compose/app-context.js';
import { addSkills, removeSkill } from '../../app/skills/install.js';
import { keygen, listTrustedKeys, signSkillDir, trustKey, untrustKey, verifySkill } from '../../app/skills/signing.js';
import { requireSignedSkills } from '../../app/skills/policy.js';
import { loadSkills } from '../../app/skills/catalog.js';
import { EXIT, UserError } from '../../core/errors.js';
import { renderInstalled, renderSkillList, renderVerify } from './skill-render.js';

const ACTIONS = ['add', 'list', 'verify', 'remove', 'keygen', 'sign', 'trust', 'untrust'] as const;
type Action = (typeof ACTIONS)[number];

/** Actions and the argument each needs (named in errors and help). */
const TARGET: Partial<Record<Action, string>> = {
  add: 'URL|PATH',
  verify: 'NAME',
  remove: 'NAME',
  sign: 'DIR',
  trust: 'PUBKEY',
  untrust: 'NAME|PUBKEY',
};

async function projectRoot(ctx: AppContext): Promise<string | undefined> {
  return (await ctx.git.repoInfo(ctx.cwd))?.root;
}

function target(action: Action, args: Record<string, unknown>): string {
  const t = args.target;
  if (typeof t !== 'string' || t === '')
    throw new UserError(
      'E_BAD_FLAG',
      `crewmux skill ${action} needs ${TARGET[action]}.`,
      `Run \`crewmux skill ${action} ${TARGET[action]}\`.`,
    );
  return t;
}

async function run(action: Action, args: Record<string, unknown>, ctx: AppContext): Promise<number> {
  const { paths, out } = ctx;
  const json = args.json === true;
  const scope = args.project === true ? 'project' : 'global';
  switch (action) {
    case 'add': {
      const root = await projectRoot(ctx);
      const requireSigned = requireSignedSkills({
        flag: args['require-signed-skills'] === true,
        paths,
        projectRoot: root,
      });
      const installed = await addSkills({
        paths,
        projectRoot: root,
        source: target(action, args),
        scope,
        force: args.force === true,
        requireSigned,
        cwd: ctx.cwd,
      });
      if (json) out.json(installed);
      else renderInstalled(out, installed);
      return EXIT.ok;
    }
    case 'list': {
      const root = await projectRoot(ctx);
      const requireSigned = requireSignedSkills({
        flag: args['require-signed-skills'] === true,
        paths,
        projectRoot: root,
      });
      const skills = loadSkills({ paths, projectRoot: root, requireSigned });
      const keys = listTrustedKeys(paths);
      if (json) out.json({ requireSigned, skills: skills.map(({ text: _t, ...s }) => s), trustedKeys: keys });
      else renderSkillList(out, skills, keys, requireSigned);
      return EXIT.ok;
    }
    case 'verify': {
      const { skill, ok } = verifySkill({ paths, projectRoot: await projectRoot(ctx) }, target(action, args));
      if (json)
        out.json({
          ok,
          name: skill.name,
          source: skill.source,
          dir: skill.dir,
          trust: skill.trust,
          digest: skill.digest,
          refusal: skill.refusal,
        });
      else renderVerify(out, skill, ok);
      return ok ? EXIT.ok : EXIT.failed;
    }
    case 'remove': {
      const r = removeSkill({ paths, projectRoot: await projectRoot(ctx), scope, name: target(action, args) });
      out.out(`Removed ${r.source} skill ${r.name} (${r.dir}).`);
      return EXIT.ok;
    }
    case 'keygen': {
      const r = keygen({
        paths,
        out: typeof args.out === 'string' ? resolve(ctx.cwd, args.out) : undefined,
        force: args.force === true,
        trust: args.trust !== false,
        name: typeof args.name === 'string' ? args.name : 'self',
        now: ctx.now,
      });
      if (json) {
        out.json(r);
        return EXIT.ok;
      }
      out.out(`Signing key: ${r.keyFile} (keep it private)`);
      out.out(`Public key:  ${r.publicKey}`);
      out.out(
        r.trustedAs
          ? `Trusted here as "${r.trustedAs}". Others trust it with: crewmux skill trust ${r.publicKey} --name NAME`
          : `Not trusted yet: crewmux skill trust ${r.publicKey} --name NAME`,
      );
      return EXIT.ok;
    }
    case 'sign': {
      const r = signSkillDir({
        paths,
        dir: resolve(ctx.cwd, target(action, args)),
        keyFile: typeof args.key === 'string' ? resolve(ctx.cwd, args.key) : undefined,
      });
      if (json) out.json(r);
      else out.out(`Signed ${r.name}: wrote ${r.signatureFile} (key ${r.publicKey}).`);
      return EXIT.ok;
    }
    case 'trust': {
      const e = trustKey({
        paths,
        publicKey: target(action, args),
        name: typeof args.name === 'string' ? args.name : undefined,
        now: ctx.now,
      });
      out.out(`Trusted ${e.publicKey} as "${e.name}".`);
      return EXIT.ok;
    }
    case 'untrust': {
      const e = untrustKey({ paths, key: target(action, args) });
      out.out(`No longer trusted: "${e.name}" (${e.publicKey}).`);
      return EXIT.ok;
    }
  }
}

export const skillCommand: Command = {
  command: 'skill <action> [target]',
  describe: 'Manage skills: add, list, verify, remove, keygen, sign, trust, untrust',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ACTIONS, describe: 'what to do' })
      .positional('target', {
        type: 'string',
        describe: 'URL|PATH (add), NAME (verify, remove), DIR (sign), PUBKEY (trust), NAME|PUBKEY (untrust)',
      })
      .option('json', { type: 'boolean', describe: 'print JSON (list, verify, add, keygen, sign)' })
      .option('project', {
        type: 'boolean',
        describe: 'add/remove in <repo>/.crewmux/skills instead of the global skills dir',
      })
      .option('force', { type: 'boolean', describe: 'add: replace an installed skill; keygen: replace the key file' })
      .option('require-signed-skills', { type: 'boolean', describe: 'add/list: refuse unsigned or untrusted skills' })
      .option('key', { type: 'string', describe: 'sign: the signing key file (default: the one keygen wrote)' })
      .option('out', { type: 'string', describe: 'keygen: where to write the key file' })
      .option('name', { type: 'string', describe: 'trust/keygen: a name for the key' })
      .option('trust', {
        type: 'boolean',
        default: true,
        describe: 'keygen: also trust the new key (--no-trust to skip)',
      })
      .example('crewmux skill add https://github.com/me/my-skills.git', 'install every skill in a repository')
      .example('crewmux skill keygen && crewmux skill sign ./my-skill', 'sign a skill with your key')
      .example('crewmux skill trust <PUBKEY> --name alice', "trust alice's signatures"),
  handler: (args, ctx) => run(args.action as Action, args, ctx),
};

/**
 * The review gate's rules, pure: the acceptance criteria of a goal (its `## Acceptance` section, the workers'
 * pass_criteria, the lead's own list), the decision of a round from its verdicts, and the texts the lead gets.
 */
import type { Criterion, PassCriterion, Verdict } from './verdict.js';
import type { GateConfig, GateSettings } from './gate-schema.js';
import { findingLines } from './verdict.js';

/** Perspectives a gate reviewer may have: the read-only review perspectives. */
export const GATE_PERSPECTIVES = ['verifier', 'reviewer', 'security', 'performance'] as const;
export const DEFAULT_GATE_REVIEWERS: GatePerspective[] = ['verifier', 'reviewer'];
export const DEFAULT_MAX_ROUNDS = 5;
export type GatePerspective = (typeof GATE_PERSPECTIVES)[number];
export type { GateConfig, GateSettings } from './gate-schema.js';

/** The session's gate from config `gate` and `run --review-gate [PERSPECTIVES]` (`flag`: undefined when not given). */
export function resolveGate(
  config: GateConfig | undefined,
  flag: GatePerspective[] | undefined,
): GateSettings | undefined {
  if (!config && !flag) return undefined;
  return {
    reviewers: flag?.length ? flag : (config?.reviewers ?? DEFAULT_GATE_REVIEWERS),
    maxRounds: config?.maxRounds ?? DEFAULT_MAX_ROUNDS,
    ...(config?.agents ? { agents: config.agents } : {}),
  };
}

/**
 * The list items of the goal's `## Acceptance` section (any heading level 2 or 3 named Acceptance, case-insensitive),
 * as criteria A1, A2, ...; each `-`, `*` or `1.` item is one criterion, continuation lines join it. None without such
 * a section.
 */
export function acceptanceCriteria(goal: string): Criterion[] {
  const lines = goal.split('\n');
  const start = lines.findIndex((l) => /^#{2,3}\s+acceptance(\s+criteria)?\s*:?\s*$/i.test(l.trim()));
  if (start < 0) return [];
  const items: string[] = [];
  for (const raw of lines.slice(start + 1)) {
    const l = raw.trim();
    if (/^#{1,6}\s/.test(l)) break;
    const item = /^(?:[-*+]|\d+[.)])\s+(.*)$/.exec(l);
    if (item) items.push(item[1]!.trim());
    else if (l && items.length) items[items.length - 1] += ` ${l}`;
  }
  return items.filter(Boolean).map((text, i) => ({ id: `A${i + 1}`, text: text.slice(0, 2000) }));
}

/**
 * Every criterion the gate's reviewers judge: the goal's acceptance items (A1..), each worker's pass_criteria
 * (`<worker>.<id>`), then the lead's own (L1..). Duplicated texts are kept once.
 */
export function gateCriteria(
  goal: string,
  workerCriteria: readonly { worker: string; criteria: readonly PassCriterion[] }[],
  lead: readonly string[] = [],
): Criterion[] {
  const all: Criterion[] = [
    ...acceptanceCriteria(goal),
    ...workerCriteria.flatMap((w) => w.criteria.map((c) => ({ id: `${w.worker}.${c.id}`, text: c.text }))),
    ...lead.filter((t) => t.trim()).map((text, i) => ({ id: `L${i + 1}`, text: text.trim().slice(0, 2000) })),
  ];
  const seen = new Set<string>();
  return all.filter((c) => {
    const key = c.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One reviewer's outcome in a round: its verdict, or none (it ended without one after being asked again). */
export interface ReviewOutcome {
  reviewer: string;
  perspective: string;
  verdict?: Verdict;
}

export type RoundDecision = 'passed' | 'rejected' | 'exhausted';

/** A round passes only when every reviewer passed; a rejection in the last round (`round` >= `maxRounds`) is exhausted. */
export function decideRound(outcomes: readonly ReviewOutcome[], round: number, maxRounds: number): RoundDecision {
  if (outcomes.length && outcomes.every((o) => o.verdict?.verdict === 'pass')) return 'passed';
  return round >= maxRounds ? 'exhausted' : 'rejected';
}

/**
 * What the lead reads when a round is not passed: "DONE REJECTED (round N of M)", each reviewer's unmet criteria
 * with evidence and its findings, a reviewer without a verdict named, and what to do next.
 */
export function rejectionText(outcomes: readonly ReviewOutcome[], round: number, maxRounds: number): string {
  const lines = [`DONE REJECTED (round ${round} of ${maxRounds}).`];
  for (const o of outcomes) {
    if (!o.verdict) {
      lines.push(`${o.reviewer} (${o.perspective}): gave no verdict (it ended its turn without submit_verdict twice).`);
      continue;
    }
    const v = o.verdict;
    lines.push(`${o.reviewer} (${o.perspective}): ${v.verdict}, risk ${v.risk}`);
    for (const c of v.criteria.filter((x) => !x.met)) lines.push(`  unmet ${c.id}: ${c.evidence}`);
    for (const l of findingLines(v.findings)) lines.push(`  ${l}`);
  }
  lines.push(
    round >= maxRounds
      ? `That was the last round (gate.maxRounds ${maxRounds}): the run ends failed with these findings in the report.`
      : 'Send the work back (spawn_worker or send_to_worker with the findings), merge, verify, and call mark_goal_done again; the same reviewers will see the new diff.',
  );
  return lines.join('\n');
}

/** Findings fixed over the rounds: findings of rejected rounds, all of which a passing gate has answered. */
export function findingsFixed(rounds: readonly { status: string; findings: number }[]): number {
  return rounds.filter((r) => r.status === 'rejected').reduce((n, r) => n + r.findings, 0);
}

/**
 * A reviewer's structured verdict (submit_verdict): pass or fail, a risk level, each acceptance criterion met or not
 * with its evidence, and findings with file, line and severity. The code reads these fields; no magic phrases. The
 * zod schemas are in verdict-schema.ts, so that what `crewmux status` imports from here does not load zod.
 */
import type { Finding, Verdict } from './verdict-schema.js';

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** One acceptance criterion a reviewer judges: a stable id (A1, W2.1, L1) and its text. */
export interface Criterion {
  id: string;
  text: string;
}

export type { Finding, PassCriterion, Verdict } from './verdict-schema.js';

/**
 * Why `v` cannot be taken as it stands (empty when it can): a pass with an unmet criterion or a high or critical
 * finding contradicts itself, and a criterion id that was not asked about is named. `asked` are the criteria ids
 * the reviewer was given.
 */
export function verdictProblems(v: Verdict, asked: readonly string[]): string[] {
  const out: string[] = [];
  const unmet = v.criteria.filter((c) => !c.met).map((c) => c.id);
  if (v.verdict === 'pass' && unmet.length) out.push(`verdict "pass" with unmet criteria ${unmet.join(', ')}`);
  const grave = v.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
  if (v.verdict === 'pass' && grave.length)
    out.push(`verdict "pass" with ${grave.length} high or critical finding(s); a pass has none`);
  const unknown = v.criteria.map((c) => c.id).filter((id) => !asked.includes(id));
  if (unknown.length)
    out.push(`unknown criteria ids ${unknown.join(', ')} (you were given: ${asked.join(', ') || 'none'})`);
  const missing = asked.filter((id) => !v.criteria.some((c) => c.id === id));
  if (missing.length) out.push(`no judgement on criteria ${missing.join(', ')}`);
  return out;
}

/** One line per finding: `[severity] file:line text`. */
export function findingLines(findings: readonly Finding[]): string[] {
  return findings.map((f) => `[${f.severity}] ${f.file}${f.line !== undefined ? `:${f.line}` : ''} ${f.text}`);
}

/** The verdict as the lead reads it: verdict, risk, unmet criteria with evidence, findings. */
export function renderVerdict(v: Verdict): string {
  const lines = [`verdict: ${v.verdict}, risk: ${v.risk}`];
  for (const c of v.criteria) lines.push(`  ${c.met ? 'met' : 'NOT MET'} ${c.id}: ${c.evidence}`);
  if (v.findings.length)
    lines.push(`findings (${v.findings.length}):`, ...findingLines(v.findings).map((l) => `  ${l}`));
  else lines.push('findings: none');
  return lines.join('\n');
}

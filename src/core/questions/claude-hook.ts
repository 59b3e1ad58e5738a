/**
 * Claude Code's AskUserQuestion as a ticket (pure): the question text from the tool's input, and the PreToolUse hook
 * answer that gives Claude the answer. Claude Code 2.1.197 takes `permissionDecision: "deny"` with
 * `permissionDecisionReason` as the tool's result the model reads (a blocking error), so the question never reaches
 * a dialog in the pane and the answer arrives as text.
 */
import { z } from 'zod';
import { MAX_TEXT } from './tickets.js';

/** The tool crewmux's hook matches (settings `hooks.PreToolUse[].matcher`). */
export const ASK_TOOL = 'AskUserQuestion';
/** Seconds Claude lets the hook run: long enough for the lead, then the human (escalations) to answer. */
export const HOOK_TIMEOUT_S = 86_400;

const HookInputSchema = z.object({
  tool_name: z.string(),
  tool_input: z
    .object({
      questions: z
        .array(
          z.object({
            question: z.string(),
            header: z.string().optional(),
            multiSelect: z.boolean().optional(),
            options: z.array(z.object({ label: z.string(), description: z.string().optional() })).optional(),
          }),
        )
        .optional(),
    })
    .passthrough(),
});

/** The question and options of a PreToolUse hook input for AskUserQuestion, or undefined for any other input. */
export function hookQuestion(input: unknown): { question: string; options: string[] } | undefined {
  const parsed = HookInputSchema.safeParse(input);
  if (!parsed.success || parsed.data.tool_name !== ASK_TOOL) return undefined;
  const qs = parsed.data.tool_input.questions ?? [];
  if (!qs.length) return undefined;
  const question = qs
    .map((q) => {
      const opts = (q.options ?? []).map(
        (o, i) => `  ${i + 1}. ${o.label}${o.description ? ` — ${o.description}` : ''}`,
      );
      const head = q.header ? `${q.header}: ` : '';
      return [`${head}${q.question}${q.multiSelect ? ' (several may be chosen)' : ''}`, ...opts].join('\n');
    })
    .join('\n\n')
    .slice(0, MAX_TEXT);
  const options = qs.length === 1 ? (qs[0]!.options ?? []).map((o) => o.label) : [];
  return { question, options };
}

/** The hook's stdout: deny the dialog, with the answer as the reason Claude reads. */
export function hookAnswerOutput(ticket: string, who: 'lead' | 'human' | null, answer: string): string {
  const from = who === 'human' ? 'the user' : 'the lead';
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: `crewmux routed this question to ${from} (ticket ${ticket}). The answer: ${answer}\nCarry on with your task using this answer; do not ask it again.`,
    },
  });
}

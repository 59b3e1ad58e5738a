/** `--budget-usd` and `--budget-tokens`, declared by `run`, `manual` and `resume` (README#budgets). */
import { numberOption } from './command.js';

/** `--budget-usd N`: dollars the whole run may cost (config budget.goalUsd). */
export const BUDGET_USD_OPTION = [
  'budget-usd',
  numberOption('budget-usd', 'Dollars the whole run may cost; at 100% it ends as "budget" (exit 2)', {
    positive: true,
    unit: 'US dollars',
  }),
] as const;

/** `--budget-tokens N`: tokens the whole run may use (config budget.goalTokens). */
export const BUDGET_TOKENS_OPTION = [
  'budget-tokens',
  numberOption('budget-tokens', 'Tokens the whole run may use; at 100% it ends as "budget" (exit 2)', {
    positive: true,
    integer: true,
    unit: 'tokens',
  }),
] as const;

/** The two flags as given (validated by their coerce); absent ones undefined. */
export function budgetFlags(a: Record<string, unknown>): { usd?: number; tokens?: number } {
  return {
    ...(typeof a.budgetUsd === 'number' ? { usd: a.budgetUsd } : {}),
    ...(typeof a.budgetTokens === 'number' ? { tokens: a.budgetTokens } : {}),
  };
}

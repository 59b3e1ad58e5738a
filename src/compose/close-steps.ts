/** Closing what a long-lived process opened, one thing after another, so that shutdown always ends. */

/** One thing to close: its name (for the problem report), how, and how long it may take (ms). */
export interface CloseStep {
  name: string;
  close: () => unknown;
  timeoutMs: number;
}

const LATE = Symbol('late');

/**
 * Runs `steps` in order. A step that throws, or is still running after its `timeoutMs` (it is then
 * left behind), is passed to `report` and the next step still runs: the whole takes at most the sum
 * of the timeouts. Never rejects.
 */
export async function closeSteps(steps: readonly CloseStep[], report: (problem: string) => void): Promise<void> {
  const tell = (problem: string) => {
    try {
      report(problem);
    } catch {
      /* the report is best effort */
    }
  };
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof LATE>((r) => {
      timer = setTimeout(() => r(LATE), step.timeoutMs);
    });
    const closing = Promise.resolve().then(step.close);
    // A step left behind that fails later must not become an unhandled rejection.
    closing.catch(() => undefined);
    try {
      if ((await Promise.race([closing, late])) === LATE)
        tell(`${step.name}: still closing after ${step.timeoutMs} ms; left behind`);
    } catch (e) {
      tell(`${step.name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

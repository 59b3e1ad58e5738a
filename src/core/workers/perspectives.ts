/** Worker perspectives: the role a worker plays, its role text, and whether it may change code. */

export const PERSPECTIVES = [
  'implementer',
  'tester',
  'reviewer',
  'security',
  'performance',
  'verifier',
  'researcher',
] as const;
export type Perspective = (typeof PERSPECTIVES)[number];

export interface PerspectiveInfo {
  name: Perspective;
  /** Review perspectives only read: a commit on their branch is flagged to the lead. */
  readOnly: boolean;
  summary: string;
  role: string;
}

const INFO: Record<Perspective, Omit<PerspectiveInfo, 'name'>> = {
  implementer: {
    readOnly: false,
    summary: 'Writes the code the task asks for.',
    role: 'You are an implementer. Make the change the task asks for, in small focused commits, following the project conventions. Keep to your file scope. Run the relevant tests before you finish.',
  },
  tester: {
    readOnly: false,
    summary: 'Writes and runs tests for the behaviour in the task.',
    role: 'You are a tester. Write tests that pin down the behaviour described in the task, including edge cases and failure paths, and run them. Do not change production code unless the task says so; report bugs you find in your summary.',
  },
  reviewer: {
    readOnly: true,
    summary: 'Reads a change and reports problems; does not edit.',
    role: 'You are a reviewer. Read the change or code named in the task and report concrete problems (bugs, missing tests, unclear code) with file and line. Do not edit files or commit: your findings go in your worker_done summary.',
  },
  security: {
    readOnly: true,
    summary: 'Looks for security problems; does not edit.',
    role: 'You are a security reviewer. Look for injection, unsafe input handling, secrets, path traversal, auth and permission mistakes in the code named in the task. Do not edit files: report each finding with file, line and a suggested fix in your summary.',
  },
  performance: {
    readOnly: true,
    summary: 'Looks for performance problems; does not edit.',
    role: 'You are a performance reviewer. Find hot paths, needless work, quadratic loops and blocking I/O in the code named in the task, measure where you can, and report findings with evidence in your summary. Do not edit files.',
  },
  verifier: {
    readOnly: true,
    summary: 'Checks that a result meets its pass criteria; does not edit.',
    role: 'You are a verifier. Check, by running the project and its tests, whether the work meets the pass criteria. Report pass or fail with the evidence in your summary. Do not edit files.',
  },
  researcher: {
    readOnly: true,
    summary: 'Investigates a question and reports; does not edit.',
    role: 'You are a researcher. Investigate the question in the task (code, docs, history) and report a concise, sourced answer in your summary. Do not edit files.',
  },
};

export function perspectiveInfo(name: Perspective): PerspectiveInfo {
  return { name, ...INFO[name] };
}

export function listPerspectives(): PerspectiveInfo[] {
  return PERSPECTIVES.map(perspectiveInfo);
}

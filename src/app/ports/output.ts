/** Where a command's output goes: lines for people on stdout and stderr, or JSON. cli/output.ts prints to the process. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  json(data: unknown): void;
}

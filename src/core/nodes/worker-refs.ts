/**
 * The git boundary of a worker node, as rules (docs/security.md "Worker nodes: the git boundary"): the lead host
 * pushes a worker's base to `refs/heads/crewmux/<sid>/base-<worker>` on the node, and fetches back only refs under
 * `refs/heads/crewmux/<sid>/<worker>-`, each named exactly (no pattern, no force) into the same name on the lead
 * host. Anything else a node offers, or a worker asks for, is refused and never fetched.
 */

/** The ref on the node that the worker's worktree starts from (it does not match the fetch-back prefix). */
export function nodeBaseRef(sid: string, workerId: string): string {
  return `refs/heads/crewmux/${sid}/base-${workerId}`;
}

/** Every ref worker `workerId` of session `sid` may bring back starts with this (its branch is `<worker>-<perspective>`). */
export function workerRefPrefix(sid: string, workerId: string): string {
  return `refs/heads/crewmux/${sid}/${workerId}-`;
}

/**
 * Why `ref` may not be fetched back for worker `workerId` of session `sid`, or undefined when it may: it must start
 * with workerRefPrefix, name a branch after it, and be a plain ref name (git check-ref-format's rules, stricter:
 * no glob, no `:` or leading `+` that would make it a refspec of its own, no `..`, no control characters).
 */
export function refRefusal(ref: string, sid: string, workerId: string): string | undefined {
  const prefix = workerRefPrefix(sid, workerId);
  if (!ref.startsWith(prefix)) return `it is outside ${prefix}*`;
  const rest = ref.slice(prefix.length);
  if (!rest) return 'it names no branch after the prefix';
  // git check-ref-format: no control chars, space, ~ ^ : ? * [ \, no "..", no "@{", no "//", no component
  // starting with "." or ending with ".lock", no trailing "/" or ".". Stricter here: printable ASCII only.
  if (/[^\x21-\x7e]/.test(ref) || /[~^:?*[\\]/.test(ref)) return 'it holds characters a plain ref name may not';
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//')) return 'it is not a plain ref name';
  if (ref.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) return 'it is not a plain ref name';
  if (ref.endsWith('/') || ref.endsWith('.')) return 'it is not a plain ref name';
  if (ref.length > 255) return 'it is longer than 255 characters';
  return undefined;
}

/** The explicit refspec that fetches allowed ref `ref` into the same name on the lead host (fast-forward only). */
export function fetchRefspec(ref: string): string {
  return `${ref}:${ref}`;
}

/**
 * Where the next worker pane goes: the lead's window holds up to `perWindow` panes (lead included),
 * then overflow windows hold up to `perWindow` workers each. Pure: it gets the live pane counts.
 */

export interface WindowLoad {
  windowId: string;
  name: string;
  panes: number;
}

export type Placement = { kind: 'split'; windowId: string } | { kind: 'new-window'; name: string };

export function placeWorker(
  leadWindow: WindowLoad,
  overflow: WindowLoad[],
  perWindow = 5,
  nameFor: (i: number) => string,
): Placement {
  if (leadWindow.panes < perWindow) return { kind: 'split', windowId: leadWindow.windowId };
  for (const w of overflow) if (w.panes < perWindow) return { kind: 'split', windowId: w.windowId };
  // Overflow windows are numbered from 2 (the lead's window is the first); reuse the lowest free name.
  const used = new Set(overflow.map((w) => w.name));
  let i = 2;
  while (used.has(nameFor(i))) i++;
  return { kind: 'new-window', name: nameFor(i) };
}

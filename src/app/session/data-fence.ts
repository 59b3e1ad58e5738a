/** The session's data fence (src/core/text/data-fence.ts), keyed by the lead's token so workers cannot guess it. */
import { fenceData, fenceMarker, type Fence } from '../../core/text/data-fence.js';
import { session, type Runtime } from '../runtime.js';

/** The fence marker of `rt`'s session. */
export function sessionFenceMarker(rt: Runtime): string {
  return fenceMarker(`${rt.sid}:${session(rt).lead_token}`);
}

/** A fencer for text that reaches `rt`'s lead from workers, external agents or command output. */
export function sessionFence(rt: Runtime): Fence {
  // The marker is read when a fence is made, not when the fencer is: tools are registered before use.
  return (source, content) => fenceData(sessionFenceMarker(rt), source, content);
}

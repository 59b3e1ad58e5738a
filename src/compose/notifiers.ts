/**
 * Builds the configured notifiers (the "notify" config key) from their adapters: the supervisor's for a
 * running session, and `crewmux notify test`'s.
 */
import type { NotifierConfig } from '../core/notify/config.js';
import type { Notifier } from '../app/ports/notify.js';
import type { Tmux } from '../app/ports/tmux.js';
import { createTmuxNotifier } from '../adapters/notify/tmux-notifier.js';
import { createDesktopNotifier } from '../adapters/notify/desktop-notifier.js';
import { createNtfyNotifier, createWebhookNotifier } from '../adapters/notify/http-notifiers.js';

/**
 * One Notifier per entry of `configs`, in order. `tmux` is the session's server and name; without it a tmux
 * notifier fails each send with `noTmuxReason`.
 */
export function createNotifiers(
  configs: readonly NotifierConfig[],
  deps: { env: NodeJS.ProcessEnv; tmux?: { tmux: Tmux; session: string }; noTmuxReason?: string },
): Notifier[] {
  return configs.map((c): Notifier => {
    switch (c.type) {
      case 'tmux':
        return deps.tmux
          ? createTmuxNotifier(deps.tmux.tmux, deps.tmux.session)
          : {
              label: 'tmux',
              send: () => Promise.reject(new Error(deps.noTmuxReason ?? 'no crewmux tmux session')),
            };
      case 'desktop':
        return createDesktopNotifier(deps.env);
      case 'ntfy':
        return createNtfyNotifier(c);
      case 'webhook':
        return createWebhookNotifier(c);
    }
  });
}

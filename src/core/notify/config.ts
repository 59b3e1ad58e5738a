/**
 * The "notify" config key: a list of notifiers, each told when the run needs the human or ends
 * (README#notifications). ntfy and webhook URLs are secrets (a topic name or a webhook path is the only
 * credential they have): they are shown only as `notifierLabel` gives them, never in full.
 */
import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, message: 'an http(s) URL, e.g. "https://ntfy.sh/my-topic"' });

/** How a webhook's body is shaped: Slack `{text}`, Discord `{content}`, or crewmux's own JSON. */
export const WEBHOOK_FORMATS = ['slack', 'discord', 'json'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const NotifierConfigSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('tmux') }).strict(),
    z.object({ type: z.literal('desktop') }).strict(),
    z.object({ type: z.literal('ntfy'), url: httpUrl }).strict(),
    z
      .object({
        type: z.literal('webhook'),
        url: httpUrl,
        /** Body shape; default: slack for hooks.slack.com, discord for discord.com, else json. */
        format: z.enum(WEBHOOK_FORMATS).optional(),
      })
      .strict(),
  ],
  { error: 'each notifier is {"type": "tmux"|"desktop"|"ntfy"|"webhook", ...}; ntfy and webhook need a "url"' },
);
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

export const NotifyConfigSchema = z.array(NotifierConfigSchema);

/**
 * A notifier as shown in events and output: its type, and for a URL only its origin
 * (`webhook https://hooks.slack.com/…`): the path, query and user info may hold the secret.
 */
export function notifierLabel(n: NotifierConfig): string {
  if (n.type === 'tmux' || n.type === 'desktop') return n.type;
  let origin = '(invalid URL)';
  try {
    origin = new URL(n.url).origin;
  } catch {
    /* shown as invalid */
  }
  return `${n.type} ${origin}/…`;
}

/** The body format of a webhook: the configured one, else guessed from its host. */
export function webhookFormat(url: string, format: WebhookFormat | undefined): WebhookFormat {
  if (format) return format;
  const host = new URL(url).hostname;
  if (host === 'hooks.slack.com') return 'slack';
  if (host === 'discord.com' || host === 'discordapp.com' || host.endsWith('.discord.com')) return 'discord';
  return 'json';
}

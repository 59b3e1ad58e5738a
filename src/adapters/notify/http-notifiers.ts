/**
 * The `ntfy` and `webhook` notifiers: one POST to the URL the user configured, from the supervisor process
 * (fetch; the URL is never on a command line). Redirects are not followed (a request goes only where the
 * config says), and no failure message holds the URL: its path or query may be the secret.
 */
import { NTFY_PRIORITY, type Notification } from '../../core/notify/rules.js';
import { notifierLabel, webhookFormat, type NotifierConfig, type WebhookFormat } from '../../core/notify/config.js';
import type { Notifier } from '../../app/ports/notify.js';

/** A header value as RFC 2047 when it is not plain ASCII (fetch refuses other bytes; ntfy decodes it). */
export function headerText(s: string): string {
  const flat = s.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** The URL without user info, and that user info as a Basic Authorization header (fetch refuses it in URLs). */
function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${basic}` } };
}

async function post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<void> {
  const target = splitCredentials(url);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, ...headers },
      body,
      redirect: 'manual',
      signal,
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    throw new Error(signal.aborted ? 'timed out' : `could not connect${cause?.code ? ` (${cause.code})` : ''}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 300 && res.status < 400) throw new Error(`answered HTTP ${res.status} (a redirect; not followed)`);
  if (!res.ok) throw new Error(`answered HTTP ${res.status}`);
}

/** The JSON body of a webhook for `n` in `format`. */
export function webhookBody(format: WebhookFormat, n: Notification): Record<string, unknown> {
  const text = `${n.title}\n${n.message}`;
  if (format === 'slack') return { text };
  if (format === 'discord') return { content: text.slice(0, 2000) };
  return {
    text,
    title: n.title,
    message: n.message,
    urgency: n.urgency,
    event: n.eventType,
    key: n.key,
    workerId: n.workerId,
  };
}

/** A notifier POSTing to an ntfy topic URL: the message as body, Title and Priority headers. */
export function createNtfyNotifier(cfg: Extract<NotifierConfig, { type: 'ntfy' }>): Notifier {
  return {
    label: notifierLabel(cfg),
    send: (n, signal) =>
      post(
        cfg.url,
        {
          'content-type': 'text/plain; charset=utf-8',
          title: headerText(n.title),
          priority: NTFY_PRIORITY[n.urgency],
          tags: 'crewmux',
        },
        n.message,
        signal,
      ),
  };
}

/** A notifier POSTing Slack / Discord / crewmux JSON to a webhook URL. */
export function createWebhookNotifier(cfg: Extract<NotifierConfig, { type: 'webhook' }>): Notifier {
  const format = webhookFormat(cfg.url, cfg.format);
  return {
    label: notifierLabel(cfg),
    send: (n, signal) =>
      post(cfg.url, { 'content-type': 'application/json' }, JSON.stringify(webhookBody(format, n)), signal),
  };
}

/** `crewmux dashboard [--port N]`: a live browser view of every session on 127.0.0.1, behind a token. */
import { numberOption, type Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { serveDashboard, untilSessionEnded } from '../../compose/dashboard-server.js';

export const dashboardCommand: Command = {
  command: 'dashboard',
  describe: 'Serve a live browser view of sessions, workers, diffs and verify results on 127.0.0.1',
  builder: (y) =>
    y
      .option(
        'port',
        numberOption('port', 'Port on 127.0.0.1 (default: a random free port)', { integer: true, max: 65535 }, 0),
      )
      .option('session', { type: 'string', describe: 'Open this session in the printed URL' })
      .option('until-ended', {
        type: 'string',
        hidden: true,
        describe: 'Exit --grace seconds after this session ends (run --dashboard)',
      })
      .option('grace', {
        ...numberOption('grace', 'Seconds to keep serving after --until-ended ends', { unit: 'seconds' }, 60),
        hidden: true,
      })
      .option('url-file', { type: 'string', hidden: true, describe: 'Also write the URL to this file (0600)' }),
  async handler(a, ctx) {
    const port = Number(a.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UserError('E_BAD_FLAG', `--port must be a whole number from 0 to 65535 (got ${String(a.port)}).`);
    const until = a.untilEnded as string | undefined;
    const d = await serveDashboard(ctx, { port, sid: (a.session as string | undefined) ?? until });
    if (typeof a.urlFile === 'string') {
      try {
        ctx.writeUserFile(a.urlFile, d.url + '\n');
      } catch (e) {
        await d.close();
        throw e;
      }
    }
    ctx.out.out(d.url);
    ctx.out.err('crewmux: dashboard running; the URL carries its token, keep it private. Ctrl-C stops it.');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    try {
      if (until)
        await untilSessionEnded(ctx, until, { graceMs: Math.max(0, Number(a.grace) || 0) * 1000, signal: stop.signal });
      else await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      await d.close();
    }
    return 0;
  },
};

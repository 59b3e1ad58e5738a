// The crewmux dashboard page: plain JS, no build step. Data only ever reaches the DOM as textContent
// (never innerHTML), so a goal or summary holding markup shows as text. Live updates come from the
// session's SSE stream; each event schedules a refetch of the session, and live workers' output is
// polled while they run.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';
const ACTIVE = new Set(['starting', 'running', 'waiting']);
// Events that change the session itself: refetch at once (exact types, not a `session.` prefix).
const SESSION_EVENTS = new Set([
  'session.created',
  'session.started',
  'session.resuming',
  'session.resumed',
  'session.ending',
  'session.merged',
  'session.done',
  'session.failed',
  'session.stopped',
  'session.timeout',
  'session.budget',
]);
const $ = (id) => document.getElementById(id);

/** Builds an element; string children become text nodes, attributes are set one by one. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children)
    if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** "just now", "42 s ago", "3 min ago", "2 h ago", "5 d ago": how long before `now` the time `iso` was. */
function ago(iso, now = Date.now()) {
  const s = Math.floor((now - Date.parse(iso)) / 1000);
  if (!(s >= 10)) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A <time> showing `prefix` and how long ago `iso` was (kept current by updateTimes), the exact time as its title. */
function timeAgo(iso, prefix = '') {
  const el = h('time', { class: 'rel', datetime: iso, title: iso, 'data-prefix': prefix });
  el.textContent = `${prefix}${ago(iso)}`;
  return el;
}

function updateTimes() {
  const now = Date.now();
  for (const el of document.querySelectorAll('time.rel[datetime]'))
    el.textContent = `${el.dataset.prefix || ''}${ago(el.getAttribute('datetime'), now)}`;
}

async function api(path) {
  const sep = path.includes('?') ? '&' : '?';
  const r = await fetch(`${path}${sep}token=${encodeURIComponent(TOKEN)}`, {
    headers: { accept: 'application/json' },
    cache: 'no-store',
  });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

const state = {
  sid: null,
  source: null,
  refreshTimer: null,
  cards: new Map(),
  outputs: new Map(),
  lastEvent: 0,
  sessions: [],
  /** The session has not ended: the lead's pane is polled. */
  leadActive: false,
};

function selectedFromHash() {
  const m = /^#\/s\/([A-Za-z0-9_-]+)$/.exec(location.hash);
  return m ? m[1] : null;
}

async function loadSessions() {
  const { sessions } = await api('/api/sessions');
  state.sessions = sessions;
  const ul = $('sessions');
  ul.replaceChildren(
    ...sessions.map((s) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            'data-session': s.id,
            'aria-current': String(s.id === state.sid),
            onclick: () => {
              location.hash = `#/s/${s.id}`;
            },
          },
          h('span', { class: 'mono' }, s.id),
          ' ',
          h('span', { class: 'badge', 'data-state': s.status, text: s.status }),
          h('span', {
            class: 'repo-line mono',
            title: s.repo,
            text: s.repo.split('/').filter(Boolean).pop() || s.repo,
          }),
          h('span', { class: 'goal-line', text: s.goal.split('\n')[0] }),
        ),
      ),
    ),
  );
  // With nothing chosen, show the newest session (replaceState fires no hashchange).
  if (!state.sid && sessions.length && !selectedFromHash()) {
    history.replaceState(null, '', `#/s/${sessions[0].id}`);
    openSession(sessions[0].id);
  }
}

function setConn(s) {
  const el = $('conn');
  el.dataset.state = s;
  el.textContent = s;
}

function openSession(sid) {
  if (state.source) state.source.close();
  state.sid = sid;
  state.cards.clear();
  state.outputs.clear();
  $('workers').replaceChildren();
  $('gate').replaceChildren(h('p', { class: 'muted', text: 'No review gate.' }));
  $('gate').dataset.key = '';
  $('events').replaceChildren();
  $('lead-output').textContent = '…';
  state.leadActive = false;
  $('empty').hidden = Boolean(sid);
  $('session').hidden = !sid;
  for (const b of document.querySelectorAll('[data-session]'))
    b.setAttribute('aria-current', String(b.dataset.session === sid));
  if (!sid) return;
  refresh();
  setConn('connecting');
  // EventSource resends Last-Event-ID itself when it reconnects, so no event is lost or repeated.
  const es = new EventSource(`/api/sessions/${encodeURIComponent(sid)}/events?token=${encodeURIComponent(TOKEN)}`);
  state.source = es;
  es.onopen = () => setConn('live');
  es.onerror = () => setConn('retrying');
  es.onmessage = (m) => {
    const e = JSON.parse(m.data);
    state.lastEvent = e.id;
    appendEvent(e);
    scheduleRefresh(SESSION_EVENTS.has(e.type) ? 0 : 50);
  };
}

function appendEvent(e) {
  const list = $('events');
  const iso = new Date(e.ts).toISOString();
  list.append(
    h(
      'li',
      { 'data-event': String(e.id) },
      h('span', { class: 'muted', text: `${iso.slice(11, 19)} ` }),
      h('span', { class: 'muted' }, '(', timeAgo(iso), ') '),
      h('span', { class: 'type', text: e.type }),
      ' ',
      e.message,
    ),
  );
  while (list.children.length > 300) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
}

function scheduleRefresh(ms) {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    refresh();
  }, ms);
}

async function refresh() {
  const sid = state.sid;
  if (!sid) return;
  let d;
  try {
    d = await api(`/api/sessions/${encodeURIComponent(sid)}`);
  } catch (err) {
    $('s-reason').textContent = String(err.message);
    return;
  }
  if (sid !== state.sid) return;
  renderSession(d);
  loadQuestions(sid).catch(() => {});
  loadReview(sid).catch(() => {});
  if (d.session.status !== (state.sessions.find((s) => s.id === sid) || {}).status) loadSessions().catch(() => {});
}

function renderSession(d) {
  const s = d.session;
  $('s-id').textContent = s.id;
  const st = $('s-status');
  st.textContent = s.status;
  st.dataset.state = s.status;
  $('s-reason').textContent = s.reason || '';
  $('s-goal').textContent = s.goal;
  $('s-repo').textContent = s.repo;
  $('s-meta').replaceChildren(
    `lead ${s.lead} · integration ${s.integrationBranch} · tmux ${s.tmuxSession} · `,
    timeAgo(s.createdAt, 'started '),
    ...(s.endedAt ? [' · ', timeAgo(s.endedAt, 'ended ')] : []),
  );
  $('lead-agent').textContent = `(${s.lead})`;
  const wasActive = state.leadActive;
  state.leadActive = !s.endedAt;
  // Once more after the end, so the last screen of the lead is shown.
  if (state.leadActive || wasActive || $('lead-output').textContent === '…') loadLead();
  const lead = d.usage.workers.lead;
  $('s-usage').textContent = `${d.usage.line}${lead ? ` · lead ${lead.tokens} tokens, ${lead.cost}` : ''}`;
  $('w-count').textContent = `(${d.workers.length})`;
  for (const w of d.workers) renderWorker(w, d.usage.workers[w.id], d.peakRss?.[w.id]);
  renderVerifies(d.verifies);
  const report = $('report');
  report.textContent = d.reportText || 'The report appears when the goal ends.';
  report.classList.toggle('muted', !d.reportText);
}

function workerCard(w) {
  const refs = {
    state: h('span', { class: 'badge state' }),
    summary: h('div', { class: 'summary' }),
    updated: h('span', { class: 'updated muted' }),
    usage: h('span', { class: 'usage muted mono' }),
    notes: h('ul', { class: 'notes' }),
    radar: h('div', { class: 'radar' }),
    output: h('pre', { class: 'output', text: '…' }),
    diff: h('pre', { class: 'diff', text: '…' }),
    exit: h('div', { class: 'exit muted' }),
    diffStat: h('summary', { text: 'diff' }),
    review: h('div', { class: 'review', hidden: '' }),
  };
  const details = h('details', { class: 'diff-box' }, refs.diffStat, refs.diff);
  details.addEventListener('toggle', () => {
    if (details.open) loadDiff(w.id, refs);
  });
  refs.details = details;
  refs.el = h(
    'article',
    { class: 'worker', 'data-worker': w.id },
    h(
      'div',
      { class: 'head' },
      h('span', { class: 'wid mono', text: w.id }),
      refs.state,
      h('span', { class: 'agent', text: w.agent }),
      h('span', { class: 'perspective muted', text: w.perspective }),
      h('span', { class: 'branch mono muted', text: w.branch }),
      refs.updated,
      refs.usage,
    ),
    h('div', { class: 'task', text: w.task }),
    refs.summary,
    refs.exit,
    refs.notes,
    refs.radar,
    refs.review,
    h('div', { class: 'muted', text: 'output' }),
    refs.output,
    details,
  );
  $('workers').append(refs.el);
  return refs;
}

function renderWorker(w, usage, peakRss) {
  let refs = state.cards.get(w.id);
  if (!refs) {
    refs = workerCard(w);
    state.cards.set(w.id, refs);
  }
  const changed = refs.updatedAt !== w.updatedAt;
  refs.updatedAt = w.updatedAt;
  if (changed) refs.updated.replaceChildren(timeAgo(w.finishedAt || w.updatedAt, w.finishedAt ? 'ended ' : 'updated '));
  refs.state.textContent = w.state;
  refs.state.dataset.state = w.state;
  refs.el.dataset.state = w.state;
  refs.summary.textContent = w.summary ? `summary: ${w.summary}` : '';
  // Tokens and cost come from the agent's own files, read every few seconds while it runs.
  // Peak RSS: the largest resident size of the agent's process tree the monitor saw (sampled every few seconds).
  const peak = peakRss ? `peak ${Math.round(peakRss / 1048576)} MB` : '';
  refs.usage.textContent = [usage ? `${usage.tokens} tokens · ${usage.cost}` : '', peak].filter(Boolean).join(' · ');
  refs.exit.textContent = w.exitInfo || '';
  refs.notes.replaceChildren(...w.notes.map((n) => h('li', { text: n })));
  const conflicts = [
    ...(w.radar.integration.length ? [`integration: ${w.radar.integration.join(', ')}`] : []),
    ...Object.entries(w.radar.workers)
      .filter(([, f]) => f.length)
      .map(([o, f]) => `${o}: ${f.join(', ')}`),
  ];
  refs.radar.textContent = conflicts.length ? `conflict radar: ${conflicts.join('; ')}` : 'conflict radar: clear';
  refs.radar.classList.toggle('conflict', conflicts.length > 0);
  refs.active = ACTIVE.has(w.state);
  if (changed) {
    loadOutput(w.id, refs);
    if (refs.details.open) loadDiff(w.id, refs);
  }
}

async function loadOutput(wid, refs) {
  const sid = state.sid;
  try {
    const o = await api(`/api/sessions/${encodeURIComponent(sid)}/workers/${encodeURIComponent(wid)}/output?lines=60`);
    if (sid === state.sid) {
      const stick = refs.output.scrollTop + refs.output.clientHeight >= refs.output.scrollHeight - 4;
      refs.output.textContent = o.text || `(no output yet: ${o.source})`;
      refs.output.dataset.source = o.source;
      if (stick) refs.output.scrollTop = refs.output.scrollHeight;
    }
  } catch (err) {
    refs.output.textContent = String(err.message);
  }
}

async function loadLead() {
  const sid = state.sid;
  const pre = $('lead-output');
  try {
    const o = await api(`/api/sessions/${encodeURIComponent(sid)}/lead/output?lines=60`);
    if (sid !== state.sid) return;
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = o.text || `(no output yet: ${o.source})`;
    pre.dataset.source = o.source;
    if (stick) pre.scrollTop = pre.scrollHeight;
  } catch (err) {
    pre.textContent = String(err.message);
  }
}

async function loadDiff(wid, refs) {
  const sid = state.sid;
  try {
    const d = await api(`/api/sessions/${encodeURIComponent(sid)}/workers/${encodeURIComponent(wid)}/diff`);
    if (sid !== state.sid) return;
    refs.diffStat.textContent = `diff ${d.shortstat || '(no changes)'}`;
    refs.diff.textContent =
      (d.stat ? `${d.stat}\n\n` : '') + (d.patch || '(no changes)') + (d.truncated ? '\n… (cut)' : '');
  } catch (err) {
    refs.diff.textContent = String(err.message);
  }
}

function renderVerifies(verifies) {
  const box = $('verifies');
  if (!verifies.length) {
    box.replaceChildren(h('p', { class: 'muted', text: 'No verify has run.' }));
    return;
  }
  box.replaceChildren(
    ...verifies.map((v) =>
      h(
        'div',
        { class: 'verify', 'data-verify': String(v.id) },
        h(
          'div',
          {},
          h('span', { class: 'badge', 'data-state': v.status, text: v.status }),
          ' on ',
          h('span', { class: 'mono', text: v.commit.slice(0, 10) }),
        ),
        h(
          'table',
          {},
          h(
            'tr',
            {},
            h('th', { text: 'command' }),
            h('th', { text: 'exit' }),
            h('th', { text: 'ms' }),
            h('th', { text: 'output tail' }),
          ),
          ...v.results.map((r) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono', text: r.command }),
              h('td', { text: r.timedOut ? 'timeout' : String(r.exitCode) }),
              h('td', { text: String(Math.round(r.durationMs)) }),
              h('td', {}, h('pre', { text: r.tail })),
            ),
          ),
        ),
      ),
    ),
  );
}

// Output of running workers is not in the event log: poll it while they run.
setInterval(() => {
  for (const [wid, refs] of state.cards) if (refs.active) loadOutput(wid, refs);
  if (state.leadActive) loadLead();
}, 1000);
setInterval(updateTimes, 10_000);
setInterval(() => loadSessions().catch(() => {}), 5000);

window.addEventListener('hashchange', () => openSession(selectedFromHash()));
if (selectedFromHash()) openSession(selectedFromHash());
loadSessions().catch((err) => setConn(`error: ${err.message}`));

/** The "needs you" list: each open ticket with its question (as text) and an answer box. */
async function loadQuestions(sid) {
  const d = await api(`/api/sessions/${encodeURIComponent(sid)}/questions`);
  if (sid !== state.sid) return;
  const box = $('questions');
  if (!d.questions.length) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No open questions.'));
    return;
  }
  // Keep what the user is typing: only rebuild when the set of tickets changed.
  const key = d.questions.map((q) => q.ticket).join(',');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...d.questions.map((q) => questionCard(sid, q)));
}

function questionCard(sid, q) {
  const input = h('textarea', { rows: '2', 'aria-label': `answer to ${q.ticket}` });
  const status = h('span', { class: 'muted' });
  const send = h('button', { type: 'button' }, 'Answer');
  send.addEventListener('click', async () => {
    const answer = input.value.trim();
    if (!answer) return;
    send.disabled = true;
    const r = await fetch(`/api/sessions/${encodeURIComponent(sid)}/questions/${encodeURIComponent(q.ticket)}/answer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ answer }),
      cache: 'no-store',
    }).catch((e) => ({ ok: false, json: async () => ({ message: String(e) }) }));
    const body = await r.json().catch(() => ({}));
    status.textContent = r.ok ? `sent to ${q.worker}` : `not sent: ${body.message || 'error'}`;
    send.disabled = r.ok;
  });
  const head = `${q.ticket} · ${q.worker} · ${q.category} · ${q.urgency}${q.escalated ? ' · escalated' : ''}`;
  return h(
    'div',
    { class: 'question' },
    h('div', { class: 'mono' }, head),
    h('pre', { class: 'output' }, q.question),
    input,
    h('div', {}, send, ' ', status),
  );
}

/** The review panels: each worker's latest verdict and held merge, and the gate's rounds (all text as text). */
async function loadReview(sid) {
  const d = await api(`/api/sessions/${encodeURIComponent(sid)}/review`);
  if (sid !== state.sid) return;
  for (const [wid, refs] of state.cards) renderWorkerReview(sid, refs, d.workers[wid]);
  renderGate(d.gate);
}

function verdictBlock(v) {
  const head = h(
    'div',
    { class: 'verdict-head' },
    h('span', { class: 'mono', text: v.reviewer }),
    v.perspective ? ` (${v.perspective}) ` : ' ',
    v.verdict
      ? h('span', { class: 'badge', 'data-verdict': v.verdict, text: v.verdict })
      : h('span', {
          class: 'badge',
          'data-state': v.status,
          text: v.status === 'pending' ? 'awaiting verdict' : 'no verdict',
        }),
    v.risk ? ' risk ' : '',
    v.risk ? h('span', { class: 'badge', 'data-risk': v.risk, text: v.risk }) : '',
  );
  const criteria = h(
    'ul',
    { class: 'criteria' },
    ...v.criteria.map((c) =>
      h(
        'li',
        { 'data-met': c.met === null ? 'unknown' : String(c.met) },
        h('span', { class: 'mark', text: c.met === null ? '?' : c.met ? 'met' : 'NOT MET' }),
        ' ',
        h('span', { class: 'mono', text: c.id }),
        c.text ? ` ${c.text}` : '',
        c.evidence ? h('div', { class: 'evidence muted', text: c.evidence }) : null,
      ),
    ),
  );
  const findings = h(
    'ul',
    { class: 'findings' },
    ...v.findings.map((f) =>
      h(
        'li',
        { 'data-severity': f.severity },
        h('span', { class: 'badge', 'data-risk': f.severity, text: f.severity }),
        ' ',
        h('span', { class: 'mono', text: `${f.file}${f.line !== null ? `:${f.line}` : ''}` }),
        ' ',
        f.text,
      ),
    ),
  );
  return h('div', { class: 'verdict', 'data-review': String(v.review) }, head, criteria, findings);
}

function renderWorkerReview(sid, refs, r) {
  const box = refs.review;
  if (!r) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  // Rebuild only on change, so a reason being typed into the reject box is kept.
  const key = JSON.stringify(r);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(
    h('div', { class: 'muted', text: 'review' }),
    r.review ? verdictBlock(r.review) : h('p', { class: 'muted', text: 'No verdict on this change.' }),
    r.approval ? approvalBox(sid, r.approval) : null,
  );
}

/** What became of an approved merge, from the Approve answer (outcome: merged, not_merged, merging, on_resume). */
function approvedText(b) {
  if (b.outcome === 'merged')
    return `approved and merged${b.commit ? ` (${b.commit.slice(0, 10)})` : ''}; the lead is told`;
  if (b.outcome === 'not_merged') return `approved, but not merged: ${b.note || b.status}; the lead is told`;
  if (b.outcome === 'on_resume') return 'approved; it is merged when the session is resumed';
  return 'approved; the supervisor merges it at its next pass';
}

function approvalBox(sid, a) {
  const line = `risk ${a.risk || 'unknown'}: ${a.reason}`;
  if (!a.awaiting) {
    const outcome =
      a.status === 'merged'
        ? `merged by your approval${a.commit ? ` (${a.commit.slice(0, 10)})` : ''}`
        : a.status === 'approved'
          ? a.note
            ? `approved, but not merged: ${a.note}`
            : 'approved; crewmux is merging it'
          : `${a.status}${a.note ? `: ${a.note}` : ''}`;
    return h(
      'div',
      { class: 'approval', 'data-approval': a.status },
      h('div', { text: `merge held (${line})` }),
      h('div', { text: outcome }),
    );
  }
  const reason = h('textarea', {
    rows: '2',
    'aria-label': `why reject ${a.worker}`,
    placeholder: 'why (the lead is told)',
  });
  const status = h('span', { class: 'muted' });
  const approve = h('button', { type: 'button', 'data-action': 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', 'data-action': 'reject' }, 'Reject');
  const send = async (kind, body) => {
    approve.disabled = reject.disabled = true;
    if (kind === 'approve') status.textContent = 'approving; waiting for the merge';
    const r = await fetch(
      `/api/sessions/${encodeURIComponent(sid)}/approvals/${encodeURIComponent(a.worker)}/${kind}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
      },
    ).catch((e) => ({ ok: false, json: async () => ({ message: String(e) }) }));
    const b = await r.json().catch(() => ({}));
    status.textContent = r.ok
      ? kind === 'approve'
        ? approvedText(b)
        : 'rejected; the lead is told why'
      : `not sent: ${b.message || 'error'}`;
    if (r.ok && b.outcome) status.dataset.outcome = b.outcome;
    approve.disabled = reject.disabled = r.ok;
    if (r.ok) scheduleRefresh(0);
  };
  approve.addEventListener('click', () => send('approve', {}));
  reject.addEventListener('click', () => {
    const why = reason.value.trim();
    if (!why) {
      status.textContent = 'say why you reject it; the lead is told';
      return;
    }
    send('reject', { reason: why });
  });
  return h(
    'div',
    { class: 'approval', 'data-approval': 'awaiting' },
    h('div', { class: 'needs', text: `merge awaits your approval (${line})` }),
    reason,
    h('div', {}, approve, ' ', reject, ' ', status),
  );
}

function renderGate(g) {
  const box = $('gate');
  const key = JSON.stringify(g);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  if (!g) {
    box.replaceChildren(h('p', { class: 'muted', text: 'No review gate.' }));
    return;
  }
  const of = g.maxRounds ? ` of ${g.maxRounds}` : '';
  const last = g.rounds[g.rounds.length - 1];
  const head = h(
    'div',
    { class: 'gate-head' },
    last
      ? `round ${last.round}${of}: `
      : `reviewers ${g.reviewers.join(', ')}; no round yet (it starts when the lead calls mark_goal_done)`,
    last ? h('span', { class: 'badge', 'data-state': last.status, text: last.status }) : null,
  );
  box.replaceChildren(
    head,
    ...g.rounds.map((r) =>
      h(
        'details',
        { class: 'gate-round', 'data-round': String(r.round), ...(r === last ? { open: '' } : {}) },
        h(
          'summary',
          {},
          `round ${r.round}${of} · ${r.status} on `,
          h('span', { class: 'mono', text: r.head.slice(0, 10) }),
        ),
        ...r.verdicts.map(verdictBlock),
      ),
    ),
  );
}

/*
 * Starling local dashboard — front end.
 *
 * Served by `starling up` / `starling demo --serve` at /ui (this file at /ui/app.js) and embedded in
 * the binary: no build step, no dependencies, no external requests. It talks only to the same-origin
 * JSON API described in the dashboard API contract (/api/summary, /api/sentiment, /api/messages,
 * /api/alerts, /api/dead-letters, /api/replay, /api/queries, /api/health, /api/live, /api/media).
 *
 * How it stays live:
 *   - An EventSource on /api/live receives `head` events whenever the event log grows. Each event
 *     asks for a refresh of the cheap panels (summary, messages, alerts, dead letters, health),
 *     throttled to at most one refresh every 700 ms (a trailing refresh is always run, so the
 *     final state shows). Sentiment is refreshed at most every 5 s.
 *   - While the stream is down the page polls every 10 s; while it is up it still refreshes every
 *     30 s so the time-windowed counters (last 5 min, per-minute chart) roll forward when idle.
 *   - A panel whose JSON did not change is not re-rendered (keeps expanded rows, selection, scroll).
 *
 * Safety: everything from the API is user content from X. The DOM is built with createElement /
 * textContent / setAttribute only — never innerHTML — and <img> sources must be same-origin.
 * Aggregation happens on the server; the page never fetches the whole event log.
 *
 * Stable hooks for browser tests (ids, classes, data-attributes) are listed in the brief and kept
 * in index.html and the render functions below; do not rename them casually.
 */
'use strict';
(() => {
  const POST_HEADERS = { 'Content-Type': 'application/json', 'X-Starling-Dashboard': '1' };
  const SENTIMENTS = ['POSITIVE', 'NEGATIVE', 'NEUTRAL', 'MIXED'];
  const SENTIMENT_COLORS = { POSITIVE: '#2e9d55', NEGATIVE: '#d64545', NEUTRAL: '#9aa3ad', MIXED: '#e0a100' };
  const REPLY_STATUSES = ['sent', 'failed', 'suppressed', 'pending', 'none'];
  const REFRESH_MIN_MS = 700;
  const SENTIMENT_MIN_MS = 5000;
  const POLL_DISCONNECTED_MS = 10000;
  const POLL_CONNECTED_MS = 30000;
  const QUERY_TABLE_MAX_ROWS = 1000;
  const QUERY_CHART_MAX_BARS = 50;

  // Fixed colours for the common detail-types; any other type gets a hue hashed from its name.
  const TYPE_COLORS = {
    MESSAGE_RECEIVED: '#2557d6', MESSAGE_ANALYSED: '#0f9fb0', MESSAGE_ANALYSIS_FAILED: '#c62f2f',
    TWEET_SENT: '#2e9d55', TWEET_FAILED: '#e8590c', REPLY_SUPPRESSED: '#9a6fd6',
    MODERATION_FLAGGED: '#d6336c', TWITTER_TWEETED: '#5aa9e6', TWITTER_FAVOURITED: '#f2a900',
    TWITTER_FOLLOWED: '#74b816', TWITTER_DM_RECEIVED: '#7048e8', TWITTER_UNKNOWN: '#868e96',
  };

  // ---------------------------------------------------------------- DOM helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'style') Object.assign(node.style, v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  /** el('td', {class: 'num'}, 'text', child) — strings always become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    return append(node, children);
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    return append(node, children);
  }
  const swatch = (color) => el('span', { class: 'swatch', style: { background: color } });

  // ---------------------------------------------------------------- formatting
  const nf = new Intl.NumberFormat();
  const nf3 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const nfAny = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
  const fmtInt = (n) => (typeof n === 'number' && isFinite(n) ? nf.format(n) : '–');
  const fmtNum = (n) => (typeof n === 'number' ? (Number.isInteger(n) ? nf.format(n) : nfAny.format(n)) : String(n));

  function fmtTime(value) {
    if (value == null || value === '') return '–';
    const d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  function timeCell(value, cls = 'time') {
    const d = new Date(value);
    return el('td', { class: cls, title: isNaN(d.getTime()) ? null : `${d.toLocaleString()} (${value})` }, fmtTime(value));
  }
  const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  function fmtBytes(b) {
    if (typeof b !== 'number' || !isFinite(b)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let v = b, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
  }
  function fmtDuration(secs) {
    if (typeof secs !== 'number' || !isFinite(secs)) return '–';
    let s = Math.floor(secs);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s}s`].filter(Boolean).join(' ');
  }
  const truncate = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

  function typeColor(t) {
    if (TYPE_COLORS[t]) return TYPE_COLORS[t];
    let h = 0x811c9dc5; // FNV-1a
    for (const ch of String(t)) { h ^= ch.codePointAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
    return `hsl(${h % 360}, ${50 + ((h >>> 9) % 25)}%, ${40 + ((h >>> 17) % 15)}%)`;
  }

  // ---------------------------------------------------------------- API
  function showBanner(text) {
    const b = $('#banner');
    b.textContent = text || '';
    b.hidden = !text;
  }
  const unauthorised = new Set();
  async function api(path, opts = {}) {
    const res = await fetch(path, {
      cache: 'no-store', credentials: 'same-origin', ...opts,
      headers: { Accept: 'application/json', ...(opts.headers || {}) },
    });
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    // The banner stays up while any endpoint last answered 401.
    const key = path.split('?')[0];
    if (res.status === 401) unauthorised.add(key);
    else unauthorised.delete(key);
    showBanner(unauthorised.size
      ? 'Not authorised: this dashboard needs its token. Open /ui?token=<token> once (the token given with --dashboard-token).'
      : '');
    if (!res.ok) throw new Error((body && typeof body.error === 'string' && body.error) || `HTTP ${res.status}`);
    if (body === null || typeof body !== 'object') throw new Error(`unexpected answer from ${path}`);
    return { body, text };
  }
  function setError(name, msg) {
    const box = document.querySelector(`[data-error-for="${name}"]`);
    if (!box) return;
    box.textContent = msg ? `Could not load: ${msg}` : '';
    box.hidden = !msg;
  }
  const lastText = {};
  /** Fetch a panel's JSON and render it, unless it is byte-for-byte what was rendered last time. */
  async function loadPanel(name, path, render) {
    try {
      const { body, text } = await api(path);
      setError(name, null);
      if (lastText[name] !== text) { lastText[name] = text; render(body); }
    } catch (e) {
      setError(name, e.message);
    }
  }

  // ---------------------------------------------------------------- live updates + refresh scheduling
  const PANELS = {
    summary: () => loadPanel('summary', '/api/summary', renderSummary),
    messages: () => loadPanel('messages', '/api/messages?limit=50', renderMessages),
    alerts: () => loadPanel('alerts', '/api/alerts?limit=50', renderAlerts),
    deadLetters: () => loadPanel('deadLetters', '/api/dead-letters', renderDeadLetters),
    health: () => loadPanel('health', '/api/health', renderHealth),
  };
  let connected = false;
  let lastRefresh = 0, refreshTimer = null, refreshing = false, refreshAgain = false;
  let lastSentiment = 0, sentimentTimer = null;

  function requestRefresh() {
    if (refreshing) { refreshAgain = true; return; }
    if (refreshTimer) return;
    refreshTimer = setTimeout(runRefresh, Math.max(0, lastRefresh + REFRESH_MIN_MS - Date.now()));
  }
  async function runRefresh() {
    refreshTimer = null;
    refreshing = true;
    lastRefresh = Date.now();
    requestSentiment();
    await Promise.allSettled(Object.values(PANELS).map((load) => load()));
    refreshing = false;
    if (refreshAgain) { refreshAgain = false; requestRefresh(); }
  }
  function requestSentiment() {
    if (sentimentTimer) return;
    sentimentTimer = setTimeout(() => {
      sentimentTimer = null;
      lastSentiment = Date.now();
      loadPanel('sentiment', '/api/sentiment?hours=24', renderSentiment);
    }, Math.max(0, lastSentiment + SENTIMENT_MIN_MS - Date.now()));
  }

  function setLive(on) {
    connected = on;
    const s = $('#live-status');
    s.dataset.state = on ? 'connected' : 'disconnected';
    $('.live-text', s).textContent = on ? 'live' : 'disconnected';
  }
  function setHead(n) { $('#head').textContent = String(n); }

  function connectLive() {
    if (typeof EventSource === 'undefined') { setLive(false); return; }
    const es = new EventSource('/api/live');
    es.addEventListener('open', () => setLive(true));
    es.addEventListener('head', (ev) => {
      setLive(true);
      try {
        const d = JSON.parse(ev.data);
        if (d && typeof d.head === 'number') setHead(d.head);
      } catch (_) { /* a malformed event still triggers a refresh */ }
      requestRefresh();
    });
    es.addEventListener('error', () => {
      setLive(false);
      // The browser reconnects by itself unless the stream was refused (e.g. 401): then retry later.
      if (es.readyState === EventSource.CLOSED) { es.close(); setTimeout(connectLive, 5000); }
    });
  }

  // ---------------------------------------------------------------- charts (inline SVG)
  function niceScale(max) {
    if (!(max > 0)) return { top: 4, step: 1 };
    const raw = max / 4;
    const p = 10 ** Math.floor(Math.log10(raw));
    const n = raw / p;
    const step = Math.max(1, (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p);
    return { top: Math.ceil(max / step) * step, step };
  }

  /**
   * Vertical stacked bars. bars: [{label (x-axis text or null), title (tooltip), counts: {key: n}}];
   * keys: stacking order bottom-up; color(key) → CSS colour.
   */
  function stackedBars(container, { bars, keys, color, emptyText, height = 170 }) {
    const W = Math.max(320, Math.round(container.clientWidth || 640));
    const H = height;
    const m = { l: 36, r: 6, t: 8, b: 20 };
    const iw = W - m.l - m.r, ih = H - m.t - m.b;
    const totals = bars.map((b) => keys.reduce((s, k) => s + (b.counts[k] || 0), 0));
    const { top, step } = niceScale(Math.max(0, ...totals));
    const y = (v) => m.t + ih - (v / top) * ih;
    const bw = iw / Math.max(1, bars.length);
    const gap = bw > 6 ? Math.min(3, bw * 0.2) : 0.5;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img' });
    for (let v = 0; v <= top + 1e-9; v += step) {
      root.append(
        svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }),
        svg('text', { x: m.l - 5, y: y(v) + 3, 'text-anchor': 'end' }, fmtInt(v)),
      );
    }
    bars.forEach((b, i) => {
      const x = m.l + i * bw;
      const g = svg('g', { class: 'bar' }, svg('title', null, b.title));
      g.append(svg('rect', { class: 'hit', x, y: m.t, width: bw, height: ih }));
      let acc = 0;
      for (const k of keys) {
        const v = b.counts[k] || 0;
        if (v <= 0) continue;
        const y0 = y(acc), y1 = y(acc + v);
        g.append(svg('rect', { x: x + gap / 2, y: y1, width: Math.max(0.5, bw - gap), height: Math.max(0.5, y0 - y1), fill: color(k) }));
        acc += v;
      }
      root.append(g);
      if (b.label) root.append(svg('text', { x: x + bw / 2, y: H - 5, 'text-anchor': 'middle' }, b.label));
    });
    root.append(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: m.t + ih, y2: m.t + ih }));
    if (totals.every((t) => t === 0) && emptyText) {
      root.append(svg('text', { class: 'empty-note', x: m.l + iw / 2, y: m.t + ih / 2, 'text-anchor': 'middle' }, emptyText));
    }
    container.replaceChildren(root);
  }

  /** Horizontal bars, one per item {label, value}; negative values grow left of zero. */
  function horizontalBars(container, items, color) {
    const W = Math.max(320, Math.round(container.clientWidth || 480));
    const rowH = 18, labelW = Math.min(220, Math.round(W * 0.36)), valueW = 70;
    const H = items.length * rowH + 8;
    const vals = items.map((it) => it.value).filter((v) => typeof v === 'number' && isFinite(v));
    const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
    const span = hi - lo || 1;
    const x = (v) => labelW + ((v - lo) / span) * (W - labelW - valueW);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img' });
    root.append(svg('line', { class: 'axis', x1: x(0), x2: x(0), y1: 2, y2: H - 4 }));
    items.forEach((it, i) => {
      const y = 4 + i * rowH;
      const v = it.value;
      const shown = typeof v === 'number' ? fmtNum(v) : 'NULL';
      const g = svg('g', { class: 'bar' }, svg('title', null, `${it.label}: ${shown}`));
      g.append(svg('rect', { class: 'hit', x: 0, y, width: W, height: rowH }));
      g.append(svg('text', { x: labelW - 6, y: y + 12, 'text-anchor': 'end' }, truncate(it.label, 32)));
      if (typeof v === 'number' && isFinite(v)) {
        const x0 = x(Math.min(0, v)), x1 = x(Math.max(0, v));
        g.append(svg('rect', { x: x0, y: y + 3, width: Math.max(1, x1 - x0), height: rowH - 6, fill: color, rx: 2 }));
      }
      g.append(svg('text', { x: x(Math.max(0, typeof v === 'number' ? v : 0)) + 4, y: y + 12 }, shown));
      root.append(g);
    });
    container.replaceChildren(root);
  }

  // ---------------------------------------------------------------- overview: counters + minute chart
  let minuteData = null;
  function renderSummary(s) {
    if (typeof s.head === 'number') setHead(s.head);
    const types = Array.isArray(s.types) ? s.types : [];
    const rows = types.map((t) => el('tr', { 'data-detail-type': t.detailType },
      el('td', null, swatch(typeColor(t.detailType)), t.detailType),
      el('td', { class: 'total' }, String(t.total ?? 0)),
      el('td', { class: 'num' }, fmtInt(t.last5m)),
      el('td', { class: 'num' }, fmtInt(t.lastHour)),
      el('td', { class: 'num' }, fmtInt(t.lastDay))));
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'empty', colspan: 5 }, 'No events yet.')));
    $('#counters tbody').replaceChildren(...rows);
    const sum = (f) => types.reduce((a, t) => a + (t[f] || 0), 0);
    $('#counters tfoot').replaceChildren(types.length > 1 ? el('tr', null, el('td', null, 'All types'),
      ...['total', 'last5m', 'lastHour', 'lastDay'].map((f) => el('td', { class: 'num' }, fmtInt(sum(f))))) : '');

    // Keys: the summary's (sorted) detail-types, then any type seen only in the minute buckets.
    const minutes = Array.isArray(s.minutes) ? s.minutes : [];
    const keys = types.map((t) => t.detailType);
    for (const mb of minutes) for (const k of Object.keys(mb.counts || {})) if (!keys.includes(k)) keys.push(k);
    minuteData = { minutes, keys };
    drawMinuteChart();
    const seen = keys.filter((k) => minutes.some((mb) => (mb.counts || {})[k] > 0));
    $('#minute-legend').replaceChildren(...seen.map((k) => el('li', null, swatch(typeColor(k)), k)));
  }
  function drawMinuteChart() {
    if (!minuteData) return;
    const { minutes, keys } = minuteData;
    const bars = minutes.map((mb) => {
      const counts = mb.counts || {};
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const lines = keys.filter((k) => counts[k]).map((k) => `${k}: ${fmtInt(counts[k])}`);
      const d = new Date(mb.minuteMs);
      return {
        counts,
        label: d.getMinutes() % 10 === 0 ? hhmm(mb.minuteMs) : null,
        title: [`${hhmm(mb.minuteMs)} — ${fmtInt(total)} event${total === 1 ? '' : 's'}`, ...lines].join('\n'),
      };
    });
    stackedBars($('#minute-chart'), { bars, keys, color: typeColor, emptyText: 'No events in the last 60 minutes' });
  }

  // ---------------------------------------------------------------- overview: sentiment
  let sentimentData = null;
  function renderSentiment(s) {
    sentimentData = Array.isArray(s.buckets) ? s.buckets : [];
    drawSentimentChart();
    $('#sentiment-legend').replaceChildren(...SENTIMENTS.map((k) => el('li', null, swatch(SENTIMENT_COLORS[k]), k)));
    const langs = Array.isArray(s.byLanguage) ? s.byLanguage : [];
    const rows = langs.map((l) => {
      const total = l.total || SENTIMENTS.reduce((a, k) => a + (l[k] || 0), 0);
      const dist = el('div', { class: 'distbar' }, SENTIMENTS.filter((k) => l[k] > 0).map((k) => el('span', {
        title: `${k}: ${fmtInt(l[k])} (${Math.round((l[k] / total) * 100)}%)`,
        style: { width: `${(l[k] / total) * 100}%`, background: SENTIMENT_COLORS[k] },
      })));
      return el('tr', { 'data-language': l.language ?? '' },
        el('td', null, l.language || el('span', { class: 'muted' }, 'unknown')),
        el('td', { class: 'num' }, fmtInt(total)),
        ...SENTIMENTS.map((k) => el('td', { class: 'num' }, fmtInt(l[k] || 0))),
        el('td', { class: 'dist' }, dist));
    });
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'empty', colspan: 7 }, 'No analysed messages in the last 24 h.')));
    $('#sentiment-by-language tbody').replaceChildren(...rows);
  }
  function drawSentimentChart() {
    if (!sentimentData) return;
    const bars = sentimentData.map((b) => {
      const d = new Date(b.hourMs);
      const total = SENTIMENTS.reduce((a, k) => a + (b[k] || 0), 0);
      const day = d.toLocaleDateString([], { weekday: 'short' });
      return {
        counts: b,
        label: d.getHours() % 3 === 0 ? hhmm(b.hourMs) : null,
        title: [`${day} ${hhmm(b.hourMs)}–${hhmm(b.hourMs + 3600e3)} — ${fmtInt(total)} message${total === 1 ? '' : 's'}`,
          ...SENTIMENTS.map((k) => `${k}: ${fmtInt(b[k] || 0)}`)].join('\n'),
      };
    });
    stackedBars($('#sentiment-chart'), { bars, keys: SENTIMENTS, color: (k) => SENTIMENT_COLORS[k], emptyText: 'No analysed messages in the last 24 h' });
  }

  // ---------------------------------------------------------------- messages
  const expanded = new Set();
  let messagesById = new Map();

  function sentimentBadge(m) {
    if (m.analysis === 'failed') return el('span', { class: 'badge failed', title: m.analysisError || '' }, 'analysis failed');
    if (m.analysis === 'pending' || (!m.sentiment && m.analysis !== 'analysed')) return el('span', { class: 'badge pending' }, 'pending');
    if (!m.sentiment) return el('span', { class: 'muted' }, '–');
    return el('span', { class: `badge ${SENTIMENTS.includes(m.sentiment) ? m.sentiment : 'none'}` }, m.sentiment);
  }
  function replyBadge(reply) {
    const st = (reply && reply.status) || 'none';
    return el('span', { class: `badge ${REPLY_STATUSES.includes(st) ? st : 'none'}`, title: (reply && reply.reason) || null }, st);
  }
  function renderMessages(body) {
    const msgs = Array.isArray(body.messages) ? body.messages : [];
    messagesById = new Map(msgs.map((m) => [String(m.tweetId), m]));
    const rows = [];
    for (const m of msgs) {
      const id = String(m.tweetId);
      const open = expanded.has(id);
      const text = m.text || '';
      rows.push(el('tr', { class: open ? 'message open' : 'message', 'data-tweet-id': id, tabindex: 0, 'aria-expanded': String(open) },
        timeCell(m.createdAt || m.receivedAt),
        el('td', null, m.author ? `@${m.author}` : el('span', { class: 'muted' }, m.userId || '–')),
        el('td', { class: 'text', title: text }, truncate(text.replace(/\s+/g, ' '), 160)),
        el('td', null, m.language || '–'),
        el('td', null, sentimentBadge(m)),
        el('td', null, replyBadge(m.reply))));
      if (open) rows.push(messageDetail(m));
    }
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'empty', colspan: 6 }, 'No messages yet.')));
    $('#messages tbody').replaceChildren(...rows);
  }
  function toggleMessage(tr) {
    const id = tr.dataset.tweetId;
    const m = messagesById.get(id);
    if (!m) return;
    const next = tr.nextElementSibling;
    if (expanded.has(id)) {
      expanded.delete(id);
      if (next && next.classList.contains('message-detail')) next.remove();
      tr.classList.remove('open');
      tr.setAttribute('aria-expanded', 'false');
    } else {
      expanded.add(id);
      tr.after(messageDetail(m));
      tr.classList.add('open');
      tr.setAttribute('aria-expanded', 'true');
    }
  }
  const kv = (pairs) => el('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
  function sameOrigin(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (_) { return false; }
  }
  function messageDetail(m) {
    const sc = m.scores;
    const scores = sc ? el('span', { class: 'scores' }, ['positive', 'negative', 'neutral', 'mixed'].map((k) =>
      el('span', null, el('span', { class: 'muted' }, `${k} `), typeof sc[k] === 'number' ? nf3.format(sc[k]) : '–'))) : '–';
    const labels = Array.isArray(m.labels) && m.labels.length ? el('span', { class: 'chips' }, m.labels.map((l) => el('span', { class: 'chip' }, l))) : '–';
    const faces = Array.isArray(m.faces) && m.faces.length ? el('span', { class: 'chips' }, m.faces.map((f) => el('span', { class: 'chip' },
      f.name || el('span', { class: 'muted' }, 'unknown face'), typeof f.confidence === 'number' ? ` ${f.confidence.toFixed(1)}%` : ''))) : '–';
    const left = el('div', null,
      el('pre', { class: 'fulltext' }, m.text || ''),
      kv([
        ['Tweet', el('code', null, String(m.tweetId))],
        ['Author', [m.author ? `@${m.author}` : '–', el('span', { class: 'muted' }, ` · user ${m.userId || '–'}`)]],
        ['Created', fmtTime(m.createdAt)],
        ['Received', [fmtTime(m.receivedAt), m.source ? el('span', { class: 'muted' }, ` via ${m.source}`) : '']],
        ['Language', m.language || '–'],
        ['Analysis', [sentimentBadge(m), ' ', el('span', { class: 'muted' }, m.analysis || '')]],
        m.analysisError && ['Error', el('span', { class: 'err-text' }, m.analysisError)],
        ['Provider', m.provider || '–'],
        ['Scores', scores],
        ['Labels', labels],
        ['Faces', faces],
      ]));
    const r = m.reply || { status: 'none' };
    const images = Array.isArray(r.images) ? r.images : [];
    const imgs = images.length ? el('div', { class: 'reply-images' }, images.map((src, i) => (sameOrigin(src)
      ? el('img', { class: 'reply-image', src, alt: `Annotated image ${i + 1} of the reply` })
      : el('span', { class: 'muted' }, `(external image not loaded: ${src})`)))) : null;
    const noReply = (r.reason || r.detail) ? [r.reason || '', r.reason && r.detail ? ' — ' : '', r.detail || ''] : null;
    const right = el('div', null,
      el('h3', null, 'Reply'),
      kv([
        ['Status', replyBadge(r)],
        r.text && ['Text', el('div', { class: 'reply-text' }, r.text)],
        r.replyTweetId && ['Reply id', el('code', null, r.replyTweetId)],
        noReply && ['Why not', el('span', { class: r.status === 'failed' ? 'err-text' : '' }, noReply)],
        !r.text && !noReply && !imgs && ['', el('span', { class: 'muted' }, r.status === 'pending' ? 'Reply not decided yet.' : 'No reply.')],
      ]),
      imgs);
    return el('tr', { class: 'message-detail', 'data-tweet-id': String(m.tweetId) },
      el('td', { colspan: 6 }, el('div', { class: 'detail-grid' }, left, right)));
  }

  // ---------------------------------------------------------------- alerts
  function renderAlerts(body) {
    const alerts = Array.isArray(body.alerts) ? body.alerts : [];
    const items = alerts.map((a) => {
      const attrs = a.attributes && typeof a.attributes === 'object' ? Object.entries(a.attributes) : [];
      return el('li', { class: 'alert' },
        el('div', { class: 'alert-head' }, el('span', { class: 'subject' }, a.subject || '(no subject)'),
          el('span', { class: 'when', title: a.time || '' }, fmtTime(a.time))),
        el('div', { class: 'message-body' }, a.message || ''),
        attrs.length ? el('div', { class: 'chips' }, attrs.map(([k, v]) =>
          el('span', { class: 'chip' }, el('span', { class: 'muted' }, `${k}=`), typeof v === 'string' ? v : JSON.stringify(v)))) : null);
    });
    if (!items.length) items.push(el('li', { class: 'empty' }, 'No alerts.'));
    $('#alerts').replaceChildren(...items);
  }

  // ---------------------------------------------------------------- dead letters + redrive
  function renderDeadLetters(body) {
    const routes = Array.isArray(body.routes) ? body.routes : [];
    const letters = Array.isArray(body.deadLetters) ? body.deadLetters : [];
    const box = $('#dead-letter-routes');
    box.replaceChildren(...(routes.length ? routes.map((r) => el('span', { class: 'route-count', 'data-route': r.route },
      r.route, el('span', { class: 'n' }, fmtInt(r.count)),
      el('button', { type: 'button', class: 'redrive small', 'data-route': r.route }, 'Redrive')))
      : [el('span', { class: 'muted' }, 'No dead letters.')]));
    const rows = letters.map((d) => el('tr', { class: 'dead-letter', 'data-route': d.route, 'data-id': d.id },
      el('td', null, d.route),
      el('td', null, d.detailType || '–', el('span', { class: 'muted' }, d.eventSeq != null ? ` #${d.eventSeq}` : '')),
      el('td', { class: 'num' }, fmtInt(d.attempts)),
      el('td', { class: 'err-text', title: d.error || '' }, truncate(d.error || '', 400)),
      timeCell(d.failedAt),
      el('td', null, d.redriveQueued ? el('span', { class: 'badge pending' }, 'queued') : el('span', { class: 'muted' }, 'no'))));
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'empty', colspan: 6 }, 'No dead letters.')));
    $('#dead-letters tbody').replaceChildren(...rows);
  }
  let redriving = false;
  async function redrive(route) {
    if (redriving) return;
    redriving = true;
    const status = $('#redrive-status');
    const buttons = document.querySelectorAll('button.redrive, #redrive-all');
    buttons.forEach((b) => { b.disabled = true; });
    status.className = 'status';
    status.textContent = 'redriving…';
    try {
      const { body } = await api('/api/dead-letters/redrive', {
        method: 'POST', headers: POST_HEADERS, body: JSON.stringify(route ? { route } : {}),
      });
      status.className = 'status ok';
      status.textContent = `queued ${fmtInt(body.queued)} (${route || 'all routes'})`;
    } catch (e) {
      status.className = 'status bad';
      status.textContent = `Redrive failed: ${e.message}`;
    } finally {
      redriving = false;
      document.querySelectorAll('button.redrive, #redrive-all').forEach((b) => { b.disabled = false; });
    }
    // The redeliveries run asynchronously: watch the list settle over the next seconds.
    for (const ms of [250, 1000, 2000, 3500, 6000, 10000, 15000]) setTimeout(() => { PANELS.deadLetters(); PANELS.health(); }, ms);
  }

  // ---------------------------------------------------------------- replay
  function parseLocalInput(v) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(v || '');
    if (!m) return null;
    const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0), m[7] ? +m[7].padEnd(3, '0') : 0);
    return isNaN(d.getTime()) ? null : d;
  }
  function toLocalInput(d) {
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }
  const isoUtc = (d) => d.toISOString().replace('.000Z', 'Z');

  function initReplay() {
    const form = $('#replay-form');
    const now = new Date();
    now.setSeconds(0, 0);
    form.elements.from.value = toLocalInput(new Date(now.getTime() - 3600e3));
    form.elements.to.value = toLocalInput(new Date(now.getTime() + 60e3));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const out = $('#replay-result');
      const from = parseLocalInput(form.elements.from.value);
      const to = parseLocalInput(form.elements.to.value);
      if (!from || !to) { out.className = 'status bad'; out.textContent = 'Enter both times.'; return; }
      if (from >= to) { out.className = 'status bad'; out.textContent = '"From" must be before "To".'; return; }
      const route = form.elements.route.value || null;
      const submit = $('button[type="submit"]', form);
      submit.disabled = true;
      out.className = 'status';
      out.textContent = 'replaying…';
      try {
        const { body } = await api('/api/replay', {
          method: 'POST', headers: POST_HEADERS, body: JSON.stringify({ from: isoUtc(from), to: isoUtc(to), route }),
        });
        const queued = Array.isArray(body.queued) ? body.queued : [];
        out.className = 'status ok';
        out.replaceChildren(`${fmtInt(body.events)} event${body.events === 1 ? '' : 's'} in ${isoUtc(from)} – ${isoUtc(to)}; queued ${fmtInt(body.total)} deliveries`,
          queued.length ? `: ${queued.map((q) => `${q.route} ${fmtInt(q.count)}`).join(', ')}` : '', '.');
        setTimeout(PANELS.health, 500);
      } catch (e) {
        out.className = 'status bad';
        out.textContent = `Replay failed: ${e.message}`;
      } finally {
        submit.disabled = false;
      }
    });
  }
  function fillRouteSelect(routes) {
    const sel = $('#replay-form select[name="route"]');
    const names = routes.map((r) => r.route);
    const current = [...sel.options].slice(1).map((o) => o.value);
    if (names.join('\n') === current.join('\n')) return;
    const chosen = sel.value;
    sel.replaceChildren(el('option', { value: '' }, 'all routes'), ...names.map((n) => el('option', { value: n }, n)));
    sel.value = names.includes(chosen) ? chosen : '';
  }

  // ---------------------------------------------------------------- queries
  let queries = [];
  let queryResult = null;
  async function loadQueries() {
    const sel = $('#query-select'), run = $('#query-run'), meta = $('#query-meta');
    try {
      const { body } = await api('/api/queries');
      setError('queries', null);
      queries = Array.isArray(body.queries) ? body.queries : [];
      sel.replaceChildren(...queries.map((q) => el('option', { value: q.name, title: q.question || q.file || '' }, q.name)));
      if (body.available === false) {
        sel.disabled = true; run.disabled = true;
        meta.className = 'status bad';
        meta.textContent = `Queries unavailable: ${body.reason || 'this build has no SQL engine'}`;
      } else {
        sel.disabled = false; run.disabled = queries.length === 0;
        meta.className = 'status';
        meta.textContent = queries.length ? '' : 'No queries found.';
      }
      showQuestion();
    } catch (e) {
      setError('queries', e.message);
    }
  }
  function showQuestion() {
    const q = queries.find((x) => x.name === $('#query-select').value);
    $('#query-question').textContent = q ? (q.question || '') + (q.file ? `  (${q.file})` : '') : '';
  }
  async function runQuery() {
    const name = $('#query-select').value;
    if (!name) return;
    const run = $('#query-run'), meta = $('#query-meta');
    run.disabled = true;
    meta.className = 'status';
    meta.textContent = 'running…';
    try {
      const { body } = await api(`/api/queries/${encodeURIComponent(name)}`);
      queryResult = body;
      renderQueryResult(body);
      const n = Array.isArray(body.rows) ? body.rows.length : 0;
      meta.className = 'status ok';
      meta.textContent = `${fmtInt(n)} row${n === 1 ? '' : 's'} · ${typeof body.elapsedMs === 'number' ? body.elapsedMs.toFixed(1) : '?'} ms`;
    } catch (e) {
      queryResult = null;
      $('#query-result thead').replaceChildren();
      $('#query-result tbody').replaceChildren();
      $('#query-chart').replaceChildren();
      $('#query-chart-column').replaceChildren();
      meta.className = 'status bad';
      meta.textContent = `Query failed: ${e.message}`;
    } finally {
      run.disabled = false;
    }
  }
  function numericColumns(columns, rows) {
    return columns.map((_, i) => i).filter((i) => {
      let seen = false;
      for (const r of rows) {
        const v = r[i];
        if (v == null) continue;
        if (typeof v !== 'number') return false;
        seen = true;
      }
      return seen;
    });
  }
  function renderQueryResult(res) {
    const columns = Array.isArray(res.columns) ? res.columns : [];
    const rows = Array.isArray(res.rows) ? res.rows : [];
    const numeric = numericColumns(columns, rows);
    $('#query-result thead').replaceChildren(el('tr', null, columns.map((c, i) => el('th', { class: numeric.includes(i) ? 'num' : null }, c))));
    const body = rows.slice(0, QUERY_TABLE_MAX_ROWS).map((r) => el('tr', null, columns.map((_, i) => {
      const v = r[i];
      if (v == null) return el('td', { class: 'muted' }, 'NULL');
      return el('td', { class: typeof v === 'number' ? 'num' : null }, typeof v === 'object' ? JSON.stringify(v) : fmtNum(v));
    })));
    if (rows.length > QUERY_TABLE_MAX_ROWS) {
      body.push(el('tr', null, el('td', { class: 'empty', colspan: columns.length }, `… ${fmtInt(rows.length - QUERY_TABLE_MAX_ROWS)} more rows not shown`)));
    }
    if (!rows.length) body.push(el('tr', null, el('td', { class: 'empty', colspan: Math.max(1, columns.length) }, 'No rows.')));
    $('#query-result tbody').replaceChildren(...body);
    const sel = $('#query-chart-column');
    sel.replaceChildren(...numeric.map((i) => el('option', { value: i }, columns[i])));
    sel.disabled = numeric.length === 0;
    drawQueryChart();
  }
  function drawQueryChart() {
    const box = $('#query-chart');
    if (!queryResult) { box.replaceChildren(); return; }
    const columns = queryResult.columns || [];
    const rows = queryResult.rows || [];
    const col = parseInt($('#query-chart-column').value, 10);
    if (!rows.length || isNaN(col)) {
      box.replaceChildren(el('p', { class: 'muted' }, rows.length ? 'No numeric column to chart.' : ''));
      return;
    }
    const numeric = numericColumns(columns, rows);
    const labelCol = columns.findIndex((_, i) => !numeric.includes(i));
    const items = rows.slice(0, QUERY_CHART_MAX_BARS).map((r, i) => ({
      label: labelCol >= 0 ? (r[labelCol] == null ? 'NULL' : String(r[labelCol])) : `row ${i + 1}`,
      value: r[col],
    }));
    horizontalBars(box, items, '#2557d6');
    if (rows.length > QUERY_CHART_MAX_BARS) box.append(el('p', { class: 'muted' }, `First ${QUERY_CHART_MAX_BARS} of ${fmtInt(rows.length)} rows charted.`));
  }

  // ---------------------------------------------------------------- health
  function renderHealth(h) {
    if (typeof h.head === 'number') setHead(h.head);
    const routes = Array.isArray(h.routes) ? h.routes : [];
    const lake = h.lake || {}, disk = h.disk || {};
    const stat = (label, value, title) => el('div', { title: title || null }, el('dt', null, label), el('dd', null, value));
    $('#health dl.stats').replaceChildren(
      stat('Log head', fmtInt(h.head)),
      stat('Uptime', fmtDuration(h.uptimeSecs)),
      stat('Retries pending', fmtInt(h.retriesPending), 'Queued redeliveries (replays + redrives)'),
      stat('Lake parts', `${fmtInt(lake.finalParts)} final / ${fmtInt(lake.inProgressParts)} in progress`),
      stat('Lake size', fmtBytes(lake.bytes), typeof lake.bytes === 'number' ? `${fmtInt(lake.bytes)} bytes` : null),
      stat('Data dir', fmtBytes(disk.dataDirBytes), typeof disk.dataDirBytes === 'number' ? `${fmtInt(disk.dataDirBytes)} bytes` : null),
      stat('Free disk', fmtBytes(disk.freeBytes), typeof disk.freeBytes === 'number' ? `${fmtInt(disk.freeBytes)} bytes` : null));
    const rows = routes.map((r) => el('tr', { 'data-route': r.route },
      el('td', null, r.route),
      el('td', { class: 'num' }, fmtInt(r.cursor)),
      el('td', { class: r.lag > 0 ? 'num warn' : 'num' }, fmtInt(r.lag)),
      el('td', { class: r.queued > 0 ? 'num warn' : 'num' }, fmtInt(r.queued)),
      el('td', { class: r.deadLetters > 0 ? 'num bad' : 'num' }, fmtInt(r.deadLetters))));
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'empty', colspan: 5 }, 'No routes.')));
    $('#health tbody').replaceChildren(...rows);
    fillRouteSelect(routes);
  }

  // ---------------------------------------------------------------- navigation (scroll-spy)
  function initNav() {
    const links = [...document.querySelectorAll('nav.sections a')];
    const sections = links.map((a) => document.getElementById(a.getAttribute('href').slice(1)));
    let pending = false;
    const update = () => {
      pending = false;
      const offset = $('.topbar').offsetHeight + 24;
      let idx = 0;
      sections.forEach((s, i) => { if (s && s.getBoundingClientRect().top <= offset) idx = i; });
      if (window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2) idx = sections.length - 1;
      links.forEach((a, i) => a.classList.toggle('active', i === idx));
    };
    window.addEventListener('scroll', () => { if (!pending) { pending = true; requestAnimationFrame(update); } }, { passive: true });
    update();
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    initNav();
    initReplay();
    const tbody = $('#messages tbody');
    tbody.addEventListener('click', (ev) => {
      const tr = ev.target.closest('tr.message');
      if (!tr || String(window.getSelection() || '').length > 0) return;
      toggleMessage(tr);
    });
    tbody.addEventListener('keydown', (ev) => {
      const tr = ev.target.closest('tr.message');
      if (tr && ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); toggleMessage(tr); }
    });
    $('#dead-letters-section').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.redrive');
      if (b) redrive(b.dataset.route);
    });
    $('#redrive-all').addEventListener('click', () => redrive(null));
    $('#query-select').addEventListener('change', showQuestion);
    $('#query-run').addEventListener('click', runQuery);
    $('#query-chart-column').addEventListener('change', drawQueryChart);
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { drawMinuteChart(); drawSentimentChart(); drawQueryChart(); }, 150);
    });

    requestRefresh();
    loadQueries();
    connectLive();
    // Fallback poll: every 10 s without the live stream, every 30 s with it (windows roll forward).
    setInterval(() => {
      const since = Date.now() - lastRefresh;
      if (since >= (connected ? POLL_CONNECTED_MS : POLL_DISCONNECTED_MS)) requestRefresh();
    }, 1000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

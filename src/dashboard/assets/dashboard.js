// The Tributary dashboard page: plain JS, no build step. Data: /api/* (JSON) and /api/events
// (Server-Sent Events, one sample per second); charts: uPlot, served from the package.
'use strict';

const MAX_POINTS = 300;
const COLORS = ['#4fb3ff', '#6fd08c', '#f0a35e', '#e06c75', '#c678dd', '#56b6c2', '#e5c07b', '#98c379', '#d19a66', '#61afef'];
const state = { samples: [], charts: {}, chartKeys: {}, topology: null, operatorOut: null };
window.tributaryDashboard = state;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n >= 1e6 ? (n / 1e6).toFixed(2) + ' M' : n >= 1e4 ? (n / 1e3).toFixed(1) + ' k' : Math.round(n).toLocaleString());
const bytes = (n) => (n >= 1 << 30 ? (n / (1 << 30)).toFixed(2) + ' GiB' : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' B');
const ms = (n) => (n >= 1000 ? (n / 1000).toFixed(2) + ' s' : n.toFixed(n < 10 ? 2 : 0) + ' ms');

async function api(path) {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function el(tag, attrs = {}, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// ---- tabs ---------------------------------------------------------------------------------------

function showTab() {
  const tab = (location.hash || '#overview').slice(1);
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${tab}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.tab === tab);
  if (tab === 'broker') refreshLog();
  if (tab === 'state') loadStores();
}
window.addEventListener('hashchange', showTab);

// ---- topology graph -------------------------------------------------------------------------------

function renderTopology(t) {
  const box = $('topology');
  box.textContent = '';
  const W = 160, H = 34, GX = 40, GY = 12, PAD = 24;
  const byName = new Map(t.nodes.map((n) => [n.name, n]));
  const positions = new Map();
  let y0 = PAD, width = 0;
  const subFrames = [];
  for (const sub of t.subtopologies) {
    // Column = longest path from a source inside the sub-topology.
    const depth = new Map();
    for (const name of sub.nodes) {
      const preds = t.edges.filter((e) => e.to === name && !e.via && sub.nodes.includes(e.from));
      depth.set(name, preds.length ? Math.max(...preds.map((e) => (depth.get(e.from) ?? 0) + 1)) : 0);
    }
    const cols = new Map();
    for (const name of sub.nodes) {
      const d = depth.get(name);
      if (!cols.has(d)) cols.set(d, []);
      cols.get(d).push(name);
    }
    let rows = 0;
    for (const [d, names] of cols) {
      names.forEach((name, i) => positions.set(name, { x: PAD + d * (W + GX), y: y0 + 22 + i * (H + GY) }));
      rows = Math.max(rows, names.length);
      width = Math.max(width, PAD + (d + 1) * (W + GX));
    }
    const h = 22 + rows * (H + GY) + 6;
    subFrames.push({ id: sub.id, y: y0, h, w: Math.max(...[...cols.keys()].map((d) => (d + 1) * (W + GX))) - GX + 16 });
    y0 += h + 18;
  }
  const svg = el('svg:svg', { width: String(width + PAD), height: String(y0), id: 'topology-svg' });
  const defs = el('svg:defs');
  const marker = el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '6', markerHeight: '6', orient: 'auto-start-reverse' });
  marker.append(el('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#5c6b7a' }));
  defs.append(marker);
  svg.append(defs);
  for (const f of subFrames) {
    svg.append(el('svg:rect', { class: 'sub', x: String(PAD - 8), y: String(f.y), width: String(f.w), height: String(f.h), rx: '6' }));
    svg.append(el('svg:text', { class: 'sub-label', x: String(PAD - 2), y: String(f.y + 14) }, `sub-topology ${f.id}`));
  }
  for (const e of t.edges) {
    const a = positions.get(e.from), b = positions.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    const d = e.via
      ? `M ${a.x + W / 2} ${a.y + H} C ${a.x + W / 2} ${a.y + H + 40}, ${b.x + W / 2} ${b.y - 40}, ${b.x + W / 2} ${b.y}`
      : `M ${x1} ${y1} C ${x1 + GX / 2} ${y1}, ${x2 - GX / 2} ${y2}, ${x2} ${y2}`;
    const path = el('svg:path', { class: e.via ? 'edge via' : 'edge', d });
    path.append(el('svg:title', {}, e.via ? `via ${e.via}` : `${e.from} → ${e.to}${e.port ? ` [${e.port}]` : ''}`));
    svg.append(path);
  }
  for (const [name, p] of positions) {
    const n = byName.get(name);
    const cls = n.type === 'source' ? 'source' : n.type === 'sink' ? 'sink' : n.stores.length ? 'stateful' : '';
    const g = el('svg:g', { class: `node ${cls}`, transform: `translate(${p.x},${p.y})`, 'data-node': name });
    g.append(el('svg:rect', { width: String(W), height: String(H), rx: '5' }));
    const label = n.topic ? `${n.type === 'source' ? '⇢ ' : '⇥ '}${n.topic}` : name;
    g.append(el('svg:text', { x: '8', y: '14' }, label.length > 19 ? label.slice(0, 18) + '…' : label));
    const sub = n.topic ? (n.internal ? 'repartition topic' : n.type) : n.type + (n.stores.length ? ` · ${n.stores.join(', ')}` : '');
    g.append(el('svg:text', { x: '8', y: '27', class: 'rate' }, sub.length > 30 ? sub.slice(0, 29) + '…' : sub));
    // Records/s this operator passes downstream, filled in by updateEdgeRates.
    g.append(el('svg:text', { x: String(W - 6), y: '14', class: 'rate', 'text-anchor': 'end', 'data-edge-from': name }, ''));
    g.append(el('svg:title', {}, `${name} (${n.type})${n.detail ? '\n' + n.detail : ''}${n.stores.length ? '\nstores: ' + n.stores.join(', ') : ''}`));
    svg.append(g);
  }
  box.append(svg);
}

function updateEdgeRates(app) {
  if (!app) return;
  const now = app.time;
  const out = new Map();
  for (const t of app.tasks) for (const o of t.operators) out.set(o.name, (out.get(o.name) ?? 0) + o.recordsOut);
  const prev = state.operatorOut;
  state.operatorOut = { time: now, out };
  if (!prev || now <= prev.time) return;
  for (const text of document.querySelectorAll('[data-edge-from]')) {
    const name = text.getAttribute('data-edge-from');
    const r = ((out.get(name) ?? 0) - (prev.out.get(name) ?? 0)) / ((now - prev.time) / 1000);
    text.textContent = r > 0 ? `${fmt(r)}/s` : '';
  }
}

// ---- charts -------------------------------------------------------------------------------------

function chart(id, key, series, scales) {
  const target = $(id);
  const keyStr = JSON.stringify(series.map((s) => s.label));
  if (state.charts[key] && state.chartKeys[key] === keyStr) return state.charts[key];
  if (state.charts[key]) state.charts[key].destroy();
  const width = Math.max(320, target.parentElement.clientWidth - 12);
  const opts = {
    width,
    height: 200,
    series: [{}, ...series.map((s, i) => ({ stroke: COLORS[i % COLORS.length], width: 1.5, ...s }))],
    axes: [{ stroke: '#8b96a3', grid: { stroke: '#2a333d' } }, { stroke: '#8b96a3', grid: { stroke: '#2a333d' }, size: 60 }, ...(scales ? [{ scale: scales, side: 1, stroke: '#8b96a3', grid: { show: false }, size: 60 }] : [])],
    scales: { x: { time: true } },
    legend: { live: false },
  };
  state.charts[key] = new uPlot(opts, [[], ...series.map(() => [])], target);
  state.chartKeys[key] = keyStr;
  return state.charts[key];
}

function redraw() {
  const samples = state.samples.filter((s) => s.app || s.broker);
  const xs = samples.map((s) => s.t / 1000);
  const withApp = samples.filter((s) => s.app);
  if (withApp.length) {
    const ax = withApp.map((s) => s.t / 1000);
    chart('chart-throughput', 'throughput', [{ label: 'in' }, { label: 'out' }]).setData([ax, withApp.map((s) => s.app.inRate), withApp.map((s) => s.app.outRate)]);
    chart('chart-latency', 'latency', [{ label: 'end-to-end p50' }, { label: 'end-to-end p99' }, { label: 'commit p99' }]).setData([
      ax,
      withApp.map((s) => (s.app.endToEnd.count ? s.app.endToEnd.p50 : null)),
      withApp.map((s) => (s.app.endToEnd.count ? s.app.endToEnd.p99 : null)),
      withApp.map((s) => (s.app.commit.count ? s.app.commit.p99 : null)),
    ]);
    const last = withApp[withApp.length - 1].app;
    const parts = Object.keys(last.lag).sort();
    chart('chart-lag', 'lag', parts.map((p) => ({ label: p }))).setData([ax, ...parts.map((p) => withApp.map((s) => s.app.lag[p] ?? null))]);
    const tasks = Object.keys(last.watermarkLagMs).sort();
    chart('chart-watermark', 'watermark', tasks.map((t) => ({ label: `task ${t}` }))).setData([
      ax,
      ...tasks.map((t) => withApp.map((s) => (s.app.watermarkLagMs[t] === null || s.app.watermarkLagMs[t] === undefined ? null : s.app.watermarkLagMs[t] / 1000))),
    ]);
    chart('chart-state', 'state', [{ label: 'entries' }, { label: 'bytes', scale: 'bytes' }], 'bytes').setData([ax, withApp.map((s) => s.app.stateEntries), withApp.map((s) => s.app.stateBytes)]);
  }
  const withBroker = samples.filter((s) => s.broker);
  $('fig-broker').hidden = withBroker.length === 0;
  if (withBroker.length) {
    chart('chart-broker', 'broker', [{ label: 'in' }, { label: 'out' }]).setData([withBroker.map((s) => s.t / 1000), withBroker.map((s) => s.broker.bytesInRate), withBroker.map((s) => s.broker.bytesOutRate)]);
  }
  void xs;
}

function updateStats(s) {
  if (!s.app) return;
  const a = s.app;
  $('stat-in').textContent = fmt(a.recordsIn);
  $('stat-in-rate').textContent = `${fmt(a.inRate)}/s`;
  $('stat-out').textContent = fmt(a.recordsOut);
  $('stat-out-rate').textContent = `${fmt(a.outRate)}/s`;
  $('stat-cpu').textContent = a.perCpuSecond === null ? '–' : fmt(a.perCpuSecond);
  $('stat-e2e').textContent = a.endToEnd.count ? ms(a.endToEnd.p99) : '–';
  $('stat-lag').textContent = fmt(a.totalLag);
  $('stat-state').textContent = `${fmt(a.stateEntries)} · ${bytes(a.stateBytes)}`;
}

function onSample(s) {
  state.samples.push(s);
  if (state.samples.length > MAX_POINTS) state.samples.splice(0, state.samples.length - MAX_POINTS);
  updateStats(s);
  redraw();
}

// ---- tables ---------------------------------------------------------------------------------------

function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.textContent = '';
  for (const r of rows) {
    const tr = el('tr');
    for (const c of r) tr.append(el('td', typeof c === 'number' ? { class: 'num' } : {}, c === null || c === undefined ? '–' : typeof c === 'number' ? c.toLocaleString() : String(c)));
    body.append(tr);
  }
}

async function refreshMetrics() {
  try {
    const m = await api('/api/metrics');
    const a = m.application;
    if (a) {
      fillTable('tasks', a.tasks.map((t) => [t.id, t.recordsIn, t.recordsOut, t.watermark === null ? null : new Date(t.watermark).toISOString().slice(11, 23), t.watermarkLagMs === null ? null : ms(t.watermarkLagMs), t.lateRecords, t.deadLettered, t.stores.reduce((n, s) => n + s.entries, 0)]));
      updateEdgeRates(a);
    }
  } catch (e) {
    $('status').textContent = String(e);
  }
}

async function refreshLog() {
  try {
    const v = await api('/api/log');
    fillTable('topics', v.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partition, p.startOffset, p.endOffset, p.lastStableOffset, bytes(p.bytes)])));
    fillTable('groups', v.groups.flatMap((g) => (g.offsets.length ? g.offsets : [{}]).map((o) => [g.groupId, g.state, o.topic, o.partition, o.committed, o.end, o.lag])));
  } catch {
    // No log behind this dashboard.
  }
}

// ---- interactive queries --------------------------------------------------------------------------

async function loadStores() {
  const select = $('query-store');
  if (select.options.length) return;
  try {
    const { stores } = await api('/api/state');
    for (const s of stores) select.append(el('option', { value: s.name }, `${s.name} (${s.type})`));
  } catch {
    // No application.
  }
}

let querySeq = 0;
$('query').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  // Only the latest query's answer is shown (an earlier, slower one must not overwrite it).
  const seq = ++querySeq;
  const show = (rows) => {
    if (seq !== querySeq) return;
    fillTable('query-result', rows);
    $('query-result').dataset.answered = String(seq);
  };
  const store = $('query-store').value;
  const params = new URLSearchParams();
  for (const k of ['key', 'from', 'to']) {
    const v = $(`query-${k}`).value;
    if (v !== '') params.set(k, v);
  }
  try {
    const r = await api(`/api/state/${encodeURIComponent(store)}?${params}`);
    show(r.entries.map((e) => [typeof e.key === 'string' ? e.key : JSON.stringify(e.key), e.window ? `${new Date(e.window.start).toISOString().slice(11, 19)}–${new Date(e.window.end).toISOString().slice(11, 19)}` : '', JSON.stringify(e.value), e.partition]));
  } catch (e) {
    show([[String(e), '', '', '']]);
  }
});

// ---- start ----------------------------------------------------------------------------------------

async function start() {
  showTab();
  const overview = await api('/api/overview');
  $('title').textContent = [overview.application && `application ${overview.application.applicationId}`, overview.broker && `broker ${overview.broker.address}`].filter(Boolean).join(' · ');
  if (overview.application) {
    state.topology = await api('/api/topology');
    renderTopology(state.topology);
  } else {
    $('topology').textContent = 'no application in this process';
  }
  const { samples } = await api('/api/history');
  for (const s of samples) state.samples.push(s);
  if (samples.length) updateStats(samples[samples.length - 1]);
  redraw();
  const events = new EventSource('/api/events');
  events.onopen = () => {
    $('status').textContent = 'live';
    $('status').classList.add('live');
  };
  events.onerror = () => {
    $('status').textContent = 'reconnecting…';
    $('status').classList.remove('live');
  };
  events.onmessage = (m) => onSample(JSON.parse(m.data));
  refreshMetrics();
  setInterval(refreshMetrics, 2000);
  setInterval(() => {
    if (location.hash === '#broker') refreshLog();
  }, 2000);
}

start().catch((e) => {
  $('status').textContent = `error: ${e.message}`;
});

import type { Task } from '../../engine/task.js';
import { DEMO_TOPICS, type ErrorAlert, type ErrorEvent, type PageViews, type Trending, type UserSession } from './pipelines.js';

/** DESIGN.md's machine-readable demo summary. */
export interface DemoSummary {
  events_in: number;
  results_out: number;
  events_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  late_records: number;
  alerts: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * What the demo shows: results as they are committed, a terminal view redrawn every second (on stderr, so
 * stdout stays for the summary), and the summary at the end.
 */
export class LiveView {
  private resultsOut = 0;
  private alerts = 0;
  private sessions = 0;
  private lateClicks = 0;
  private readonly latencies: number[] = [];
  private latestViews: PageViews[] = [];
  private latestViewsEnd = 0;
  private trending: Trending | null = null;
  private lastAlert: ErrorAlert | null = null;
  private lastSession: UserSession | null = null;
  private lastGenerated = 0;

  constructor(private readonly o: { rate: number; live: boolean }) {}

  onResult(topic: string, value: unknown, now: number): void {
    this.resultsOut++;
    switch (topic) {
      case DEMO_TOPICS.pageViews: {
        const v = value as PageViews;
        if (v.end > this.latestViewsEnd) {
          this.latestViewsEnd = v.end;
          this.latestViews = [];
        }
        if (v.end === this.latestViewsEnd) this.latestViews.push(v);
        break;
      }
      case DEMO_TOPICS.trending:
        if (!this.trending || (value as Trending).end >= this.trending.end) this.trending = value as Trending;
        break;
      case DEMO_TOPICS.sessions:
        this.sessions++;
        this.lastSession = value as UserSession;
        break;
      case DEMO_TOPICS.alerts:
        this.alerts++;
        this.lastAlert = value as ErrorAlert;
        break;
      case DEMO_TOPICS.errors:
        this.latencies.push(now - (value as ErrorEvent).sentAt);
        break;
      case DEMO_TOPICS.late:
        this.lateClicks++;
        break;
    }
  }

  render(generated: number, tasks: readonly Task[], now: number): void {
    if (!this.o.live) return;
    const rate = generated - this.lastGenerated;
    this.lastGenerated = generated;
    const watermarks = tasks.map((t) => t.watermark).filter((w) => Number.isFinite(w));
    const lag = watermarks.length ? `${((now - Math.min(...watermarks)) / 1000).toFixed(1)} s` : '-';
    const recent = [...this.latencies.slice(-2000)].sort((a, b) => a - b);
    const lines = [
      `Tributary demo — clickstream on the embedded log (exactly-once)        ${time(now)}   Ctrl-C to stop`,
      '',
      `  events in   ${generated.toLocaleString().padStart(10)}   ${rate.toLocaleString().padStart(7)} /s   (target ${this.o.rate}/s)`,
      `  results out ${this.resultsOut.toLocaleString().padStart(10)}   latency p50 ${percentile(recent, 0.5)} ms  p99 ${percentile(recent, 0.99)} ms`,
      `  watermark lag ${lag}   late clicks ${this.lateClicks}   tasks ${tasks.length}`,
      '',
      `  Page views, window ending ${this.latestViewsEnd ? time(this.latestViewsEnd) : '-'}:`,
      ...[...this.latestViews]
        .sort((a, b) => b.views - a.views)
        .slice(0, 6)
        .map((v) => `    ${v.page.padEnd(20)} ${String(v.views).padStart(7)}`),
      '',
      `  Trending (last minute${this.trending ? `, to ${time(this.trending.end)}` : ''}):`,
      ...(this.trending?.top ?? []).map((t, i) => `    ${i + 1}. ${t.page.padEnd(18)} ${String(t.views).padStart(7)}`),
      '',
      `  Sessions closed: ${this.sessions}${this.lastSession ? `   last: ${this.lastSession.user}, ${this.lastSession.clicks} clicks on ${this.lastSession.pages} pages` : ''}`,
      `  Alerts: ${this.alerts}${this.lastAlert ? `   last: ${(this.lastAlert.errorRate * 100).toFixed(1)}% errors in ${time(this.lastAlert.start)}-${time(this.lastAlert.end)}` : ''}`,
    ];
    process.stderr.write(`\x1b[2J\x1b[H${lines.join('\n')}\n`);
  }

  summary(eventsIn: number, elapsedMs: number, lateRecords: number): DemoSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      events_in: eventsIn,
      results_out: this.resultsOut,
      events_per_sec: Math.round(eventsIn / (elapsedMs / 1000)),
      p50_ms: percentile(sorted, 0.5),
      p99_ms: percentile(sorted, 0.99),
      late_records: lateRecords,
      alerts: this.alerts,
    };
  }

  summaryText(s: DemoSummary): string {
    return (
      `\nEvents in: ${s.events_in.toLocaleString()} (${s.events_per_sec.toLocaleString()}/s)   results out: ${s.results_out.toLocaleString()}\n` +
      `End-to-end latency: p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms   late records: ${s.late_records}   alerts: ${s.alerts}\n`
    );
  }
}

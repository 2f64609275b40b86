/** Samples RSS on a timer (20 ms); a case reads the peak since its last reset(). */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(() => this.sample(), 20);
    this.timer.unref();
  }
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }
  reset(): void {
    this.peak = 0;
    this.sample();
  }
  peakMb(): number {
    this.sample();
    return this.peak / (1024 * 1024);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

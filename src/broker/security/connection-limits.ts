/**
 * Kafka's max.connections and max.connections.per.ip: a connection beyond either is closed as soon
 * as it is accepted, before a byte is read, while the existing ones carry on.
 */
export class ConnectionLimits {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    readonly maxConnections: number,
    readonly maxConnectionsPerIp: number,
  ) {}

  /** Counts a new connection from `ip` if both limits allow it; false: refuse it. */
  admit(ip: string): boolean {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.total >= this.maxConnections || fromIp >= this.maxConnectionsPerIp) return false;
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return true;
  }

  release(ip: string): void {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp <= 0) return;
    this.total--;
    if (fromIp === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, fromIp - 1);
  }

  get open(): number {
    return this.total;
  }
}

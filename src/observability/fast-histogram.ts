// A Prometheus histogram whose observe() is a bucket search and three additions (~5 ns), for the cache-hit
// path, where prom-client's Histogram#observe cost ~150 ns, as much as a sixth of a whole hit. It registers
// in a prom-client Registry like any metric (the registry only needs name, help, type and get()), so the
// exposition, promtool checks and scrapes are unchanged.
import type { Registry } from './prom-client.ts';

export interface FastHistogramChild {
  observe(value: number): void;
}

interface Child extends FastHistogramChild {
  readonly labels: Record<string, string>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export interface FastHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: readonly Registry[];
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class FastHistogram<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly L[];
  readonly #buckets: readonly number[];
  readonly #children = new Map<string, Child>();

  constructor(options: FastHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The child for these label values (in labelNames order); bind it once, outside the hot path. */
  labels(...values: string[]): FastHistogramChild {
    const key = values.join('\u0000');
    let child = this.#children.get(key);
    if (child === undefined) {
      const buckets = this.#buckets;
      const n = buckets.length;
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      const c: Child = {
        labels,
        counts: new Float64Array(n + 1),
        sum: 0,
        count: 0,
        observe(value: number) {
          let i = 0;
          while (i < n && value > buckets[i]!) i++;
          c.counts[i]! += 1;
          c.sum += value;
          c.count += 1;
        },
      };
      child = c;
      this.#children.set(key, child);
    }
    return child;
  }

  reset(): void {
    for (const child of this.#children.values()) {
      child.counts.fill(0);
      child.sum = 0;
      child.count = 0;
    }
  }

  /** prom-client's metric shape: cumulative buckets, then _sum and _count, per label set. */
  async get() {
    const values: Sample[] = [];
    for (const child of this.#children.values()) {
      let cumulative = 0;
      this.#buckets.forEach((le, i) => {
        cumulative += child.counts[i]!;
        values.push({
          labels: { le, ...child.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { le: '+Inf', ...child.labels },
        value: child.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { ...child.labels }, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...child.labels }, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

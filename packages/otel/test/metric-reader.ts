import type { Attributes } from '@opentelemetry/api';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

/** A reader that collects on demand, so a test reads exactly what a scrape would see. */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One collection: look up data points by instrument name and attribute subset. */
export interface Collected {
  /** Names of every instrument with at least one data point. */
  names(): string[];
  /** The value of the single point of `name` whose attributes include `attrs`; undefined when none. */
  value(name: string, attrs?: Attributes): number | undefined;
  /** The histogram point of `name` matching `attrs`. */
  histogram(name: string, attrs?: Attributes): Histogram | undefined;
  /** Every point of `name`, with its attributes. */
  points(name: string): DataPoint<unknown>[];
  /** The descriptor (unit, type) of `name`. */
  descriptor(
    name: string,
  ): { unit: string; kind: 'monotonic sum' | 'up-down sum' | 'gauge' | 'histogram' } | undefined;
  /** The instrumentation scopes that reported, with their versions. */
  scopes(): { name: string; version: string | undefined }[];
}

/** A meter provider wired to an on-demand reader. */
export function testMetrics(): { provider: MeterProvider; collect: () => Promise<Collected> } {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`collection failed: ${errors.map(String).join('; ')}`);
      const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      const points = (name: string): DataPoint<unknown>[] =>
        metrics
          .filter((m) => m.descriptor.name === name)
          .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
      const matching = (name: string, attrs: Attributes = {}): DataPoint<unknown>[] => {
        const found = points(name).filter((p) =>
          Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
        );
        if (found.length > 1) {
          throw new Error(
            `${found.length} points of ${name} match ${JSON.stringify(attrs)}; narrow the attributes`,
          );
        }
        return found;
      };
      return {
        names: () => [
          ...new Set(metrics.filter((m) => m.dataPoints.length > 0).map((m) => m.descriptor.name)),
        ],
        value: (name, attrs) => matching(name, attrs)[0]?.value as number | undefined,
        histogram: (name, attrs) => matching(name, attrs)[0]?.value as Histogram | undefined,
        points,
        descriptor: (name) => {
          const found = metrics.find((m) => m.descriptor.name === name);
          if (!found) return undefined;
          const kind =
            found.dataPointType === DataPointType.SUM
              ? found.isMonotonic
                ? 'monotonic sum'
                : 'up-down sum'
              : found.dataPointType === DataPointType.GAUGE
                ? 'gauge'
                : 'histogram';
          return { unit: found.descriptor.unit, kind };
        },
        scopes: () =>
          resourceMetrics.scopeMetrics.map((s) => ({ name: s.scope.name, version: s.scope.version })),
      };
    },
  };
}

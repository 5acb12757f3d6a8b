// prom-client adapter: registers a Swim's metrics (METRIC_DEFINITIONS, src/metrics.ts, the
// same ones the agent's /metrics serves) in a prom-client registry, for services that
// expose their own metrics. prom-client is an optional peer dependency: it is loaded only
// when this is called, unless the caller passes its own module as `client`.
import { SwimError } from './errors';
import { METRIC_DEFINITIONS, snapshot, type Labels, type MetricsSnapshot } from './metrics';
import type { Swim } from './swim';

// The parts of prom-client used here (kept structural: prom-client's types are not needed
// to type-check code that uses swim-native).
interface PromMetric {
  reset(): void;
  inc(labels: Labels, value: number): void;
  set(labels: Labels, value: number): void;
}
interface PromMetricCtor {
  new (config: {
    name: string;
    help: string;
    labelNames: string[];
    registers: unknown[];
    collect?: (this: PromMetric) => void;
  }): PromMetric;
}
/** The prom-client module (`require('prom-client')`): Counter, Gauge and the default registry. */
export interface PromClientModule {
  Counter: PromMetricCtor;
  Gauge: PromMetricCtor;
  register: PromRegistry;
}
/** A prom-client Registry. */
export interface PromRegistry {
  removeSingleMetric(name: string): void;
}

export interface SwimMetricsOptions {
  /** Where to register (default: prom-client's default registry). */
  registry?: PromRegistry;
  /** Prefix of every metric name (default 'swim_'). One Swim per registry and prefix. */
  prefix?: string;
  /** Labels added to every sample, e.g. `{ cluster: 'eu' }`. */
  labels?: Labels;
  /** The prom-client module to use (default: `require('prom-client')`). */
  client?: PromClientModule;
}

function loadPromClient(): PromClientModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as PromClientModule;
  } catch (err) {
    throw new SwimError(
      'ERR_SWIM_INVALID_ARG',
      "registerSwimMetrics: the optional peer dependency 'prom-client' is not installed (npm install prom-client)",
      { cause: err },
    );
  }
}

/**
 * Registers `swim`'s metrics in a prom-client registry: the same names, help, types and
 * labels as the agent's /metrics, read from the instance at each scrape (one snapshot per
 * scrape, shared by all the metrics). Returns a function that unregisters them.
 */
export function registerSwimMetrics(swim: Swim, options: SwimMetricsOptions = {}): () => void {
  const client = options.client ?? loadPromClient();
  const registry = options.registry ?? client.register;
  const prefix = options.prefix ?? 'swim_';
  const constant = options.labels ?? {};
  const constantNames = Object.keys(constant);
  // One read of the Swim serves every metric of a scrape: prom-client calls the collect()
  // functions one after another in the same tick.
  let cached: MetricsSnapshot | null = null;
  const read = (): MetricsSnapshot => {
    if (cached === null) {
      cached = snapshot(swim);
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached;
  };
  const names: string[] = [];
  for (const def of METRIC_DEFINITIONS) {
    const name = prefix + def.name;
    const Ctor = def.type === 'counter' ? client.Counter : client.Gauge;
    const isCounter = def.type === 'counter';
    new Ctor({
      name,
      help: def.help,
      labelNames: [...constantNames, ...def.labelNames],
      registers: [registry],
      collect(this: PromMetric) {
        this.reset();
        for (const [labels, value] of def.samples(read())) {
          const all = { ...constant, ...labels };
          if (isCounter) this.inc(all, value);
          else this.set(all, value);
        }
      },
    });
    names.push(name);
  }
  return () => {
    for (const n of names) registry.removeSingleMetric(n);
  };
}

// The shape every bench scenario returns to the runner: a table of medians, targets with PASS/MISS, notes.

export interface BenchContext {
  /** Shorter measurements and fewer repetitions (a smoke run, not figures to publish). */
  readonly quick: boolean;
  log(message: string): void;
}

export interface Row {
  readonly label: string;
  readonly values: Record<string, number | string>;
}

export interface TargetResult {
  readonly name: string;
  /** The target in words, e.g. ">= 0.9x bare Bun.serve". */
  readonly target: string;
  readonly measured: string;
  /** null when the measurement could not be made (a tool is missing). */
  readonly pass: boolean | null;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly rows: Row[];
  readonly targets: TargetResult[];
  readonly notes: string[];
  /** Why the scenario (or part of it) was skipped. */
  readonly skipped?: string;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

// A/B alternation and the result every scenario reports.
import type { LatencyGroup, RatioBar } from './chart';
import type { Spread } from './stats';

export interface Row {
  scenario: string;
  metric: string;
  hekim: string;
  baseline: string;
  // Median per-round ratio (or difference) with its min–max spread.
  ratio: string;
  bar: string;
  verdict: 'PASS' | 'FALL SHORT' | 'REPORT';
}

export interface ScenarioResult {
  id: string;
  title: string;
  rows: Row[];
  ratios: RatioBar[];
  latencies: LatencyGroup[];
  notes: string[];
  data: Record<string, unknown>;
}

export interface Rounds<A, B> {
  a: A[];
  b: B[];
}

// Runs A, B, A, B, … `rounds` times each (A first), so that both sides see the same noise of
// a shared machine; round i's A and B ran back to back and are compared with each other.
export async function alternate<A, B>(
  rounds: number,
  runA: (round: number) => Promise<A>,
  runB: (round: number) => Promise<B>,
  log: (msg: string) => void = () => undefined,
): Promise<Rounds<A, B>> {
  const a: A[] = [];
  const b: B[] = [];
  for (let i = 0; i < rounds; i++) {
    log(`  round ${i + 1}/${rounds}: Hekim`);
    a.push(await runA(i));
    log(`  round ${i + 1}/${rounds}: baseline`);
    b.push(await runB(i));
  }
  return { a, b };
}

export function verdict(pass: boolean): 'PASS' | 'FALL SHORT' {
  return pass ? 'PASS' : 'FALL SHORT';
}

export type { Spread };

import { canonicalJson, NormalizedToolCall } from './tool-call.normalizer';

/** The turns on which the model is told how many it has left (a model that never sees its budget runs into it). */
export const TURNS_LEFT_WARNING = 2;

/** Identical tool calls in consecutive turns: the second gets a nudge, this many stops the step. */
export const REPEATED_CALL_LIMIT = 3;

/** The note added to the model's input on its last turns, or null before them. */
export function turnsLeftNote(turn: number, maxTurns: number): string | null {
  const left = maxTurns - turn + 1;
  if (left > TURNS_LEFT_WARNING) return null;
  return left === 1
    ? '[Note from the system: this is your last turn. Do not call any tool: answer now with a summary of what you did and what is left.]'
    : `[Note from the system: ${left} turns left, this one included. Finish the work and give your final answer before they run out.]`;
}

/** Counts how many turns in a row made exactly the same tool calls (same tools, same arguments). */
export class RepeatedCallDetector {
  private last: string | null = null;
  private count = 0;

  /** Records a turn's calls and returns how many consecutive turns made these same calls (1 for a new one). */
  record(calls: NormalizedToolCall[]): number {
    if (calls.length === 0) {
      this.last = null;
      this.count = 0;
      return 0;
    }
    const signature = canonicalJson(calls.map((call) => [call.name, call.args ?? call.error]));
    this.count = signature === this.last ? this.count + 1 : 1;
    this.last = signature;
    return this.count;
  }
}

// AUTHD_ variables authd does not know. A misspelt one (AUTHD_PORTT) would otherwise be ignored
// without a word and its default used, so start-up names each, with the known name it most likely
// meant.

/** Read by the test suite and the benchmarks, never by the server: not a misspelling. */
const TOOLING = /^AUTHD_(?:TEST_\w+|BENCH_\w+|SOAK_SECONDS|FUZZ_RUNS)$/;

export interface UnknownVariable {
  name: string;
  /** The known variable it most likely meant; undefined when none is close. */
  suggestion: string | undefined;
}

/** The AUTHD_ variables of `env` that are not in `known`, sorted, each with its closest known name. */
export function unknownVariables(
  env: Record<string, string | undefined>,
  known: readonly string[],
): UnknownVariable[] {
  const names = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith("AUTHD_") && !names.has(name) && !TOOLING.test(name))
    .sort()
    .map((name) => ({ name, suggestion: closest(name, known) }));
}

/** The known name fewest edits away, if it is near enough to be a slip (a third of the name). */
function closest(name: string, known: readonly string[]): string | undefined {
  const word = name.slice("AUTHD_".length);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word, candidate.slice("AUTHD_".length));
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

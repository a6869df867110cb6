// One string per `namespace/serviceAccount` among the cache's entries. Each EKS Auth answer names its subject in
// freshly parsed strings, and an entry keeps its subject for audit lines: made per entry, the joined name is a
// string of its own beside each entry (pods of one service account share it here), and it can hold on to what
// it was joined from. Measured with `bun bench/footprint-probe.ts` (README, footprint).

/** Distinct subjects remembered; past this the table starts afresh (entries keep the strings they have). */
export const MAX_SUBJECT_NAMES = 1024;

export interface SubjectNames {
  /** `namespace/serviceAccount`, the same string for every call with the same names while remembered. */
  of(namespace: string, serviceAccount: string): string;
  readonly size: number;
}

export function createSubjectNames(max = MAX_SUBJECT_NAMES): SubjectNames {
  const names = new Map<string, string>();
  return {
    of(namespace, serviceAccount) {
      const joined = `${namespace}/${serviceAccount}`;
      const known = names.get(joined);
      if (known !== undefined) return known;
      if (names.size >= max) names.clear();
      names.set(joined, joined);
      return joined;
    },
    get size() {
      return names.size;
    },
  };
}

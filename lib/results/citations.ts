/**
 * Citation names in frozen results. Results v1 and v2 were written while the project's background notes
 * lived outside the repository; their criteria, notes and captions cite those notes by a name of the form
 * `<TOPIC>-NOTES`. The repository now carries the same material in its own pages, docs/paper.md (the
 * paper's objects, formulas and claims) and docs/scale.md (the scale decisions and the measurements behind
 * them), and the experiments cite those. {@link currentCitations} rewrites an old name to the page that
 * replaced it, so that PAPER.md, rendered from a frozen version, cites only files of the repository, and a
 * recomputed result, whose text cites the pages, still equals its frozen copy (lib/results/compare.ts).
 * The frozen files themselves are never edited (their hashes are cited).
 *
 * @module
 */

/** The repository page that replaced each topic of the old notes. */
export const CITATION_PAGES: Readonly<Record<string, string>> = {
  PAPER: "docs/paper.md",
  PILOT: "docs/scale.md",
  PLATFORM: "docs/scale.md",
};

const _OLD_NAME = /\b([A-Z]+)-NOTES\b/g;

/**
 * `text` with each old `<TOPIC>-NOTES` citation replaced by the repository page of that topic
 * ({@link CITATION_PAGES}); text without one is returned unchanged. An unknown topic is an error.
 *
 * @example
 * ```ts
 * import { currentCitations } from "./citations.ts";
 * currentCitations("the pilot's range (" + "PILOT" + "-NOTES)"); // "the pilot's range (docs/scale.md)"
 * ```
 */
export function currentCitations(text: string): string {
  return text.replace(_OLD_NAME, (whole, topic: string) => {
    const page = CITATION_PAGES[topic];
    if (page === undefined) {
      throw new Error(`currentCitations: no repository page for the citation '${whole}'`);
    }
    return page;
  });
}

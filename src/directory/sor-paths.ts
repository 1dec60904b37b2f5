/**
 * Subtree paths (`/owner/institution/unit/`) for records arriving in document order. The parser
 * yields a parent before its children and gives each record its nesting depth, so the open
 * ancestors are all that is needed: memory stays at the tree's depth, not its size.
 */
export interface PathRecord {
  readonly sor: string;
  readonly parentSor: string | null;
  readonly depth: number;
}

export function createPathTracker(): (record: PathRecord) => string {
  const open: string[] = [];
  return (record) => {
    if (record.parentSor === null) open.length = 0;
    else {
      open.length = Math.min(open.length, record.depth);
      if (open[open.length - 1] !== record.parentSor) {
        // Not below the entity opened just before: continue from the parent if it is open, else
        // start a fresh branch from what is known.
        const at = open.lastIndexOf(record.parentSor);
        open.length = at + 1;
        if (at < 0) open.push(record.parentSor);
      }
    }
    open.push(record.sor);
    return `/${open.join('/')}/`;
  };
}

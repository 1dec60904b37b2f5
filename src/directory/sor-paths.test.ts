import { describe, expect, it } from 'vitest';
import { createPathTracker } from './sor-paths.js';

describe('createPathTracker', () => {
  it('gives each record the path of its open ancestors', () => {
    const pathOf = createPathTracker();
    expect(pathOf({ sor: 'R', parentSor: null, depth: 0 })).toBe('/R/');
    expect(pathOf({ sor: 'H', parentSor: 'R', depth: 1 })).toBe('/R/H/');
    expect(pathOf({ sor: 'U1', parentSor: 'H', depth: 2 })).toBe('/R/H/U1/');
    expect(pathOf({ sor: 'U11', parentSor: 'U1', depth: 3 })).toBe('/R/H/U1/U11/');
    // A sibling closes the deeper branch.
    expect(pathOf({ sor: 'U2', parentSor: 'H', depth: 2 })).toBe('/R/H/U2/');
    expect(pathOf({ sor: 'H2', parentSor: 'R', depth: 1 })).toBe('/R/H2/');
    expect(pathOf({ sor: 'R2', parentSor: null, depth: 0 })).toBe('/R2/');
    expect(pathOf({ sor: 'H3', parentSor: 'R2', depth: 1 })).toBe('/R2/H3/');
  });

  it('starts from the named parent when a record does not nest below the open entities', () => {
    const pathOf = createPathTracker();
    expect(pathOf({ sor: 'R', parentSor: null, depth: 0 })).toBe('/R/');
    expect(pathOf({ sor: 'U', parentSor: 'X', depth: 2 })).toBe('/X/U/');
    expect(pathOf({ sor: 'U1', parentSor: 'U', depth: 3 })).toBe('/X/U/U1/');
  });
});

import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalesce.js';

/** A writer that records each batch and can be held open or made to refuse an item. */
function writer(refuse?: string) {
  const batches: string[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const write = async (items: string[]) => {
    batches.push([...items]);
    if (hold) await new Promise<void>((r) => (release = r));
    if (refuse && items.includes(refuse)) throw new Error(`refused ${refuse}`);
  };
  return {
    batches,
    write,
    hold: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('Coalescer', () => {
  it('writes the items of one turn of the event loop in one batch', async () => {
    const w = writer();
    const c = new Coalescer(w.write);
    await Promise.all(['a', 'b', 'c'].map((x) => c.add(x)));
    expect(w.batches).toEqual([['a', 'b', 'c']]);
  });

  it('writes one item alone when nothing else is asked', async () => {
    const w = writer();
    const c = new Coalescer(w.write);
    await c.add('a');
    await c.add('b');
    expect(w.batches).toEqual([['a'], ['b']]);
  });

  it('keeps one batch in flight: what arrives meanwhile goes together in the next', async () => {
    const w = writer();
    const c = new Coalescer(w.write);
    w.hold();
    const first = c.add('a');
    await new Promise((r) => setImmediate(r));
    expect(w.batches).toEqual([['a']]);
    const later = ['b', 'c', 'd'].map((x) => c.add(x));
    await new Promise((r) => setTimeout(r, 5));
    expect(w.batches).toHaveLength(1);
    w.release();
    await Promise.all([first, ...later]);
    expect(w.batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('a promise settles only once its own batch is written', async () => {
    const w = writer();
    const c = new Coalescer(w.write);
    w.hold();
    let done = false;
    const p = c.add('a').then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    w.release();
    await p;
    expect(done).toBe(true);
  });

  it('an item that fails fails alone: the others of its batch are written again on their own', async () => {
    const w = writer('bad');
    const c = new Coalescer(w.write);
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((x) => c.add(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('refused bad'));
    expect(w.batches).toEqual([['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  it('carries at most maxBatch items in one batch', async () => {
    const w = writer();
    const c = new Coalescer(w.write, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((x) => c.add(x)));
    expect(w.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
});

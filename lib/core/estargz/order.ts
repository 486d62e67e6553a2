/**
 * Entry order of an eStargz layer: prioritized files first, then a landmark
 * entry, then every other entry in stream order.
 *
 * The input is a stream, so moving entries forward takes more than one pass:
 * 1. a scan pass reads the headers and resolves which entries move, in which
 *    order (each file after its parent directories and, for a hard link,
 *    after its target, as the estargz package's `Build` orders them);
 * 2. prioritized passes emit those entries in that order. An entry that turns
 *    up before its turn is kept in memory while the kept entries stay under
 *    `maxBufferedBytes`; otherwise it waits for another pass. With a large
 *    enough budget this is a single pass;
 * 3. a last pass emits the landmark and the remaining entries.
 * Without prioritized files the source is read once, after the landmark.
 */
import { InvalidInputError, abortError, assert } from '../errors';
import type { TarEntry, TarEvent } from '../tar/entry';
import { LANDMARK_CONTENT, NO_PREFETCH_LANDMARK, PREFETCH_LANDMARK, TOC_TAR_NAME } from './types';

/** Tar events, or a function that reads them anew, which prioritizing needs. */
export type TarEventSource = AsyncIterable<TarEvent> | (() => AsyncIterable<TarEvent>);

export interface OrderOptions {
  prioritizedFiles?: readonly string[];
  /** Skip prioritized files that the layer lacks, instead of throwing. */
  allowMissingPrioritized?: boolean;
  /** Largest total content kept in memory while reordering; default 64 MiB. */
  maxBufferedBytes?: number;
  signal?: AbortSignal;
}

/** Default budget for entries kept in memory while prioritizing: 64 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 << 20;

/** Names that the builder writes itself and drops from its input. */
const RESERVED_NAMES = new Set([TOC_TAR_NAME, PREFETCH_LANDMARK, NO_PREFETCH_LANDMARK]);

/**
 * Returns the path as the estargz package compares names: cleaned like Go's
 * `path.Clean("/" + name)` with the leading slash removed, so `./a/`, `/a`
 * and `../a` are all `a` and the root is the empty string.
 */
export function cleanPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** Returns true for entries that the builder drops from its input: an old TOC and old landmarks. */
export function isReservedEntry(entry: TarEntry): boolean {
  return RESERVED_NAMES.has(cleanPath(entry.path));
}

/**
 * Yields the events of the layer in eStargz order, landmark included. Names
 * of prioritized files that the layer lacks are pushed onto `missed` when
 * `allowMissingPrioritized` is set.
 */
export async function* orderEvents(
  source: TarEventSource,
  options: OrderOptions,
  missed: string[],
): AsyncGenerator<TarEvent> {
  const prioritized = options.prioritizedFiles ?? [];
  if (prioritized.length === 0) {
    yield* landmarkEvents(NO_PREFETCH_LANDMARK);
    yield* withoutReserved(typeof source === 'function' ? source() : source);
    return;
  }
  if (typeof source !== 'function') {
    throw new InvalidInputError(
      'buildLayer: prioritizedFiles needs a source that can be read again; pass () => events',
    );
  }
  const read = () => withoutReserved(source());
  const scanned = await scanEntries(read(), options.signal);
  const plan = planPriority(scanned, prioritized, options.allowMissingPrioritized ?? false, missed);
  yield* prioritizedPasses(read, plan, options);
  yield* landmarkEvents(PREFETCH_LANDMARK);
  yield* restPass(read(), new Set(plan), options.signal);
}

/** Drops the entries that the builder writes itself, with their content. */
async function* withoutReserved(events: AsyncIterable<TarEvent>): AsyncGenerator<TarEvent> {
  let dropping = false;
  for await (const event of events) {
    if (event.type === 'entry') dropping = isReservedEntry(event.entry);
    if (!dropping || event.type === 'end') yield event;
  }
}

/** Returns the events of a landmark entry: a 1-byte regular file with zero metadata. */
export function landmarkEvents(name: string): TarEvent[] {
  const entry: TarEntry = {
    path: name,
    type: 'file',
    typeflag: '0',
    mode: 0,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: 0,
    size: 1,
    headerOffset: 0,
    dataOffset: 0,
  };
  return [
    { type: 'entry', entry },
    { type: 'data', offset: 0, bytes: Uint8Array.of(LANDMARK_CONTENT) },
  ];
}

/** Entry fields that the scan pass keeps. */
interface ScannedEntry {
  name: string;
  hardlinkTarget?: string;
}

async function scanEntries(
  events: AsyncIterable<TarEvent>,
  signal: AbortSignal | undefined,
): Promise<ScannedEntry[]> {
  const scanned: ScannedEntry[] = [];
  for await (const event of events) {
    if (signal?.aborted) throw abortError();
    if (event.type !== 'entry') continue;
    const entry = event.entry;
    scanned.push({
      name: cleanPath(entry.path),
      hardlinkTarget: entry.type === 'hardlink' ? cleanPath(entry.linkname ?? '') : undefined,
    });
  }
  return scanned;
}

/**
 * Returns the ordinals (positions in the stream) of the entries to move, in
 * emission order. Every entry with a moved name moves, in stream order, so a
 * later duplicate still overrides an earlier one on extraction.
 *
 * NOTE: a parent directory that has no entry in the layer is skipped, where
 * the estargz package reports the prioritized file as not found.
 */
function planPriority(
  scanned: readonly ScannedEntry[],
  prioritized: readonly string[],
  allowMissing: boolean,
  missed: string[],
): number[] {
  const byName = new Map<string, number[]>();
  scanned.forEach((entry, ordinal) => {
    const list = byName.get(entry.name) ?? [];
    list.push(ordinal);
    byName.set(entry.name, list);
  });
  const visited = new Set<string>();
  const plan: number[] = [];

  const move = (name: string) => {
    if (visited.has(name)) return;
    visited.add(name);
    const ordinals = byName.get(name);
    if (name !== '') move(parentOf(name));
    if (ordinals === undefined) return;
    for (const ordinal of ordinals) {
      const target = scanned[ordinal].hardlinkTarget;
      if (target !== undefined) move(target);
    }
    plan.push(...ordinals);
  };

  for (const file of prioritized) {
    const name = cleanPath(file);
    if (!byName.has(name) && !visited.has(name)) {
      if (!allowMissing) {
        throw new InvalidInputError(`building eStargz: prioritized file ${file} is not in the layer`);
      }
      missed.push(file);
      continue;
    }
    move(name);
  }
  return plan;
}

function parentOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/** Emits the planned entries in plan order, in as few passes as the budget allows. */
async function* prioritizedPasses(
  source: () => AsyncIterable<TarEvent>,
  plan: readonly number[],
  options: OrderOptions,
): AsyncGenerator<TarEvent> {
  const turn = new Map<number, number>();
  plan.forEach((ordinal, index) => turn.set(ordinal, index));
  const budget = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const state = { next: 0 };
  while (state.next < plan.length) {
    const before = state.next;
    yield* onePass(source(), plan, turn, budget, state, options.signal);
    assert(state.next > before, 'a prioritized pass emitted no entry');
  }
}

/**
 * One pass over the source. `state.next` is the index in `plan` of the next
 * entry to emit; entries due later are kept when they fit the budget.
 */
async function* onePass(
  events: AsyncIterable<TarEvent>,
  plan: readonly number[],
  turn: ReadonlyMap<number, number>,
  budget: number,
  state: { next: number },
  signal: AbortSignal | undefined,
): AsyncGenerator<TarEvent> {
  const kept = new Map<number, TarEvent[]>();
  let keptBytes = 0;
  let mode: 'emit' | 'keep' | 'skip' = 'skip';
  let keeping: TarEvent[] = [];
  let ordinal = -1;

  // After an emitted entry ends, emit the kept entries whose turn follows.
  function* advance(): Generator<TarEvent> {
    state.next++;
    for (let due = kept.get(plan[state.next]); due; due = kept.get(plan[state.next])) {
      kept.delete(plan[state.next]);
      yield* due;
      state.next++;
    }
  }

  for await (const event of events) {
    if (signal?.aborted) throw abortError();
    if (event.type === 'end') break;
    if (event.type === 'entry') {
      if (mode === 'emit') yield* advance();
      if (state.next >= plan.length) return;
      ordinal++;
      const due = turn.get(ordinal);
      mode = 'skip';
      if (due === state.next) {
        mode = 'emit';
      } else if (due !== undefined && due > state.next && keptBytes + event.entry.size <= budget) {
        mode = 'keep';
        keeping = [];
        kept.set(ordinal, keeping);
        keptBytes += event.entry.size;
      }
    }
    if (mode === 'emit') yield event;
    else if (mode === 'keep') keeping.push(copyEvent(event));
  }
  if (mode === 'emit') yield* advance();
}

function copyEvent(event: TarEvent): TarEvent {
  return event.type === 'data' ? { ...event, bytes: event.bytes.slice() } : event;
}

async function* restPass(
  events: AsyncIterable<TarEvent>,
  moved: ReadonlySet<number>,
  signal: AbortSignal | undefined,
): AsyncGenerator<TarEvent> {
  let ordinal = -1;
  let emitting = false;
  for await (const event of events) {
    if (signal?.aborted) throw abortError();
    if (event.type === 'entry') {
      ordinal++;
      emitting = !moved.has(ordinal);
    }
    if (event.type === 'end' || emitting) yield event;
  }
}

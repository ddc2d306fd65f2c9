// A linearizability checker for one register with compare-and-set: the Wing & Gong search
// with Lowe's memoisation, as Porcupine runs it. Each operation has an invocation and a
// completion time (process.hrtime.bigint(), one monotonic clock for every process on the
// machine) and a result; an operation whose outcome is unknown (UnknownOutcomeError)
// completes at infinity and may or may not have taken effect, as Jepsen treats it.

/** One recorded operation on one key; values are unique per write, `null` is absent. */
export type RegisterOp =
  | { kind: 'read'; result: string | null }
  | { kind: 'write'; value: string; unknown?: boolean }
  | { kind: 'cas'; expected: string | null; value: string; result: boolean | 'unknown' };

/** An operation with its invocation and completion times (completion `undefined`: unknown). */
export type TimedOp = RegisterOp & { call: bigint; ret: bigint | undefined };

type State = string | null;

function step(state: State, op: RegisterOp): State | typeof REFUSED {
  switch (op.kind) {
    case 'read':
      return op.result === state ? state : REFUSED;
    case 'write':
      return op.value;
    case 'cas':
      if (op.result === 'unknown') return state === op.expected ? op.value : state;
      return (state === op.expected) === op.result ? (op.result ? op.value : state) : REFUSED;
  }
}

const REFUSED = Symbol('refused');

interface Entry {
  id: number;
  isCall: boolean;
  time: bigint;
  op: TimedOp;
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

const END = 2n ** 120n;

/**
 * True when some order of the operations, consistent with real time (an operation that
 * completed before another was invoked comes first), is a legal history of one register
 * starting absent.
 */
export function isLinearizable(ops: readonly TimedOp[]): boolean {
  const events: Entry[] = [];
  ops.forEach((op, id) => {
    const call: Entry = { id, isCall: true, time: op.call, op };
    const ret: Entry = { id, isCall: false, time: op.ret ?? END, op };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls before returns at equal times: overlapping operations may go either way.
  events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { id: -1, isCall: false, time: -1n, op: ops[0] as TimedOp };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const lift = (e: Entry) => {
    (e.prev as Entry).next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match as Entry;
    (m.prev as Entry).next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match as Entry;
    (m.prev as Entry).next = m;
    if (m.next) m.next.prev = m;
    (e.prev as Entry).next = e;
    if (e.next) e.next.prev = e;
  };
  const linearized = new Uint8Array(ops.length);
  const seen = new Set<string>();
  const stack: { entry: Entry; state: State }[] = [];
  let state: State = null;
  let entry = head.next;
  while (head.next) {
    if (!entry) return false;
    if (entry.isCall) {
      const next = step(state, entry.op);
      if (next !== REFUSED) {
        linearized[entry.id] = 1;
        const memo = `${Buffer.from(linearized).toString('base64')}|${next}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.id] = 0;
      }
      entry = entry.next;
    } else {
      // A completion reached with its operation not yet placed: undo the last choice.
      const top = stack.pop();
      if (!top) return false;
      state = top.state;
      linearized[top.entry.id] = 0;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return true;
}

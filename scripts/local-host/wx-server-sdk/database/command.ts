import { invalidParam } from './errors';
import { checkValue, cloneValue } from './values';

/**
 * `db.command`: query commands (eq … exists, and/or) and update commands (set, remove, inc). Operands
 * are checked and copied when the command is built, so later changes to the caller's objects cannot
 * leak into a query or an update.
 */

export type QueryOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin' | 'exists';
export type LogicOp = 'and' | 'or';
export type UpdateOp = 'set' | 'remove' | 'inc';

const API = 'db.command';

/** `_.and(a, b)` and `_.and([a, b])` are both documented forms. */
const operandList = (args: unknown[]): unknown[] => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args);

abstract class FieldCommand {
  and(...conds: unknown[]): LogicCommand {
    return new LogicCommand('and', [this, ...operandList(conds)]);
  }
  or(...conds: unknown[]): LogicCommand {
    return new LogicCommand('or', [this, ...operandList(conds)]);
  }
}

export class QueryCommand extends FieldCommand {
  constructor(
    readonly op: QueryOp,
    readonly operand: unknown,
  ) {
    super();
  }
}

/** At field level its operands are field conditions; as a whole `where()` argument they are where objects. */
export class LogicCommand extends FieldCommand {
  constructor(
    readonly op: LogicOp,
    readonly operands: unknown[],
  ) {
    super();
    if (operands.length === 0) throw invalidParam(API, `_.${op} needs at least one condition`);
  }
}

export class UpdateCommand {
  constructor(
    readonly op: UpdateOp,
    readonly operand: unknown,
  ) {}
}

function checked(op: string, v: unknown): unknown {
  checkValue(v, API, `_.${op}() operand`);
  return cloneValue(v);
}

function checkedList(op: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw invalidParam(API, `_.${op}() takes an array`);
  return checked(op, v) as unknown[];
}

const compare = (op: QueryOp) => (v: unknown) => new QueryCommand(op, checked(op, v));

export const command = {
  eq: compare('eq'),
  neq: compare('neq'),
  gt: compare('gt'),
  gte: compare('gte'),
  lt: compare('lt'),
  lte: compare('lte'),
  in: (v: unknown[]) => new QueryCommand('in', checkedList('in', v)),
  nin: (v: unknown[]) => new QueryCommand('nin', checkedList('nin', v)),
  exists: (v: boolean) => {
    if (typeof v !== 'boolean') throw invalidParam(API, '_.exists() takes a boolean');
    return new QueryCommand('exists', v);
  },
  and: (...conds: unknown[]) => new LogicCommand('and', operandList(conds)),
  or: (...conds: unknown[]) => new LogicCommand('or', operandList(conds)),
  set: (v: unknown) => new UpdateCommand('set', checked('set', v)),
  remove: () => new UpdateCommand('remove', undefined),
  inc: (n: number) => {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidParam(API, '_.inc() takes a finite number');
    return new UpdateCommand('inc', n);
  },
};

export type DbCommand = typeof command;

import type { FulfilmentType, OrderItem } from '../../../typings/checkout';
import type { FulfilmentTaskView } from '../../../typings/merchant';
import { DEFAULT_FULFILMENT, hookFor } from '../fulfilment/registry';
import { describeItems } from '../shipping/upload';
import type { OrderContext } from './context';
import { ORDERS, type FulfilmentTask, type OrderDoc } from './model';
import { shipOrder } from './ship';

/**
 * The fulfilment outbox: written in the same update that makes an order PAID, so a paid order always
 * has it, then run right away by that update's winner and retried by the timer with back-off. Each
 * attempt is claimed by a conditional update on `attempts` (the first by the PAID update itself), so
 * concurrent notifications and queries run it once. A hook that
 * fails leaves the payment alone; after MAX_ATTEMPTS the task is `failed`, for the merchant to see.
 */

export const MAX_ATTEMPTS = 6;
/** Delay before attempt n+1 after n failures (the timer runs every 5 minutes in the cloud). */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000, 6 * 60 * 60_000];
/** An attempt in progress holds the task this long (well beyond the function timeout of 60 s). */
export const ATTEMPT_LEASE_MS = 2 * 60_000;
const MAX_ERROR = 200;

export function retryDelayMs(failures: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(failures, 1), RETRY_DELAYS_MS.length) - 1];
}

/** Each line's type, from the products as ordered. */
export function fulfilmentTypesOf(items: OrderItem[], products: Map<string, { fulfilment?: FulfilmentType }>): Record<string, FulfilmentType> {
  return Object.fromEntries(items.map((i) => [i.skuId, products.get(i.skuId)?.fulfilment ?? DEFAULT_FULFILMENT]));
}

function typeOf(order: Pick<OrderDoc, 'fulfilmentOf'>, skuId: string): FulfilmentType {
  return order.fulfilmentOf?.[skuId] ?? DEFAULT_FULFILMENT;
}

/**
 * The outbox entry written with PAID: every type of the order, none done, and its first attempt
 * already claimed by whoever wins the PAID transition (one write fewer than claiming it after). If
 * that caller dies before finishing, the lease runs out and the timer takes the task up.
 */
export function newFulfilmentTask(order: Pick<OrderDoc, 'items' | 'fulfilmentOf'>, now: number): FulfilmentTask {
  const types = [...new Set(order.items.map((i) => typeOf(order, i.skuId)))];
  return { state: 'pending', types, done: [], attempts: 1, nextAttemptAt: now + ATTEMPT_LEASE_MS };
}

/** The fields the PAID transition sets besides the payment's own. */
export function fulfilmentOnPaid(order: Pick<OrderDoc, 'items' | 'fulfilmentOf'>, now: number): Pick<OrderDoc, 'fulfilment' | 'fulfilmentTask'> {
  return { fulfilment: { state: 'UNSHIPPED' }, fulfilmentTask: newFulfilmentTask(order, now) };
}

export function fulfilmentTaskView(task: FulfilmentTask): FulfilmentTaskView {
  const v: FulfilmentTaskView = { state: task.state === 'pending' ? 'PENDING' : task.state === 'done' ? 'DONE' : 'FAILED', types: task.types, done: task.done, attempts: task.attempts };
  if (task.lastError) v.lastError = task.lastError;
  if (task.state === 'pending') v.nextAttemptAt = task.nextAttemptAt;
  return v;
}

/**
 * Runs the hooks not yet done, then ships an order that needs nobody to send it; the types done and
 * the order as shipping left it. Throws on the first failure, after keeping the progress made.
 */
async function attempt(ctx: OrderContext, order: OrderDoc, task: FulfilmentTask): Promise<{ done: FulfilmentType[]; order: OrderDoc }> {
  const _ = ctx.db.command;
  const done = [...task.done];
  const todo = task.types.filter((t) => !done.includes(t));
  for (const [i, type] of todo.entries()) {
    const items = order.items.filter((it) => typeOf(order, it.skuId) === type);
    await hookFor(type).run({ db: ctx.db, now: ctx.now }, { orderId: order._id, openid: order._openid, items, paidAt: order.paidAt ?? ctx.now() });
    done.push(type);
    // Progress is kept, so a later failure does not run this hook again; after the last hook the
    // final write records it.
    if (i < todo.length - 1) {
      await ctx.repo.updateIf(order._id, 'PAID', { 'fulfilmentTask.done': _.set(done) } as unknown as Partial<OrderDoc>, { 'fulfilmentTask.attempts': task.attempts });
    }
  }
  const logistics = task.types.map((t) => hookFor(t).shipsAtOnce);
  if (!logistics.every((l) => l !== undefined) || new Set(logistics).size !== 1) return { done, order };
  // Read again: the merchant may have shipped it meanwhile, and shipping it again would be the re-shipping.
  const current = (await ctx.repo.get(order._id)) ?? order;
  if (current.fulfilment?.state !== 'UNSHIPPED') return { done, order: current };
  return { done, order: await shipOrder(ctx, current, { logistics: logistics[0]!, itemDesc: describeItems(order.items) }) };
}

/**
 * Runs an attempt this caller holds (task.attempts is its claim); the order as it is afterwards.
 * Never throws for a hook's failure: that is recorded on the task (and logged).
 */
async function runClaimed(ctx: OrderContext, order: OrderDoc, task: FulfilmentTask): Promise<OrderDoc> {
  const _ = ctx.db.command;
  const mine = { 'fulfilmentTask.attempts': task.attempts };
  try {
    const after = await attempt(ctx, order, task);
    const finished = await ctx.repo.updateIf(
      order._id,
      'PAID',
      { 'fulfilmentTask.state': 'done', 'fulfilmentTask.done': _.set(after.done), 'fulfilmentTask.lastError': _.remove() } as unknown as Partial<OrderDoc>,
      mine,
    );
    if (!finished) return (await ctx.repo.get(order._id)) ?? after.order;
    const { lastError: _dropped, ...rest } = task;
    return { ...after.order, fulfilmentTask: { ...rest, state: 'done', done: after.done } };
  } catch (err) {
    const message = [...String((err as Error)?.message ?? err)].slice(0, MAX_ERROR).join('');
    const failed = task.attempts >= MAX_ATTEMPTS;
    console.error(`[fulfil] attempt ${task.attempts} for ${order.outTradeNo} failed${failed ? ', giving up' : ''}:`, message);
    const patch = failed
      ? { 'fulfilmentTask.state': 'failed', 'fulfilmentTask.lastError': message }
      : { 'fulfilmentTask.nextAttemptAt': ctx.now() + retryDelayMs(task.attempts), 'fulfilmentTask.lastError': message };
    // A refund may have moved the order on meanwhile; the task then stays as it was, unrun.
    await ctx.repo.updateIf(order._id, 'PAID', patch as unknown as Partial<OrderDoc>, mine).catch((e) => console.error('[fulfil] could not record the failure', e));
    return (await ctx.repo.get(order._id)) ?? order;
  }
}

/**
 * One attempt at the order's fulfilment, if one is due and nobody else holds it (claimed by a
 * conditional update on `attempts`); the order as it is afterwards.
 */
export async function runFulfilment(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc> {
  const task = order.fulfilmentTask;
  const now = ctx.now();
  if (order.status !== 'PAID' || !task || task.state !== 'pending' || task.nextAttemptAt > now) return order;
  const _ = ctx.db.command;
  const n = task.attempts;
  const claimed = await ctx.repo.updateIf(
    order._id,
    'PAID',
    { 'fulfilmentTask.attempts': n + 1, 'fulfilmentTask.nextAttemptAt': now + ATTEMPT_LEASE_MS } as unknown as Partial<OrderDoc>,
    { 'fulfilmentTask.state': 'pending', 'fulfilmentTask.attempts': n, 'fulfilmentTask.nextAttemptAt': _.lte(now) },
  );
  if (!claimed) return (await ctx.repo.get(order._id)) ?? order;
  return runClaimed(ctx, order, { ...task, attempts: n + 1, nextAttemptAt: now + ATTEMPT_LEASE_MS });
}

/**
 * Started by the winner of the PAID transition, which holds the first attempt (written with PAID);
 * the order as it left it, or undefined when it failed. Never throws (the timer retries what is left).
 */
export async function startFulfilment(ctx: OrderContext, order: OrderDoc): Promise<OrderDoc | undefined> {
  try {
    const task = order.fulfilmentTask;
    if (order.status !== 'PAID' || task?.state !== 'pending') return order;
    return await runClaimed(ctx, order, task);
  } catch (err) {
    console.error('[fulfil] could not start', order.outTradeNo, err);
    return undefined;
  }
}

export interface FulfilmentSweepResult {
  attempted: number;
  /** Orders whose hooks gave up: the merchant sees them (fulfilmentTask FAILED). */
  failed: number;
}

/** The timer's step: every due attempt, oldest first. */
export async function retryDueFulfilment(ctx: OrderContext, limit = 50): Promise<FulfilmentSweepResult> {
  const _ = ctx.db.command;
  const { data } = await ctx.db
    .collection(ORDERS)
    .where({ status: 'PAID', 'fulfilmentTask.state': 'pending', 'fulfilmentTask.nextAttemptAt': _.lte(ctx.now()) })
    .orderBy('fulfilmentTask.nextAttemptAt', 'asc')
    .limit(limit)
    .get();
  let failed = 0;
  for (const doc of data as unknown as OrderDoc[]) {
    const after = await runFulfilment(ctx, doc).catch((err) => {
      console.error('[fulfil] retry failed', doc.outTradeNo, err);
      return doc;
    });
    if (after.fulfilmentTask?.state === 'failed') failed++;
  }
  return { attempted: data.length, failed };
}

import { Notifier, type NotificationJob } from '../../scripts/local-host/emulators/notifier';
import type { Delivery, NotificationTarget } from '../../scripts/local-host/emulators/types';
import { serveNotify, until, type Served } from '../helpers/loopback';

/**
 * Notifier.resume, the step every emulator takes at start for each saved payment and refund: it goes on
 * with a delivery an earlier run left pending, and only with that one.
 */

let notify: Served & { received: { rawBody: Buffer }[] };
const notifiers: Notifier[] = [];
beforeAll(async () => {
  notify = await serveNotify(async () => ({ statusCode: 204, headers: {}, body: '' }));
});
afterEach(() => {
  for (const n of notifiers.splice(0)) n.stop();
  notify.received.length = 0;
});
afterAll(() => notify.close());

const newNotifier = (resumeAfter?: Promise<unknown>) => {
  const n = new Notifier({ scheduleMs: [50, 50, 50], isAccepted: (s) => s === 204, timeoutMs: 2000, resumeAfter });
  notifiers.push(n);
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refused = (attempt: number, over: Partial<Delivery> = {}): Delivery => ({ attempt, at: Date.now() - 1000, statusCode: 500, response: 'busy', accepted: false, nextAttemptAt: Date.now() - 500, ...over });
const job = (event?: string, body = event ?? 'payment'): NotificationJob => ({ build: () => ({ headers: {}, body }), ...(event ? { event } : {}) });
const bodies = () => notify.received.map((r) => r.rawBody.toString('utf8'));

it('waits for resumeAfter, then sends the next attempt at once when it is overdue', async () => {
  let open!: () => void;
  const notifier = newNotifier(new Promise<void>((r) => (open = r)));
  const target: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [refused(1), refused(2)] };
  notifier.resume(target, job());
  await sleep(100);
  expect(notify.received).toHaveLength(0);
  open();
  await until(() => target.deliveries.length === 3);
  expect(target.deliveries[2]).toMatchObject({ attempt: 3, statusCode: 204, accepted: true });
});

it('sends nothing once stopped, even when resumeAfter opens later', async () => {
  let open!: () => void;
  const notifier = newNotifier(new Promise<void>((r) => (open = r)));
  const target: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [refused(1)] };
  notifier.resume(target, job());
  notifier.stop();
  open();
  await sleep(150);
  expect(notify.received).toHaveLength(0);
  expect(target.deliveries).toHaveLength(1);
});

it("goes on with the job's own event only: a refund's superseded notification is not sent again", async () => {
  const notifier = newNotifier();
  const target: NotificationTarget = {
    notifyUrl: `${notify.url}/notify`,
    deliveries: [refused(1, { event: 'REFUND.ABNORMAL' }), refused(1, { event: 'REFUND.SUCCESS' }), refused(2, { event: 'REFUND.ABNORMAL' })],
  };
  notifier.resume(target, job('REFUND.SUCCESS'));
  await until(() => target.deliveries.length === 4);
  expect(target.deliveries[3]).toMatchObject({ attempt: 2, event: 'REFUND.SUCCESS', accepted: true });
  await sleep(100);
  expect(bodies()).toEqual(['REFUND.SUCCESS']);
});

it('resumes nothing when the last attempt was accepted or named no next one', async () => {
  const notifier = newNotifier();
  const accepted: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [refused(1), { attempt: 2, at: Date.now(), statusCode: 204, response: '', accepted: true }] };
  const exhausted: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [refused(1), refused(2, { nextAttemptAt: undefined })] };
  const never: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [] };
  for (const t of [accepted, exhausted, never]) notifier.resume(t, job());
  // The witness, resumed with them: once it arrived, anything wrongly resumed at once would have too.
  const pending: NotificationTarget = { notifyUrl: `${notify.url}/notify`, deliveries: [refused(1, { nextAttemptAt: Date.now() + 50 })] };
  notifier.resume(pending, job(undefined, 'witness'));
  await until(() => pending.deliveries.length === 2);
  await sleep(50);
  expect(bodies()).toEqual(['witness']);
  expect([accepted, exhausted, never].map((t) => t.deliveries.length)).toEqual([2, 2, 0]);
});

import { Notifier } from '../../scripts/local-host/emulators/notifier';

/** The platform's redelivery, shortened for tests. */
export const testNotifier = () => new Notifier({ scheduleMs: [30, 30, 30], isAccepted: (status) => status === 200 || status === 204, timeoutMs: 2000 });

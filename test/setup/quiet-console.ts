// The functions log every notification and refusal, as they should in the cloud; in tests those lines
// bury the results. TEST_LOGS=1 shows them.
if (!process.env.TEST_LOGS) {
  for (const level of ['log', 'info', 'warn', 'error'] as const) console[level] = () => undefined;
}
